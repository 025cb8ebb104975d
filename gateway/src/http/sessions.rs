//! Console sessions over HTTP: the operator's own ("Your sessions", ending one or all the
//! others, signing out) and an admin's view of any account's, which they can end.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::accounts;
use crate::domain::audit::{Audit, AuditEntry, TargetType};
use crate::domain::sessions::SessionRecord;
use crate::http::auth::Session;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{path_uuid, HeaderReason};
use crate::http::session_cookie;
use crate::http::state::AppState;
use crate::store::sessions::Which;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/auth/sessions", get(own))
        .route("/admin/auth/sessions/end-others", post(end_others))
        .route("/admin/auth/sessions/{session_id}", delete(end_own))
        .route("/admin/auth/logout", post(logout))
        .route(
            "/admin/accounts/{account_id}/sessions",
            get(of_account).delete(end_of_account),
        )
}

/// What a signed-out browser should forget (the gateway's own storage on a shared host).
const CLEAR_SITE_DATA: &str = "\"cache\", \"storage\"";

fn listed(sessions: &[SessionRecord], current: Option<Uuid>) -> Value {
    let items: Vec<Value> = sessions
        .iter()
        .map(|s| {
            let mut item = json!(s);
            item["current"] = json!(Some(s.id) == current);
            item
        })
        .collect();
    json!({ "items": items })
}

fn on_account(action: &'static str, id: Uuid, label: String) -> Audit {
    Audit::new(action).on(TargetType::Account, Some(id.to_string()), Some(label))
}

/// The signed-in account's live sessions, newest first, this one marked `current`.
async fn own(session: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let idle = state.world().session_idle;
    let live = state
        .sessions
        .live(session.id, OffsetDateTime::now_utc(), idle)
        .await?;
    Ok(Json(listed(&live, Some(session.sid))))
}

/// Ends one of the signed-in account's own sessions (another device's, or this one).
async fn end_own(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = path_uuid(&id, "session_id")?;
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let name = session.username.clone();
    let entry = |ended: &[SessionRecord]| -> Option<AuditEntry> {
        let s = ended.first()?;
        Some(
            stamp.with(
                on_account("auth.session_end", session.id, name.clone())
                    .detail(format!("ended the session of {}", s.label())),
            ),
        )
    };
    let ended = state
        .sessions
        .end(session.id, Which::One(id), "ended by its owner", &entry)
        .await?;
    if ended.is_empty() {
        return Err(ApiError::NotFound(
            "No live session of yours has this id".into(),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the signed-in account but this one.
async fn end_others(session: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let name = session.username.clone();
    let entry = |ended: &[SessionRecord]| -> Option<AuditEntry> {
        (!ended.is_empty()).then(|| {
            stamp.with(
                on_account("auth.sessions_end", session.id, name.clone())
                    .detail(format!("ended {} other sessions", ended.len())),
            )
        })
    };
    let ended = state
        .sessions
        .end(
            session.id,
            Which::AllBut(Some(session.sid)),
            "ended by its owner",
            &entry,
        )
        .await?;
    Ok(Json(json!({ "ended": ended.len() })))
}

/// Signs out: this session ends here and on every replica, and a browser calling from the
/// gateway's own origin (Galaxy's single host) is told to forget what it keeps for it. From
/// another origin (two ports in `make dev`) the header could not take effect, and browsers
/// report it as an error, so it is left out.
async fn logout(
    session: Session,
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let name = session.username.clone();
    let entry = |ended: &[SessionRecord]| -> Option<AuditEntry> {
        let s = ended.first()?;
        Some(stamp.with(on_account("auth.logout", session.id, name.clone()).detail(s.label())))
    };
    state
        .sessions
        .end(session.id, Which::One(session.sid), "signed out", &entry)
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if session_cookie::token(&headers).is_some() {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, session_cookie::cleared());
    }
    if session_cookie::same_origin(&headers, &uri) {
        response
            .headers_mut()
            .insert("clear-site-data", HeaderValue::from_static(CLEAR_SITE_DATA));
    }
    Ok(response)
}

/// An account's live sessions, for an admin.
async fn of_account(
    _: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "account_id")?;
    state
        .accounts
        .get(id)
        .await?
        .ok_or_else(|| ApiError::from(accounts::not_found(id)))?;
    let idle = state.world().session_idle;
    let live = state
        .sessions
        .live(id, OffsetDateTime::now_utc(), idle)
        .await?;
    Ok(Json(listed(&live, None)))
}

/// Ends every session of an account (a stolen laptop, someone who left), by an admin.
async fn end_of_account(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    HeaderReason(reason): HeaderReason,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "account_id")?;
    let account = state
        .accounts
        .get(id)
        .await?
        .ok_or_else(|| ApiError::from(accounts::not_found(id)))?;
    if id == session.id {
        return Err(ApiError::Conflict(
            "You cannot end every session of the account you are signed in with; end the others from your own sessions instead".into(),
        ));
    }
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let name = account.username.clone();
    let entry = |ended: &[SessionRecord]| -> Option<AuditEntry> {
        (!ended.is_empty()).then(|| {
            stamp.with(
                on_account("account.sessions_end", id, name.clone())
                    .reason(reason.clone())
                    .detail(format!("ended {} sessions of {name}", ended.len())),
            )
        })
    };
    let ended = state
        .sessions
        .end(id, Which::AllBut(None), "ended by an admin", &entry)
        .await?;
    Ok(Json(json!({ "ended": ended.len() })))
}
