//! The one way an [`AppError`] becomes an HTTP response outside GraphQL's own answers: its status,
//! the same error object GraphQL answers with (code, message, the fields of bad input), and the
//! headers its code calls for. Internal errors are logged here, once, under the request's id.

use async_graphql::ErrorExtensions;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::AppError;

/// The status each error answers with over plain HTTP.
pub fn status(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden | AppError::Denied(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadUserInput(_) => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The GraphQL error object, so a client reads both kinds of answer alike; building it logs
        // what is internal.
        let error = self.extend();
        let body = json!({"errors": [{"message": error.message, "extensions": error.extensions}]});
        let mut response = (status(&self), Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            AppError::RateLimited { retry_after } => {
                // Whole seconds, at least one.
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            }
            AppError::Unauthenticated(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_error_answers_its_own_status_and_the_headers_its_code_calls_for() {
        let conflict = AppError::Conflict("key reused".into()).into_response();
        assert_eq!(conflict.status(), StatusCode::CONFLICT);
        let limited = AppError::RateLimited {
            retry_after: Duration::from_millis(1_200),
        }
        .into_response();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()[header::RETRY_AFTER], "2");
        let refused = AppError::Unauthenticated("expired".into()).into_response();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert!(refused.headers().contains_key(header::WWW_AUTHENTICATE));
        let bad = AppError::field("region", "unknown").into_response();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let internal = AppError::internal_msg("disk on fire").into_response();
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
