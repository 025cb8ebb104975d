//! Errors in the FastAPI shape of the real Galaxy gateway, so the dashboard
//! is tested against exactly what production sends.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::domain::error::{FieldError, Rejected};
use crate::domain::login_limit::{LimitedBy, Refusal};
use crate::store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    Unauthorized(&'static str),
    /// 403: signed in, but the role is below what the operation needs.
    Forbidden(String),
    /// 403 with a machine-readable `code`, such as `second_factor_required`.
    ForbiddenCode {
        code: &'static str,
        detail: String,
    },
    /// 403 `confirmation_required`: a dangerous action without a fresh proof for it.
    ConfirmationRequired {
        action: &'static str,
        target: String,
        summary: String,
        methods: &'static [&'static str],
    },
    NotFound(String),
    Conflict(String),
    /// 409 with a machine-readable `code` beside the `detail`, such as `not_online`.
    ConflictCode {
        code: &'static str,
        detail: String,
    },
    /// 412: `If-Match` names an entity tag the resource no longer has.
    PreconditionFailed {
        detail: String,
        /// The resource's entity tag now.
        etag: String,
        /// The resource now, so the client can show what changed.
        current: Value,
    },
    Validation(Vec<FieldError>),
    TooManyRequests(Refusal),
    /// 429 of a rate limit other than the login's, with `Retry-After`.
    RateLimited {
        detail: String,
        retry_after_secs: u64,
    },
    ServiceUnavailable(String),
}

impl ApiError {
    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_)
            | ApiError::ForbiddenCode { .. }
            | ApiError::ConfirmationRequired { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::ConflictCode { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) | ApiError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `detail` message, for a per-item result of a bulk action.
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthorized(m) => (*m).to_owned(),
            ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::ServiceUnavailable(m) => m.clone(),
            ApiError::ConflictCode { detail, .. } | ApiError::ForbiddenCode { detail, .. } => {
                detail.clone()
            }
            ApiError::ConfirmationRequired { summary, .. } => confirm_detail(summary),
            ApiError::PreconditionFailed { detail, .. } | ApiError::RateLimited { detail, .. } => {
                detail.clone()
            }
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| e.msg.clone())
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::TooManyRequests(r) => too_many_requests_detail(*r),
        }
    }

    pub fn field(loc: &[&str], msg: impl Into<String>, kind: &str) -> Self {
        Self::Validation(vec![FieldError::new(loc, msg, kind)])
    }
}

fn confirm_detail(summary: &str) -> String {
    format!("Confirm this action with a fresh code (or your password): {summary}")
}

fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "detail": message }))).into_response()
}

fn seconds(n: u64) -> String {
    if n == 1 {
        "1 second".to_owned()
    } else {
        format!("{n} seconds")
    }
}

/// Says which limit refused the login and when to retry, the same for every username, so it
/// tells nothing about which accounts exist.
pub fn too_many_requests_detail(refusal: Refusal) -> String {
    let wait = seconds(refusal.retry_after_secs);
    match refusal.by {
        LimitedBy::Account => {
            format!("Too many failed logins for this username; try again in {wait}")
        }
        LimitedBy::Address => {
            format!("Too many failed logins from your network address; try again in {wait}")
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized(message) => {
                let mut response = detail(StatusCode::UNAUTHORIZED, message);
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            ApiError::Forbidden(message) => detail(StatusCode::FORBIDDEN, &message),
            ApiError::NotFound(message) => detail(StatusCode::NOT_FOUND, &message),
            ApiError::Conflict(message) => detail(StatusCode::CONFLICT, &message),
            ApiError::ConflictCode { code, detail } => (
                StatusCode::CONFLICT,
                Json(json!({ "detail": detail, "code": code })),
            )
                .into_response(),
            ApiError::ForbiddenCode { code, detail } => (
                StatusCode::FORBIDDEN,
                Json(json!({ "detail": detail, "code": code })),
            )
                .into_response(),
            ApiError::ConfirmationRequired {
                action,
                target,
                summary,
                methods,
            } => (
                StatusCode::FORBIDDEN,
                Json(json!({
                    "detail": confirm_detail(&summary),
                    "code": "confirmation_required",
                    "action": action,
                    "target": target,
                    "summary": summary,
                    "methods": methods,
                })),
            )
                .into_response(),
            ApiError::ServiceUnavailable(message) => {
                detail(StatusCode::SERVICE_UNAVAILABLE, &message)
            }
            ApiError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "detail": errors })),
            )
                .into_response(),
            ApiError::PreconditionFailed {
                detail,
                etag,
                current,
            } => {
                let mut response = (
                    StatusCode::PRECONDITION_FAILED,
                    Json(json!({ "detail": detail, "current": current })),
                )
                    .into_response();
                if let Ok(etag) = HeaderValue::from_str(&etag) {
                    response.headers_mut().insert(header::ETAG, etag);
                }
                response
            }
            ApiError::RateLimited {
                detail: message,
                retry_after_secs,
            } => {
                let mut response = detail(StatusCode::TOO_MANY_REQUESTS, &message);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                response
            }
            ApiError::TooManyRequests(refusal) => {
                let mut response = detail(
                    StatusCode::TOO_MANY_REQUESTS,
                    &too_many_requests_detail(refusal),
                );
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(refusal.retry_after_secs),
                );
                response
            }
        }
    }
}

/// Each refusal of a domain rule with the status and body the contract gives it.
impl From<Rejected> for ApiError {
    fn from(rejected: Rejected) -> Self {
        match rejected {
            Rejected::Invalid(errors) => ApiError::Validation(errors),
            Rejected::NotFound(detail) => ApiError::NotFound(detail),
            Rejected::Conflict(detail) => ApiError::Conflict(detail),
            Rejected::SessionEnded => ApiError::Unauthorized(
                "Session ended: the account's role or password changed; log in again",
            ),
            Rejected::ChangedMeanwhile {
                detail,
                etag,
                current,
            } => ApiError::PreconditionFailed {
                detail,
                etag,
                current,
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Rejected(rejected) => rejected.into(),
            StoreError::Unavailable(why) => {
                // The cause is for the gateway's log; the client learns only what it can act on.
                tracing::error!("store unavailable: {why}");
                ApiError::ServiceUnavailable(
                    "The console's database is unavailable; try again in a moment".into(),
                )
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
