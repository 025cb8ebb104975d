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

use crate::accounts::{self, Account};
use crate::audit::{body_reason, ReasonBody};
use crate::auth::{self, Actor, Session};
use crate::error::{ApiError, ApiResult};
use crate::extract::{page, path_int, HeaderReason, JsonBody, OptionalJsonBody, QueryParams};
use crate::game::GameStatus;
use crate::keyset;
use crate::login_limit::username_key;
use crate::runtime_config::{self, ConfigItem};
use crate::state::{AppState, Audit, Snapshot, TargetType, World, MAX_SNAPSHOT_ID};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/auth/login", post(login))
        .route("/admin/auth/me", get(me))
        .route("/admin/auth/password", post(change_password))
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
        .route(
            "/admin/snapshots/{snapshot_id}/pin",
            put(pin_snapshot).delete(unpin_snapshot),
        )
        .route("/admin/services", get(list_services))
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times always format")
}

/// The game status now, with the players online.
fn status_response(world: &mut World) -> Json<Value> {
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

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// The key the login limit counts an attempt under: the account when the username names one,
/// so a deleted and re-created name starts afresh; else the username as typed, limited alike
/// so that the answers never reveal which accounts exist.
pub fn limit_key(account: Option<&Account>, username: &str) -> String {
    match account {
        Some(a) => format!("account:{}", a.id),
        None => format!("name:{}", username_key(username)),
    }
}

/// Whether `password` is the password of `hash` (or, without one, of nothing: still as slow),
/// off the async threads, since Argon2 is slow on purpose.
async fn verify_slowly(state: &AppState, hash: Option<String>, password: String) -> bool {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| state.dummy_hash.as_ref().clone());
    let matches = tokio::task::spawn_blocking(move || accounts::verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    known && matches
}

/// The PHC string of `password` with the configured cost, off the async threads.
pub async fn hash_slowly(state: &AppState, password: String) -> String {
    let cost = state.settings.password_hash_cost;
    tokio::task::spawn_blocking(move || accounts::hash_password(cost, &password))
        .await
        .expect("hashing does not panic")
}

/// Limited per account and per client address (see `login_limit`); while either refuses,
/// even the right password gets 429, or the limit would be an oracle for it. A disabled
/// account's right password gets 401 saying so: only the password's owner learns the account
/// is disabled, and they learn why they cannot get in.
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Login>,
) -> ApiResult<Json<Value>> {
    let client = crate::client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
    let _gate = state.login_gate.lock().await;
    let (key, hash) = {
        let mut world = state.world();
        let account = world.account_named(&body.username);
        let key = limit_key(account, &body.username);
        let hash = account.map(|a| a.password_hash.clone());
        if let Some(refusal) = world.login_limits.check(&key, client, Instant::now()) {
            return Err(ApiError::TooManyRequests(refusal));
        }
        (key, hash)
    };
    let matches = verify_slowly(&state, hash.clone(), body.password).await;
    let mut world = state.world();
    // The account as it is now, and only if its password is still the one just verified.
    let account = world
        .account_named(&body.username)
        .filter(|a| matches && Some(&a.password_hash) == hash.as_ref())
        .cloned();
    let Some(account) = account else {
        world
            .login_limits
            .record_failure(&key, client, Instant::now());
        world.audit(
            &Actor::anonymous(),
            Audit::new("auth.login_failed")
                .label(username_key(&body.username))
                .detail(format!("from {client}")),
        );
        return Err(ApiError::Unauthorized("Incorrect username or password"));
    };
    if account.disabled {
        world.audit(
            &Actor::anonymous(),
            Audit::new("auth.login_failed")
                .on(
                    TargetType::Account,
                    Some(account.id.to_string()),
                    Some(account.username.clone()),
                )
                .detail(format!("from {client}: the account is disabled")),
        );
        return Err(ApiError::Unauthorized(
            "This account is disabled; ask an admin to enable it",
        ));
    }
    world.login_limits.record_success(&key);
    let issued = auth::issue(&state, &world, &account);
    if let Some(a) = world.account_mut(account.id) {
        a.last_login_at = Some(OffsetDateTime::now_utc());
    }
    world.audit(
        &Actor::account(&account),
        Audit::new("auth.login").detail(format!("from {client}")),
    );
    Ok(token_json(issued))
}

fn token_json(issued: auth::IssuedToken) -> Json<Value> {
    Json(json!({
        "access_token": issued.token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
    }))
}

async fn me(session: Session) -> Json<Value> {
    Json(json!({
        "id": session.id,
        "username": session.username,
        "role": session.role,
        "expires_at": rfc3339(session.expires_at),
    }))
}

#[derive(Deserialize)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changes the signed-in account's own password. The new password is checked first (12 to
/// 128 characters, not containing the username); a wrong current password counts as a failed
/// login of the account and the address, so a stolen session cannot guess it faster than a
/// login could. Every session of the account ends; the answer is a token for the new one.
async fn change_password(
    session: Session,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PasswordChange>,
) -> ApiResult<Json<Value>> {
    accounts::check_password("new_password", &body.new_password, &session.username)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let client = crate::client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
    let _gate = state.login_gate.lock().await;
    let (key, hash) = {
        let mut world = state.world();
        let account = world
            .account(session.id)
            .ok_or(ApiError::Unauthorized("Account deleted"))?;
        let key = limit_key(Some(account), &account.username);
        let hash = account.password_hash.clone();
        if let Some(refusal) = world.login_limits.check(&key, client, Instant::now()) {
            return Err(ApiError::TooManyRequests(refusal));
        }
        (key, hash)
    };
    if !verify_slowly(&state, Some(hash.clone()), body.current_password).await {
        let mut world = state.world();
        world
            .login_limits
            .record_failure(&key, client, Instant::now());
        world.audit(
            &session.actor(),
            own_account(&session, "auth.password_change_failed")
                .detail(format!("wrong current password, from {client}")),
        );
        return Err(ApiError::field(
            &["body", "current_password"],
            "Value error, the current password is not correct",
            "value_error",
        ));
    }
    let new_hash = hash_slowly(&state, body.new_password).await;
    let mut world = state.world();
    let account = world
        .account_mut(session.id)
        .filter(|a| a.password_hash == hash)
        .ok_or_else(|| ApiError::Conflict("The account changed meanwhile; sign in again".into()))?;
    account.password_hash = new_hash;
    account.revoke_tokens();
    let account = account.clone();
    world.login_limits.record_success(&key);
    world.audit(
        &session.actor(),
        own_account(&session, "auth.password_change").detail(account.username.clone()),
    );
    Ok(token_json(auth::issue(&state, &world, &account)))
}

/// An entry about the signed-in account itself.
fn own_account(session: &Session, action: &'static str) -> Audit {
    Audit::new(action).on(
        TargetType::Account,
        Some(session.id.to_string()),
        Some(format!("account {}", session.id)),
    )
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

async fn list_config(_: Session, State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "items": state.world().config.items() }))
}

#[derive(Deserialize)]
struct ConfigValue {
    value: Value,
    #[serde(default)]
    reason: Option<String>,
}

/// An entry about configuration key `key`, from `before` to `after` as JSON text.
fn config_change(action: &'static str, key: String, before: &Value, after: &Value) -> Audit {
    Audit::new(action)
        .on(TargetType::Config, Some(key.clone()), Some(key))
        .change(before.to_string(), after.to_string())
        .detail(format!("value = {after}"))
}

/// The value of `key` now, if it is a key.
fn config_value(world: &World, key: &str) -> Option<Value> {
    world
        .config
        .items()
        .iter()
        .find(|i| i.key == key)
        .map(|i| i.value.clone())
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
    session: Session,
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ConfigValue>,
) -> ApiResult<Response> {
    // Both fields are checked before anything else, and reported together, as FastAPI does.
    let reason = match (
        runtime_config::check_value_type(&body.value),
        crate::audit::reason(body.reason),
    ) {
        (Ok(()), Ok(reason)) => reason,
        (Ok(()), Err(e)) => return Err(ApiError::Validation(vec![e])),
        (Err(ApiError::Validation(mut errors)), reason) => {
            errors.extend(reason.err());
            return Err(ApiError::Validation(errors));
        }
        (Err(other), _) => return Err(other),
    };
    let mut world = state.world();
    // The tick count so far was earned at the old rate.
    let _ = world.status();
    let before = config_value(&world, &key);
    let item = world.config.set(
        &key,
        &body.value,
        if_match(&headers).as_deref(),
        OffsetDateTime::now_utc(),
    )?;
    let before = before.expect("set only succeeds for a key");
    world.audit(
        &session.actor(),
        config_change("config.update", key, &before, &item.value).reason(reason),
    );
    Ok(config_item_response(&item))
}

async fn reset_config(
    session: Session,
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<Response> {
    let mut world = state.world();
    let _ = world.status();
    let before = config_value(&world, &key);
    let item = world.config.reset(
        &key,
        if_match(&headers).as_deref(),
        OffsetDateTime::now_utc(),
    )?;
    let before = before.expect("reset only succeeds for a key");
    world.audit(
        &session.actor(),
        config_change("config.reset", key, &before, &item.value).reason(reason),
    );
    Ok(config_item_response(&item))
}

/// One page of `items`, newest first when `newest_first`.
/// Newest first, by cursor (or, for old clients, by offset; see the contract).
async fn list_snapshots(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    const ORDER: &str = "snapshots:id:desc";
    let query = QueryParams::parse(query.as_deref())?;
    let position = keyset::position(&query, ORDER);
    let page = page(
        &query,
        position.as_ref().err().cloned().into_iter().collect(),
    )?;
    let position = position.expect("checked with the paging");
    let world = state.world();
    let newest: Vec<&Snapshot> = world.snapshots.iter().rev().collect();
    let window = keyset::newest_first(
        newest.len(),
        |i| u64::from(newest[i].id),
        &position,
        page.offset,
        page.limit,
    )?;
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
    let mut world = state.world();
    let snapshot = world
        .take_snapshot(&session.actor(), None, None)
        .ok_or_else(ids_used_up)?;
    Ok((StatusCode::CREATED, Json(json!(snapshot))))
}

fn ids_used_up() -> ApiError {
    ApiError::ServiceUnavailable("Snapshot ids are used up (2147483647 reached)".into())
}

fn snapshot_not_found(id: u32) -> ApiError {
    ApiError::NotFound(format!("Snapshot {id} not found"))
}

fn snapshot_target(action: &'static str, id: u32) -> Audit {
    Audit::new(action).on(
        TargetType::Snapshot,
        Some(id.to_string()),
        Some(format!("snapshot {id}")),
    )
}

/// `{snapshot_id}`: a `SERIAL`, 1 to 2^31 - 1.
fn snapshot_id(raw: &str) -> ApiResult<u32> {
    let id = path_int(raw, "snapshot_id", 1, i64::from(MAX_SNAPSHOT_ID))?;
    Ok(u32::try_from(id).expect("bounded to the SERIAL range"))
}

async fn restore_snapshot(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<ReasonBody>,
) -> ApiResult<Json<Value>> {
    let id = snapshot_id(&id)?;
    let reason = body_reason(body)?;
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
    let tick_before = world.status().tick;
    let actor = session.actor();
    // The world as it is now, first, so that restoring this one undoes the restore; the
    // snapshot being restored is spared by the retention this new one triggers.
    let safety = world
        .take_snapshot(&actor, Some(format!("before restore of #{id}")), Some(id))
        .ok_or_else(ids_used_up)?;
    world
        .game
        .restore(Instant::now(), snapshot.tick_number, snapshot.game_time);
    world.audit(
        &actor,
        snapshot_target("snapshot.restore", id)
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
fn set_pinned(
    state: &AppState,
    session: &Session,
    raw_id: &str,
    pinned: bool,
) -> ApiResult<Json<Value>> {
    let id = snapshot_id(raw_id)?;
    let mut world = state.world();
    let snapshot = world
        .snapshots
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(|| snapshot_not_found(id))?;
    if snapshot.pinned == pinned {
        return Ok(Json(json!(snapshot)));
    }
    snapshot.pinned = pinned;
    let snapshot = snapshot.clone();
    let action = if pinned {
        "snapshot.pin"
    } else {
        "snapshot.unpin"
    };
    world.audit(
        &session.actor(),
        snapshot_target(action, id)
            .change((!pinned).to_string(), pinned.to_string())
            .detail(format!("tick {}", snapshot.tick_number)),
    );
    Ok(Json(json!(snapshot)))
}

async fn pin_snapshot(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_pinned(&state, &session, &id, true)
}

async fn unpin_snapshot(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_pinned(&state, &session, &id, false)
}

async fn delete_snapshot(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<StatusCode> {
    let id = snapshot_id(&id)?;
    let mut world = state.world();
    let index = world
        .snapshots
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| snapshot_not_found(id))?;
    if world.snapshots[index].pinned {
        return Err(ApiError::ConflictCode {
            code: "snapshot_pinned",
            detail: format!("Snapshot {id} is pinned; unpin it before deleting it"),
        });
    }
    let removed = world.snapshots.remove(index);
    world.audit(
        &session.actor(),
        snapshot_target("snapshot.delete", id)
            .reason(reason)
            .detail(format!("tick {}", removed.tick_number)),
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn list_services(_: Session, State(state): State<AppState>) -> Json<Value> {
    let mut world = state.world();
    let now = OffsetDateTime::now_utc();
    for service in &mut world.services {
        service.checked_at = now;
    }
    Json(json!({ "items": world.services }))
}
