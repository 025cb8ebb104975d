//! Unauthenticated endpoints: service versions and the gateway's own health.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::domain::services::ServiceStatus;
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/versions", get(versions))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
}

async fn versions(State(state): State<AppState>) -> Json<Value> {
    let world = state.world();
    let map: Map<String, Value> = world
        .services
        .iter()
        .map(|s| (s.name.to_owned(), Value::from(s.version.clone())))
        .collect();
    Json(Value::Object(map))
}

async fn live() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

/// Ready when the simulated gateway service is, and its store answers: a replica that cannot
/// reach the database is taken out of the Service's endpoints rather than answering 503s.
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if let Err(e) = state.accounts.ping().await {
        tracing::warn!("not ready: {e}");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "not_ready", "reason": "the console's database is unreachable" }),
            ),
        );
    }
    let world = state.world();
    let gateway = world.gateway();
    match gateway.status {
        ServiceStatus::Ready => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "version": gateway.version })),
        ),
        other => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "not_ready", "reason": format!("api_gateway is {}", serde_json::to_value(other).unwrap_or_default().as_str().unwrap_or("unknown")) }),
            ),
        ),
    }
}
