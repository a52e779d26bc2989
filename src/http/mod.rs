//! The HTTP surface: one router listing every route, and the layers every request passes through.

mod graphql;
mod health;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::auth::TokenVerifier;
use crate::graphql::{AppSchema, AppState};

/// What the handlers share.
pub struct HttpState {
    pub schema: AppSchema,
    pub app: Arc<AppState>,
    pub verifier: TokenVerifier,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of the service.
pub fn router(state: Arc<HttpState>) -> Router {
    let settings = &state.app.settings;
    let timeout = Duration::from_secs(settings.request_timeout_seconds);
    let max_body = settings.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request<_>| {
                            let id = request
                                .headers()
                                .get(REQUEST_ID)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default();
                            tracing::info_span!(
                                "request",
                                id,
                                method = %request.method(),
                                path = %request.uri().path(),
                                operation = tracing::field::Empty,
                                role = tracing::field::Empty,
                            )
                        })
                        .on_request(())
                        .on_response(
                            |response: &axum::response::Response,
                             latency: Duration,
                             _: &tracing::Span| {
                                tracing::info!(
                                    status = response.status().as_u16(),
                                    ms = latency.as_secs_f64() * 1000.0,
                                    "done"
                                );
                            },
                        )
                        .on_failure(DefaultOnFailure::new()),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    timeout,
                ))
                // Enforced while the body streams in, so an oversized body is never buffered whole.
                .layer(DefaultBodyLimit::max(max_body)),
        )
}
