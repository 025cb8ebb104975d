//! `/admin/services`: the game's services, their versions and readiness.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::http::auth::Session;
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/services", get(list_services))
}

async fn list_services(_: Session, State(state): State<AppState>) -> Json<Value> {
    let mut world = state.world();
    let now = OffsetDateTime::now_utc();
    for service in &mut world.services {
        service.checked_at = now;
    }
    Json(json!({ "items": world.services }))
}
