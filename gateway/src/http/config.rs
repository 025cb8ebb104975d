//! `/admin/config`: the runtime configuration, changed under `If-Match`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::audit::{reason, Audit, TargetType};
use crate::domain::confirmation::Dangerous;
use crate::domain::error::Rejected;
use crate::domain::runtime_config::{self, ConfigChange, ConfigItem};
use crate::http::auth::Session;
use crate::http::confirmation;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{HeaderReason, JsonBody};
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/config", get(list_config))
        .route("/admin/config/{key}", put(set_config).delete(reset_config))
}

async fn list_config(_: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": state.config.items().await? })))
}

#[derive(Deserialize)]
struct ConfigValue {
    value: Value,
    #[serde(default)]
    reason: Option<String>,
}

/// An entry about configuration key `key`, from `before` to `after` as JSON text.
pub fn config_change(action: &'static str, key: String, before: &Value, after: &Value) -> Audit {
    Audit::new(action)
        .on(TargetType::Config, Some(key.clone()), Some(key))
        .change(before.to_string(), after.to_string())
        .detail(format!("value = {after}"))
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
        reason(body.reason),
    ) {
        (Ok(()), Ok(reason)) => reason,
        (Ok(()), Err(e)) => return Err(ApiError::Validation(vec![e])),
        (Err(Rejected::Invalid(mut errors)), reason) => {
            errors.extend(reason.err());
            return Err(ApiError::Validation(errors));
        }
        (Err(other), _) => return Err(other.into()),
    };
    if state.settings.confirm_config_changes {
        confirmation::require(
            &state,
            &session,
            &headers,
            Dangerous::config_change(&key, Some(&body.value)),
        )?;
    }
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let item = state
        .config
        .change(
            &key,
            ConfigChange::Set(body.value),
            if_match(&headers).as_deref(),
            |before, item| {
                stamp.with(
                    config_change("config.update", key.clone(), before, &item.value).reason(reason),
                )
            },
        )
        .await?;
    Ok(config_item_response(&item))
}

async fn reset_config(
    session: Session,
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<Response> {
    if state.settings.confirm_config_changes {
        confirmation::require(
            &state,
            &session,
            &headers,
            Dangerous::config_change(&key, None),
        )?;
    }
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let item = state
        .config
        .change(
            &key,
            ConfigChange::Reset,
            if_match(&headers).as_deref(),
            |before, item| {
                stamp.with(
                    config_change("config.reset", key.clone(), before, &item.value).reason(reason),
                )
            },
        )
        .await?;
    Ok(config_item_response(&item))
}
