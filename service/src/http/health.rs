use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::HttpState;
use crate::db;

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The longest `/readyz` waits for the database: a load balancer must hear "not ready" in
/// seconds, also when the database hangs rather than refuses.
const READY_WITHIN: Duration = Duration::from_secs(2);

/// Ready: the database answers and every migration is applied.
pub async fn readyz(State(state): State<Arc<HttpState>>) -> (StatusCode, Json<Value>) {
    let ready = tokio::time::timeout(READY_WITHIN, db::is_ready(&state.base.db)).await;
    if ready == Ok(true) {
        (StatusCode::OK, Json(json!({"status": "ready"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({"status": "unavailable", "reason": "database unreachable or not migrated"}),
            ),
        )
    }
}
