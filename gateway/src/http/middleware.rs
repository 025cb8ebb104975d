//! The middleware of the API: the refusal of a foreign preflight, the audit log's flush, the
//! dev controls' injected faults and request log. Apart from what they act on (`faults`, `request_log`), since they
//! need the state that holds those.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::http::faults;
use crate::http::state::AppState;

/// A CORS layer merely omits its headers for an unknown origin; answer such a
/// preflight with an explicit 403 so the refusal is unmistakable in logs and tests.
pub async fn refuse_foreign_preflight(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(HeaderName::from_static("access-control-request-method"));
    if is_preflight {
        let allowed = request
            .headers()
            .get(header::ORIGIN)
            .is_some_and(|origin| state.settings.cors_origins.iter().any(|o| o == origin));
        if !allowed {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({ "detail": "Origin not allowed" })),
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// Writes the audit entries a request recorded before its answer leaves, so the operator who
/// acted finds the entry at their next read, whichever replica serves it (nothing to do with
/// the log in memory). A database that cannot take them now does not change the answer: the
/// action happened, and its entries wait in the outbox. While flushes fail, answers do not
/// wait for another try (the background task retries every second), and the health probes
/// never do: a liveness probe must not fail because the database is away.
pub async fn flush_audit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let probe = request.uri().path().contains("/health/");
    let response = next.run(request).await;
    if !probe && !state.audit.is_failing() {
        if let Err(e) = state.audit.flush().await {
            tracing::error!("the audit log could not be written now, its entries wait: {e}");
        }
    }
    response
}

/// Fails, stalls, garbles or drops a request as an injected fault says (see `faults`).
pub async fn inject_faults(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let relative = path
        .strip_prefix(state.settings.base_path.as_str())
        .unwrap_or(path);
    if request.method() == Method::OPTIONS || relative.starts_with("/__dev") {
        return next.run(request).await;
    }
    let Some(fault) = faults::take(&mut state.faults(), request.method(), relative) else {
        return next.run(request).await;
    };
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    if fault.drop {
        // An erroring body makes hyper abort the connection mid-response.
        let broken = futures_util::stream::once(async {
            Err::<Bytes, _>(std::io::Error::other("injected connection drop"))
        });
        return Response::new(Body::from_stream(broken));
    }
    if fault.malformed {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"tick": 12, "paused": tr"#,
        )
            .into_response();
    }
    match fault.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        Some(status) => {
            let body = fault.body.unwrap_or_else(
                || json!({ "detail": format!("Injected fault: HTTP {}", status.as_u16()) }),
            );
            (status, Json(body)).into_response()
        }
        None => next.run(request).await,
    }
}

/// Middleware: logs every answered request except the dev controls' own.
pub async fn record_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let path = uri.path();
    let relative = path
        .strip_prefix(state.settings.base_path.as_str())
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .unwrap_or(path);
    let response = next.run(request).await;
    if !relative.starts_with("/__dev") {
        state.requests().record(
            method.as_str(),
            relative,
            uri.query(),
            response.status().as_u16(),
        );
    }
    response
}
