//! A GraphQL request read from a POST body or a GET URL, checked against the limits and parsed
//! before it runs; or why it was refused.

use async_graphql::parser::types::OperationType;
use async_graphql::{ServerError, Variables};
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::media::ResponseMedia;
use crate::error::{AppError, code};
use crate::schema::RequestNote;
use crate::schema::{Documents, Limits};

/// Where a request's parameters are.
pub enum Source {
    Body(Bytes),
    Url(Uri),
}

impl Source {
    pub fn len(&self) -> usize {
        match self {
            Source::Body(body) => body.len(),
            Source::Url(uri) => uri.query().map_or(0, str::len),
        }
    }

    /// The request, checked and parsed.
    pub fn admit(
        &self,
        limits: &Limits,
        documents: &Documents,
    ) -> Result<async_graphql::Request, Refusal> {
        match self {
            Source::Body(body) => admit_body(limits, documents, body),
            Source::Url(uri) => admit_url(limits, documents, uri),
        }
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

fn admit_body(
    limits: &Limits,
    documents: &Documents,
    body: &[u8],
) -> Result<async_graphql::Request, Refusal> {
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
    limits
        .admit_kept(request, documents)
        .map_err(Refusal::Request)
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

fn admit_url(
    limits: &Limits,
    documents: &Documents,
    uri: &Uri,
) -> Result<async_graphql::Request, Refusal> {
    let Query(params) = Query::<UrlParams>::try_from_uri(uri)
        .map_err(|err| Refusal::Malformed(format!("the URL's parameters are malformed: {err}")))?;
    let object = |name: &str, text: Option<String>| -> Result<serde_json::Value, Refusal> {
        let Some(text) = text else {
            return Ok(serde_json::Value::Null);
        };
        limits
            .check_json(text.as_bytes(), 0)
            .map_err(Refusal::Request)?;
        match serde_json::from_str(&text) {
            Ok(value @ (serde_json::Value::Object(_) | serde_json::Value::Null)) => Ok(value),
            Ok(_) => Err(Refusal::Malformed(format!(
                "the {name} parameter must be a JSON object"
            ))),
            Err(err) => Err(Refusal::Malformed(format!(
                "the {name} parameter is not a JSON object: {err}"
            ))),
        }
    };
    let variables = object("variables", params.variables)?;
    let extensions = object("extensions", params.extensions)?;
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
    let mut request = limits
        .admit_kept(request, documents)
        .map_err(Refusal::Request)?;
    if is_mutation(&mut request) {
        return Err(Refusal::MutationOverGet);
    }
    Ok(request)
}

/// Why a request was answered before it ran.
pub enum Refusal {
    /// Not a GraphQL request at all: 400 whatever the media type.
    Malformed(String),
    /// A GraphQL request refused before execution (a document that does not parse, a limit).
    Request(ServerError),
    MutationOverGet,
    Internal,
}

impl Refusal {
    pub fn respond(self, note: &RequestNote, media: ResponseMedia) -> Response {
        match self {
            Refusal::Malformed(message) => {
                note.error(code::BAD_USER_INPUT);
                media.request_error(StatusCode::BAD_REQUEST, code::BAD_USER_INPUT, &message)
            }
            Refusal::Request(mut error) => {
                note.operation(crate::schema::INVALID_OPERATION.to_owned());
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
                media.retype(
                    AppError::internal_msg("a request could not be answered").into_response(),
                )
            }
        }
    }
}

/// Gives an error async-graphql raised itself (syntax, validation, input coercion) the code of bad
/// input; the service's own errors and limits already carry theirs. Returns the code.
pub fn coded(error: &mut ServerError) -> String {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if let Some(async_graphql::Value::String(existing)) = extensions.get("code") {
        return existing.clone();
    }
    extensions.set("code", code::BAD_USER_INPUT);
    code::BAD_USER_INPUT.to_owned()
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
