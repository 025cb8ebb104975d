//! The only door to the gateway: builds URLs from the run-time config, adds
//! the bearer token, enforces a timeout and turns every failure into `ApiError`.

pub mod error;
pub mod types;

use std::time::Duration;

use gloo_net::http::{Method, RequestBuilder};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::ApiError;

use crate::session::Session;

const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone, Copy)]
pub struct Api {
    base: StoredValue<String>,
    session: Session,
}

pub fn use_api() -> Api {
    expect_context::<Api>()
}

impl Api {
    pub fn new(base: String, session: Session) -> Self {
        Self {
            base: StoredValue::new(base),
            session,
        }
    }

    pub fn base_url(&self) -> String {
        self.base.get_value()
    }

    // Api is Copy and paths are owned, so a call's future borrows nothing from its caller.
    pub async fn get<T: DeserializeOwned>(self, path: impl Into<String>) -> Result<T, ApiError> {
        self.json(Method::GET, path, None).await
    }

    /// A call whose answer is JSON.
    pub async fn json<T: DeserializeOwned>(
        self,
        method: Method,
        path: impl Into<String>,
        body: Option<Value>,
    ) -> Result<T, ApiError> {
        let text = self.call(method, path, body).await?;
        serde_json::from_str(&text).map_err(|e| ApiError::Malformed(e.to_string()))
    }

    /// A call whose answer has no body (204).
    pub async fn empty(self, method: Method, path: impl Into<String>) -> Result<(), ApiError> {
        self.call(method, path, None).await.map(|_| ())
    }

    async fn call(
        self,
        method: Method,
        path: impl Into<String>,
        body: Option<Value>,
    ) -> Result<String, ApiError> {
        let url = format!("{}{}", self.base.get_value(), path.into());
        let token = self.session.token_untracked();
        let mut builder = RequestBuilder::new(&url)
            .method(method)
            .header("Accept", "application/json");
        if let Some(token) = &token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        let controller = web_sys::AbortController::new().ok();
        builder = builder.abort_signal(controller.as_ref().map(|c| c.signal()).as_ref());
        let abort = controller.clone();
        let timer = set_timeout_with_handle(
            move || {
                if let Some(c) = &abort {
                    c.abort();
                }
            },
            TIMEOUT,
        )
        .ok();
        let timed_out = || controller.as_ref().is_some_and(|c| c.signal().aborted());
        let request = match body {
            Some(body) => builder.json(&body),
            None => builder.build(),
        }
        .map_err(|e| ApiError::Malformed(e.to_string()))?;

        let result = async {
            let response = request.send().await.map_err(|_| {
                if timed_out() {
                    ApiError::Timeout
                } else {
                    ApiError::Unreachable
                }
            })?;
            let status = response.status();
            let retry_after = response.headers().get("retry-after");
            // A connection dropped mid-body fails here rather than at send.
            let text = response.text().await.map_err(|_| {
                if timed_out() {
                    ApiError::Timeout
                } else {
                    ApiError::Unreachable
                }
            })?;
            Ok::<_, ApiError>((status, text, retry_after))
        }
        .await;
        if let Some(timer) = timer {
            timer.clear();
        }
        let (status, text, retry_after) = result?;
        if (200..300).contains(&status) {
            return Ok(text);
        }
        let error = error::from_response(status, &text, retry_after.as_deref());
        if matches!(error, ApiError::Unauthorized(_)) && token.is_some() {
            self.session.expire();
        }
        Err(error)
    }
}
