//! What every request leaves behind: one structured log line and its share of the Prometheus
//! metrics served at `/metrics`.
//!
//! Handlers fill in a [`RequestNote`] (who asked, which operation, which error codes); the
//! [`observe`] middleware reads it once the response is ready. Label values come from the schema
//! and the routes, never from the caller, so no client can grow the number of series.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::{DatabaseBackend, DatabaseConnection};

use super::HttpState;
use crate::error::code;
use crate::schema::RequestNote;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The service's metrics, one registry per instance.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<OperationLabels, Histogram, fn() -> Histogram>,
    errors: Family<CodeLabels, Counter>,
    in_flight: Gauge,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    pool_waiting: Gauge,
}

impl Metrics {
    pub fn new(pool_max: u32) -> Metrics {
        let mut registry = Registry::with_prefix("policy_outreach");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests by operation (GraphQL root field or route) and outcome (ok or error)",
            requests.clone(),
        );
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "request_duration_seconds",
            "Time from the request's arrival to its response, by operation",
            latency.clone(),
        );
        let errors = Family::<CodeLabels, Counter>::default();
        registry.register(
            "errors",
            "Errors answered, by extensions.code (TIMEOUT and PAYLOAD_TOO_LARGE for refusals \
             before GraphQL)",
            errors.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "requests_in_flight",
            "Requests being answered",
            in_flight.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections open, by state (in_use or idle)",
            pool.clone(),
        );
        let max = Gauge::default();
        max.set(i64::from(pool_max));
        registry.register(
            "db_pool_max_connections",
            "The most connections the pool opens",
            max.clone(),
        );
        let pool_waiting = Gauge::default();
        registry.register(
            "db_pool_waiting",
            "Requests in flight beyond the pool's connections while none is idle: an estimate of \
             those queued for a connection (the pool does not report its queue)",
            pool_waiting.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            errors,
            in_flight,
            pool,
            pool_max: max,
            pool_waiting,
        }
    }

    /// The text exposition, with the pool read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (open, idle) = pool_state(db);
        let in_use = open.saturating_sub(idle);
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(in_use));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
        let full = idle == 0 && i64::from(open) >= self.pool_max.get();
        let waiting = if full {
            (self.in_flight.get() - i64::from(open)).max(0)
        } else {
            0
        };
        self.pool_waiting.set(waiting);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Connections open and idle.
fn pool_state(db: &DatabaseConnection) -> (u32, u32) {
    let (open, idle) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    (open, u32::try_from(idle).unwrap_or(u32::MAX))
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<Arc<HttpState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(&state.base.db),
    )
        .into_response()
}

/// The code an HTTP refusal stands for when no GraphQL error names one.
fn code_of_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => code::UNAUTHENTICATED,
        StatusCode::FORBIDDEN => code::FORBIDDEN,
        StatusCode::NOT_FOUND => code::NOT_FOUND,
        StatusCode::REQUEST_TIMEOUT => "TIMEOUT",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::TOO_MANY_REQUESTS => code::RATE_LIMITED,
        status if status.is_server_error() => code::INTERNAL,
        _ => code::BAD_USER_INPUT,
    }
}

/// Counts, times and logs every request.
pub async fn observe(
    State(state): State<Arc<HttpState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let request_id = request
        .headers()
        .get(super::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let scrape = route == "/metrics";
    let note = Arc::new(RequestNote::default());
    request.extensions_mut().insert(note.clone());
    let metrics = &state.metrics;
    if !scrape {
        metrics.in_flight.inc();
    }
    let response = next.run(request).await;
    if !scrape {
        metrics.in_flight.dec();
    }
    let elapsed = started.elapsed();
    let status = response.status();
    let noted = note.take();
    let operation = noted
        .operation
        .unwrap_or_else(|| format!("{method} {route}"));
    let mut codes = noted.codes;
    if codes.is_empty() && (status.is_client_error() || status.is_server_error()) {
        codes.push(code_of_status(status).to_owned());
    }
    let outcome = if codes.is_empty() { "ok" } else { "error" };
    metrics
        .requests
        .get_or_create(&RequestLabels {
            operation: operation.clone(),
            outcome,
        })
        .inc();
    metrics
        .latency
        .get_or_create(&OperationLabels {
            operation: operation.clone(),
        })
        .observe(elapsed.as_secs_f64());
    for code in &codes {
        metrics
            .errors
            .get_or_create(&CodeLabels { code: code.clone() })
            .inc();
    }
    if !scrape {
        tracing::info!(
            request_id,
            operation,
            role = noted.role.unwrap_or("anonymous"),
            subject = noted.subject.as_deref().unwrap_or("-"),
            status = status.as_u16(),
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            outcome,
            codes = codes.join(","),
            "request"
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_without_a_graphql_error_are_counted_under_a_code() {
        assert_eq!(
            code_of_status(StatusCode::PAYLOAD_TOO_LARGE),
            "PAYLOAD_TOO_LARGE"
        );
        assert_eq!(code_of_status(StatusCode::REQUEST_TIMEOUT), "TIMEOUT");
        assert_eq!(code_of_status(StatusCode::BAD_GATEWAY), code::INTERNAL);
        assert_eq!(
            code_of_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            code::BAD_USER_INPUT
        );
    }
}
