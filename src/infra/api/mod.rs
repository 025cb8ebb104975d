//! The only door to the gateway: builds URLs from the run-time config, adds
//! the bearer token, enforces a timeout and turns every failure into `ApiError`.

pub mod error;
pub mod types;
pub mod url;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::infra::json::Value;
use gloo_net::http::{Method, RequestBuilder};
use leptos::prelude::*;

pub use error::ApiError;
use types::FromJson;

use crate::infra::session::Session;

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
    pub async fn get<T: FromJson>(self, path: impl Into<String>) -> Result<T, ApiError> {
        self.json(Method::GET, path, None).await
    }

    /// A call whose answer is JSON.
    pub async fn json<T: FromJson>(
        self,
        method: Method,
        path: impl Into<String>,
        body: Option<Value>,
    ) -> Result<T, ApiError> {
        self.json_if_match(method, path, body, None).await
    }

    /// A change that applies only if the resource still has entity tag `if_match`
    /// (optimistic concurrency: a 412 comes back as `ApiError::Stale`).
    pub async fn json_if_match<T: FromJson>(
        self,
        method: Method,
        path: impl Into<String>,
        body: Option<Value>,
        if_match: Option<String>,
    ) -> Result<T, ApiError> {
        let text = self.call(method, path, body, if_match).await?;
        parse(&text)
    }

    /// A GET whose answer is taken as text (an export).
    pub async fn text(self, path: impl Into<String>) -> Result<String, ApiError> {
        self.call(Method::GET, path, None, None).await
    }

    /// A call whose answer has no body (204).
    pub async fn empty(
        self,
        method: Method,
        path: impl Into<String>,
        body: Option<Value>,
    ) -> Result<(), ApiError> {
        self.call(method, path, body, None).await.map(|_| ())
    }

    /// Boxed: every typed call awaits this one state machine instead of
    /// carrying its own copy of it, which the bundle would pay for per call site.
    fn call(
        self,
        method: Method,
        path: impl Into<String>,
        body: Option<Value>,
        if_match: Option<String>,
    ) -> Pin<Box<dyn Future<Output = Result<String, ApiError>>>> {
        let path = path.into();
        Box::pin(self.call_inner(method, path, body, if_match))
    }

    async fn call_inner(
        self,
        method: Method,
        path: String,
        body: Option<Value>,
        if_match: Option<String>,
    ) -> Result<String, ApiError> {
        let token = self.session.token_untracked();
        let mut builder = RequestBuilder::new(&url::join(&self.base.get_value(), &path))
            .method(method)
            .header("Accept", "application/json");
        if let Some(token) = &token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        if let Some(tag) = &if_match {
            builder = builder.header("If-Match", tag);
        }
        let answer = send(builder, body, TIMEOUT).await?;
        if (200..300).contains(&answer.status) {
            return Ok(answer.text);
        }
        let error =
            error::from_response(answer.status, &answer.text, answer.retry_after.as_deref());
        match &error {
            // Only if the refused token is still the session's: an answer to a request
            // sent before a new login or a password change must not end the new session.
            ApiError::Unauthorized(reason)
                if token.is_some() && self.session.token_untracked() == token =>
            {
                self.session.expire(reason)
            }
            // Refused for the role: it may have changed since the dashboard asked.
            ApiError::Status { status: 403, .. } => self.session.ask_role_again(),
            _ => {}
        }
        Err(error)
    }
}

/// A response body as `T`, or why it is not one.
pub fn parse<T: FromJson>(text: &str) -> Result<T, ApiError> {
    Value::parse(text)
        .and_then(|v| T::from_json(&v))
        .map_err(ApiError::Malformed)
}

/// What came back: the status, the body, and the one header the dashboard reads
/// (the gateway exposes it to this origin through CORS).
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub retry_after: Option<String>,
}

/// Sends a request and reads its whole answer within `timeout`, so a hung
/// connection always ends, as `ApiError::Timeout`.
pub async fn send(
    builder: RequestBuilder,
    body: Option<Value>,
    timeout: Duration,
) -> Result<Answer, ApiError> {
    let controller = web_sys::AbortController::new().ok();
    let builder = builder.abort_signal(controller.as_ref().map(|c| c.signal()).as_ref());
    let abort = controller.clone();
    let timer = set_timeout_with_handle(
        move || {
            if let Some(c) = &abort {
                c.abort();
            }
        },
        timeout,
    )
    .ok();
    let failed = || {
        if controller.as_ref().is_some_and(|c| c.signal().aborted()) {
            ApiError::Timeout
        } else {
            ApiError::Unreachable
        }
    };
    let result = async {
        let request = match body {
            Some(body) => builder
                .header("Content-Type", "application/json")
                .body(body.to_string()),
            None => builder.build(),
        }
        // Building fails only on a body or header the browser cannot send.
        .map_err(|_| ApiError::Malformed("the request could not be built".to_owned()))?;
        let response = request.send().await.map_err(|_| failed())?;
        let status = response.status();
        let retry_after = response.headers().get("retry-after");
        // A connection dropped mid-body fails here rather than at send.
        let text = response.text().await.map_err(|_| failed())?;
        Ok(Answer {
            status,
            text,
            retry_after,
        })
    }
    .await;
    if let Some(timer) = timer {
        timer.clear();
    }
    result
}
