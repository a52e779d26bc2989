//! GraphQL over HTTP: JSON POST bodies only (no form can forge one), queries over GET, GraphiQL for
//! browsers, and the response type negotiated from `Accept`.

use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::{HttpState, RequestNote};
use crate::error::{AppError, code};
use crate::graphql::{Lang, RequestContext};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

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
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            return media.request_error(
                StatusCode::BAD_REQUEST,
                code::BAD_USER_INPUT,
                &format!(
                    "the body is not a GraphQL request (one JSON object with \"query\"): {err}"
                ),
            );
        }
    };
    execute(&state, &headers, &note, request, media).await
}

/// `GET /graphql`: GraphiQL for a browser, else a query from the URL (never a mutation).
pub async fn get(
    State(state): State<Arc<HttpState>>,
    Extension(note): Extension<Arc<RequestNote>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let media = ResponseMedia::from(&headers);
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("policy-outreach")
                .finish(),
        )
        .into_response();
    };
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(err) => {
            return media.request_error(
                StatusCode::BAD_REQUEST,
                code::BAD_USER_INPUT,
                &err.to_string(),
            );
        }
    };
    if is_mutation(&request) {
        let mut response = media.request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            code::BAD_USER_INPUT,
            "mutations are accepted over POST only",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, &headers, &note, request, media).await
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    note: &Arc<RequestNote>,
    request: async_graphql::Request,
    media: ResponseMedia,
) -> Response {
    let viewer = match super::authenticate(state, headers, note) {
        Ok(viewer) => viewer,
        Err(err @ AppError::RateLimited { .. }) => return super::rate::too_many(&err),
        Err(err) => {
            let mut response =
                media.request_error(StatusCode::UNAUTHORIZED, err.code(), &err.to_string());
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            return response;
        }
    };
    tracing::Span::current().record("role", viewer.role().as_str());
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::Zh, Lang::from_accept_language);
    let request = request
        .data(RequestContext { viewer, lang })
        .data(note.clone());
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        let coded = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !coded {
            // Errors async-graphql raised itself: syntax, validation, limits, input coercion.
            let code =
                if error.message.contains("too deep") || error.message.contains("too complex") {
                    code::QUERY_TOO_COMPLEX
                } else {
                    code::BAD_USER_INPUT
                };
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
        }
        if let Some(async_graphql::Value::String(code)) =
            error.extensions.as_ref().and_then(|e| e.get("code"))
        {
            note.error(code);
        }
    }
    // Errors without a path came before execution (syntax, validation, limits); once execution
    // started the answer is 200 even when a field failed, as GraphQL over HTTP says.
    let request_failed = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    let status = match media {
        ResponseMedia::GraphqlResponseJson if request_failed => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    media.body(status, serde_json::to_vec(&response))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let selected = request.operation_name.as_deref();
    document.operations.iter().any(|(name, op)| {
        op.node.ty == OperationType::Mutation
            && (selected.is_none() || name.map(|n| n.as_str()) == selected)
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
