//! `/__dev/*`: controls that let tests simulate the world around the dashboard.
//! They exist only when the gateway is started with `--dev-controls`.

use std::time::{Duration, Instant};

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::domain::accounts::{self, Account};
use crate::domain::audit::{Actor, Audit, TargetType};
use crate::domain::game::MAX_TICK;
use crate::domain::history::Sample;
use crate::domain::login_limit::MAX_LOCKOUT;
use crate::domain::player_sessions::{PlayerEvent, CLOSE_GOING_AWAY};
use crate::domain::players::PlayerView;
use crate::domain::roles::Role;
use crate::domain::services::ServiceStatus;
use crate::http::auth::hash_slowly;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{JsonBody, QueryParams, MAX_SAFE_INTEGER};
use crate::http::faults::Fault;
use crate::http::state::AppState;
use crate::store::memory::World;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__dev/reset", post(reset))
        .route("/__dev/accounts", post(add_account))
        .route("/__dev/services/{name}", put(set_service))
        .route("/__dev/history", post(add_history))
        .route("/__dev/faults", post(add_fault).delete(clear_faults))
        .route("/__dev/expire-tokens", post(expire_tokens))
        .route("/__dev/token-ttl", put(set_token_ttl))
        .route("/__dev/session-idle", put(set_session_idle))
        .route("/__dev/tick-capacity", put(set_tick_capacity))
        .route("/__dev/tick", put(set_tick))
        .route("/__dev/login-lockout", put(set_login_lockout))
        .route("/__dev/requests", get(list_requests).delete(clear_requests))
        .route("/__dev/clock", post(advance_clock))
        .route("/__dev/audit/{id}/tamper", post(tamper_with_audit))
        .route("/__dev/second-factor-roles", put(set_second_factor_roles))
        .route(
            "/__dev/confirm-dangerous-actions",
            put(set_confirm_dangerous_actions),
        )
        .route("/__dev/snapshots", post(scheduled_snapshot))
        .route("/__dev/players/{player_id}/online", put(set_player_online))
        .route(
            "/__dev/players/{player_id}/sessions",
            get(list_player_sessions)
                .post(connect_player)
                .delete(disconnect_player),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecondFactorRoles {
    roles: Vec<Role>,
}

/// The roles that must sign in with a second factor, from now until the next reset (which
/// goes back to `--second-factor-roles`): tests of the policy run beside tests without it.
async fn set_second_factor_roles(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SecondFactorRoles>,
) -> StatusCode {
    state.world().second_factor_roles = body.roles;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Enabled {
    enabled: bool,
}

/// Whether dangerous actions take a proof, until the next reset (which goes back to
/// `--confirm-dangerous-actions`).
async fn set_confirm_dangerous_actions(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Enabled>,
) -> StatusCode {
    state.world().confirm_dangerous_actions = body.enabled;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tamper {
    after: String,
}

/// Changes an entry of the memory log without its hash, as an intruder with access to the
/// store could, so tests can show the broken chain (in PostgreSQL, a test does it as the owner).
async fn tamper_with_audit(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    JsonBody(body): JsonBody<Tamper>,
) -> ApiResult<StatusCode> {
    if state.world().tamper_with_audit(id, body.after) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(
            "No audit entry in memory has this id".into(),
        ))
    }
}

async fn reset(State(state): State<AppState>) -> ApiResult<StatusCode> {
    state.reset().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevAccount {
    username: String,
    password: String,
    role: Role,
    #[serde(default)]
    disabled: bool,
}

/// An account with a known password and role, in one step and without the password rules, so
/// a test can sign in as a viewer or an operator at once. Not audited: it is test set-up.
async fn add_account(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<DevAccount>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    accounts::check_username(&body.username).map_err(|e| ApiError::Validation(vec![e]))?;
    if body.password.is_empty() {
        return Err(ApiError::field(
            &["body", "password"],
            "String should have at least 1 character",
            "string_too_short",
        ));
    }
    let hash = hash_slowly(&state, body.password).await;
    let mut account = Account::new(&body.username, hash, body.role);
    account.disabled = body.disabled;
    if !state.accounts.create(&account, None).await? {
        return Err(ApiError::Conflict(format!(
            "An account named {} already exists",
            body.username
        )));
    }
    Ok((StatusCode::CREATED, Json(json!(account))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceChange {
    version: Option<String>,
    status: Option<ServiceStatus>,
}

/// A backend deploy: a service changes version and/or readiness. A new version is a
/// `service.deploy` audit entry by `(system)`, as the gateway would record seeing it.
async fn set_service(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(change): JsonBody<ServiceChange>,
) -> ApiResult<Json<Value>> {
    let mut world = state.world();
    let service = world
        .service_mut(&name)
        .ok_or_else(|| ApiError::NotFound(format!("Unknown service: {name}")))?;
    let mut deployed = None;
    if let Some(version) = change.version {
        if version != service.version {
            deployed = Some((service.name, service.version.clone(), version.clone()));
        }
        service.version = version;
    }
    if let Some(status) = change.status {
        service.status = status;
    }
    let service = json!(service);
    if let Some((name, old, new)) = deployed {
        world.audit(
            &Actor::system(),
            Audit::new("service.deploy")
                .on(
                    TargetType::Service,
                    Some(name.to_owned()),
                    Some(name.to_owned()),
                )
                .change(old.clone(), new.clone())
                .detail(format!("{name} {old} to {new}")),
        );
    }
    Ok(Json(service))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevSample {
    seconds_ago: u32,
    tick_rate: f32,
    actual_rate: f32,
    ticks_behind: u64,
    tick_duration_ms: f32,
    players_online: u32,
    paused: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevHistory {
    samples: Vec<DevSample>,
}

/// Samples of the game's health history, `seconds_ago` (0 to 86400) before now, merged into
/// it in time order; past its capacity the oldest go. For tests that need a spike or a
/// whole day. Answers how full the ring is and what it has allocated, which never changes.
async fn add_history(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<DevHistory>,
) -> ApiResult<Json<Value>> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut samples = Vec::with_capacity(body.samples.len());
    for (i, s) in body.samples.iter().enumerate() {
        let finite = [s.tick_rate, s.actual_rate, s.tick_duration_ms]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0);
        if s.seconds_ago > crate::domain::history::RETENTION_SECS || !finite {
            return Err(ApiError::field(
                &["body", "samples", &i.to_string()],
                "seconds_ago must be 0 to 86400 and the rates and duration non-negative numbers",
                "value_error",
            ));
        }
        samples.push(Sample {
            at: now - i64::from(s.seconds_ago),
            tick_rate: s.tick_rate,
            actual_rate: s.actual_rate,
            ticks_behind: s.ticks_behind,
            tick_duration_ms: s.tick_duration_ms,
            players_online: s.players_online,
            paused: s.paused,
        });
    }
    let mut world = state.world();
    world.history.insert(samples);
    Ok(Json(json!({
        "len": world.history.len(),
        "capacity": world.history.capacity(),
        "allocated": world.history.allocated(),
    })))
}

async fn add_fault(
    State(state): State<AppState>,
    JsonBody(fault): JsonBody<Fault>,
) -> ApiResult<StatusCode> {
    fault
        .validate()
        .map_err(|msg| ApiError::field(&["body"], msg, "value_error"))?;
    state.faults().push(fault);
    Ok(StatusCode::CREATED)
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.faults().clear();
    StatusCode::NO_CONTENT
}

async fn expire_tokens(State(state): State<AppState>) -> StatusCode {
    state.world().token_generation += 1;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct TokenTtl {
    seconds: u64,
}

async fn set_token_ttl(
    State(state): State<AppState>,
    JsonBody(ttl): JsonBody<TokenTtl>,
) -> ApiResult<StatusCode> {
    if ttl.seconds == 0 {
        return Err(ApiError::field(
            &["body", "seconds"],
            "Input should be greater than 0",
            "greater_than",
        ));
    }
    state.world().token_ttl = Duration::from_secs(ttl.seconds);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct SessionIdle {
    /// 0: no limit.
    seconds: u64,
}

/// The idle limit of sessions, from their next request (a reset restores the settings').
async fn set_session_idle(
    State(state): State<AppState>,
    JsonBody(idle): JsonBody<SessionIdle>,
) -> ApiResult<StatusCode> {
    let seconds = i64::try_from(idle.seconds).map_err(|_| {
        ApiError::field(&["body", "seconds"], "Input should be smaller", "less_than")
    })?;
    state.world().session_idle = (seconds > 0).then(|| time::Duration::seconds(seconds));
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct TickCapacity {
    /// Ticks per second the engine can perform; null for unlimited.
    ticks_per_second: Option<f64>,
}

/// Simulates an overloaded tick engine, so `ticks_behind` grows.
async fn set_tick_capacity(
    State(state): State<AppState>,
    JsonBody(c): JsonBody<TickCapacity>,
) -> ApiResult<StatusCode> {
    if c.ticks_per_second
        .is_some_and(|v| !(v >= 0.0 && v.is_finite()))
    {
        return Err(ApiError::field(
            &["body", "ticks_per_second"],
            "Input should be a non-negative number",
            "value_error",
        ));
    }
    let mut world = state.world();
    let rate = world.config.tick_rate();
    world
        .game
        .set_capacity(Instant::now(), rate, c.ticks_per_second);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tick {
    tick: u64,
}

/// Sets the tick counter, for example past 2^53, where a browser's JSON numbers lose
/// precision; snapshots taken afterwards carry it.
async fn set_tick(
    State(state): State<AppState>,
    JsonBody(t): JsonBody<Tick>,
) -> ApiResult<StatusCode> {
    if t.tick > MAX_TICK {
        return Err(ApiError::field(
            &["body", "tick"],
            format!("Input should be less than or equal to {MAX_TICK}"),
            "less_than_equal",
        ));
    }
    let mut world = state.world();
    let rate = world.config.tick_rate();
    world.game.set_tick(Instant::now(), rate, t.tick);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginLockout {
    seconds: u64,
}

/// Sets the first lockout of an account (60 s by default), so a test can tell the gateway's
/// Retry-After from a default the dashboard might assume. `/__dev/reset` restores it.
async fn set_login_lockout(
    State(state): State<AppState>,
    JsonBody(l): JsonBody<LoginLockout>,
) -> ApiResult<StatusCode> {
    let max = MAX_LOCKOUT.as_secs();
    if !(1..=max).contains(&l.seconds) {
        return Err(ApiError::field(
            &["body", "seconds"],
            format!("Input should be between 1 and {max}"),
            "value_error",
        ));
    }
    state
        .world()
        .login_limits
        .set_base_lockout(Duration::from_secs(l.seconds));
    Ok(StatusCode::NO_CONTENT)
}

/// The requests answered after `since` (a `seq`, default 0), oldest first, and the `seq` to
/// ask from next.
async fn list_requests(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = QueryParams::parse(query.as_deref())?;
    let since = query
        .integer("since", 0, MAX_SAFE_INTEGER, 0)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let (items, next) = state.requests().since(since);
    Ok(Json(json!({ "items": items, "next": next })))
}

async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    state.requests().clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockAdvance {
    advance_seconds: i64,
}

/// Moves the gateway's clock for bans and schedules forward (or back) by `advance_seconds`, so
/// a test sees a ban end or a schedule's step run without waiting: ended bans are recorded and
/// the steps due by then are taken (in order, by this replica unless another holds them)
/// before the answer. A reset puts it back. Answers the clock's time now.
async fn advance_clock(
    State(state): State<AppState>,
    JsonBody(c): JsonBody<ClockAdvance>,
) -> ApiResult<Json<Value>> {
    const TEN_YEARS: i64 = 10 * 366 * 86_400;
    if c.advance_seconds.abs() > TEN_YEARS {
        return Err(ApiError::field(
            &["body", "advance_seconds"],
            format!("Input should be between -{TEN_YEARS} and {TEN_YEARS}"),
            "value_error",
        ));
    }
    let now = {
        let mut world = state.world();
        world.clock_offset += time::Duration::seconds(c.advance_seconds);
        world.ban_clock()
    };
    state.moderation.expire().await?;
    crate::http::schedule_runner::run_due(&state).await?;
    Ok(Json(json!({ "now": crate::domain::rfc3339(now) })))
}

/// A scheduled snapshot, as the tick engine takes every `snapshot_interval`: created by no
/// one (`created_by` null), recorded as `snapshot.create` by `(system)`, then retention. The
/// reference gateway takes none by itself, so that snapshot lists stay predictable in tests.
async fn scheduled_snapshot(State(state): State<AppState>) -> ApiResult<(StatusCode, Json<Value>)> {
    let snapshot = state
        .snapshots
        .take(&Actor::system(), None, None)
        .await?
        .ok_or_else(|| ApiError::ServiceUnavailable("Snapshot ids are used up".into()))?;
    Ok((StatusCode::CREATED, Json(json!(snapshot))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlayerOnline {
    online: bool,
}

/// Connects or disconnects a player, as if it had logged in to the game or left; a banned
/// player cannot connect (409). Not audited.
async fn set_player_online(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PlayerOnline>,
) -> ApiResult<Json<Value>> {
    let id = crate::http::extract::path_uuid(&id, "player_id")?;
    state.moderation.expire().await?;
    let ban = state.moderation.active_for(id).await?;
    player_index(&state.world(), id)?;
    if body.online && ban.is_some() {
        return Err(ApiError::ConflictCode {
            code: "banned",
            detail: "A banned player cannot connect".into(),
        });
    }
    // Online or not for every replica, as a connect or a leave through this one would be.
    let event = if body.online {
        PlayerEvent::PlayerConnect { player_id: id }
    } else {
        left_the_game(id)
    };
    state.player_events.publish(event).await;
    let world = state.world();
    // Looked up again: the world may have changed while the event was sent.
    let index = player_index(&world, id)?;
    Ok(Json(json!(PlayerView {
        player: &world.players[index],
        ban: ban.as_ref(),
    })))
}

/// The player left the game: its sockets close (1001, going away) on every replica.
fn left_the_game(player_id: Uuid) -> PlayerEvent {
    PlayerEvent::PlayerDisconnect {
        player_id,
        code: CLOSE_GOING_AWAY,
        reason: "left the game".into(),
    }
}

/// The player's index in the world; 404 as the admin API answers it.
fn player_index(world: &World, id: Uuid) -> ApiResult<usize> {
    world
        .player_index(id)
        .ok_or_else(|| ApiError::NotFound(format!("Player {id} not found")))
}

/// A game client's login and WebSocket connect, as Galaxy's players service and `/ws` must
/// answer it ("Enforcing bans and kicks" in the contract): a banned player is refused with
/// 403 `player_banned`, its ban's end and reason; anyone else gets an open session and is
/// online. Not audited: players' logins are not admin actions.
async fn connect_player(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = crate::http::extract::path_uuid(&id, "player_id")?;
    state.moderation.expire().await?;
    // The socket is open before the ban is read: a ban committed after the read is published
    // after the socket exists, and closes it, wherever it was made.
    let session = {
        let mut world = state.world();
        player_index(&world, id)?;
        let now = world.ban_clock();
        world.player_sessions.open(id, now)
    };
    // The ban as every replica sees it: a ban made through another holds here at once.
    let ban = match state.moderation.active_for(id).await {
        Ok(ban) => ban,
        Err(e) => {
            state.world().player_sessions.discard(session.id);
            return Err(e.into());
        }
    };
    if let Some(ban) = ban {
        state.world().player_sessions.discard(session.id);
        let until = ban.until.map(crate::domain::rfc3339);
        let detail = match &until {
            Some(until) => format!("You are banned until {until}: {}", ban.reason),
            None => format!("You are banned permanently: {}", ban.reason),
        };
        let body = json!({
            "detail": detail,
            "code": "player_banned",
            "until": until,
            "reason": ban.reason,
        });
        return Ok((StatusCode::FORBIDDEN, Json(body)).into_response());
    }
    state
        .player_events
        .publish(PlayerEvent::PlayerConnect { player_id: id })
        .await;
    Ok((StatusCode::CREATED, Json(json!(session))).into_response())
}

/// The player's simulated sessions, open and closed, with each close code and reason.
async fn list_player_sessions(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = crate::http::extract::path_uuid(&id, "player_id")?;
    let world = state.world();
    player_index(&world, id)?;
    Ok(Json(json!({ "items": world.player_sessions.of(id) })))
}

/// The game client closes its sockets itself (1001, going away); the player is offline.
async fn disconnect_player(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = crate::http::extract::path_uuid(&id, "player_id")?;
    player_index(&state.world(), id)?;
    state.player_events.publish(left_the_game(id)).await;
    Ok(StatusCode::NO_CONTENT)
}
