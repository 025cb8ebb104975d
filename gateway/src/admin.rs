//! The `/admin/*` endpoints of the contract in `api/openapi.yaml`.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::auth::{self, Admin};
use crate::error::{ApiError, ApiResult};
use crate::extract::{page, path_int, path_uuid, JsonBody, QueryParams};
use crate::game::GameStatus;
use crate::login_limit::username_key;
use crate::runtime_config::{self, ConfigItem};
use crate::state::{AppState, ANONYMOUS, MAX_SNAPSHOT_ID};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/auth/login", post(login))
        .route("/admin/auth/me", get(me))
        .route("/admin/game/status", get(status))
        .route("/admin/game/pause", post(pause))
        .route("/admin/game/resume", post(resume))
        .route("/admin/config", get(list_config))
        .route("/admin/config/{key}", put(set_config).delete(reset_config))
        .route(
            "/admin/snapshots",
            get(list_snapshots).post(create_snapshot),
        )
        .route(
            "/admin/snapshots/{snapshot_id}",
            axum::routing::delete(delete_snapshot),
        )
        .route(
            "/admin/snapshots/{snapshot_id}/restore",
            post(restore_snapshot),
        )
        .route("/admin/players", get(list_players))
        .route(
            "/admin/players/{player_id}",
            get(get_player).delete(delete_player),
        )
        .route("/admin/services", get(list_services))
        .route("/admin/audit", get(list_audit))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times always format")
}

fn status_json(s: GameStatus) -> Json<Value> {
    Json(json!({
        "tick": s.tick,
        "game_time": rfc3339(s.game_time),
        "tick_rate": s.tick_rate,
        "actual_rate": s.actual_rate,
        "paused": s.paused,
        "ticks_behind": s.ticks_behind,
    }))
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// Limited per account and per client address (see `login_limit`); while either refuses,
/// even the right password gets 429, or the limit would be an oracle for it.
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Login>,
) -> ApiResult<Json<Value>> {
    let now = Instant::now();
    let client = crate::client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
    let mut world = state.world();
    if let Some(refusal) = world.login_limits.check(&body.username, client, now) {
        return Err(ApiError::TooManyRequests(refusal));
    }
    if !auth::credentials_match(&state, &body.username, &body.password) {
        world
            .login_limits
            .record_failure(&body.username, client, now);
        world.audit(
            ANONYMOUS,
            "auth.login_failed",
            Some(username_key(&body.username)),
            Some(format!("from {client}")),
        );
        return Err(ApiError::Unauthorized("Incorrect username or password"));
    }
    world.login_limits.record_success(&body.username);
    let issued = auth::issue(&state, &world, &body.username);
    world.audit(&body.username, "auth.login", None, None);
    Ok(Json(json!({
        "access_token": issued.token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
    })))
}

async fn me(admin: Admin) -> Json<Value> {
    Json(json!({
        "id": admin.id,
        "username": admin.username,
        "expires_at": rfc3339(admin.expires_at),
    }))
}

async fn status(_: Admin, State(state): State<AppState>) -> Json<Value> {
    status_json(state.world().status())
}

async fn pause(admin: Admin, State(state): State<AppState>) -> Json<Value> {
    let mut world = state.world();
    let was_paused = world.game.paused();
    let rate = world.config.tick_rate();
    world.game.pause(Instant::now(), rate);
    if !was_paused {
        let tick = world.game.tick();
        world.audit(
            &admin.username,
            "game.pause",
            None,
            Some(format!("paused at tick {tick}")),
        );
    }
    status_json(world.status())
}

async fn resume(admin: Admin, State(state): State<AppState>) -> Json<Value> {
    let mut world = state.world();
    if world.game.paused() {
        world.game.resume(Instant::now());
        let tick = world.game.tick();
        world.audit(
            &admin.username,
            "game.resume",
            None,
            Some(format!("resumed at tick {tick}")),
        );
    }
    status_json(world.status())
}

async fn list_config(_: Admin, State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "items": state.world().config.items() }))
}

#[derive(Deserialize)]
struct ConfigValue {
    value: Value,
}

/// The request's `If-Match`, all its fields as one list; a value that is not text can match
/// no entity tag, so it stays present rather than being ignored.
fn if_match(headers: &HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(header::IF_MATCH)
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// A changed key, with its new entity tag also in `ETag`.
fn config_item_response(item: &ConfigItem) -> Response {
    let mut response = Json(json!(item)).into_response();
    let etag = HeaderValue::from_str(&item.etag()).expect("entity tags are ASCII");
    response.headers_mut().insert(header::ETAG, etag);
    response
}

async fn set_config(
    admin: Admin,
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ConfigValue>,
) -> ApiResult<Response> {
    runtime_config::check_value_type(&body.value)?;
    let mut world = state.world();
    // The tick count so far was earned at the old rate.
    let _ = world.status();
    let item = world.config.set(
        &key,
        &body.value,
        if_match(&headers).as_deref(),
        OffsetDateTime::now_utc(),
    )?;
    world.audit(
        &admin.username,
        "config.update",
        Some(key),
        Some(format!("value = {}", item.value)),
    );
    Ok(config_item_response(&item))
}

async fn reset_config(
    admin: Admin,
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut world = state.world();
    let _ = world.status();
    let item = world.config.reset(
        &key,
        if_match(&headers).as_deref(),
        OffsetDateTime::now_utc(),
    )?;
    world.audit(
        &admin.username,
        "config.reset",
        Some(key),
        Some(format!("value = {}", item.value)),
    );
    Ok(config_item_response(&item))
}

/// One page of `items`, newest first when `newest_first`.
fn paginate<T: serde::Serialize>(
    items: &[T],
    query: Option<String>,
    newest_first: bool,
) -> ApiResult<Json<Value>> {
    let query = QueryParams::parse(query.as_deref())?;
    let page = page(&query, vec![])?;
    let total = items.len();
    let selected: Vec<&T> = if newest_first {
        items
            .iter()
            .rev()
            .skip(page.offset)
            .take(page.limit)
            .collect()
    } else {
        items.iter().skip(page.offset).take(page.limit).collect()
    };
    Ok(Json(json!({ "items": selected, "total": total })))
}

async fn list_snapshots(
    _: Admin,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    paginate(&state.world().snapshots, query, true)
}

async fn create_snapshot(
    admin: Admin,
    State(state): State<AppState>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut world = state.world();
    let snapshot = world.create_snapshot().ok_or_else(|| {
        ApiError::ServiceUnavailable("Snapshot ids are used up (2147483647 reached)".into())
    })?;
    world.audit(
        &admin.username,
        "snapshot.create",
        Some(format!("snapshot {}", snapshot.id)),
        Some(format!("tick {}", snapshot.tick_number)),
    );
    Ok((StatusCode::CREATED, Json(json!(snapshot))))
}

/// `{snapshot_id}`: a `SERIAL`, 1 to 2^31 - 1.
fn snapshot_id(raw: &str) -> ApiResult<u32> {
    let id = path_int(raw, "snapshot_id", 1, i64::from(MAX_SNAPSHOT_ID))?;
    Ok(u32::try_from(id).expect("bounded to the SERIAL range"))
}

async fn restore_snapshot(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = snapshot_id(&id)?;
    let mut world = state.world();
    let snapshot = world
        .snapshots
        .iter()
        .find(|s| s.id == id)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("Snapshot {id} not found")))?;
    if !world.game.paused() {
        return Err(ApiError::Conflict(
            "Pause the game before restoring a snapshot".into(),
        ));
    }
    world
        .game
        .restore(Instant::now(), snapshot.tick_number, snapshot.game_time);
    world.audit(
        &admin.username,
        "snapshot.restore",
        Some(format!("snapshot {id}")),
        Some(format!("restored to tick {}", snapshot.tick_number)),
    );
    Ok(status_json(world.status()))
}

async fn delete_snapshot(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = snapshot_id(&id)?;
    let mut world = state.world();
    let index = world
        .snapshots
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("Snapshot {id} not found")))?;
    let removed = world.snapshots.remove(index);
    world.audit(
        &admin.username,
        "snapshot.delete",
        Some(format!("snapshot {id}")),
        Some(format!("tick {}", removed.tick_number)),
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn list_players(
    _: Admin,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = QueryParams::parse(query.as_deref())?;
    let mut errors = vec![];
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
        errors.push(crate::error::FieldError::new(
            &["query", "search"],
            "String should have at most 100 characters",
            "string_too_long",
        ));
    }
    let page = page(&query, errors)?;
    let (sort, order) = (sort.unwrap_or("username"), order.unwrap_or("asc"));

    let world = state.world();
    let mut matching: Vec<_> = world
        .players
        .iter()
        .filter(|p| search.is_empty() || p.username.to_lowercase().contains(&search))
        .collect();
    match sort {
        "created_at" => matching.sort_by_key(|p| (p.created_at, p.id)),
        _ => matching.sort_by(|a, b| {
            a.username
                .to_lowercase()
                .cmp(&b.username.to_lowercase())
                .then(a.id.cmp(&b.id))
        }),
    }
    if order == "desc" {
        matching.reverse();
    }
    let total = matching.len();
    let items: Vec<_> = matching
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .collect();
    Ok(Json(json!({ "items": items, "total": total })))
}

async fn get_player(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "player_id")?;
    let world = state.world();
    let index = world
        .player_index(id)
        .ok_or_else(|| ApiError::NotFound(format!("Player {id} not found")))?;
    Ok(Json(json!(world.players[index])))
}

async fn delete_player(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = path_uuid(&id, "player_id")?;
    let mut world = state.world();
    let index = world
        .player_index(id)
        .ok_or_else(|| ApiError::NotFound(format!("Player {id} not found")))?;
    let removed = world.players.remove(index);
    world.audit(
        &admin.username,
        "player.delete",
        Some(format!("player {id}")),
        Some(removed.username),
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn list_services(_: Admin, State(state): State<AppState>) -> Json<Value> {
    let mut world = state.world();
    let now = OffsetDateTime::now_utc();
    for service in &mut world.services {
        service.checked_at = now;
    }
    Json(json!({ "items": world.services }))
}

async fn list_audit(
    _: Admin,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let world = state.world();
    let entries: Vec<_> = world.audit.iter().collect();
    paginate(&entries, query, true)
}
