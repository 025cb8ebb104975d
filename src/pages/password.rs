//! Every operator's own sign-in: their password, their second factor, their API keys and
//! their sessions. A new password is
//! answered with a new session (every other session of the account ends), which replaces
//! this tab's.

use crate::infra::json::object;
use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::Token;
use crate::infra::api::use_api;
use crate::infra::mutation::Mutation;
use crate::infra::session::use_session;
use crate::ui::toast::use_toasts;

/// The gateway's own minimum; checked here first so the operator hears it at once.
const MIN_LENGTH: usize = 12;

/// Why the new password cannot be used, checked before anything is sent.
pub fn check(username: &str, new: &str, again: &str) -> Option<&'static str> {
    if new.chars().count() < MIN_LENGTH {
        Some("The new password needs at least 12 characters")
    } else if !username.is_empty()
        && new
            .to_ascii_lowercase()
            .contains(&username.to_ascii_lowercase())
    {
        Some("The new password must not contain your username")
    } else if new != again {
        Some("The two new passwords differ")
    } else {
        None
    }
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    crate::infra::polling::set_title("Your sign-in");
    let api = use_api();
    let session = use_session();
    let toasts = use_toasts();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let local = RwSignal::new(None::<&'static str>);
    let save = Mutation::new();
    let changed = RwSignal::new(0u32);
    let username = move || session.active().map(|a| a.username).unwrap_or_default();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = username();
        let problem = check(&name, &new.get_untracked(), &again.get_untracked());
        local.set(problem);
        if problem.is_some() {
            return;
        }
        let body = object([
            ("current_password", current.get_untracked().into()),
            ("new_password", new.get_untracked().into()),
        ]);
        save.run(
            api.json::<Token>(Method::POST, "/admin/auth/password", Some(body)),
            move |token| {
                session.begin(name, token.expires_in);
                for field in [current, new, again] {
                    field.set(String::new());
                }
                toasts.success("Password changed; your other sessions have ended");
                changed.update(|n| *n += 1);
            },
        );
    };
    let field = |id: &'static str,
                 label: &'static str,
                 value: RwSignal<String>,
                 autocomplete: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="password" autocomplete=autocomplete required prop:value=value on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    view! {
        <section class="page">
            <h1>"Your sign-in"</h1>
            <h2>"Change password"</h2>
            <form class="stacked-form" on:submit=on_submit novalidate>
                {field("current-password", "Current password", current, "current-password")}
                {field("new-password", "New password (at least 12 characters)", new, "new-password")}
                {field("again-password", "New password again", again, "new-password")}
                {move || local.get().map(str::to_owned).or_else(|| save.message().get()).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="button primary" disabled=save.busy()>"Change password"</button>
            </form>
            <crate::pages::two_step::TwoStep changed />
            <crate::pages::api_keys::ApiKeys />
            <crate::pages::sessions::YourSessions password_changed=changed />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_checked_before_sending() {
        assert_eq!(
            check("admin", "short", "short"),
            Some("The new password needs at least 12 characters")
        );
        assert_eq!(
            check("admin", "myADMINpassword1", "myADMINpassword1"),
            Some("The new password must not contain your username")
        );
        assert_eq!(
            check("admin", "correct horse battery", "correct horse batterY"),
            Some("The two new passwords differ")
        );
        assert_eq!(
            check("admin", "correct horse battery", "correct horse battery"),
            None
        );
    }
}
