use std::sync::Arc;

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

/// Ready: the database answers and every migration is applied.
pub async fn readyz(State(state): State<Arc<HttpState>>) -> (StatusCode, Json<Value>) {
    if db::is_ready(&state.app.db).await {
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
