//! `/admin/players/*`: the player list with its filters, one player, deletion, and moderation:
//! bans that end by themselves, kicks, notes, a per-player timeline from the audit log, bulk
//! bans and kicks, and a streamed CSV export of a whole search.
//!
//! Bans and notes are records of their own (`store::moderation`: the world's, or PostgreSQL's
//! `player_bans` and `player_notes`), not columns of Galaxy's `players` table, whose fields stay
//! as they are. A ban is evaluated against the ban clock wherever players are read, and an
//! ended ban is recorded as `player.ban_expired` by `(system)` once, at the first read or
//! change of players or history sample after its end (`Moderation::expire`).

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt as _;
use serde_json::{json, Map, Value};
use time::Duration;
use uuid::Uuid;

use crate::domain::audit::{csv_cell, Actor, Audit, AuditEntry, TargetType, MAX_REASON_CHARS};
use crate::domain::confirmation::{Dangerous, BULK_BAN_FREE};
use crate::domain::error::FieldError;
use crate::domain::player_list::{ListedPlayer, PlayerQuery};
use crate::domain::player_sessions::{PlayerEvent, CLOSE_BANNED, CLOSE_KICKED};
use crate::domain::players::Ban;
use crate::domain::{rfc3339, to_micros};
use crate::http::auth::Session;
use crate::http::confirmation;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{
    body_reason, cursor_position, export_too_large, no_offset_with_cursor, page, path_uuid,
    HeaderReason, JsonBody, OptionalJsonBody, QueryParams, ReasonBody,
};
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/players", get(list_players))
        .route("/admin/players/export", get(export_players))
        .route("/admin/players/bulk", post(bulk))
        .route(
            "/admin/players/{player_id}",
            get(get_player).delete(delete_player),
        )
        .route(
            "/admin/players/{player_id}/ban",
            post(ban_player).delete(unban_player),
        )
        .route("/admin/players/{player_id}/kick", post(kick_player))
        .route(
            "/admin/players/{player_id}/notes",
            get(list_notes).post(add_note),
        )
        .route("/admin/players/{player_id}/timeline", get(timeline))
}

/// The shortest ban, in seconds.
pub const MIN_BAN_SECONDS: u64 = 60;
/// The longest ban that is not permanent: ten years of seconds.
pub const MAX_BAN_SECONDS: u64 = 315_360_000;
/// The most characters of a note.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The most players of one bulk action.
pub const MAX_BULK_IDS: usize = 100;
/// Rows copied under the world lock at a time while an export streams.
pub const EXPORT_CHUNK_ROWS: usize = 1000;
/// The CSV columns of the player export, in order.
pub const PLAYERS_CSV_HEADER: &str =
    "id,username,ship_id,created_at,online,banned_until,ban_reason";

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("Player {id} not found"))
}

fn player_target(action: &'static str, id: Uuid) -> Audit {
    Audit::new(action).on(
        TargetType::Player,
        Some(id.to_string()),
        Some(format!("player {id}")),
    )
}

// ---------------------------------------------------------------------------------------------
// The list, its filters and the export

/// A boolean query parameter, read as pydantic reads one (`true`/`false`, `1`/`0`, `yes`/`no`,
/// `on`/`off`, `t`/`f`, `y`/`n`, any case).
fn query_bool(query: &QueryParams, name: &str) -> Result<Option<bool>, FieldError> {
    let Some(raw) = query.text(name) else {
        return Ok(None);
    };
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Ok(Some(true)),
        "false" | "0" | "no" | "off" | "f" | "n" => Ok(Some(false)),
        _ => Err(FieldError::new(
            &["query", name],
            "Input should be a valid boolean, unable to interpret input",
            "bool_parsing",
        )),
    }
}

/// The search, sort and filters of a request, adding every bad one to `errors`.
fn parse_query(query: &QueryParams, errors: &mut Vec<FieldError>) -> PlayerQuery {
    let sort = query
        .choice("sort", &["username", "created_at"], "username")
        .map_err(|e| errors.push(e))
        .ok();
    let order = query
        .choice("order", &["asc", "desc"], "asc")
        .map_err(|e| errors.push(e))
        .ok();
    let search = query.text("search").unwrap_or("").trim().to_lowercase();
    if search.chars().count() > 100 {
        errors.push(FieldError::new(
            &["query", "search"],
            "String should have at most 100 characters",
            "string_too_long",
        ));
    }
    let banned = query_bool(query, "banned")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let online = query_bool(query, "online")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    PlayerQuery {
        search,
        by_created_at: sort == Some("created_at"),
        descending: order == Some("desc"),
        banned,
        online,
    }
}

/// A page of players by cursor (or, for old clients, by offset; see the contract).
async fn list_players(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = QueryParams::parse(query.as_deref())?;
    let mut errors = vec![];
    let filter = parse_query(&query, &mut errors);
    let position = cursor_position(&query, filter.order())
        .map_err(|e| errors.push(e))
        .ok();
    let page = page(&query, errors)?;
    let position = position.expect("no errors");
    no_offset_with_cursor(&position, page.offset)?;
    let at = filter.page(&position, page.offset).ok_or_else(|| {
        ApiError::field(
            &["query", "cursor"],
            "Not a cursor from this list",
            "cursor_invalid",
        )
    })?;
    state.moderation.expire().await?;
    let found = state.players.page(&filter, &at, page.limit).await?;
    let mut answer = found.fields(filter.order(), |p| filter.boundary(&p.player));
    answer.insert("items".into(), json!(found.items));
    Ok(Json(Value::Object(answer)))
}

/// One CSV line of a player.
fn player_csv_row(listed: &ListedPlayer) -> String {
    let (p, ban) = (&listed.player, listed.ban.as_ref());
    let cells = [
        p.id.to_string(),
        p.username.clone(),
        p.ship_id.to_string(),
        rfc3339(p.created_at),
        p.online.to_string(),
        ban.map(Ban::until_text).unwrap_or_default(),
        ban.map(|b| b.reason.clone()).unwrap_or_default(),
    ];
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Every player the search selects, as CSV, streamed: the matching ids are fixed when the
/// request arrives, then rows are written `EXPORT_CHUNK_ROWS` at a time, each chunk copied
/// under the world lock and sent after it is released, so other requests go on meanwhile.
/// A row shows the player as it is when its chunk is written; a player deleted meanwhile is
/// left out.
async fn export_players(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(query.as_deref())?;
    let mut errors = vec![];
    let filter = parse_query(&query, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let cap = state.settings.export_max_rows;
    state.moderation.expire().await?;
    let export = match state.players.export(&filter, cap).await? {
        Ok(export) => export,
        Err(matching) => return Err(export_too_large("players", matching, cap)),
    };
    let header_line = Bytes::from(format!("{PLAYERS_CSV_HEADER}\r\n"));
    let chunks = futures_util::stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_chunk(EXPORT_CHUNK_ROWS).await {
            Ok(Some(rows)) => {
                let mut text = String::with_capacity(rows.len() * 160);
                for row in &rows {
                    text.push_str(&player_csv_row(row));
                }
                tokio::task::yield_now().await;
                Some((Ok(Bytes::from(text)), Some(export)))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!("the player export stopped: {e}");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    // Fused: a body layer (compression) may poll once more after the end, which an
    // unfused `unfold` answers with a panic.
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(header_line) })
        .chain(chunks)
        .fuse();
    let mut response = Body::from_stream(body).into_response();
    crate::http::csv::csv_attachment(&mut response, "galaxy-players");
    Ok(response)
}

async fn get_player(
    _: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "player_id")?;
    view(&state, id).await.map(Json)
}

/// The player as the API shows it, after recording any ban that has ended.
async fn view(state: &AppState, id: Uuid) -> ApiResult<Value> {
    state.moderation.expire().await?;
    Ok(json!(find(state, id).await?))
}

/// The player, or 404.
async fn find(state: &AppState, id: Uuid) -> ApiResult<ListedPlayer> {
    state.players.get(id).await?.ok_or_else(|| not_found(id))
}

/// Deletes the player, and its ban and notes with it; its audit entries stay.
async fn delete_player(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<StatusCode> {
    let id = path_uuid(&id, "player_id")?;
    state.moderation.expire().await?;
    let username = find(&state, id).await?.player.username;
    confirmation::require(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "deletePlayer",
            id.to_string(),
            format!("Delete player {username}"),
        ),
    )?;
    let entry = state.audit_entry(
        &session.actor(),
        player_target("player.delete", id)
            .reason(reason)
            .detail(username),
    );
    if !state.moderation.delete_player(id, entry).await? {
        return Err(not_found(id));
    }
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Bodies, checked field by field and reported together, as FastAPI does

/// Every key of `body` not in `allowed` is a 422 `extra_forbidden`.
fn no_extra(body: &Map<String, Value>, allowed: &[&str], errors: &mut Vec<FieldError>) {
    for key in body.keys() {
        if !allowed.contains(&key.as_str()) {
            errors.push(FieldError::new(
                &["body", key],
                "Extra inputs are not permitted",
                "extra_forbidden",
            ));
        }
    }
}

/// A required text of 1 to `max` characters once trimmed (at most `max` as sent), trimmed.
fn required_text(
    body: &Map<String, Value>,
    name: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let loc = ["body", name];
    let Some(value) = body.get(name) else {
        errors.push(FieldError::new(&loc, "Field required", "missing"));
        return None;
    };
    let Some(raw) = value.as_str() else {
        errors.push(FieldError::new(
            &loc,
            "Input should be a valid string",
            "string_type",
        ));
        return None;
    };
    if raw.chars().count() > max {
        errors.push(FieldError::new(
            &loc,
            format!("String should have at most {max} characters"),
            "string_too_long",
        ));
        return None;
    }
    let trimmed = crate::domain::audit::trim_white_space(raw);
    if trimmed.is_empty() {
        errors.push(FieldError::new(
            &loc,
            "String should have at least 1 character that is not white space",
            "string_too_short",
        ));
        return None;
    }
    Some(trimmed.to_owned())
}

/// An optional reason (null, absent or blank is none), as `domain::audit::reason` reads it.
fn optional_reason(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<String> {
    match body.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => crate::domain::audit::reason(Some(s.clone()))
            .map_err(|e| errors.push(e))
            .ok()
            .flatten(),
        Some(_) => {
            errors.push(FieldError::new(
                &["body", "reason"],
                "Input should be a valid string",
                "string_type",
            ));
            None
        }
    }
}

/// `duration_seconds`: required, null (permanent) or an integer from 60 to ten years.
fn duration(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Option<u64>> {
    let loc = ["body", "duration_seconds"];
    let value = match body.get("duration_seconds") {
        None => {
            errors.push(FieldError::new(&loc, "Field required", "missing"));
            return None;
        }
        Some(Value::Null) => return Some(None),
        Some(v) => v,
    };
    // Pydantic takes 3600.0 as 3600, but not 3600.5; a float cast saturates, so a huge
    // integral one is still just out of range.
    let n: i128 = match (value.as_i64(), value.as_u64(), value.as_f64()) {
        (Some(n), _, _) => i128::from(n),
        (_, Some(n), _) => i128::from(n),
        (_, _, Some(f)) if f.is_finite() && f.fract() == 0.0 => f as i128,
        _ => {
            errors.push(FieldError::new(
                &loc,
                "Input should be a valid integer",
                "int_type",
            ));
            return None;
        }
    };
    if n < i128::from(MIN_BAN_SECONDS) {
        errors.push(FieldError::new(
            &loc,
            format!("Input should be greater than or equal to {MIN_BAN_SECONDS}"),
            "greater_than_equal",
        ));
        return None;
    }
    if n > i128::from(MAX_BAN_SECONDS) {
        errors.push(FieldError::new(
            &loc,
            format!("Input should be less than or equal to {MAX_BAN_SECONDS}"),
            "less_than_equal",
        ));
        return None;
    }
    Some(Some(n as u64))
}

/// What a ban needs: the reason and how long.
struct BanOrder {
    reason: String,
    duration_seconds: Option<u64>,
}

fn ban_order(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<BanOrder> {
    let reason = required_text(body, "reason", MAX_REASON_CHARS, errors);
    let duration_seconds = duration(body, errors);
    Some(BanOrder {
        reason: reason?,
        duration_seconds: duration_seconds?,
    })
}

// ---------------------------------------------------------------------------------------------
// Ban, unban, kick: one player each, shared by the single and the bulk operations

/// Bans (or bans again, replacing the ban) the player; a player online is disconnected, and
/// the entry says so.
async fn ban(state: &AppState, actor: &Actor, id: Uuid, order: &BanOrder) -> ApiResult<()> {
    let username = find(state, id).await?.player.username;
    let (was_online, now, stamp) = {
        let mut world = state.world();
        let online = world
            .player_index(id)
            .is_some_and(|i| world.players[i].online);
        let was_online = online || world.player_sessions.any_open(id);
        let stamp = AuditEntry::recorded(actor, Audit::default(), world.status().tick);
        (was_online, to_micros(world.ban_clock()), stamp)
    };
    let until = order
        .duration_seconds
        .map(|s| now + Duration::seconds(s as i64));
    let ban = Ban {
        reason: order.reason.clone(),
        banned_at: now,
        until,
        by: actor.username.clone(),
        by_id: actor.id.unwrap_or(Uuid::nil()),
    };
    let entry = |replaced: Option<&Ban>| {
        let mut detail = match order.duration_seconds {
            Some(s) => format!("{username} banned for {s} s, until {}", ban.until_text()),
            None => format!("{username} banned permanently"),
        };
        if replaced.is_some() {
            detail.push_str(", replacing the ban before");
        }
        if was_online {
            detail.push_str("; live session ended");
        }
        let mut audit = player_target("player.ban", id)
            .reason(Some(order.reason.clone()))
            .detail(detail);
        audit.before = replaced.map(Ban::until_text);
        audit.after = Some(ban.until_text());
        stamp.with(audit)
    };
    state
        .moderation
        .ban(id, &ban, entry)
        .await?
        .ok_or_else(|| not_found(id))?;
    // Every socket of the player closes, on every replica, with the reason the client shows
    // ("Enforcing bans and kicks" in the contract).
    state
        .player_events
        .publish(PlayerEvent::PlayerDisconnect {
            player_id: id,
            code: CLOSE_BANNED,
            reason: format!("banned: {}", order.reason),
        })
        .await;
    Ok(())
}

/// Ends the player's live session: 409 `not_online` when it has none.
async fn kick(state: &AppState, actor: &Actor, id: Uuid, reason: Option<String>) -> ApiResult<()> {
    let username = find(state, id).await?.player.username;
    let event = PlayerEvent::PlayerDisconnect {
        player_id: id,
        code: CLOSE_KICKED,
        reason: format!("kicked: {}", reason.as_deref().unwrap_or("by an operator")),
    };
    {
        // The check, the entry and the close under one lock, so two kicks at once are one kick
        // and one 409. Online as every replica sees it: a connect through any is published.
        let mut world = state.world();
        let online = world
            .player_index(id)
            .is_some_and(|i| world.players[i].online);
        if !online && !world.player_sessions.any_open(id) {
            return Err(ApiError::ConflictCode {
                code: "not_online",
                detail: format!("{username} is not online"),
            });
        }
        world.audit(
            actor,
            player_target("player.kick", id)
                .reason(reason)
                .change("true", "false")
                .detail(format!("{username}: live session ended")),
        );
        world.apply_player_event(&event);
    }
    state.player_events.tell_others(event).await;
    Ok(())
}

async fn ban_player(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "player_id")?;
    let mut errors = vec![];
    no_extra(&body, &["reason", "duration_seconds"], &mut errors);
    let order = ban_order(&body, &mut errors);
    let order = match order {
        Some(order) if errors.is_empty() => order,
        _ => return Err(ApiError::Validation(errors)),
    };
    state.moderation.expire().await?;
    ban(&state, &session.actor(), id, &order).await?;
    view(&state, id).await.map(Json)
}

async fn unban_player(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "player_id")?;
    state.moderation.expire().await?;
    let username = find(&state, id).await?.player.username;
    let actor = session.actor();
    let stamp = state.audit_entry(&actor, Audit::default());
    let lifted = state
        .moderation
        .lift(id, &actor, |ban| {
            let mut audit = player_target("player.unban", id)
                .reason(reason)
                .detail(format!("{username}: the ban by {} lifted", ban.by));
            audit.before = Some(ban.until_text());
            audit.after = Some("none".to_owned());
            stamp.with(audit)
        })
        .await?;
    if lifted.is_none() {
        return Err(ApiError::ConflictCode {
            code: "not_banned",
            detail: format!("{username} is not banned"),
        });
    }
    view(&state, id).await.map(Json)
}

async fn kick_player(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<ReasonBody>,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "player_id")?;
    let reason = body_reason(body)?;
    state.moderation.expire().await?;
    kick(&state, &session.actor(), id, reason).await?;
    view(&state, id).await.map(Json)
}

// ---------------------------------------------------------------------------------------------
// Bulk

/// `ids`: 1 to 100 distinct player UUIDs.
fn bulk_ids(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Vec<Uuid>> {
    let loc = ["body", "ids"];
    let Some(value) = body.get("ids") else {
        errors.push(FieldError::new(&loc, "Field required", "missing"));
        return None;
    };
    let Some(list) = value.as_array() else {
        errors.push(FieldError::new(
            &loc,
            "Input should be a valid list",
            "list_type",
        ));
        return None;
    };
    if list.is_empty() {
        errors.push(FieldError::new(
            &loc,
            "List should have at least 1 item after validation, not 0",
            "too_short",
        ));
        return None;
    }
    if list.len() > MAX_BULK_IDS {
        errors.push(FieldError::new(
            &loc,
            format!(
                "List should have at most {MAX_BULK_IDS} items after validation, not {}",
                list.len()
            ),
            "too_long",
        ));
        return None;
    }
    let mut ids = Vec::with_capacity(list.len());
    let mut ok = true;
    for (i, item) in list.iter().enumerate() {
        let position = i.to_string();
        let loc = ["body", "ids", position.as_str()];
        match item.as_str().map(Uuid::parse_str) {
            Some(Ok(id)) => ids.push(id),
            Some(Err(e)) => {
                ok = false;
                errors.push(FieldError::new(
                    &loc,
                    format!("Input should be a valid UUID, {e}"),
                    "uuid_parsing",
                ));
            }
            None => {
                ok = false;
                errors.push(FieldError::new(
                    &loc,
                    "UUID input should be a string",
                    "uuid_type",
                ));
            }
        }
    }
    if !ok {
        return None;
    }
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        errors.push(FieldError::new(
            &loc,
            "Value error, the ids must be distinct",
            "value_error",
        ));
        return None;
    }
    Some(ids)
}

enum BulkAction {
    Ban(BanOrder),
    Kick(Option<String>),
}

/// Bans or kicks each player independently, in the order given; each result has the status
/// the single operation would have answered, and the player as it is after, if it exists.
async fn bulk(
    session: Session,
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    let mut errors = vec![];
    let action = match body.get("action") {
        None => {
            errors.push(FieldError::new(
                &["body", "action"],
                "Field required",
                "missing",
            ));
            None
        }
        Some(Value::String(a)) if a == "ban" || a == "kick" => Some(a.clone()),
        Some(_) => {
            errors.push(FieldError::new(
                &["body", "action"],
                "Input should be 'ban' or 'kick'",
                "enum",
            ));
            None
        }
    };
    let ids = bulk_ids(&body, &mut errors);
    let action = match action.as_deref() {
        Some("ban") => {
            no_extra(
                &body,
                &["action", "ids", "reason", "duration_seconds"],
                &mut errors,
            );
            ban_order(&body, &mut errors).map(BulkAction::Ban)
        }
        Some(_) => {
            no_extra(&body, &["action", "ids", "reason"], &mut errors);
            Some(BulkAction::Kick(optional_reason(&body, &mut errors)))
        }
        None => {
            no_extra(
                &body,
                &["action", "ids", "reason", "duration_seconds"],
                &mut errors,
            );
            None
        }
    };
    let (Some(action), Some(ids)) = (action, ids) else {
        return Err(ApiError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if matches!(action, BulkAction::Ban(_)) && ids.len() > BULK_BAN_FREE {
        confirmation::require(&state, &session, &headers, Dangerous::bulk_ban(&ids))?;
    }
    let actor = session.actor();
    state.moderation.expire().await?;
    let mut results: Vec<Value> = Vec::with_capacity(ids.len());
    for &id in &ids {
        let done = match &action {
            BulkAction::Ban(order) => ban(&state, &actor, id, order).await,
            BulkAction::Kick(reason) => kick(&state, &actor, id, reason.clone()).await,
        };
        // A store that cannot be reached fails the whole request, as a single operation would.
        if let Err(ApiError::ServiceUnavailable(detail)) = done {
            return Err(ApiError::ServiceUnavailable(detail));
        }
        let player = match view(&state, id).await {
            Ok(player) => Some(player),
            Err(ApiError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        results.push(match done {
            Ok(_) => {
                json!({ "id": id, "ok": true, "status": 200, "error": null, "player": player })
            }
            Err(e) => json!({
                "id": id,
                "ok": false,
                "status": e.status().as_u16(),
                "error": e.message(),
                "player": player,
            }),
        });
    }
    Ok(Json(json!({ "results": results })))
}

// ---------------------------------------------------------------------------------------------
// Notes and the timeline

async fn list_notes(
    _: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "player_id")?;
    find(&state, id).await?;
    let items = state.moderation.notes(id).await?;
    Ok(Json(json!({ "items": items })))
}

async fn add_note(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = path_uuid(&id, "player_id")?;
    let mut errors = vec![];
    no_extra(&body, &["text"], &mut errors);
    let text = required_text(&body, "text", MAX_NOTE_CHARS, &mut errors);
    let text = match text {
        Some(text) if errors.is_empty() => text,
        _ => return Err(ApiError::Validation(errors)),
    };
    let actor = session.actor();
    let username = find(&state, id).await?.player.username;
    let stamp = state.audit_entry(&actor, Audit::default());
    let note = state
        .moderation
        .add_note(id, text, &actor, |note| {
            let excerpt: String = note.text.chars().take(200).collect();
            stamp.with(
                player_target("player.note", id)
                    .detail(format!("{username}: note {}: {excerpt}", note.id)),
            )
        })
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok((StatusCode::CREATED, Json(json!(note))))
}

/// The player's audit entries, newest first: whatever names it as its target, so also those
/// of a player deleted since (whose entries stay), and none for an id never seen.
async fn timeline(
    _: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "player_id")?;
    let query = QueryParams::parse(query.as_deref())?;
    let page = page(&query, vec![])?;
    // An ended ban is recorded before the timeline is read, as every read of players does.
    state.moderation.expire().await?;
    state.audit.flush().await?;
    let (entries, total) = state
        .audit
        .about_player(id, page.offset, page.limit)
        .await?;

    let known = state.known_targets(&entries).await?;
    let world = state.world();
    let items: Vec<_> = entries.iter().map(|e| world.listed(e, &known)).collect();
    Ok(Json(json!({ "items": items, "total": total })))
}
