//! The only door to the gateway: builds URLs from the run-time config, sends
//! the session's cookie with its CSRF header, enforces a timeout and turns
//! every failure into `ApiError`.

pub mod download;
pub mod error;
pub mod types;
pub mod url;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use crate::infra::json::Value;
use futures_util::future::{FutureExt, Map};
use gloo_net::http::{Method, RequestBuilder};
use leptos::prelude::*;

pub use error::ApiError;
use types::FromJson;

use crate::infra::confirmation::{Asked, Confirmations};
use crate::infra::session::Session;

/// Ordinary calls: a gateway slower than this is treated as not answering.
const TIMEOUT: Duration = Duration::from_secs(15);
/// An export streams a whole search into a file: minutes, not seconds.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Copy)]
pub struct Api {
    base: StoredValue<String>,
    session: Session,
    confirmations: Confirmations,
}

pub fn use_api() -> Api {
    expect_context::<Api>()
}

/// One call, as the boxed state machine below takes it.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    if_match: Option<String>,
    /// Why, for the audit log, when the method carries no body (see `Call::new`).
    reason: Option<String>,
    /// Never held for a new sign-in, and a 401 is its answer, not a lapse: the sign-in itself,
    /// or a proof for a dangerous action (`Api::confirm`).
    anonymous: bool,
    /// The answer is a file to save (an export), not JSON to read.
    file: bool,
    /// Sent because the operator is at the page (see `keep_alive`). Every other request is
    /// marked background, so the gateway's idle limit counts only the operator's activity,
    /// not the polling of a page left open.
    activity: bool,
    /// The operator's proof for a dangerous action, once the gateway asked for it.
    confirmation: Option<String>,
}

/// What a successful call brought back.
enum Body {
    Text(String),
    File(download::Saved),
}

impl Api {
    pub fn new(base: String, session: Session, confirmations: Confirmations) -> Self {
        Self {
            base: StoredValue::new(base),
            session,
            confirmations,
        }
    }

    pub fn base_url(&self) -> String {
        self.base.get_value()
    }

    // Api is Copy and paths are owned, so a call's future borrows nothing from its caller.
    pub fn get<T: FromJson>(self, path: impl Into<String>) -> Typed<T> {
        self.json(Method::GET, path, None)
    }

    /// A call whose answer is JSON.
    pub fn json<T: FromJson>(
        self,
        method: Method,
        path: impl Into<String>,
        body: Option<Value>,
    ) -> Typed<T> {
        self.json_if_match(method, path, body, None)
    }

    /// A change that applies only if the resource still has entity tag `if_match`
    /// (optimistic concurrency: a 412 comes back as `ApiError::Stale`).
    pub fn json_if_match<T: FromJson>(
        self,
        method: Method,
        path: impl Into<String>,
        body: Option<Value>,
        if_match: Option<String>,
    ) -> Typed<T> {
        let call = Call::new(method, path.into(), body);
        typed(self.text_of(Call { if_match, ..call }))
    }

    /// Signs in with these credentials, for a cookie session; a refusal is only
    /// the answer, never a lapse.
    pub fn sign_in<T: FromJson>(self, body: Value) -> Typed<T> {
        self.anonymous("/admin/auth/login", body)
    }

    /// The second step of a sign-in: the challenge and a code, sent as `sign_in` is.
    pub fn second_factor<T: FromJson>(self, body: Value) -> Typed<T> {
        self.anonymous("/admin/auth/login/second-factor", body)
    }

    /// A proof for a dangerous action (`confirmAction`). Never held over a lapse and sent
    /// again: the code or password in it was typed for the session that lapsed, and a
    /// proof is good only for the session it was given in. A 401 is its answer.
    pub fn confirm<T: FromJson>(self, body: Value) -> Typed<T> {
        self.anonymous("/admin/auth/confirm", body)
    }

    /// The options of a passkey's answer for a sign-in's second step (`body`: its
    /// challenge), sent as `second_factor` is.
    pub fn passkey_sign_in<T: FromJson>(self, body: Value) -> Typed<T> {
        self.anonymous("/admin/auth/login/passkey", body)
    }

    /// The options of a passkey's answer for a proof, asked as `confirm` is.
    pub fn passkey_proof<T: FromJson>(self) -> Typed<T> {
        self.anonymous(
            "/admin/auth/confirm/passkey",
            crate::infra::json::object([]),
        )
    }

    fn anonymous<T: FromJson>(self, path: &str, body: Value) -> Typed<T> {
        let call = Call::new(Method::POST, path.to_owned(), Some(body));
        typed(self.text_of(Call {
            anonymous: true,
            ..call
        }))
    }

    /// A GET whose answer is saved as a file, straight from the response, under
    /// the name the gateway gives it (`fallback` if it gives none).
    pub async fn download(
        self,
        path: impl Into<String>,
        fallback: String,
    ) -> Result<download::Saved, ApiError> {
        let call = Call::new(Method::GET, path.into(), None);
        match self.call(Call { file: true, ..call }).await? {
            Body::File(mut saved) => {
                if saved.name.is_empty() {
                    saved.name = fallback;
                }
                download::save(&saved).map_err(|_| ApiError::NotSaved)?;
                Ok(saved)
            }
            Body::Text(_) => Err(ApiError::Malformed("not a file".to_owned())),
        }
    }

    /// Logs out: the session ends here at once, and the gateway is told to end it everywhere
    /// and clear its cookie (in the background: a gateway out of reach must not keep the
    /// operator waiting, nor signed in).
    pub fn log_out(self) {
        let signed_in = self.session.sign_in_untracked().is_some();
        self.session.end();
        if !signed_in {
            return;
        }
        let builder = with_session(RequestBuilder::new(&url::join(
            &self.base.get_value(),
            "/admin/auth/logout",
        )))
        .method(Method::POST);
        leptos::task::spawn_local(async move {
            let _ = send(builder, None, TIMEOUT, false).await;
        });
    }

    /// The signed-in account, asked as a report that the operator is at the page: the
    /// gateway's idle limit starts again.
    pub fn keep_alive<T: FromJson>(self) -> Typed<T> {
        // Reported as soon as asked: a report held for a sign-in is not asked for again.
        self.session.reported();
        let call = Call::new(Method::GET, "/admin/auth/me".to_owned(), None);
        typed(self.text_of(Call {
            activity: true,
            ..call
        }))
    }

    /// A call whose answer has no body (204).
    pub fn empty(self, method: Method, path: impl Into<String>, body: Option<Value>) -> Typed<()> {
        self.text_of(Call::new(method, path.into(), body))
            .map(|text| text.map(|_| ()))
    }

    /// The answer's text, from the shared call below: boxed, so the typed calls
    /// above are each a `map` over one future type.
    fn text_of(self, call: Call) -> Text {
        Box::pin(async move {
            match self.call(call).await? {
                Body::Text(text) => Ok(text),
                Body::File(_) => Err(ApiError::Malformed("a file".to_owned())),
            }
        })
    }

    /// Boxed: every typed call awaits this one state machine instead of
    /// carrying its own copy of it, which the bundle would pay for per call site.
    fn call(self, call: Call) -> Pin<Box<dyn Future<Output = Result<Body, ApiError>>>> {
        Box::pin(self.call_inner(call))
    }

    async fn call_inner(self, mut call: Call) -> Result<Body, ApiError> {
        loop {
            // While the session has lapsed, nothing is sent: the call waits for the
            // operator to sign in again, then goes on in the new session.
            if !call.anonymous && !self.session.renewed().await {
                return Err(ApiError::Unauthorized(String::new()));
            }
            let sign_in = (!call.anonymous)
                .then(|| self.session.sign_in_untracked())
                .flatten();
            let mut builder = with_session(RequestBuilder::new(&url::join(
                &self.base.get_value(),
                &call.path,
            )))
            .method(call.method.clone())
            .header("Accept", "application/json");
            if !call.activity && !call.anonymous {
                builder = builder.header("X-Galaxy-Activity", "background");
            }
            if let Some(tag) = &call.if_match {
                builder = builder.header("If-Match", tag);
            }
            if let Some(reason) = &call.reason {
                builder = builder.header("X-Audit-Log-Reason", &url::encode(reason));
            }
            if let Some(proof) = &call.confirmation {
                builder = builder.header("X-Confirmation", proof);
            }
            let timeout = if call.file { EXPORT_TIMEOUT } else { TIMEOUT };
            let answer = send(builder, call.body.clone(), timeout, call.file).await?;
            let text = match answer.body {
                Ok(body) => return Ok(body),
                Err(text) => text,
            };
            // Refused until confirmed: asked in place, then sent again with the proof.
            if let Some(asked) =
                Asked::from_refusal(answer.status, &text).filter(|_| !call.anonymous)
            {
                call.confirmation = Some(
                    self.confirmations
                        .proof(asked)
                        .await
                        .ok_or(ApiError::NotConfirmed)?,
                );
                continue;
            }
            let error = error::from_response(answer.status, &text, answer.retry_after.as_deref());
            match &error {
                // Refused, not done: the session lapses (unless the operator has signed
                // in again since it was sent) and the call goes round again once they have.
                ApiError::Unauthorized(reason) if sign_in.is_some() => {
                    if self.session.sign_in_untracked() == sign_in {
                        self.session.expire(reason);
                    }
                    continue;
                }
                // Refused for the role: it may have changed since the dashboard asked.
                ApiError::Status { status: 403, .. } => self.session.ask_role_again(),
                _ => {}
            }
            return Err(error);
        }
    }
}

/// A request to the gateway in the browser's session: the cookie goes with it (the gateway is
/// another origin in dev), and the header the gateway asks of every request the cookie
/// authenticates, which a page elsewhere cannot send.
fn with_session(builder: RequestBuilder) -> RequestBuilder {
    builder
        .credentials(web_sys::RequestCredentials::Include)
        .header("X-Galaxy-Session", "cookie")
}

impl Call {
    /// A DELETE carries no body (some proxies drop or refuse one, and the reason in it would be
    /// lost without a word): the reason its callers give like any other call's goes in the
    /// contract's `X-Audit-Log-Reason` header instead.
    fn new(method: Method, path: String, body: Option<Value>) -> Self {
        let (body, reason) = match method {
            Method::DELETE => (
                None,
                body.and_then(|b| b["reason"].as_str().map(str::to_owned)),
            ),
            _ => (body, None),
        };
        Self {
            method,
            path,
            body,
            reason,
            if_match: None,
            anonymous: false,
            file: false,
            activity: false,
            confirmation: None,
        }
    }
}

/// A response body as `T`, or why it is not one.
/// The text of an answer, as every call shares it.
type Text = Pin<Box<dyn Future<Output = Result<String, ApiError>>>>;

/// A typed answer: that text, decoded when it arrives. A `map` over the shared
/// future rather than an `async fn` per call: the bundle pays for each answer
/// type's decoding, not for a state machine of its own at every call site
/// (4.9 KB brotli less than three nested `async fn`s, with the loader and mutation wrappers).
pub type Typed<T> = Map<Text, fn(Result<String, ApiError>) -> Result<T, ApiError>>;

fn typed<T: FromJson>(text: Text) -> Typed<T> {
    text.map(|text| text.and_then(|text| parse(&text)))
}

pub fn parse<T: FromJson>(text: &str) -> Result<T, ApiError> {
    Value::parse(text)
        .and_then(|v| T::from_json(&v))
        .map_err(ApiError::Malformed)
}

/// What came back: the status, the body (the saved file or text on success,
/// the error's text otherwise), and the one header the dashboard reads (the
/// gateway exposes it to this origin through CORS).
pub struct Answer {
    pub status: u16,
    body: Result<Body, String>,
    pub retry_after: Option<String>,
}

/// A request outside the gateway's contract (the served `version.json`): its
/// status and text, within `timeout`.
pub async fn plain(builder: RequestBuilder, timeout: Duration) -> Result<(u16, String), ApiError> {
    let answer = send(builder, None, timeout, false).await?;
    let text = match answer.body {
        Ok(Body::Text(text)) | Err(text) => text,
        Ok(Body::File(_)) => String::new(),
    };
    Ok((answer.status, text))
}

thread_local! {
    /// The abort controller of the scope the running request belongs to (`scoped`).
    static SCOPE: RefCell<Option<web_sys::AbortController>> = const { RefCell::new(None) };
}

/// `request`, aborted when `controller` is: a loader's request when a newer one
/// supersedes it or its page is left. The request takes the controller from
/// the scope it is polled in, so no call site has to pass it along.
pub fn scoped<F: Future>(
    controller: web_sys::AbortController,
    request: F,
) -> impl Future<Output = F::Output> {
    let mut request = Box::pin(request);
    std::future::poll_fn(move |cx| {
        let outer = SCOPE.with(|s| s.replace(Some(controller.clone())));
        let polled = request.as_mut().poll(cx);
        SCOPE.with(|s| *s.borrow_mut() = outer);
        polled
    })
}

/// Sends a request and reads its whole answer within `timeout`, so a hung
/// connection always ends, as `ApiError::Timeout`; a request whose scope is
/// aborted ends as `ApiError::Aborted`. With `file`, a successful answer is
/// gathered into a file as it streams in.
async fn send(
    builder: RequestBuilder,
    body: Option<Value>,
    timeout: Duration,
    file: bool,
) -> Result<Answer, ApiError> {
    let controller = SCOPE
        .with(|s| s.borrow().clone())
        .or_else(|| web_sys::AbortController::new().ok());
    if controller.as_ref().is_some_and(|c| c.signal().aborted()) {
        return Err(ApiError::Aborted);
    }
    let builder = builder.abort_signal(controller.as_ref().map(|c| c.signal()).as_ref());
    let timed_out = Rc::new(Cell::new(false));
    let (abort, late) = (controller.clone(), timed_out.clone());
    let timer = set_timeout_with_handle(
        move || {
            late.set(true);
            if let Some(c) = &abort {
                c.abort();
            }
        },
        timeout,
    )
    .ok();
    let failed = || {
        if timed_out.get() {
            ApiError::Timeout
        } else if controller.as_ref().is_some_and(|c| c.signal().aborted()) {
            ApiError::Aborted
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
        let body = if file && (200..300).contains(&status) {
            Ok(Body::File(
                download::gather(response).await.map_err(|_| failed())?,
            ))
        } else {
            let text = response.text().await.map_err(|_| failed())?;
            if (200..300).contains(&status) {
                Ok(Body::Text(text))
            } else {
                Err(text)
            }
        };
        Ok(Answer {
            status,
            body,
            retry_after,
        })
    }
    .await;
    if let Some(timer) = timer {
        timer.clear();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::json::object;

    #[test]
    fn a_delete_sends_its_reason_as_a_header_and_no_body() {
        let body = Some(object([("reason", "cheating — twice".into())]));
        let call = Call::new(Method::DELETE, "/admin/players/x".into(), body.clone());
        assert!(call.body.is_none());
        assert_eq!(call.reason.as_deref(), Some("cheating — twice"));
        assert_eq!(
            url::encode(call.reason.as_deref().unwrap()),
            "cheating%20%E2%80%94%20twice"
        );
        let without = Call::new(Method::DELETE, "/admin/snapshots/1".into(), None);
        assert!(without.body.is_none() && without.reason.is_none());
        // Other methods keep their reason in their JSON body, as the contract has it.
        let pause = Call::new(Method::POST, "/admin/game/pause".into(), body);
        assert!(pause.body.is_some() && pause.reason.is_none());
    }
}
