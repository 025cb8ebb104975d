//! Proofs for dangerous actions: `POST /admin/auth/confirm` gives one for one action on one
//! target, after a fresh second-factor code (or the password of an account without a factor);
//! the action's request carries it in `X-Confirmation`, and [`require`] checks it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::domain::audit::Audit;
use crate::domain::confirmation::{describe, Dangerous, ACTIONS, MAX_TARGET_CHARS, PROOF_SECS};
use crate::domain::passkeys::Purpose;
use crate::domain::second_factor as factor;
use crate::http::auth::{limit_key, verify_slowly, Session, AUDIENCE, ISSUER};
use crate::http::client_ip;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::http::passkey_assertion;
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/auth/confirm", post(confirm))
}

/// The header a dangerous action's proof travels in.
pub const HEADER: &str = "x-confirmation";
const PROOF_TYPE: &str = "admin_confirmation";

#[derive(Serialize, Deserialize)]
struct ProofClaims {
    iss: String,
    #[serde(skip_deserializing)]
    aud: String,
    typ: String,
    sub: String,
    /// The account's token version: a password change or a reset voids the proof.
    ver: u64,
    /// The session it was given in: another session, or this one ended, cannot use it.
    sid: String,
    act: String,
    tgt: String,
    exp: i64,
    gen: u64,
}

/// Lets `dangerous` go on only with a proof for it from this account, when the gateway asks
/// for proofs (`--confirm-dangerous-actions`).
pub fn require(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    dangerous: Dangerous,
) -> ApiResult<()> {
    if !state.world().confirm_dangerous_actions {
        return Ok(());
    }
    require_always(state, session, headers, dangerous)
}

/// Lets `dangerous` go on only with a proof for it from this account, whatever the gateway's
/// setting: for changes of the account's own factors, which a stolen session alone must never
/// make.
pub fn require_always(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    dangerous: Dangerous,
) -> ApiResult<()> {
    let generation = state.world().token_generation;
    if session.api_key.is_some() {
        // Only a person holds a factor or a password; a prompt the key's script cannot answer
        // would only mislead it.
        return Err(ApiError::ForbiddenCode {
            code: "not_for_api_keys",
            detail: format!(
                "{} needs a person's confirmation, which an API key cannot give; sign in as a person",
                dangerous.summary
            ),
        });
    }
    let proven = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|token| {
            let mut validation = Validation::new(Algorithm::HS256);
            validation.leeway = 0;
            validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
            validation.set_audience(&[AUDIENCE]);
            validation.set_issuer(&[ISSUER]);
            decode::<ProofClaims>(
                token,
                &DecodingKey::from_secret(&state.settings.secrets.jwt_secret_key),
                &validation,
            )
            .ok()
        })
        .is_some_and(|data| {
            let c = data.claims;
            c.typ == PROOF_TYPE
                && c.sub == session.id.to_string()
                && c.sid == session.sid.to_string()
                && c.ver == session.version
                && c.gen == generation
                && c.act == dangerous.action
                && c.tgt == dangerous.target
        });
    if proven {
        Ok(())
    } else {
        Err(ApiError::ConfirmationRequired {
            action: dangerous.action,
            target: dangerous.target,
            summary: dangerous.summary,
            methods: session.proof_methods,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Proof {
    action: String,
    target: String,
    /// What the prompt showed; the audit entry describes the proof in the gateway's own words.
    #[serde(default)]
    #[allow(dead_code)]
    summary: Option<String>,
    code: Option<String>,
    recovery_code: Option<String>,
    password: Option<String>,
    /// An assertion of one of the account's passkeys (`toJSON()` of `navigator.credentials.get`
    /// with the options of `confirmWithPasskeyOptions`).
    passkey: Option<Value>,
}

/// A proof for `action` on `target`, after a code of the account's second factor, or its
/// password when it has none. A wrong one is 422 on the field and counts as a failed login.
async fn confirm(
    session: Session,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Proof>,
) -> ApiResult<Json<Value>> {
    let Some(action) = ACTIONS.iter().copied().find(|a| *a == body.action) else {
        return Err(ApiError::field(
            &["body", "action"],
            "Value error, not an action that takes a confirmation",
            "value_error",
        ));
    };
    if session.must_enrol && action != "addPasskey" {
        // A session limited to enrolling can do nothing else a proof would approve.
        return Err(ApiError::ForbiddenCode {
            code: "second_factor_required",
            detail: "Set up a second factor first: your role must sign in with one".to_owned(),
        });
    }
    if body.target.chars().count() > MAX_TARGET_CHARS {
        return Err(ApiError::field(
            &["body", "target"],
            format!("String should have at most {MAX_TARGET_CHARS} characters"),
            "string_too_long",
        ));
    }
    let client = client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
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
    let now = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or_default();
    let has_factor = account.has_second_factor();
    let (how, field) = match (
        &body.passkey,
        &body.code,
        &body.recovery_code,
        &body.password,
    ) {
        (Some(answer), ..) if account.passkeys > 0 => {
            let ok =
                passkey_assertion::verify_assertion(&state, &account, answer, Purpose::Confirm)
                    .await?;
            (ok.then_some("a passkey"), "passkey")
        }
        (None, Some(code), ..) if account.totp_secret.is_some() => {
            let secret = account.totp_secret.as_deref().unwrap_or_default();
            let step = factor::matching_step(secret, code, now, account.totp_last_step);
            let ok = match step {
                Some(step) => state.accounts.use_totp_step(account.id, step).await?,
                None => false,
            };
            (ok.then_some("an authenticator code"), "code")
        }
        (None, None, Some(code), _) if has_factor => {
            let left = state
                .accounts
                .use_recovery_code(account.id, &factor::recovery_hash(code))
                .await?;
            (left.map(|_| "a recovery code"), "recovery_code")
        }
        (None, None, None, Some(password)) if !has_factor => {
            let ok = verify_slowly(
                &state,
                Some(account.password_hash.clone()),
                password.clone(),
            )
            .await;
            (ok.then_some("the password"), "password")
        }
        _ if has_factor => {
            let what = match (account.totp_secret.is_some(), account.passkeys > 0) {
                (true, true) => {
                    "a code from your authenticator app, your passkey, or a recovery code"
                }
                (true, false) => "a code from your authenticator app, or a recovery code",
                _ => "your passkey, or a recovery code",
            };
            return Err(ApiError::field(
                &["body", "code"],
                format!("Field required: {what}"),
                "missing",
            ));
        }
        _ => {
            return Err(ApiError::field(
                &["body", "password"],
                "Field required: your password",
                "missing",
            ))
        }
    };
    let dangerous = Dangerous::new(action, body.target.clone(), describe(action, &body.target));
    let audit = |name: &'static str| {
        let audit = Audit::new(name);
        match dangerous.target_type() {
            Some(kind) => audit.on(
                kind,
                Some(dangerous.subject().to_owned()),
                Some(dangerous.summary.clone()),
            ),
            None => audit.label(dangerous.summary.clone()),
        }
    };
    let Some(how) = how else {
        state.login_limits.record_failure(&key, client).await?;
        state.world().audit(
            &session.actor(),
            audit("auth.confirm_failed")
                .detail(format!("{action}: a wrong {field}, from {client}")),
        );
        let message = match field {
            "password" => "Value error, the password is not correct",
            "passkey" => "Value error, the passkey's answer was not accepted; try again",
            _ => "Value error, the code is not right or was already used",
        };
        return Err(ApiError::field(&["body", field], message, "value_error"));
    };
    state.login_limits.record_success(&key).await?;
    state.world().audit(
        &session.actor(),
        audit("auth.confirm").detail(format!("{action} confirmed with {how}, from {client}")),
    );
    let claims = ProofClaims {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        typ: PROOF_TYPE.to_owned(),
        sub: session.id.to_string(),
        ver: session.version,
        sid: session.sid.to_string(),
        act: action.to_owned(),
        tgt: dangerous.target,
        exp: OffsetDateTime::now_utc().unix_timestamp() + PROOF_SECS,
        gen: state.world().token_generation,
    };
    let proof = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&state.settings.secrets.jwt_secret_key),
    )
    .expect("HS256 signing cannot fail");
    Ok(Json(
        json!({ "confirmation": proof, "expires_in": PROOF_SECS }),
    ))
}
