//! `/admin/api-keys`: API keys for scripts and the admin CLI (`domain::api_keys`). Any account
//! makes keys for itself, with a role no higher than its own, and sees and revokes its own;
//! an admin sees and revokes everyone's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::domain::api_keys::{self, ApiKey, MAX_ADDRESS_BLOCKS, MAX_DAYS};
use crate::domain::audit::Audit;
use crate::domain::client_ip::Cidr;
use crate::domain::error::FieldError;
use crate::domain::roles::Role;
use crate::http::auth::Session;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{path_uuid, HeaderReason, JsonBody};
use crate::http::state::AppState;
use crate::store::api_keys::Revoked;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/api-keys", get(list).post(create))
        .route("/admin/api-keys/{key_id}", delete(revoke))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    role: Role,
    expires_in_days: i64,
    #[serde(default)]
    allowed_addresses: Vec<String>,
}

fn listed(key: &ApiKey) -> Value {
    let mut item = json!(key);
    item["created_by"] = json!({ "id": key.created_by, "username": key.creator });
    item
}

async fn create(
    session: Session,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<NewKey>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut errors = vec![];
    let name = api_keys::check_name(&body.name)
        .map_err(|msg| errors.push(FieldError::new(&["body", "name"], msg, "value_error")))
        .unwrap_or_default();
    if !(1..=MAX_DAYS).contains(&body.expires_in_days) {
        errors.push(FieldError::new(
            &["body", "expires_in_days"],
            format!("Value error, 1 to {MAX_DAYS} days"),
            "value_error",
        ));
    }
    if body.allowed_addresses.len() > MAX_ADDRESS_BLOCKS {
        errors.push(FieldError::new(
            &["body", "allowed_addresses"],
            format!("Value error, at most {MAX_ADDRESS_BLOCKS} address blocks"),
            "value_error",
        ));
    }
    let mut blocks: Vec<Cidr> = vec![];
    for (i, text) in body.allowed_addresses.iter().enumerate() {
        match text.trim().parse() {
            Ok(block) => blocks.push(block),
            Err(e) => errors.push(FieldError {
                loc: vec![json!("body"), json!("allowed_addresses"), json!(i)],
                msg: format!("Value error, {e}"),
                kind: "value_error".to_owned(),
            }),
        }
    }
    if body.role > session.role {
        errors.push(FieldError::new(
            &["body", "role"],
            format!("Value error, at most your own role, {}", session.role),
            "value_error",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = OffsetDateTime::now_utc();
    let (mut key, secret) = ApiKey::new(
        name,
        body.role,
        session.id,
        now,
        body.expires_in_days,
        blocks,
    );
    key.creator = session.username.clone();
    let entry = state.audit_entry(
        &session.actor(),
        Audit {
            after: Some(key.role.to_string()),
            ..key.audit("api_key.create", None)
        },
    );
    state.api_keys.create(&key, entry).await?;
    let mut answer = listed(&key);
    answer["key"] = json!(secret);
    Ok((StatusCode::CREATED, Json(answer)))
}

/// An admin's list has every key; anyone else's their own.
async fn list(session: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let of = (session.role < Role::Admin).then_some(session.id);
    let keys = state.api_keys.list(of).await?;
    Ok(Json(
        json!({ "items": keys.iter().map(listed).collect::<Vec<_>>() }),
    ))
}

async fn revoke(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<StatusCode> {
    let id = path_uuid(&id, "key_id")?;
    let only_of = (session.role < Role::Admin).then_some(session.id);
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let entry = |key: &ApiKey| {
        stamp.with(Audit {
            reason: reason.clone(),
            ..key.audit("api_key.revoke", None)
        })
    };
    let now = crate::domain::to_micros(OffsetDateTime::now_utc());
    match state
        .api_keys
        .revoke(id, only_of, session.id, now, &entry)
        .await?
    {
        Revoked::Now => Ok(StatusCode::NO_CONTENT),
        Revoked::Already => Err(ApiError::Conflict("This API key is already revoked".into())),
        Revoked::NotFound => Err(ApiError::NotFound(
            "No API key you may revoke has this id".into(),
        )),
    }
}
