//! `/admin/auth/*`: signing in, who the token is, and changing one's own password.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::domain::accounts::{self, Account};
use crate::domain::audit::{Actor, Audit, TargetType};
use crate::domain::login_limit::{username_key, LimitedBy, Refusal};
use crate::domain::rfc3339;
use crate::http::auth::{self, hash_slowly, limit_key, verify_slowly, Origin, Session};
use crate::http::client_ip;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::http::session_cookie::{self, Issued};
use crate::http::state::AppState;
use crate::store::sessions::Which;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/auth/login", post(login))
        .route("/admin/auth/me", get(me))
        .route("/admin/auth/password", post(change_password))
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// Limited per account and per client address (see `domain::login_limit`); while either refuses,
/// even the right password gets 429, or the limit would be an oracle for it. A disabled
/// account's right password gets 401 saying so: only the password's owner learns the account
/// is disabled, and they learn why they cannot get in.
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Login>,
) -> ApiResult<Response> {
    let client = client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
    let _gate = state.login_gate.lock().await;
    let account = state.accounts.named(&body.username).await?;
    let key = limit_key(account.as_ref(), &body.username);
    let hash = account.map(|a| a.password_hash);
    if let Some(refusal) = state.login_limits.check(&key, client).await? {
        state.world().audit(
            &Actor::anonymous(),
            Audit::new("auth.login_locked")
                .label(username_key(&body.username))
                .detail(locked_detail(client, refusal)),
        );
        return Err(ApiError::TooManyRequests(refusal));
    }
    let matches = verify_slowly(&state, hash.clone(), body.password).await;
    // The account as it is now, and only if its password is still the one just verified.
    let account = state
        .accounts
        .named(&body.username)
        .await?
        .filter(|a| matches && Some(&a.password_hash) == hash.as_ref());
    let Some(account) = account else {
        state.login_limits.record_failure(&key, client).await?;
        state.world().audit(
            &Actor::anonymous(),
            Audit::new("auth.login_failed")
                .label(username_key(&body.username))
                .detail(format!("from {client}")),
        );
        return Err(ApiError::Unauthorized("Incorrect username or password"));
    };
    if account.disabled {
        state.world().audit(
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
    if account.has_second_factor() {
        // The password was right; the sign-in is not done until the second factor is, so the
        // failure count stands and nothing is recorded as a login yet.
        return Ok(Json(json!({
            "second_factor_required": true,
            "challenge": auth::challenge(&state, &account),
            "methods": account.proof_methods(),
            "expires_in": auth::CHALLENGE_SECS,
        }))
        .into_response());
    }
    let must_enrol = state.world().second_factor_roles.contains(&account.role);
    let origin = Origin::of(client, &headers);
    signed_in(
        &state, &account, &key, &origin, must_enrol, "password", &headers,
    )
    .await
}

/// Ends a sign-in that succeeded: records it (the login time, the limit's success, the audit
/// entry saying how) and answers the session's token.
pub(crate) async fn signed_in(
    state: &AppState,
    account: &Account,
    key: &str,
    origin: &Origin<'_>,
    must_enrol: bool,
    how: &str,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let client = origin.address;
    state
        .accounts
        .record_login(account.id, OffsetDateTime::now_utc())
        .await?;
    state.login_limits.record_success(key).await?;
    if session_cookie::asked(headers) {
        auth::end_replaced(state, headers).await?;
    }
    let issued = if must_enrol {
        auth::start_for_enrolment(state, account, origin).await?
    } else {
        auth::start(state, account, origin).await?
    };
    let enrol = if must_enrol {
        ", sent to set up a second factor"
    } else {
        ""
    };
    state.world().audit(
        &Actor::account(account),
        Audit::new("auth.login").detail(format!("from {client} with {how}{enrol}")),
    );
    let mut answer = issued.answer(headers);
    answer.body["must_enrol"] = json!(must_enrol);
    Ok(answer.into_response())
}

/// Where a refused attempt came from and which limit refused it: the password was not tried.
pub(crate) fn locked_detail(client: IpAddr, refusal: Refusal) -> String {
    let by = match refusal.by {
        LimitedBy::Account => "the account",
        LimitedBy::Address => "the address",
    };
    format!(
        "from {client}: {by} is locked for {} s more",
        refusal.retry_after_secs
    )
}

async fn me(session: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let account = state
        .accounts
        .get(session.id)
        .await?
        .ok_or(ApiError::Unauthorized("Account deleted"))?;
    // An API key has no session to go idle.
    let idle = state
        .world()
        .session_idle
        .filter(|_| session.api_key.is_none());
    let idle_left = session
        .idle_ends_at
        .map(|end| (end - OffsetDateTime::now_utc()).whole_seconds().max(0));
    Ok(Json(json!({
        "id": session.id,
        "username": session.username,
        "role": session.role,
        "expires_at": rfc3339(session.expires_at),
        "idle_timeout_secs": idle.map(|i| i.whole_seconds()),
        "idle_expires_in": idle_left,
        "must_enrol": session.must_enrol,
        "second_factor": {
            "totp": account.totp_secret.is_some(),
            "passkeys": account.passkeys,
            "recovery_codes_left": account.recovery_codes.len(),
            "required": state.world().second_factor_roles.contains(&account.role),
        },
    })))
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
) -> ApiResult<Issued> {
    accounts::check_password("new_password", &body.new_password, &session.username)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let client = client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
    let _gate = state.login_gate.lock().await;
    let account = state
        .accounts
        .get(session.id)
        .await?
        .ok_or(ApiError::Unauthorized("Account deleted"))?;
    let key = limit_key(Some(&account), &account.username);
    let hash = account.password_hash;
    if let Some(refusal) = state.login_limits.check(&key, client).await? {
        return Err(ApiError::TooManyRequests(refusal));
    }
    if !verify_slowly(&state, Some(hash.clone()), body.current_password).await {
        state.login_limits.record_failure(&key, client).await?;
        state.world().audit(
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
    let entry = state.audit_entry(
        &session.actor(),
        own_account(&session, "auth.password_change").detail(session.username.clone()),
    );
    let account = state
        .accounts
        .set_password(session.id, Some(&hash), new_hash, entry)
        .await?
        .ok_or_else(|| ApiError::Conflict("The account changed meanwhile; sign in again".into()))?;
    state.login_limits.record_success(&key).await?;
    // Every session of the account ended with the password (its tokens' version is past);
    // their records say so, and this device carries on in a new one.
    state
        .sessions
        .end(account.id, Which::AllBut(None), "password changed", &|_| {
            None
        })
        .await?;
    let issued = auth::start(&state, &account, &Origin::of(client, &headers)).await?;
    Ok(issued.answer(&headers))
}

/// An entry about the signed-in account itself.
fn own_account(session: &Session, action: &'static str) -> Audit {
    Audit::new(action).on(
        TargetType::Account,
        Some(session.id.to_string()),
        Some(format!("account {}", session.id)),
    )
}
