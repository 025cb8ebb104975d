//! Fault injection for the dev controls: the next N requests under a path
//! prefix fail, stall, answer garbage or lose their connection.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::AppState;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Relative to the API base, for example `/admin/game/status`.
    pub path_prefix: String,
    #[serde(default = "one")]
    pub count: u32,
    /// Only this method, if given.
    pub method: Option<String>,
    /// Answer with this status instead of the real response.
    pub status: Option<u16>,
    /// JSON body to answer with (with `status`); defaults to `{"detail": "Injected fault"}`.
    pub body: Option<Value>,
    /// Wait this long first.
    #[serde(default)]
    pub delay_ms: u64,
    /// Answer 200 with a truncated JSON body.
    #[serde(default)]
    pub malformed: bool,
    /// Abort the connection.
    #[serde(default)]
    pub drop: bool,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn validate(&self) -> Result<(), String> {
        if !self.path_prefix.starts_with('/') {
            return Err("path_prefix must start with '/'".into());
        }
        if let Some(status) = self.status {
            StatusCode::from_u16(status).map_err(|_| format!("invalid status {status}"))?;
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        Ok(())
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        path.starts_with(&self.path_prefix)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
    }
}

/// Takes one use of the first fault matching the request, if any.
fn take(state: &AppState, method: &Method, path: &str) -> Option<Fault> {
    let mut world = state.world();
    let index = world.faults.iter().position(|f| f.matches(method, path))?;
    let fault = &mut world.faults[index];
    fault.count -= 1;
    let taken = fault.clone();
    if fault.count == 0 {
        world.faults.remove(index);
    }
    Some(taken)
}

pub async fn inject(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let relative = path
        .strip_prefix(state.settings.base_path.as_str())
        .unwrap_or(path);
    if request.method() == Method::OPTIONS || relative.starts_with("/__dev") {
        return next.run(request).await;
    }
    let Some(fault) = take(&state, request.method(), relative) else {
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
