//! The HTTP surface: one router listing every route, and the layers every request passes through.

mod admission;
mod cors;
mod csv_stream;
mod error;
mod exports;
mod graphql;
mod health;
mod media;
mod needs_csv;
mod observe;
mod pages;
mod public;
mod rate;
mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use observe::Metrics;
pub use public::PublicAnswers;

use crate::schema::RequestNote;
pub use rate::RateLimits;

use crate::auth::TokenVerifier;
use crate::config::Settings;
use crate::policy::live::LiveCatalog;
use crate::schema::{AppSchema, Documents, Limits};
use crate::state::Base;

/// What the handlers share.
pub struct HttpState {
    pub schema: AppSchema,
    /// What a GraphQL request may ask for, checked before it is parsed and run.
    pub limits: Limits,
    /// The documents admitted so far, parsed.
    pub documents: Documents,
    /// The live catalog, whose version anonymous catalog answers are kept under.
    pub live: Arc<LiveCatalog>,
    pub public: PublicAnswers,
    /// Large requests running at once on the blocking pool.
    pub heavy: Arc<tokio::sync::Semaphore>,
    /// The handles the CSV export and the health checks read.
    pub base: Base,
    pub settings: Arc<Settings>,
    pub verifier: TokenVerifier,
    pub rate: Arc<RateLimits>,
    pub metrics: Metrics,
    /// Subscription connections and subscriptions open, per subject.
    pub ws_slots: ws::Slots,
}

/// Permits for large requests running at once on the blocking pool: as many as the machine has
/// cores (at least two). They run on threads of their own, which the OS shares with the
/// runtime's workers, so health checks keep answering; the bound keeps their number from growing
/// with the attackers'.
pub fn heavy_permits() -> Arc<tokio::sync::Semaphore> {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    Arc::new(tokio::sync::Semaphore::new(cores.max(2)))
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A panic in a handler: logged under the request id and answered as INTERNAL, never a dropped
/// connection.
fn panicked(cause: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let detail = cause
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| cause.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    crate::error::AppError::internal_msg(format!("request handler panicked: {detail}"))
        .into_response()
}

/// Every route of the service.
pub fn router(state: Arc<HttpState>) -> Router {
    let settings = &state.settings;
    let timeout = Duration::from_secs(settings.request_timeout_seconds);
    let max_body = settings.max_body_bytes;
    let rated = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route(
            "/exports/policies/{id}/unreached.csv",
            get(exports::unreached_csv),
        )
        .route(
            "/exports/policies/{id}/needs.csv",
            get(needs_csv::needs_csv),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate::per_ip,
        ));
    // Preflights are answered before the rate limit, and other origins' answers carry no CORS.
    let rated = if settings.cors_allowed_origins.is_empty() {
        rated
    } else {
        rated
            .layer(cors::layer(&settings.cors_allowed_origins))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(settings.cors_allowed_origins.clone()),
                cors::only_allowed,
            ))
    };
    let widget = Router::new().route("/widget/policy-panel.js", get(pages::panel_script));
    let widget = if settings.widget_demo {
        widget
            .route("/widget/demo", get(pages::widget_demo_page))
            .route("/widget/{file}", get(pages::widget_demo_file))
    } else {
        widget
    };
    Router::new()
        .merge(rated)
        .merge(widget)
        .route("/console", get(pages::console_page))
        .route("/console/{*path}", get(pages::console_file))
        .route("/graphiql/{*path}", get(pages::graphiql_file))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(observe::metrics))
        .with_state(state.clone())
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
                            // Whatever is logged while the request runs carries its id.
                            tracing::info_span!("request", id, operation = tracing::field::Empty)
                        })
                        .on_request(())
                        .on_response(())
                        .on_failure(()),
                )
                // The request's one log line and its metrics, after every refusal below.
                .layer(axum::middleware::from_fn_with_state(
                    state,
                    observe::observe,
                ))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(panicked))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    timeout,
                ))
                // Enforced while the body streams in, so an oversized body is never buffered whole.
                .layer(DefaultBodyLimit::max(max_body)),
        )
}

/// The viewer a request's bearer token proves; no `Authorization` header: anonymous.
fn authenticate(
    state: &HttpState,
    headers: &axum::http::HeaderMap,
    note: &RequestNote,
) -> Result<crate::auth::Viewer, crate::error::AppError> {
    use crate::error::AppError;
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(crate::auth::Viewer::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::Unauthenticated(
                "the Authorization header must be `Bearer <token>`".to_owned(),
            )
        })?;
    let viewer = state.verifier.verify(token)?;
    note.viewer(&viewer);
    state.rate.check_subject(&viewer)?;
    Ok(viewer)
}
