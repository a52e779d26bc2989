//! GraphQL over HTTP: JSON POST bodies only (no form can forge one), queries over GET, GraphiQL for
//! browsers, and the response type negotiated from `Accept`.

use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{ServerError, Variables};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tracing::Instrument;

use super::{HttpState, RequestNote};
use crate::error::{AppError, code};
use crate::graphql::{Lang, Limits, RequestContext};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

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
        Err(err) => return refuse_token(&err, &note, media),
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
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("policy-outreach")
                .finish(),
        )
        .into_response();
    }
    let context = match request_context(&state, &headers, &note) {
        Ok(context) => context,
        Err(err) => return refuse_token(&err, &note, media),
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

/// The answer to a request whose token was refused or whose subject is over its rate.
fn refuse_token(err: &AppError, note: &RequestNote, media: ResponseMedia) -> Response {
    if let AppError::RateLimited { .. } = err {
        return super::rate::too_many(err);
    }
    note.error(err.code());
    let mut response = media.request_error(StatusCode::UNAUTHORIZED, err.code(), &err.to_string());
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// Where a request's parameters are.
enum Source {
    Body(Bytes),
    Url(Uri),
}

impl Source {
    fn len(&self) -> usize {
        match self {
            Source::Body(body) => body.len(),
            Source::Url(uri) => uri.query().map_or(0, str::len),
        }
    }

    /// The request, checked and parsed.
    fn admit(&self, limits: &Limits) -> Result<async_graphql::Request, Refusal> {
        match self {
            Source::Body(body) => admit_body(limits, body),
            Source::Url(uri) => admit_url(limits, uri),
        }
    }
}

/// Answers a request: a small one here, a large one on the blocking pool (as many at once as
/// there are cores), so the runtime's workers stay free for health checks and small requests
/// and the request timeout still fires. Should it fire, the work keeps its permit until it ends.
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
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        runtime.block_on(answer(&state, &note, context, media, &source).instrument(span))
    })
    .await
    .unwrap_or_else(|err| {
        tracing::error!(error = %err, "a large request failed");
        Refusal::Internal.respond(&fallback, media)
    })
}

async fn answer(
    state: &HttpState,
    note: &Arc<RequestNote>,
    context: RequestContext,
    media: ResponseMedia,
    source: &Source,
) -> Response {
    match source.admit(&state.limits) {
        Ok(request) => execute(state, note, request, context, media).await,
        Err(refusal) => refusal.respond(note, media),
    }
}

/// The parameters of a POST body. `query` is required; the rest may be absent or null.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodyParams {
    query: Option<String>,
    operation_name: Option<String>,
    #[serde(default)]
    variables: Variables,
    #[serde(default)]
    extensions: async_graphql::Extensions,
}

fn admit_body(limits: &Limits, body: &[u8]) -> Result<async_graphql::Request, Refusal> {
    // The body's own object is one level above its variables.
    limits.check_json(body, 1).map_err(Refusal::Request)?;
    let params: BodyParams = serde_json::from_slice(body).map_err(|err| {
        Refusal::Malformed(format!(
            "the body is not a GraphQL request (one JSON object with \"query\"): {err}"
        ))
    })?;
    let query = params
        .query
        .ok_or_else(|| Refusal::Malformed(NO_QUERY.to_owned()))?;
    let mut request = async_graphql::Request::new(query).variables(params.variables);
    request.operation_name = params.operation_name;
    request.extensions = params.extensions;
    limits.admit(request).map_err(Refusal::Request)
}

const NO_QUERY: &str = "the request has no \"query\": send the GraphQL document as \"query\"";

/// The parameters of a GET URL, named as GraphQL over HTTP names them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UrlParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

fn admit_url(limits: &Limits, uri: &Uri) -> Result<async_graphql::Request, Refusal> {
    let Query(params) = Query::<UrlParams>::try_from_uri(uri)
        .map_err(|err| Refusal::Malformed(format!("the URL's parameters are malformed: {err}")))?;
    let json = |name: &str, text: Option<String>| -> Result<serde_json::Value, Refusal> {
        let Some(text) = text else {
            return Ok(serde_json::Value::Null);
        };
        limits
            .check_json(text.as_bytes(), 0)
            .map_err(Refusal::Request)?;
        serde_json::from_str(&text).map_err(|err| {
            Refusal::Malformed(format!("the {name} parameter is not a JSON object: {err}"))
        })
    };
    let variables = json("variables", params.variables)?;
    let extensions = json("extensions", params.extensions)?;
    let query = params
        .query
        .ok_or_else(|| Refusal::Malformed(NO_QUERY.to_owned()))?;
    let mut request = async_graphql::Request::new(query).variables(Variables::from_json(variables));
    request.operation_name = params.operation_name;
    request.extensions = serde_json::from_value(extensions).map_err(|err| {
        Refusal::Malformed(format!(
            "the extensions parameter is not a JSON object: {err}"
        ))
    })?;
    let mut request = limits.admit(request).map_err(Refusal::Request)?;
    if is_mutation(&mut request) {
        return Err(Refusal::MutationOverGet);
    }
    Ok(request)
}

/// Why a request was answered before it ran.
enum Refusal {
    /// Not a GraphQL request at all: 400 whatever the media type.
    Malformed(String),
    /// A GraphQL request refused before execution (a document that does not parse, a limit).
    Request(ServerError),
    MutationOverGet,
    Internal,
}

impl Refusal {
    fn respond(self, note: &RequestNote, media: ResponseMedia) -> Response {
        match self {
            Refusal::Malformed(message) => {
                note.error(code::BAD_USER_INPUT);
                media.request_error(StatusCode::BAD_REQUEST, code::BAD_USER_INPUT, &message)
            }
            Refusal::Request(mut error) => {
                note.operation(crate::graphql::INVALID_OPERATION.to_owned());
                note.error(&coded(&mut error));
                media.body(
                    media.request_failed_status(),
                    serde_json::to_vec(&json!({ "errors": [error] })),
                )
            }
            Refusal::MutationOverGet => {
                note.error(code::BAD_USER_INPUT);
                let mut response = media.request_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    code::BAD_USER_INPUT,
                    "mutations are accepted over POST only",
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                response
            }
            Refusal::Internal => {
                note.error(code::INTERNAL);
                media.request_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code::INTERNAL,
                    "internal error",
                )
            }
        }
    }
}

/// Gives an error async-graphql raised itself (syntax, validation, input coercion) the code of bad
/// input; the service's own errors and limits already carry theirs. Returns the code.
fn coded(error: &mut ServerError) -> String {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if let Some(async_graphql::Value::String(existing)) = extensions.get("code") {
        return existing.clone();
    }
    extensions.set("code", code::BAD_USER_INPUT);
    code::BAD_USER_INPUT.to_owned()
}

async fn execute(
    state: &HttpState,
    note: &Arc<RequestNote>,
    request: async_graphql::Request,
    context: RequestContext,
    media: ResponseMedia,
) -> Response {
    let request = request.data(context).data(note.clone());
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        note.error(&coded(error));
    }
    // Errors without a path came before execution (validation, variables, limits): the request
    // failed, so it has no `data` entry. Once execution started the answer is 200 even when a field
    // failed, as GraphQL over HTTP says.
    let request_failed = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    if request_failed {
        return media.body(
            media.request_failed_status(),
            serde_json::to_vec(&json!({ "errors": response.errors })),
        );
    }
    media.body(StatusCode::OK, serde_json::to_vec(&response))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Whether the operation a request would run is a mutation (its document is parsed already).
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let selected = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document.operations.iter().any(|(name, op)| {
        op.node.ty == OperationType::Mutation
            && (selected.is_none() || name.map(|n| n.as_str()) == selected.as_deref())
    })
}

/// The media type of the response, chosen from `Accept`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResponseMedia {
    Json,
    GraphqlResponseJson,
}

impl ResponseMedia {
    fn from(headers: &HeaderMap) -> ResponseMedia {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.contains(GRAPHQL_RESPONSE_JSON) {
            ResponseMedia::GraphqlResponseJson
        } else {
            ResponseMedia::Json
        }
    }

    /// The status of a request that failed before it ran: 400 under graphql-response+json; under
    /// plain JSON, 200, which older clients expect.
    fn request_failed_status(self) -> StatusCode {
        match self {
            ResponseMedia::Json => StatusCode::OK,
            ResponseMedia::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ResponseMedia::Json => "application/json",
            ResponseMedia::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
        }
    }

    /// An error found before the GraphQL request could run: a malformed body, a bad token, a
    /// mutation over GET.
    fn request_error(self, status: StatusCode, code: &str, message: &str) -> Response {
        let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
        self.body(status, serde_json::to_vec(&body))
    }

    fn body(self, status: StatusCode, bytes: serde_json::Result<Vec<u8>>) -> Response {
        match bytes {
            Ok(bytes) => {
                (status, [(header::CONTENT_TYPE, self.content_type())], bytes).into_response()
            }
            Err(err) => {
                tracing::error!(error = %err, "could not serialise a response");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}
