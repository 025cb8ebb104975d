//! `/admin/accounts`: console account management, for admins only (see `domain::roles`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::domain::accounts::{self, Account, AccountChange, SecondFactorChange};
use crate::domain::audit::{Audit, TargetType};
use crate::domain::confirmation::Dangerous;
use crate::domain::roles::Role;
use crate::http::auth::{hash_slowly, limit_key, Session};
use crate::http::confirmation;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{path_uuid, HeaderReason, JsonBody};
use crate::http::state::AppState;
use crate::store::sessions::Which;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(list).post(create))
        .route("/admin/accounts/{account_id}", get(show).delete(remove))
        .route("/admin/accounts/{account_id}/role", put(set_role))
        .route("/admin/accounts/{account_id}/disabled", put(set_disabled))
        .route(
            "/admin/accounts/{account_id}/password",
            post(reset_password),
        )
        .route(
            "/admin/accounts/{account_id}/second-factor",
            delete(reset_second_factor),
        )
}

fn account_id(raw: &str) -> ApiResult<Uuid> {
    path_uuid(raw, "account_id")
}

async fn find(state: &AppState, id: Uuid) -> ApiResult<Account> {
    state
        .accounts
        .get(id)
        .await?
        .ok_or_else(|| accounts::not_found(id).into())
}

/// An entry about `account`, labelled with its username: the name operators know it by
/// and filter the log with (the id stays in `target_id`).
fn target(action: &'static str, account: &Account) -> Audit {
    Audit::new(action).on(
        TargetType::Account,
        Some(account.id.to_string()),
        Some(account.username.clone()),
    )
}

/// An account and the one-time password it was just given, shown this once: only its hash
/// is kept.
fn with_password(account: &Account, password: Option<String>) -> Json<Value> {
    Json(json!({ "account": account, "one_time_password": password }))
}

async fn list(_: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": state.accounts.list().await? })))
}

async fn show(
    _: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = account_id(&id)?;
    Ok(Json(json!(find(&state, id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    username: String,
    role: Role,
    /// Absent or null: the gateway generates a one-time password and returns it.
    #[serde(default)]
    password: Option<String>,
}

fn taken(username: &str) -> ApiError {
    ApiError::Conflict(format!("An account named {username} already exists"))
}

async fn create(
    session: Session,
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewAccount>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut errors = vec![];
    if let Err(e) = accounts::check_username(&body.username) {
        errors.push(e);
    }
    if let Some(password) = &body.password {
        if let Err(e) = accounts::check_password("password", password, &body.username) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if state.accounts.named(&body.username).await?.is_some() {
        return Err(taken(&body.username));
    }
    // An account that can run the game or manage others is as dangerous to make as to promote.
    if body.role >= Role::Operator {
        confirmation::require(
            &state,
            &session,
            &headers,
            Dangerous::new(
                "createAccount",
                format!("{}/{}", body.username, body.role),
                format!("Create {} as {}", body.username, body.role),
            ),
        )?;
    }
    let generated = body.password.is_none();
    let password = body
        .password
        .unwrap_or_else(|| accounts::generate_password(&body.username));
    let hash = hash_slowly(&state, password.clone()).await;
    let account = Account::new(&body.username, hash, body.role);
    let entry = state.audit_entry(
        &session.actor(),
        target("account.create", &account)
            .detail(format!("{} as {}", account.username, account.role)),
    );
    // Refused here too: another request may have taken the name while this one hashed.
    if !state.accounts.create(&account, Some(entry)).await? {
        return Err(taken(&body.username));
    }
    Ok((
        StatusCode::CREATED,
        with_password(&account, generated.then_some(password)),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: Role,
}

/// Any role change ends the account's sessions; setting the role it has changes nothing.
async fn set_role(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RoleChange>,
) -> ApiResult<Json<Value>> {
    let id = account_id(&id)?;
    let found = find(&state, id).await?;
    confirmation::require(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "setAccountRole",
            format!("{id}/{}", body.role),
            format!("Make {} {}", found.username, body.role),
        ),
    )?;
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let (current, after) = state
        .accounts
        .change(
            id,
            session.id,
            AccountChange::Role(body.role),
            |current, account| {
                stamp.with(
                    target("account.role", account)
                        .change(current.role.as_str(), account.role.as_str())
                        .detail(format!(
                            "{}: {} to {}",
                            account.username, current.role, account.role
                        )),
                )
            },
        )
        .await?;
    if after.is_some() {
        end_sessions(&state, id, "role changed").await?;
    }
    Ok(Json(json!(after.unwrap_or(current))))
}

/// Marks the account's sessions ended after a change that already ended them (its tokens'
/// version is past), so its list of sessions says so.
async fn end_sessions(state: &AppState, id: Uuid, reason: &str) -> ApiResult<()> {
    state
        .sessions
        .end(id, Which::AllBut(None), reason, &|_| None)
        .await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisabledChange {
    disabled: bool,
}

/// Disabling ends the account's sessions, and enabling it again does not bring them back.
async fn set_disabled(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<DisabledChange>,
) -> ApiResult<Json<Value>> {
    let id = account_id(&id)?;
    let found = find(&state, id).await?;
    let verb = if body.disabled { "Disable" } else { "Enable" };
    confirmation::require(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "setAccountDisabled",
            format!("{id}/{}", body.disabled),
            format!("{verb} {}", found.username),
        ),
    )?;
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let action = if body.disabled {
        "account.disable"
    } else {
        "account.enable"
    };
    let (current, after) = state
        .accounts
        .change(
            id,
            session.id,
            AccountChange::Disabled(body.disabled),
            |current, account| {
                stamp.with(
                    target(action, account)
                        .change(current.disabled.to_string(), account.disabled.to_string())
                        .detail(account.username.clone()),
                )
            },
        )
        .await?;
    if after.as_ref().is_some_and(|a| a.disabled) {
        end_sessions(&state, id, "account disabled").await?;
    }
    Ok(Json(json!(after.unwrap_or(current))))
}

/// A new generated password, returned once; the account's sessions end and its login lockout
/// is lifted, so this is also how an admin lets a locked-out operator back in. Not for the
/// signed-in account itself, whose session it would end: that uses `changePassword`.
async fn reset_password(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let id = account_id(&id)?;
    let found = find(&state, id).await?;
    let username = found.username.clone();
    if id == session.id {
        return Err(ApiError::Conflict(
            "You cannot reset the password of the account you are signed in with; change it with your current password instead".into(),
        ));
    }
    confirmation::require(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "resetAccountPassword",
            id.to_string(),
            format!("Reset the password of {username}"),
        ),
    )?;
    let password = accounts::generate_password(&username);
    let hash = hash_slowly(&state, password.clone()).await;
    let entry = state.audit_entry(
        &session.actor(),
        target("account.password_reset", &found).detail(username),
    );
    let account = state
        .accounts
        .set_password(id, None, hash, entry)
        .await?
        .ok_or_else(|| ApiError::from(accounts::not_found(id)))?;
    state
        .login_limits
        .record_success(&limit_key(Some(&account), &account.username))
        .await?;
    end_sessions(&state, id, "password reset by an admin").await?;
    Ok(with_password(&account, Some(password)))
}

/// Removes another account's second factor (a lost phone and lost recovery codes) and ends its
/// sessions: it signs in next with its password alone and, if its role requires one, is sent
/// to set up a new factor. Not for the signed-in account itself: a stolen session must not be
/// able to drop the factor that protects it.
async fn reset_second_factor(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<Json<Value>> {
    let id = account_id(&id)?;
    let found = find(&state, id).await?;
    if id == session.id {
        return Err(ApiError::Conflict(
            "You cannot reset your own second factor; replace it with a code from your current one instead".into(),
        ));
    }
    confirmation::require(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "resetAccountSecondFactor",
            id.to_string(),
            format!("Reset the second factor of {}", found.username),
        ),
    )?;
    let before = found.factor_names();
    let entry = state.audit_entry(
        &session.actor(),
        target("account.factor_reset", &found)
            .change(before, "none")
            .reason(reason)
            .detail(found.username.clone()),
    );
    let account = state
        .accounts
        .set_second_factor(id, SecondFactorChange::removal(true), entry)
        .await?
        .ok_or_else(|| ApiError::from(accounts::not_found(id)))?;
    end_sessions(&state, id, "second factor reset by an admin").await?;
    Ok(with_password(&account, None))
}

async fn remove(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<StatusCode> {
    let id = account_id(&id)?;
    let found = find(&state, id).await?;
    confirmation::require(
        &state,
        &session,
        &headers,
        Dangerous::new(
            "deleteAccount",
            id.to_string(),
            format!("Delete the account {}", found.username),
        ),
    )?;
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    state
        .accounts
        .delete(id, session.id, |current| {
            stamp.with(
                target("account.delete", current)
                    .reason(reason)
                    .detail(format!("{} ({})", current.username, current.role)),
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
