//! The fresh proof a dangerous action takes (a restore, deleting a player, a bulk ban of
//! more than ten, account changes): asked over the page when the gateway refuses the action
//! for want of one, so whatever the operator typed stays as it is, and the action goes on by
//! itself once confirmed.

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::error::Confirming;
use crate::infra::api::types::FromJson;
use crate::infra::api::use_api;
use crate::infra::json::{object, Value};
use crate::infra::mutation::Mutation;
use crate::infra::session::use_session;
use crate::ui::dialog::Modal;

/// A proof, for `X-Confirmation`.
struct Proof(String);

impl FromJson for Proof {
    fn from_json(v: &Value) -> Result<Self, String> {
        v.get("confirmation")
            .and_then(Value::as_str)
            .map(|p| Proof(p.to_owned()))
            .ok_or_else(|| "missing field `confirmation`".to_owned())
    }
}

/// What the operator is asked for: a code, a recovery code, or the password.
fn field_label(by_password: bool, recovery: bool) -> &'static str {
    match (by_password, recovery) {
        (true, _) => "Your password",
        (false, true) => "Recovery code",
        (false, false) => "Authentication code",
    }
}

#[component]
pub fn ConfirmAction() -> impl IntoView {
    let session = use_session();
    // A memo: another action queued behind this one must not rebuild its dialog (and lose
    // what is typed in it).
    let first = Memo::new(move |_| session.confirming());
    move || {
        let what = first.get()?;
        Some(view! { <ConfirmDialog what /> })
    }
}

#[component]
fn ConfirmDialog(what: Confirming) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let by_password = what.by_password();
    let recovery = RwSignal::new(false);
    let secret = RwSignal::new(String::new());
    let send = Mutation::new();
    let (action, target, summary) = (
        what.action.clone(),
        what.target.clone(),
        what.summary.clone(),
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let kind = match (by_password, recovery.get_untracked()) {
            (true, _) => "password",
            (false, true) => "recovery_code",
            (false, false) => "code",
        };
        let body = object([
            ("action", action.as_str().into()),
            ("target", target.as_str().into()),
            ("summary", summary.as_str().into()),
            (kind, secret.get_untracked().trim().into()),
        ]);
        send.run(
            api.json::<Proof>(Method::POST, "/admin/auth/confirm", Some(body)),
            move |proof| {
                secret.set(String::new());
                session.confirmed(Some(proof.0));
            },
        );
    };
    let how = if by_password {
        "This cannot be undone lightly. Enter your password to confirm it."
    } else {
        "This cannot be undone lightly. Enter a fresh code from your authenticator app to confirm it."
    };
    view! {
        <Modal title=format!("Confirm: {}", what.summary) on_close=Callback::new(move |_| session.confirmed(None)) busy=send.busy()>
            <form class="confirm-action" on:submit=submit novalidate>
                <p>{how}</p>
                <label for="confirm-secret">{move || field_label(by_password, recovery.get())}</label>
                <input
                    id="confirm-secret"
                    type=if by_password { "password" } else { "text" }
                    autocomplete=if by_password { "current-password" } else { "one-time-code" }
                    inputmode=move || if by_password || recovery.get() { "text" } else { "numeric" }
                    required
                    prop:value=secret
                    on:input=move |ev| secret.set(event_target_value(&ev))
                />
                {(!by_password).then(|| view! {
                    <button type="button" class="link-button" on:click=move |_| {
                        recovery.update(|r| *r = !*r);
                        secret.set(String::new());
                    }>
                        {move || if recovery.get() { "Use the authenticator app instead" } else { "Use a recovery code instead" }}
                    </button>
                })}
                {move || send.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="modal-actions">
                    <button type="button" class="button" disabled=send.busy() on:click=move |_| session.confirmed(None)>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=send.busy()>"Confirm"</button>
                </div>
            </form>
        </Modal>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_asks_for_what_the_gateway_takes() {
        assert_eq!(field_label(true, false), "Your password");
        assert_eq!(field_label(true, true), "Your password");
        assert_eq!(field_label(false, false), "Authentication code");
        assert_eq!(field_label(false, true), "Recovery code");
    }
}
