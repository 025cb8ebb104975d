//! Passkeys and security keys over HTTP: registering one (its options, then the browser's
//! answer), listing and removing them, and the options of an assertion at the second step of a
//! sign-in or for a proof of a dangerous action. The answer of an assertion goes with the
//! second step (`login/second-factor`) or the proof (`confirm`); [`verify_assertion`] checks it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::accounts::{random_id, Account};
use crate::domain::audit::Audit;
use crate::domain::confirmation::Dangerous;
use crate::domain::passkeys::{self as domain, Added, Failure, Passkey, Purpose, Removed, Started};
use crate::domain::second_factor::{self as factor, RECOVERY_CODES};
use crate::http::auth::{self, Session};
use crate::http::client_ip;
use crate::http::confirmation;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::http::second_factor::{own_account, replace_session};
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/auth/passkeys/registration",
            post(registration_options),
        )
        .route("/admin/auth/passkeys", post(add).get(list))
        .route("/admin/auth/passkeys/{passkey_id}", delete(remove))
        .route("/admin/auth/login/passkey", post(sign_in_options))
        .route("/admin/auth/confirm/passkey", post(confirm_options))
}

/// The options of a ceremony begun, kept in the store until its answer comes.
async fn begun(state: &AppState, started: Result<Started, Failure>) -> ApiResult<Json<Value>> {
    let started = started.map_err(|e| {
        tracing::warn!("a passkey ceremony could not start: {e:?}");
        ApiError::ServiceUnavailable("The passkey ceremony could not start".into())
    })?;
    state.passkeys.begin(&started.ceremony).await?;
    let left = (started.ceremony.expires_at - OffsetDateTime::now_utc())
        .whole_seconds()
        .max(0);
    Ok(Json(
        json!({ "options": started.options, "expires_in": left }),
    ))
}

async fn signed_in_account(state: &AppState, session: &Session) -> ApiResult<Account> {
    state
        .accounts
        .get(session.id)
        .await?
        .ok_or(ApiError::Unauthorized("Account deleted"))
}

/// The options for `navigator.credentials.create`: a new passkey of the signed-in account.
async fn registration_options(
    session: Session,
    State(state): State<AppState>,
) -> ApiResult<Json<Value>> {
    let account = signed_in_account(&state, &session).await?;
    let keys = state.passkeys.list(account.id).await?;
    if keys.len() >= domain::MAX_PER_ACCOUNT {
        return Err(too_many());
    }
    let started = state
        .relying_party
        .start_registration(account.id, &account.username, &keys);
    begun(&state, started).await
}

fn too_many() -> ApiError {
    ApiError::Conflict(format!(
        "You have {} passkeys, the most an account keeps; remove one first",
        domain::MAX_PER_ACCOUNT
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPasskey {
    /// What the owner calls it.
    name: String,
    /// `toJSON()` of the credential `navigator.credentials.create` made with the options of
    /// `startPasskeyRegistration`.
    credential: Value,
}

/// Keeps a new passkey of the signed-in account, after a proof of its owner (the password
/// when it has no factor yet, else a current factor): a stolen session alone cannot add the
/// thief's key. The account's first factor comes with ten recovery codes, shown this once; a
/// session limited to enrolling is replaced by a full one.
async fn add(
    session: Session,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewPasskey>,
) -> ApiResult<Response> {
    let name = domain::valid_name(&body.name).ok_or_else(|| {
        ApiError::field(
            &["body", "name"],
            format!(
                "Value error, a name of 1 to {} characters",
                domain::MAX_NAME_CHARS
            ),
            "value_error",
        )
    })?;
    let account = signed_in_account(&state, &session).await?;
    confirmation::require_always(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "addPasskey",
            session.id.to_string(),
            format!("Add the passkey “{name}” to your account"),
        ),
    )?;
    let refused = |failure: Failure| {
        tracing::info!("a passkey registration was refused: {failure:?}");
        ApiError::field(
            &["body", "credential"],
            match failure {
                Failure::NoCeremony => {
                    "Value error, the passkey's set-up took too long or was already used; start again"
                }
                _ => "Value error, the passkey's answer was not accepted; start again",
            },
            "value_error",
        )
    };
    let answer = domain::parse_registration(&body.credential).map_err(refused)?;
    let challenge = domain::registration_challenge(&answer).map_err(refused)?;
    let ceremony = state
        .passkeys
        .take(challenge)
        .await?
        .filter(|c| c.account_id == account.id && c.purpose == Purpose::Register)
        .ok_or_else(|| refused(Failure::NoCeremony))?;
    let credential = state
        .relying_party
        .finish_registration(&ceremony, &answer)
        .map_err(refused)?;
    let client = client_ip::resolve(peer.ip(), &headers, &state.settings.trusted_proxies);
    let now = crate::domain::to_micros(OffsetDateTime::now_utc());
    let passkey = Passkey {
        id: random_id(),
        account_id: account.id,
        name,
        credential_id: credential.credential_id,
        public_key: credential.public_key,
        dynamic_state: credential.dynamic_state,
        transports: credential.transports,
        created_at: now,
        last_used_at: None,
    };
    let first = !account.has_second_factor();
    let codes = first.then(factor::new_recovery_codes);
    let after = Account {
        passkeys: account.passkeys + 1,
        ..account.clone()
    };
    let codes_said = if first {
        format!(", {RECOVERY_CODES} new recovery codes")
    } else {
        String::new()
    };
    let entry = state.audit_entry(
        &session.actor(),
        own_account(&session, "auth.factor_enrol")
            .change(account.factor_names(), after.factor_names())
            .detail(format!(
                "passkey “{}”{codes_said}, from {client}",
                passkey.name
            )),
    );
    let hashes = codes
        .as_ref()
        .map(|codes| codes.iter().map(|c| factor::recovery_hash(c)).collect());
    match state.passkeys.add(&passkey, hashes, entry).await? {
        Added::Now => {}
        Added::Duplicate => {
            return Err(ApiError::Conflict(
                "This passkey is registered already".into(),
            ))
        }
        Added::TooMany => return Err(too_many()),
        Added::NoAccount => return Err(ApiError::Unauthorized("Account deleted")),
    }
    let mut body = json!({ "passkey": passkey });
    if let Some(codes) = codes {
        body["recovery_codes"] = json!(codes);
    }
    if !session.must_enrol {
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    }
    // As after enrolling an app: a full session for this device, of the account as it is now.
    let mut answer = replace_session(&state, &after, &session, client, &headers).await?;
    if let (Some(fields), Value::Object(added)) = (answer.body.as_object_mut(), body) {
        fields.extend(added);
    }
    Ok((StatusCode::CREATED, answer).into_response())
}

/// The signed-in account's passkeys, oldest first.
async fn list(session: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": state.passkeys.list(session.id).await? }),
    ))
}

/// Removes one of the signed-in account's passkeys, after a proof of its owner; never its
/// only factor when its role requires one.
async fn remove(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let not_found = || ApiError::NotFound(format!("You have no passkey {id}"));
    let passkey_id: Uuid = id.parse().map_err(|_| not_found())?;
    let account = signed_in_account(&state, &session).await?;
    let keys = state.passkeys.list(account.id).await?;
    let key = keys
        .iter()
        .find(|k| k.id == passkey_id)
        .ok_or_else(not_found)?;
    let required = state.world().second_factor_roles.contains(&account.role);
    let last_factor = || {
        ApiError::Conflict(
            "This passkey is your only second factor, and your role requires one; add another first"
                .into(),
        )
    };
    if required && account.totp_secret.is_none() && keys.len() == 1 {
        return Err(last_factor());
    }
    confirmation::require_always(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "deletePasskey",
            passkey_id.to_string(),
            format!("Remove the passkey “{}”", key.name),
        ),
    )?;
    let after = Account {
        passkeys: account.passkeys.saturating_sub(1),
        ..account.clone()
    };
    let change = (account.factor_names(), after.factor_names());
    // Stamped now: the store calls `entry` holding the world's lock, which `audit_entry` takes.
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let entry = |k: &Passkey| {
        stamp.with(
            own_account(&session, "auth.factor_remove")
                .change(change.0, change.1)
                .detail(format!("passkey “{}”", k.name)),
        )
    };
    match state
        .passkeys
        .remove(account.id, passkey_id, required, &entry)
        .await?
    {
        Removed::Now(_) => Ok(StatusCode::NO_CONTENT),
        Removed::NotFound => Err(not_found()),
        Removed::LastFactor => Err(last_factor()),
    }
}

/// Options of an assertion by one of `account`'s passkeys, for `purpose`.
async fn assertion_options(
    state: &AppState,
    account: &Account,
    purpose: Purpose,
) -> ApiResult<Json<Value>> {
    let keys = state.passkeys.list(account.id).await?;
    if keys.is_empty() {
        return Err(ApiError::Conflict("This account has no passkey".into()));
    }
    let started = state
        .relying_party
        .start_assertion(account.id, &keys, purpose);
    begun(state, started).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInChallenge {
    /// The challenge the right password gave (`login`).
    challenge: String,
}

/// Options of an assertion for the second step of a sign-in, whose password was right.
async fn sign_in_options(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SignInChallenge>,
) -> ApiResult<Json<Value>> {
    let account = auth::challenged(&state, &body.challenge).await?;
    assertion_options(&state, &account, Purpose::SignIn).await
}

/// Options of an assertion for a proof of a dangerous action (`confirm`).
async fn confirm_options(
    session: Session,
    State(state): State<AppState>,
) -> ApiResult<Json<Value>> {
    let account = signed_in_account(&state, &session).await?;
    assertion_options(&state, &account, Purpose::Confirm).await
}
