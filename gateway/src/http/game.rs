//! `/admin/game/*`: the game's status, and pausing and resuming it.

use std::time::Instant;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::domain::audit::{Actor, Audit, TargetType};
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
    set_paused(&mut world, &session.actor(), true, reason);
    Ok(status_response(&mut world))
}

async fn resume(
    session: Session,
    State(state): State<AppState>,
    OptionalJsonBody(body): OptionalJsonBody<ReasonBody>,
) -> ApiResult<Json<Value>> {
    let reason = body_reason(body)?;
    let mut world = state.world();
    set_paused(&mut world, &session.actor(), false, reason);
    Ok(status_response(&mut world))
}

/// Pauses or resumes the game for `actor`, recorded as `game.pause` or `game.resume` (with
/// the tick) when it changes; the tick it changed at, `None` if it already was.
pub fn set_paused(
    world: &mut World,
    actor: &Actor,
    paused: bool,
    reason: Option<String>,
) -> Option<u64> {
    if world.game.paused() == paused {
        return None;
    }
    let (action, verb) = if paused {
        let rate = world.config.tick_rate();
        world.game.pause(Instant::now(), rate);
        ("game.pause", "paused")
    } else {
        world.game.resume(Instant::now());
        ("game.resume", "resumed")
    };
    let tick = world.game.tick();
    world.audit(
        actor,
        Audit::new(action)
            .on(TargetType::Game, None, None)
            .reason(reason)
            .detail(format!("{verb} at tick {tick}")),
    );
    Some(tick)
}
