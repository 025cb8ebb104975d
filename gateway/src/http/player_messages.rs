//! `/admin/players/messages`: a message to every player online, now (or as a schedule's step,
//! through [`send`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::audit::{Actor, Audit, TargetType};
use crate::domain::player_messages::{check_text, Frame, Message};
use crate::domain::player_sessions::PlayerEvent;
use crate::http::auth::Session;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/players/messages", post(send_now).get(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    text: String,
}

async fn send_now(
    session: Session,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<MessageBody>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let message = send(&state, &session.actor(), &body.text, true).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

async fn list(_: Session, State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "items": state.world().player_messages.newest_first() }))
}

/// Sends `text` to every player online for `actor`, recorded as `game.message`: checked,
/// rate-limited when `limited` (by hand; a schedule's planned warnings are not), and
/// published to every replica's sockets.
pub async fn send(
    state: &AppState,
    actor: &Actor,
    text: &str,
    limited: bool,
) -> ApiResult<Message> {
    check_text(text).map_err(|msg| {
        ApiError::field(
            &["body", "text"],
            format!("Value error, {msg}"),
            "value_error",
        )
    })?;
    let text = text.trim().to_owned();
    let (frame, message) = {
        let mut world = state.world();
        let now = world.ban_clock();
        if let Some(wait) = world.player_messages.wait(now).filter(|_| limited) {
            return Err(ApiError::RateLimited {
                detail: format!(
                    "Players were sent {} messages in the last minute; send this one in {wait} s",
                    crate::domain::player_messages::RATE_LIMIT
                ),
                retry_after_secs: u64::try_from(wait).unwrap_or(1),
            });
        }
        let frame = Frame {
            id: crate::domain::accounts::random_id(),
            text: text.clone(),
            sent_at: now,
        };
        let recipients = world.players_online();
        let message = Message {
            id: frame.id,
            text: frame.text.clone(),
            sent_at: now,
            sent_by: actor.username.clone(),
            recipients,
        };
        world.player_messages.record(message.clone());
        world.audit(
            actor,
            Audit::new("game.message")
                .on(TargetType::Game, None, None)
                .detail(format!("to {recipients} players online: “{text}”")),
        );
        (frame, message)
    };
    state
        .player_events
        .publish(PlayerEvent::PlayerBroadcast { frame })
        .await;
    Ok(message)
}
