//! The confirmation of a dangerous action, asked over the page when the gateway
//! refuses the action without a fresh proof (`infra::confirmation`). The form comes
//! in its own module (`chunks`): most sessions never see it.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::infra::api::types::{PasskeyOptions, Proof};
use crate::infra::api::{use_api, ApiError};
use crate::infra::confirmation::{Asked, Confirmations};
use crate::infra::json::{object, Value};
use crate::infra::session::use_session;
use crate::infra::webauthn::{self, Ceremony};
use crate::pages::login::{code_field, code_kind, password_field};
use crate::ui::dialog::Modal;
use crate::ui::focus;

/// The confirmation being asked (its number and what it asks), and whether its proof
/// is on its way (the dialog then stays open).
#[derive(Clone)]
struct Asking {
    id: u64,
    asked: Asked,
    busy: RwSignal<bool>,
}

/// Shows the confirmation the gateway asked for, one at a time.
#[component]
pub fn ConfirmationHost() -> impl IntoView {
    let confirmations = expect_context::<Confirmations>();
    let session = use_session();
    // Signed out (or the shell gone) with a confirmation waiting: its action is not done.
    on_cleanup(move || confirmations.decline_all());
    move || {
        // While the session has lapsed, the sign-in over the page comes first; the
        // confirmation is asked again after it, in the new session.
        if session.lapsed().is_some() {
            return None;
        }
        confirmations.shown().map(|(id, asked)| {
            let busy = RwSignal::new(false);
            let title = format!("Confirm: {}", asked.summary);
            provide_context(Asking { id, asked, busy });
            let decline = Callback::new(move |_| confirmations.answer(id, None));
            view! {
                <Modal title on_close=decline busy>
                    {super::chunks::confirm_form()}
                </Modal>
            }
        })
    }
}

/// The proof: a code of the operator's second factor, or the password of an
/// account without one, sent for this action and target only.
#[component]
pub fn ConfirmForm() -> impl IntoView {
    let api = use_api();
    let confirmations = expect_context::<Confirmations>();
    let session = use_session();
    let Asking { id, asked, busy } = expect_context::<Asking>();
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let by_code = asked.by_code();
    let field = if by_code {
        "confirm-code"
    } else {
        "confirm-password"
    };
    // The form arrives after the dialog opened, so the browser did not focus it.
    // Again after a refusal, to type anew.
    let refocus = move || focus::next_frame(field);
    refocus();
    let by_passkey = asked.by_passkey();
    let asked = StoredValue::new(asked);
    // Sends the proof (`kind`: the field it goes in) and hands its answer to the action.
    let send = move |kind: &'static str, secret: Value| {
        let asked = asked.get_value();
        let body = object([
            ("action", asked.action.as_str().into()),
            ("target", asked.target.as_str().into()),
            ("summary", asked.summary.as_str().into()),
            (kind, secret),
        ]);
        async move {
            let answer = api.confirm::<Proof>(body).await;
            busy.try_set(false);
            match answer {
                Ok(proof) => confirmations.answer(id, Some(proof.confirmation)),
                // The session ended meanwhile: the sign-in over the page comes first, and a
                // proof can only be for the session that sends the action.
                Err(ApiError::Unauthorized(reason)) => {
                    typed.try_set(String::new());
                    session.expire(&reason);
                }
                Err(refused) => {
                    typed.try_set(String::new());
                    error.try_set(Some(refusal(&refused)));
                    refocus();
                }
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let secret = typed.get_untracked();
        if secret.trim().is_empty() {
            // Sent, it would count as a failed sign-in.
            error.set(Some(
                if by_code {
                    "Enter a code first."
                } else {
                    "Enter your password first."
                }
                .to_owned(),
            ));
            refocus();
            return;
        }
        let (kind, secret) = if by_code {
            (code_kind(&secret), secret.trim().to_owned())
        } else {
            ("password", secret)
        };
        busy.set(true);
        error.set(None);
        spawn_local(send(kind, secret.into()));
    };
    // A passkey: the gateway's options, the browser's prompt, and its answer as the proof.
    let use_passkey = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let answer = match api.passkey_proof::<PasskeyOptions>().await {
                Ok(options) => webauthn::run(Ceremony::Get, &options.options).await,
                Err(ApiError::Unauthorized(reason)) => {
                    busy.try_set(false);
                    session.expire(&reason);
                    return;
                }
                Err(refused) => Err(refusal(&refused)),
            };
            match answer {
                Ok(answer) => send("passkey", answer).await,
                Err(said) => {
                    busy.try_set(false);
                    error.try_set(Some(said));
                }
            }
        });
    };
    let how = match (by_passkey, by_code) {
        (true, _) => "Use your passkey, or enter a code from your authenticator app or one of your recovery codes.",
        (false, true) => "Enter a code from your authenticator app, or one of your recovery codes.",
        (false, false) => "Enter your password.",
    };
    view! {
        <form class="confirm-action" on:submit=submit novalidate>
            <p>"This action needs a fresh proof that it is you. " {how}
               " The page and what you typed in it stay as they are; the action goes ahead once confirmed."</p>
            {by_passkey.then(|| view! {
                <button type="button" class="button primary passkey" disabled=busy on:click=use_passkey>"Use your passkey"</button>
            })}
            {if by_code { code_field(field, typed).into_any() } else { password_field(field, "Password", typed).into_any() }}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="modal-actions">
                <button type="button" class="button" disabled=busy on:click=move |_| confirmations.answer(id, None)>
                    "Cancel"
                </button>
                <button type="submit" class="button danger" disabled=busy>
                    {move || if busy.get() { "Confirming…" } else { "Confirm" }}
                </button>
            </div>
        </form>
    }
}

/// Why the proof was refused, in the operator's words: a wrong code or password is
/// the gateway's own sentence, without the field's name or the validator's prefix.
fn refusal(error: &ApiError) -> String {
    match error {
        ApiError::Validation(issues) if !issues.is_empty() => issues
            .iter()
            .map(|i| sentence(&i.message))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.message(),
    }
}

fn sentence(message: &str) -> String {
    let message = message.strip_prefix("Value error, ").unwrap_or(message);
    let message = message.trim_end_matches('.');
    let mut chars = message.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect::<String>() + "."
    })
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn a_refusal_reads_as_a_sentence() {
        assert_eq!(
            sentence("Value error, the code is not right or was already used"),
            "The code is not right or was already used."
        );
        assert_eq!(sentence("Field required."), "Field required.");
        assert_eq!(sentence(""), "");
    }
}
