//! The second factor over HTTP: the second step of a sign-in (a TOTP code or a recovery code
//! against the challenge a right password gave) and enrolling an authenticator app.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::domain::accounts::SecondFactorChange;
use crate::domain::audit::{Actor, Audit, TargetType};
use crate::domain::passkeys::Purpose;
use crate::domain::second_factor::{self as factor, RECOVERY_CODES};
use crate::http::auth::{self, limit_key, verify_slowly, Origin, Session};
use crate::http::client_ip;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::http::login::{locked_detail, signed_in};
use crate::http::passkey_assertion;
use crate::http::session_cookie::Issued;
use crate::http::state::AppState;
use crate::store::sessions::Which;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/auth/login/second-factor", post(second_step))
        .route("/admin/auth/totp/secret", post(new_secret))
        .route("/admin/auth/totp", put(enrol))
}

fn now() -> u64 {
    u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecondStep {
    challenge: String,
    code: Option<String>,
    recovery_code: Option<String>,
    /// An assertion of one of the account's passkeys, with the options of
    /// `signInWithPasskeyOptions`.
    passkey: Option<Value>,
}

/// The second step of a sign-in. A wrong code counts as a failed login of the account and the
/// address, under the same limit as passwords, so six digits cannot be guessed faster than a
/// password; a code already used, or a recovery code already used, is a wrong code.
async fn second_step(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SecondStep>,
) -> ApiResult<Response> {
    let client = client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
    let _gate = state.login_gate.lock().await;
    let account = auth::challenged(&state, &body.challenge).await?;
    let key = limit_key(Some(&account), &account.username);
    let on_account = || {
        Audit::new("auth.login_failed").on(
            TargetType::Account,
            Some(account.id.to_string()),
            Some(account.username.clone()),
        )
    };
    if let Some(refusal) = state.login_limits.check(&key, client).await? {
        state.world().audit(
            &Actor::anonymous(),
            Audit {
                action: "auth.login_locked",
                ..on_account()
            }
            .detail(locked_detail(client, refusal)),
        );
        return Err(ApiError::TooManyRequests(refusal));
    }
    if !account.has_second_factor() {
        return Err(ApiError::Unauthorized(
            "This account has no second factor any more; sign in again",
        ));
    }
    let how = match (
        body.code.as_deref(),
        body.recovery_code.as_deref(),
        body.passkey.as_ref(),
    ) {
        (Some(code), None, None) => {
            let step = account.totp_secret.as_deref().and_then(|secret| {
                factor::matching_step(secret, code, now(), account.totp_last_step)
            });
            match step {
                Some(step) if state.accounts.use_totp_step(account.id, step).await? => {
                    Some("password and an authenticator code".to_owned())
                }
                _ => None,
            }
        }
        (None, Some(code), None) => state
            .accounts
            .use_recovery_code(account.id, &factor::recovery_hash(code))
            .await?
            .map(|left| format!("password and a recovery code ({left} left)")),
        (None, None, Some(answer)) => {
            passkey_assertion::verify_assertion(&state, &account, answer, Purpose::SignIn)
                .await?
                .then(|| "password and a passkey".to_owned())
        }
        _ => {
            return Err(ApiError::field(
                &["body"],
                "Value error, send one of code, recovery_code or passkey",
                "value_error",
            ))
        }
    };
    let Some(how) = how else {
        state.login_limits.record_failure(&key, client).await?;
        let which = if body.code.is_some() {
            "a wrong or already used authenticator code"
        } else if body.passkey.is_some() {
            "a passkey answer that was not accepted"
        } else {
            "a wrong or already used recovery code"
        };
        state.world().audit(
            &Actor::anonymous(),
            on_account().detail(format!("from {client}: {which}")),
        );
        return Err(ApiError::Unauthorized(if body.passkey.is_some() {
            "The passkey was not accepted"
        } else {
            "Incorrect code"
        }));
    };
    signed_in(
        &state,
        &account,
        &key,
        &Origin::of(client, &headers),
        false,
        &how,
        &headers,
    )
    .await
}

/// A new secret for an authenticator app, as text, as an `otpauth://` URL and as a QR code.
/// Nothing is stored: the secret comes back with the first code it gives (`enrolTotp`).
async fn new_secret(session: Session) -> ApiResult<Json<Value>> {
    let secret = factor::new_secret();
    let url = factor::otpauth_url(&secret, &session.username).ok_or_else(|| {
        ApiError::ServiceUnavailable("The authenticator URL could not be made".into())
    })?;
    Ok(Json(json!({
        "secret": factor::secret_base32(&secret),
        "otpauth_url": url,
        "qr": factor::qr(&url),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Enrolment {
    /// The secret `newTotpSecret` gave, in base32.
    secret: String,
    /// A code the authenticator app shows for it, proving it was set up.
    code: String,
    /// A code of the factor being replaced, when there is one...
    current_code: Option<String>,
    /// ...or one of its recovery codes (the phone is lost).
    current_recovery_code: Option<String>,
    /// The account's password, for a first factor.
    current_password: Option<String>,
}

/// Enrols an authenticator app (or replaces the one enrolled, proven with a current code) and
/// answers ten new recovery codes, shown this once, with a token for a full session.
async fn enrol(
    session: Session,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Enrolment>,
) -> ApiResult<Issued> {
    let client = client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
    let secret = factor::parse_secret(&body.secret).ok_or_else(|| {
        ApiError::field(
            &["body", "secret"],
            "Value error, not a secret of 20 bytes in base32, as newTotpSecret gives",
            "value_error",
        )
    })?;
    let _gate = state.login_gate.lock().await;
    let account = state
        .accounts
        .get(session.id)
        .await?
        .ok_or(ApiError::Unauthorized("Account deleted"))?;
    let key = limit_key(Some(&account), &account.username);
    if let Some(refusal) = state.login_limits.check(&key, client).await? {
        return Err(ApiError::TooManyRequests(refusal));
    }
    // The new app's code first, so that a mistake there costs nothing of the current factor.
    let Some(step) = factor::matching_step(&secret, &body.code, now(), 0) else {
        return Err(ApiError::field(
            &["body", "code"],
            "Value error, the code does not match; check that the phone's clock is right and enter the next code",
            "value_error",
        ));
    };
    // Then the owner's proof, so that a stolen session alone can neither swap in the thief's
    // phone nor add one: a code of the current app, or, for a first app, the password.
    let (proven, field) = match &account.totp_secret {
        Some(current) => {
            let proven = match (&body.current_code, &body.current_recovery_code) {
                (Some(code), _) => {
                    let step = factor::matching_step(current, code, now(), account.totp_last_step);
                    match step {
                        Some(step) => state.accounts.use_totp_step(account.id, step).await?,
                        None => false,
                    }
                }
                (None, Some(code)) => state
                    .accounts
                    .use_recovery_code(account.id, &factor::recovery_hash(code))
                    .await?
                    .is_some(),
                (None, None) => false,
            };
            (proven, "current_code")
        }
        // A passkey but no app: a passkey is not typed, so one of the recovery codes.
        None if account.has_second_factor() => {
            let proven = match &body.current_recovery_code {
                Some(code) => state
                    .accounts
                    .use_recovery_code(account.id, &factor::recovery_hash(code))
                    .await?
                    .is_some(),
                None => false,
            };
            (proven, "current_recovery_code")
        }
        None => {
            let proven = match body.current_password.clone() {
                Some(password) => {
                    verify_slowly(&state, Some(account.password_hash.clone()), password).await
                }
                None => false,
            };
            (proven, "current_password")
        }
    };
    if !proven {
        state.login_limits.record_failure(&key, client).await?;
        let what = match field {
            "current_code" => "a wrong current code",
            "current_recovery_code" => "a wrong recovery code",
            _ => "a wrong password",
        };
        state.world().audit(
            &session.actor(),
            own_account(&session, "auth.factor_change_failed")
                .detail(format!("{what}, from {client}")),
        );
        let message = match field {
            "current_code" => "Value error, enter a code from your current authenticator app",
            "current_recovery_code" => "Value error, enter one of your recovery codes",
            _ => "Value error, enter your password",
        };
        return Err(ApiError::field(&["body", field], message, "value_error"));
    }
    let codes = factor::new_recovery_codes();
    let change = SecondFactorChange {
        secret: Some(secret),
        // The code that confirmed the app cannot sign in too.
        last_step: step,
        recovery_codes: codes.iter().map(|c| factor::recovery_hash(c)).collect(),
        revoke: false,
    };
    let before = account.factor_names();
    let entry = state.audit_entry(
        &session.actor(),
        own_account(&session, "auth.factor_enrol")
            .change(
                before,
                if account.passkeys > 0 {
                    "totp+passkey"
                } else {
                    "totp"
                },
            )
            .detail(format!(
                "authenticator app, {RECOVERY_CODES} new recovery codes, from {client}"
            )),
    );
    let account = state
        .accounts
        .set_second_factor(session.id, change, entry)
        .await?
        .ok_or(ApiError::Unauthorized("Account deleted"))?;
    let mut answer = replace_session(&state, &account, &session, client, &headers).await?;
    answer.body["recovery_codes"] = json!(codes);
    Ok(answer)
}

/// A new session in full for this device after a factor was enrolled, ending when the one that
/// enrolled would have (enrolling never lengthens a session); that one (perhaps limited to
/// enrolling) ends.
pub(crate) async fn replace_session(
    state: &AppState,
    account: &crate::domain::accounts::Account,
    session: &Session,
    client: std::net::IpAddr,
    headers: &HeaderMap,
) -> ApiResult<Issued> {
    let issued = auth::start_until(
        state,
        account,
        &Origin::of(client, headers),
        session.expires_at,
    )
    .await?;
    state
        .sessions
        .end(
            account.id,
            Which::One(session.sid),
            "replaced after enrolment",
            &|_| None,
        )
        .await?;
    Ok(issued.answer(headers))
}

/// An entry about the signed-in account itself.
pub(crate) fn own_account(session: &Session, action: &'static str) -> Audit {
    Audit::new(action).on(
        TargetType::Account,
        Some(session.id.to_string()),
        Some(session.username.clone()),
    )
}
