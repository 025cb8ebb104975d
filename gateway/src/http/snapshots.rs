//! `/admin/snapshots`: taking, listing, pinning, restoring and deleting snapshots.

use std::time::Instant;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::domain::audit::Audit;
use crate::domain::confirmation::Dangerous;
use crate::domain::keyset;
use crate::domain::snapshots::{snapshot_audit, Deletion, MAX_SNAPSHOT_ID};
use crate::http::auth::Session;
use crate::http::confirmation;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{
    body_reason, cursor_position, newest_first_page, page, path_int, HeaderReason,
    OptionalJsonBody, QueryParams, ReasonBody,
};
use crate::http::game::status_response;
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/snapshots",
            axum::routing::get(list_snapshots).post(create_snapshot),
        )
        .route(
            "/admin/snapshots/{snapshot_id}",
            axum::routing::delete(delete_snapshot),
        )
        .route(
            "/admin/snapshots/{snapshot_id}/restore",
            post(restore_snapshot),
        )
        .route(
            "/admin/snapshots/{snapshot_id}/pin",
            put(pin_snapshot).delete(unpin_snapshot),
        )
}

/// Newest first, by cursor (or, for old clients, by offset; see the contract).
async fn list_snapshots(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    const ORDER: &str = "snapshots:id:desc";
    let query = QueryParams::parse(query.as_deref())?;
    let position = cursor_position(&query, ORDER);
    let page = page(
        &query,
        position.as_ref().err().cloned().into_iter().collect(),
    )?;
    let position = position.expect("checked with the paging");
    let newest = state.snapshots.newest_first().await?;
    let window = newest_first_page(newest.len(), |i| u64::from(newest[i].id), &position, &page)?;
    let mut answer = keyset::fields(ORDER, newest.len(), &window, |i| {
        keyset::id_boundary(u64::from(newest[i].id))
    });
    answer.insert("items".into(), json!(&newest[window.range.clone()]));
    Ok(Json(Value::Object(answer)))
}

async fn create_snapshot(
    session: Session,
    State(state): State<AppState>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let snapshot = state
        .snapshots
        .take(&session.actor(), None, None)
        .await?
        .ok_or_else(ids_used_up)?;
    Ok((StatusCode::CREATED, Json(json!(snapshot))))
}

fn ids_used_up() -> ApiError {
    ApiError::ServiceUnavailable("Snapshot ids are used up (2147483647 reached)".into())
}

fn snapshot_not_found(id: u32) -> ApiError {
    ApiError::NotFound(format!("Snapshot {id} not found"))
}

/// `{snapshot_id}`: a `SERIAL`, 1 to 2^31 - 1.
fn snapshot_id(raw: &str) -> ApiResult<u32> {
    let id = path_int(raw, "snapshot_id", 1, i64::from(MAX_SNAPSHOT_ID))?;
    Ok(u32::try_from(id).expect("bounded to the SERIAL range"))
}

fn not_paused() -> ApiError {
    ApiError::Conflict("Pause the game before restoring a snapshot".into())
}

async fn restore_snapshot(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    OptionalJsonBody(body): OptionalJsonBody<ReasonBody>,
) -> ApiResult<Json<Value>> {
    let id = snapshot_id(&id)?;
    let reason = body_reason(body)?;
    let snapshot = state
        .snapshots
        .get(id)
        .await?
        .ok_or_else(|| snapshot_not_found(id))?;
    confirmation::require(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "restoreSnapshot",
            id.to_string(),
            format!("Restore snapshot {id}"),
        ),
    )?;
    if !state.world().game.paused() {
        return Err(not_paused());
    }
    let actor = session.actor();
    // The world as it is now, first, so that restoring this one undoes the restore; the
    // snapshot being restored is spared by the retention this new one triggers. The game is
    // paused, so it is the world the restore replaces.
    let safety = state
        .snapshots
        .take(&actor, Some(format!("before restore of #{id}")), Some(id))
        .await?
        .ok_or_else(ids_used_up)?;
    let mut world = state.world();
    if !world.game.paused() {
        // Resumed meanwhile: the safety snapshot stays, as any snapshot would.
        return Err(not_paused());
    }
    let tick_before = world.status().tick;
    world
        .game
        .restore(Instant::now(), snapshot.tick_number, snapshot.game_time);
    world.audit(
        &actor,
        snapshot_audit("snapshot.restore", id)
            .change(tick_before.to_string(), snapshot.tick_number.to_string())
            .reason(reason)
            .detail(format!(
                "restored to tick {}; the world before is safety snapshot #{}",
                snapshot.tick_number, safety.id
            )),
    );
    let Json(mut status) = status_response(&mut world);
    status["restored"] = json!(snapshot);
    status["safety_snapshot"] = json!(safety);
    Ok(Json(status))
}

/// Pins or unpins; setting what it already is changes nothing and records nothing.
async fn set_pinned(
    state: &AppState,
    session: &Session,
    raw_id: &str,
    pinned: bool,
) -> ApiResult<Json<Value>> {
    let id = snapshot_id(raw_id)?;
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let action = if pinned {
        "snapshot.pin"
    } else {
        "snapshot.unpin"
    };
    let snapshot = state
        .snapshots
        .set_pinned(id, pinned, |changed| {
            stamp.with(
                snapshot_audit(action, id)
                    .change((!pinned).to_string(), pinned.to_string())
                    .detail(format!("tick {}", changed.tick_number)),
            )
        })
        .await?
        .ok_or_else(|| snapshot_not_found(id))?;
    Ok(Json(json!(snapshot)))
}

async fn pin_snapshot(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_pinned(&state, &session, &id, true).await
}

async fn unpin_snapshot(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_pinned(&state, &session, &id, false).await
}

async fn delete_snapshot(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<StatusCode> {
    let id = snapshot_id(&id)?;
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let deletion = state
        .snapshots
        .delete(id, |deleted| {
            stamp.with(
                snapshot_audit("snapshot.delete", id)
                    .reason(reason)
                    .detail(format!("tick {}", deleted.tick_number)),
            )
        })
        .await?;
    match deletion {
        Deletion::Deleted(_) => Ok(StatusCode::NO_CONTENT),
        Deletion::NotFound => Err(snapshot_not_found(id)),
        Deletion::Pinned => Err(ApiError::ConflictCode {
            code: "snapshot_pinned",
            detail: format!("Snapshot {id} is pinned; unpin it before deleting it"),
        }),
    }
}
