//! GraphQL over HTTP: JSON POST bodies only (no form can forge one), queries over GET, GraphiQL for
//! browsers, and the response type negotiated from `Accept`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::Instrument;

use super::HttpState;
use super::admission::{Refusal, Source, coded};
use super::media::ResponseMedia;
use super::public::Question;
use crate::auth::Viewer;
use crate::error::{AppError, code};
use crate::graphql::{Lang, Provenance, RequestContext};
use crate::schema::{INVALID_OPERATION, RequestNote, operation};

/// Requests up to this size run on the request's own task. Larger ones are read, parsed, validated
/// and run on the blocking pool, so their CPU work never holds up the runtime's workers.
const INLINE_BYTES: usize = 8 * 1024;

/// `POST /graphql` with an `application/json` body.
pub async fn post(
    State(state): State<Arc<HttpState>>,
    Extension(note): Extension<Arc<RequestNote>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let media = ResponseMedia::from(&headers);
    if !is_json(&headers) {
        return media.request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::BAD_USER_INPUT,
            "send the request as Content-Type: application/json",
        );
    }
    if body.trim_ascii_start().starts_with(b"[") {
        return media.request_error(
            StatusCode::BAD_REQUEST,
            code::BAD_USER_INPUT,
            "batched requests are not accepted: send one JSON object with \"query\" per request",
        );
    }
    let context = match request_context(&state, &headers, &note) {
        Ok(context) => context,
        Err(err) => return refuse_token(err, &note, media),
    };
    run(state, note, context, media, Source::Body(body)).await
}

/// `GET /graphql`: GraphiQL for a browser, else a query from the URL (never a mutation).
pub async fn get(
    State(state): State<Arc<HttpState>>,
    Extension(note): Extension<Arc<RequestNote>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let media = ResponseMedia::from(&headers);
    if uri.query().is_none_or(str::is_empty) {
        return super::pages::graphiql_page(&headers);
    }
    let context = match request_context(&state, &headers, &note) {
        Ok(context) => context,
        Err(err) => return refuse_token(err, &note, media),
    };
    run(state, note, context, media, Source::Url(uri)).await
}

/// The request's caller and language, from its token and `Accept-Language`.
fn request_context(
    state: &HttpState,
    headers: &HeaderMap,
    note: &RequestNote,
) -> Result<RequestContext, AppError> {
    let viewer = super::authenticate(state, headers, note)?;
    tracing::Span::current().record("role", viewer.role().as_str());
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::Zh, Lang::from_accept_language);
    Ok(RequestContext { viewer, lang })
}

/// The answer to a request whose token was refused or whose subject is over its rate, in the
/// negotiated media type.
fn refuse_token(err: AppError, note: &RequestNote, media: ResponseMedia) -> Response {
    note.error(err.code());
    media.retype(err.into_response())
}

/// Answers a request: a small one here, a large one on the blocking pool (as many at once as
/// there are cores), so the runtime's workers stay free for health checks and small requests
/// and the request timeout still fires. Should it fire, the work stops at its next await.
async fn run(
    state: Arc<HttpState>,
    note: Arc<RequestNote>,
    context: RequestContext,
    media: ResponseMedia,
    source: Source,
) -> Response {
    if source.len() <= INLINE_BYTES {
        return answer(&state, &note, context, media, &source).await;
    }
    let Ok(permit) = state.heavy.clone().acquire_owned().await else {
        return Refusal::Internal.respond(&note, media);
    };
    let runtime = tokio::runtime::Handle::current();
    let span = tracing::Span::current();
    let fallback = note.clone();
    // Dropped with this future (the request timed out, or its client went away), `_running` ends
    // the work at its next await, so an open transaction rolls back as it would on a task.
    let (_running, abandoned) = tokio::sync::oneshot::channel::<()>();
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        runtime.block_on(async {
            tokio::select! {
                response = answer(&state, &note, context, media, &source).instrument(span) => {
                    Some(response)
                }
                _ = abandoned => None,
            }
        })
    });
    match work.await {
        Ok(Some(response)) => response,
        Ok(None) => Refusal::Internal.respond(&fallback, media),
        Err(err) => {
            tracing::error!(error = %err, "a large request failed");
            Refusal::Internal.respond(&fallback, media)
        }
    }
}

async fn answer(
    state: &HttpState,
    note: &Arc<RequestNote>,
    context: RequestContext,
    media: ResponseMedia,
    source: &Source,
) -> Response {
    match source.admit(&state.limits, &state.documents) {
        Ok(request) => execute(state, note, request, context, media).await,
        Err(refusal) => refusal.respond(note, media),
    }
}

async fn execute(
    state: &HttpState,
    note: &Arc<RequestNote>,
    request: async_graphql::Request,
    context: RequestContext,
    media: ResponseMedia,
) -> Response {
    let mut request = request;
    // Admission parsed the document already.
    let operation = request.parsed_query().ok().and_then(operation);
    if let Some(operation) = &operation {
        tracing::Span::current().record("operation", operation.span.as_str());
    }
    // An anonymous read of the published catalog: answered as kept, if it was, for this snapshot.
    let public = match context.viewer {
        Viewer::Anonymous => Question::of(&mut request, context.lang),
        _ => None,
    };
    // The catalog version and day it would be kept under: read only for such a question.
    let kept_under = public
        .as_ref()
        .map(|_| (state.live.snapshot().version, state.base.today()));
    if let (Some(question), Some((version, day))) = (&public, kept_under)
        && let Some(answer) = state.public.get(question, version, day)
    {
        if let Some(operation) = operation {
            note.operation(operation.label);
        }
        return media.body(StatusCode::OK, Ok(answer.to_vec()));
    }
    let provenance = Arc::new(Provenance::new());
    let request = request
        .data(context)
        .data(note.clone())
        .data(provenance.clone());
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        state.limits.recode(error);
        note.error(&coded(error));
    }
    // Errors without a path came before execution (validation, variables, limits): the request
    // failed, so it has no `data` entry. Once execution started the answer is 200 even when a field
    // failed, as GraphQL over HTTP says.
    let request_failed = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    // Only a validated request is labelled after its operation, so no caller can invent a label.
    note.operation(match operation {
        Some(operation) if !request_failed => operation.label,
        _ => INVALID_OPERATION.to_owned(),
    });
    if request_failed {
        return media.body(
            media.request_failed_status(),
            serde_json::to_vec(&json!({ "errors": response.errors })),
        );
    }
    let answer = serde_json::to_vec(&response);
    if let (Some(question), Some((version, day)), Ok(bytes)) = (public, kept_under, &answer)
        && response.errors.is_empty()
        && provenance.snapshot_only() == Some(version)
    {
        state.public.keep(question, version, day, bytes);
    }
    media.body(StatusCode::OK, answer)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}
