use std::time::Duration;

use crate::infra::json::object;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::infra::api::types::{PasskeyOptions, SignIn, Token};
use crate::infra::api::{use_api, Api, ApiError};
use crate::infra::session::{use_session, Session};
use crate::infra::webauthn::{self, Ceremony};
use crate::routes::safe_next;
use crate::ui::dialog::Modal;
use wasm_bindgen::JsCast;

#[component]
pub fn LoginPage() -> impl IntoView {
    crate::infra::polling::set_title("Log in");
    let api = use_api();
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let next = move || safe_next(query.read_untracked().get("next").as_deref());

    let early = EARLY.with(|e| e.borrow_mut().take()).unwrap_or_default();
    let username = RwSignal::new(early.username);
    let password = RwSignal::new(early.password);

    // Already logged in (another tab's restore, or a back button): go where we were going.
    let go = navigate.clone();
    Effect::new(move |_| {
        if session.is_active() {
            go(
                &next(),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    let attempt = Attempt::new();
    let locked = move || attempt.locked();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempt.run(
            api,
            session,
            username.get_untracked().trim().to_owned(),
            password,
        );
    };
    // Taken over from the early form: the focus stays in its field, and a submit
    // pressed before the app ran is sent now.
    let (focused, submitted) = (early.focused, early.submitted);
    Effect::new(move |_| {
        if let Some(id) = focused.as_deref() {
            crate::ui::focus::by_id(id);
        }
        if submitted {
            attempt.run(
                api,
                session,
                username.get_untracked().trim().to_owned(),
                password,
            );
        }
    });

    view! {
        <main class="login">
            <form class="login-card" on:submit=submit novalidate>
                <h1>"Galaxy admin"</h1>
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    prop:value=username
                    on:input=move |ev| username.set(event_target_value(&ev))
                />
                {move || if attempt.second_step() {
                    let name = Signal::derive(move || username.get().trim().to_owned());
                    attempt.second_step_fields("code", api, session, name, password).into_any()
                } else {
                    password_field("password", "Password", password).into_any()
                }}
                {attempt.messages()}
                <button
                    type="submit"
                    class="button primary"
                    disabled=locked
                >
                    {move || match (attempt.busy.get(), attempt.second_step()) {
                        (true, _) => "Logging in…",
                        (false, true) => "Verify",
                        (false, false) => "Log in",
                    }}
                </button>
            </form>
        </main>
    }
}

/// A current-password field labelled `label`, bound to `password`: a sign-in's, or a proof's.
pub(crate) fn password_field(
    id: &'static str,
    label: &'static str,
    password: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            name="password"
            type="password"
            autocomplete="current-password"
            required
            prop:value=password
            on:input=move |ev| password.set(event_target_value(&ev))
        />
    }
}

/// One sign-in form's attempts: progress, the gateway's refusal in words, and
/// the wait a lockout imposes, counted down. The login page and the sign-in
/// over a lapsed session share it.
#[derive(Clone, Copy)]
struct Attempt {
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    wait_secs: RwSignal<u32>,
    /// After a right password, for an account with a second factor: the gateway's
    /// challenge, which the code goes with.
    challenge: RwSignal<Option<String>>,
    /// The account has a passkey: its second step can be one.
    passkey: RwSignal<bool>,
    code: RwSignal<String>,
}

impl Attempt {
    fn new() -> Self {
        let wait_secs = RwSignal::new(0u32);
        if let Ok(handle) = set_interval_with_handle(
            // `try_`: a tick can still be delivered after the form is gone.
            move || {
                if wait_secs.try_get_untracked().is_some_and(|s| s > 0) {
                    wait_secs.try_update(|s| *s -= 1);
                }
            },
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
        Self {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            wait_secs,
            challenge: RwSignal::new(None),
            passkey: RwSignal::new(false),
            code: RwSignal::new(String::new()),
        }
    }

    /// Whether the form asks for the second factor now.
    fn second_step(&self) -> bool {
        self.challenge.with(Option::is_some)
    }

    /// Starts an attempt unless one is on its way or a lockout's wait runs; whether it did.
    fn begin(self) -> bool {
        if self.busy.get_untracked() || self.wait_secs.get_untracked() > 0 {
            return false;
        }
        self.busy.set(true);
        self.error.set(None);
        true
    }

    fn locked(&self) -> bool {
        self.busy.get() || self.wait_secs.get() > 0
    }

    /// Signs `name` in with the password typed, or, once the password was right
    /// and the account has a second factor, with the code typed; on success the
    /// session begins (or, lapsed, goes on) and the fields are emptied.
    fn run(self, api: Api, session: Session, name: String, password: RwSignal<String>) {
        if !self.begin() {
            return;
        }
        let challenge = self.challenge.get_untracked();
        spawn_local(async move {
            let result = match &challenge {
                None => {
                    let body = object([
                        ("username", name.as_str().into()),
                        ("password", password.get_untracked().into()),
                    ]);
                    api.sign_in::<SignIn>(body).await
                }
                Some(challenge) => {
                    let typed = self.code.get_untracked();
                    let body = object([
                        ("challenge", challenge.as_str().into()),
                        (code_kind(&typed), typed.trim().into()),
                    ]);
                    api.second_factor::<Token>(body).await.map(SignIn::Token)
                }
            };
            self.settle(api, session, name, password, challenge.is_some(), result);
        });
    }

    /// The second step with a passkey: the gateway's options for this challenge, the
    /// browser's prompt, and its answer sent as a code would be.
    fn run_passkey(self, api: Api, session: Session, name: String, password: RwSignal<String>) {
        let Some(challenge) = self.challenge.get_untracked() else {
            return;
        };
        if !self.begin() {
            return;
        }
        spawn_local(async move {
            let with_challenge = || object([("challenge", challenge.as_str().into())]);
            let options = match api
                .passkey_sign_in::<PasskeyOptions>(with_challenge())
                .await
            {
                Ok(options) => options,
                Err(error) => {
                    self.settle(api, session, name, password, true, Err(error));
                    return;
                }
            };
            let answer = match webauthn::run(Ceremony::Get, &options.options).await {
                Ok(answer) => answer,
                Err(said) => {
                    self.busy.try_set(false);
                    self.error.try_set(Some(said));
                    return;
                }
            };
            let body = object([
                ("challenge", challenge.as_str().into()),
                ("passkey", answer),
            ]);
            let result = api.second_factor::<Token>(body).await.map(SignIn::Token);
            self.settle(api, session, name, password, true, result);
        });
    }

    /// What a sign-in's answer means for the form: the session begins, the second step is
    /// asked, or the gateway's refusal is said.
    fn settle(
        self,
        api: Api,
        session: Session,
        name: String,
        password: RwSignal<String>,
        second_step: bool,
        result: Result<SignIn, ApiError>,
    ) {
        self.busy.try_set(false);
        match result {
            Ok(SignIn::Token(token)) => {
                password.try_set(String::new());
                self.code.try_set(String::new());
                self.challenge.try_set(None);
                session.begin(name, token.expires_in);
                session.set_must_enrol(token.must_enrol);
            }
            Ok(SignIn::SecondFactor { challenge, passkey }) => {
                password.try_set(String::new());
                self.passkey.try_set(passkey);
                self.challenge.try_set(Some(challenge));
            }
            // The challenge lapsed (or the password changed meanwhile): back to the password.
            Err(ApiError::Unauthorized(detail))
                if second_step
                    && detail != "Incorrect code"
                    && detail != "The passkey was not accepted" =>
            {
                self.challenge.try_set(None);
                self.code.try_set(String::new());
                let detail = detail.trim_end_matches('.');
                self.error.try_set(Some(format!("{detail}.")));
            }
            // The gateway's word: bad credentials, a wrong code, or a disabled account.
            Err(ApiError::Unauthorized(detail)) => {
                let detail = detail.trim_end_matches('.');
                self.error.try_set(Some(format!("{detail}.")));
            }
            Err(ApiError::RateLimited {
                retry_after_secs, ..
            }) => {
                self.wait_secs.try_set(retry_after_secs);
            }
            Err(ApiError::Unreachable) => {
                self.error.try_set(Some(format!(
                        "Cannot reach the Galaxy gateway at {}. Check your connection or VPN, then try again.",
                        api.base_url()
                    )));
            }
            Err(other) => {
                self.error.try_set(Some(other.message()));
            }
        }
    }

    /// The second step's fields: a passkey (when the account has one), or a typed code.
    fn second_step_fields(
        self,
        code_id: &'static str,
        api: Api,
        session: Session,
        name: Signal<String>,
        password: RwSignal<String>,
    ) -> impl IntoView {
        let use_passkey = move |_| {
            self.run_passkey(api, session, name.get_untracked(), password);
        };
        view! {
            <Show when=move || self.passkey.get()>
                <button type="button" class="button primary passkey" disabled=move || self.locked() on:click=use_passkey>
                    "Use a passkey"
                </button>
                <p class="hint">"Or type a code:"</p>
            </Show>
            {code_field(code_id, self.code)}
        }
    }

    fn messages(self) -> impl IntoView {
        view! {
            {move || self.error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Show when=move || { self.wait_secs.get() > 0 }>
                <p class="form-error" role="alert">
                    {move || format!("Too many failed attempts. Try again in {} s.", self.wait_secs.get())}
                </p>
            </Show>
        }
    }
}

/// The sign-in over a page whose session lapsed: the page stays as it is, with
/// what was typed in it, and whatever was on its way goes on once the operator
/// has signed in again as the same account. Logging out instead goes to the
/// login page (drafts are then forgotten).
#[component]
pub fn SignInAgain() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let password = RwSignal::new(String::new());
    move || {
        let reason = session.lapsed()?;
        let name = session.active()?.username;
        let attempt = Attempt::new();
        // "Token expired" says nothing the sentence does not; other reasons (a role
        // change, a disabled account) say more, and may mean signing in will not work.
        let why = if reason.is_empty() || reason == "Token expired" {
            "Your session expired.".to_owned()
        } else {
            format!("Your session ended. The gateway said: {reason}.")
        };
        let who = name.clone();
        let who_again = name.clone();
        let submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            attempt.run(api, session, who.clone(), password);
        };
        Some(view! {
            <Modal title="Sign in again".to_owned() on_close=Callback::new(|_| {}) busy=Signal::derive(|| true)>
                <form class="sign-in-again" on:submit=submit novalidate>
                    <p role="status">{why} " Sign in to carry on: this page and everything typed in it are kept, and what you were doing continues."</p>
                    <label for="again-username">"Username"</label>
                    <input id="again-username" name="username" autocomplete="username" readonly prop:value=name />
                    {move || if attempt.second_step() {
                        let name = Signal::stored(who_again.clone());
                        attempt.second_step_fields("again-code", api, session, name, password).into_any()
                    } else {
                        password_field("again-password", "Password", password).into_any()
                    }}
                    {attempt.messages()}
                    <div class="modal-actions">
                        <button type="button" class="button" on:click=move |_| api.log_out()>"Log out instead"</button>
                        <button type="submit" class="button primary" disabled=move || attempt.locked()>
                            {move || if attempt.busy.get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </div>
                </form>
            </Modal>
        })
    }
}

/// What the login form of index.html held when the app took over: it takes input as
/// soon as the HTML is there, while the app still streams in.
#[derive(Default)]
struct EarlyLogin {
    username: String,
    password: String,
    /// The id of the field that had the focus.
    focused: Option<String>,
    /// Log in was pressed before the app ran (the loader kept the submit).
    submitted: bool,
}

thread_local! {
    static EARLY: std::cell::RefCell<Option<EarlyLogin>> = const { std::cell::RefCell::new(None) };
}

/// Takes what the early login form holds, for the login page to start from.
pub fn take_early_login() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(form) = document
        .get_element_by_id("boot-login")
        .filter(|e| !e.has_attribute("hidden"))
        .and_then(|e| e.query_selector("form").ok().flatten())
    else {
        return;
    };
    let value = |id: &str| {
        document
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value())
            .unwrap_or_default()
    };
    let focused = document
        .active_element()
        .map(|e| e.id())
        .filter(|id| id == "username" || id == "password");
    let early = EarlyLogin {
        username: value("username"),
        password: value("password"),
        focused,
        submitted: form.get_attribute("data-submitted").is_some(),
    };
    EARLY.with(|e| *e.borrow_mut() = Some(early));
}

/// The request field a typed second factor goes in: six digits are the authenticator app's
/// code, anything else one of the recovery codes, so one field takes either and nobody has
/// to say which.
pub fn code_kind(typed: &str) -> &'static str {
    let typed = typed.trim();
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        "code"
    } else {
        "recovery_code"
    }
}

/// The field the second factor of a sign-in is typed in, with its hint.
pub(crate) fn code_field(id: &'static str, code: RwSignal<String>) -> impl IntoView {
    view! {
        <label for=id>"Authentication code"</label>
        <input
            id=id
            name="code"
            autocomplete="one-time-code"
            autocapitalize="none"
            spellcheck="false"
            aria-describedby=format!("{id}-hint")
            required
            prop:value=code
            on:input=move |ev| code.set(event_target_value(&ev))
        />
        <p class="hint" id=format!("{id}-hint")>
            "The 6-digit code your authenticator app shows for Galaxy admin, or one of your recovery codes (each works once)."
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::code_kind;

    #[test]
    fn six_digits_are_the_apps_code_anything_else_a_recovery_code() {
        assert_eq!(code_kind("123456"), "code");
        assert_eq!(code_kind(" 042424\n"), "code");
        assert_eq!(code_kind("12345"), "recovery_code");
        assert_eq!(code_kind("1234567"), "recovery_code");
        assert_eq!(code_kind("abcd-2345-efgh-6723"), "recovery_code");
        assert_eq!(code_kind("１２３４５６"), "recovery_code");
    }
}
