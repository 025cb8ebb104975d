//! `/admin/game/*`: the game's status, and pausing and resuming it.

use std::time::Instant;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::domain::audit::{Audit, TargetType};
use crate::domain::game::GameStatus;
use crate::domain::rfc3339;
use crate::http::auth::Session;
use crate::http::error::ApiResult;
use crate::http::extract::{body_reason, OptionalJsonBody, ReasonBody};
use crate::http::state::AppState;
use crate::store::memory::World;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/game/status", get(status))
        .route("/admin/game/pause", post(pause))
        .route("/admin/game/resume", post(resume))
}

/// The game status now, with the players online.
pub fn status_response(world: &mut World) -> Json<Value> {
    let status = world.status();
    status_json(status, world.players_online())
}

fn status_json(s: GameStatus, players_online: u32) -> Json<Value> {
    Json(json!({
        "tick": s.tick,
        "game_time": rfc3339(s.game_time),
        "tick_rate": s.tick_rate,
        "actual_rate": s.actual_rate,
        "paused": s.paused,
        "ticks_behind": s.ticks_behind,
        "players_online": players_online,
    }))
}

async fn status(_: Session, State(state): State<AppState>) -> Json<Value> {
    status_response(&mut state.world())
}

async fn pause(
    session: Session,
    State(state): State<AppState>,
    OptionalJsonBody(body): OptionalJsonBody<ReasonBody>,
) -> ApiResult<Json<Value>> {
    let reason = body_reason(body)?;
    let mut world = state.world();
    let was_paused = world.game.paused();
    let rate = world.config.tick_rate();
    world.game.pause(Instant::now(), rate);
    if !was_paused {
        let tick = world.game.tick();
        world.audit(
            &session.actor(),
            Audit::new("game.pause")
                .on(TargetType::Game, None, None)
                .reason(reason)
                .detail(format!("paused at tick {tick}")),
        );
    }
    Ok(status_response(&mut world))
}

async fn resume(
    session: Session,
    State(state): State<AppState>,
    OptionalJsonBody(body): OptionalJsonBody<ReasonBody>,
) -> ApiResult<Json<Value>> {
    let reason = body_reason(body)?;
    let mut world = state.world();
    if world.game.paused() {
        world.game.resume(Instant::now());
        let tick = world.game.tick();
        world.audit(
            &session.actor(),
            Audit::new("game.resume")
                .on(TargetType::Game, None, None)
                .reason(reason)
                .detail(format!("resumed at tick {tick}")),
        );
    }
    Ok(status_response(&mut world))
}
