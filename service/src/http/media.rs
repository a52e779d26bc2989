//! The media type of a GraphQL response, negotiated from `Accept`, and the bodies of answers
//! given before a request runs.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The media type of the response, chosen from `Accept`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ResponseMedia {
    Json,
    GraphqlResponseJson,
}

impl ResponseMedia {
    pub fn from(headers: &HeaderMap) -> ResponseMedia {
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
    pub fn request_failed_status(self) -> StatusCode {
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

    /// `response`, a JSON error, as this media type.
    pub fn retype(self, mut response: Response) -> Response {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type()),
        );
        response
    }

    /// An error found before the GraphQL request could run: a malformed body, a bad token, a
    /// mutation over GET.
    pub fn request_error(self, status: StatusCode, code: &str, message: &str) -> Response {
        let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
        self.body(status, serde_json::to_vec(&body))
    }

    pub fn body(self, status: StatusCode, bytes: serde_json::Result<Vec<u8>>) -> Response {
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
