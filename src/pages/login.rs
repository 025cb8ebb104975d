use std::time::Duration;

use crate::infra::json::object;
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::infra::api::types::Token;
use crate::infra::api::{use_api, ApiError};
use crate::infra::session::use_session;
use crate::routes::safe_next;

#[component]
pub fn LoginPage() -> impl IntoView {
    crate::infra::polling::set_title("Log in");
    let api = use_api();
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let next = move || safe_next(query.read_untracked().get("next").as_deref());

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let wait_secs = RwSignal::new(0u32);

    if let Ok(handle) = set_interval_with_handle(
        // `try_`: a tick can still be delivered after the page is gone.
        move || {
            if wait_secs.try_get_untracked().is_some_and(|s| s > 0) {
                wait_secs.try_update(|s| *s -= 1);
            }
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }

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

    let locked = move || busy.get() || wait_secs.get() > 0;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || wait_secs.get_untracked() > 0 {
            return;
        }
        busy.set(true);
        error.set(None);
        let name = username.get_untracked().trim().to_owned();
        let body = object([
            ("username", name.as_str().into()),
            ("password", password.get_untracked().into()),
        ]);
        spawn_local(async move {
            let result = api
                .json::<Token>(Method::POST, "/admin/auth/login", Some(body))
                .await;
            busy.try_set(false);
            match result {
                Ok(token) => {
                    password.try_set(String::new());
                    session.begin(token.access_token, name, token.expires_in);
                }
                // The gateway's word: bad credentials, or an account that is disabled.
                Err(ApiError::Unauthorized(detail)) => {
                    let detail = detail.trim_end_matches('.');
                    error.try_set(Some(format!("{detail}.")));
                }
                Err(ApiError::RateLimited { retry_after_secs }) => {
                    wait_secs.try_set(retry_after_secs);
                }
                Err(ApiError::Unreachable) => {
                    error.try_set(Some(format!(
                        "Cannot reach the Galaxy gateway at {}. Check your connection or VPN, then try again.",
                        api.base_url()
                    )));
                }
                Err(other) => {
                    error.try_set(Some(other.message()));
                }
            }
        });
    };

    view! {
        <main class="login">
            <form class="login-card" on:submit=submit novalidate>
                <h1>"Galaxy admin"</h1>
                {move || session.expired().map(|reason| {
                    // "Token expired" says nothing the sentence does not; other reasons
                    // (a role change, a disabled account) say more, and may mean that
                    // logging in again will not work.
                    let text = if reason.is_empty() || reason == "Token expired" {
                        "Your session expired. Log in again to continue where you were.".to_owned()
                    } else {
                        format!("Your session ended. The gateway said: {reason}.")
                    };
                    view! { <p class="notice" role="status">{text}</p> }
                })}
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    prop:value=username
                    on:input=move |ev| username.set(event_target_value(&ev))
                />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    prop:value=password
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <Show when=move || { wait_secs.get() > 0 }>
                    <p class="form-error" role="alert">
                        {move || format!("Too many failed attempts. Try again in {} s.", wait_secs.get())}
                    </p>
                </Show>
                <button
                    type="submit"
                    class="button primary"
                    disabled=locked
                >
                    {move || if busy.get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
        </main>
    }
}
