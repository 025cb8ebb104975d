//! Passkeys and security keys on "Your sign-in": the account's list, adding one (named, made
//! by the browser's prompt, kept after the owner's proof, which the shell asks for in place)
//! and removing one.

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::{Items, Passkey, PasskeyAdded, PasskeyOptions};
use crate::infra::api::{use_api, ApiError};
use crate::infra::json::object;
use crate::infra::loader::Loader;
use crate::infra::mutation::Mutation;
use crate::infra::webauthn::{self, Ceremony};
use crate::ui::format::timestamp;
use crate::ui::load::render;
use crate::ui::toast::use_toasts;

/// `changed` counts the page's sign-in changes: each lists the passkeys again. Adding or
/// removing one is such a change, told to `factor_changed`; a first factor's recovery codes go
/// to `enrolled` instead, to be shown once.
#[component]
pub fn Passkeys(
    changed: RwSignal<u32>,
    factor_changed: Callback<()>,
    enrolled: Callback<Vec<String>>,
) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let list = Loader::new(move || {
        changed.track();
        api.get::<Items<Passkey>>("/admin/auth/passkeys")
    });
    let name = RwSignal::new(String::new());
    let add = Mutation::new();
    let remove = Mutation::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let named = name.get_untracked().trim().to_owned();
        if named.is_empty() {
            add.error.set(Some(ApiError::Browser(
                "Give the passkey a name first, such as the key's model or the device.".into(),
            )));
            crate::ui::focus::by_id("passkey-name");
            return;
        }
        let call = async move {
            let begun = api
                .json::<PasskeyOptions>(Method::POST, "/admin/auth/passkeys/registration", None)
                .await?;
            let credential = webauthn::run(Ceremony::Create, &begun.options)
                .await
                .map_err(ApiError::Browser)?;
            let body = object([("name", named.as_str().into()), ("credential", credential)]);
            api.json::<PasskeyAdded>(Method::POST, "/admin/auth/passkeys", Some(body))
                .await
        };
        add.run(call, move |added| {
            name.set(String::new());
            toasts.success("Passkey added");
            match added.recovery_codes {
                Some(codes) => enrolled.run(codes),
                None => factor_changed.run(()),
            }
        });
    };
    let drop_key = move |key: Passkey| {
        let path = format!("/admin/auth/passkeys/{}", key.id);
        remove.run(api.empty(Method::DELETE, path, None), move |_| {
            toasts.success(format!("Passkey “{}” removed", key.name));
            factor_changed.run(());
            // Its row and button are gone: the focus goes back to the section.
            crate::ui::focus::by_id("passkeys");
        });
    };
    let retry = Callback::new(move |_| list.refetch());
    view! {
        <h3 id="passkeys" tabindex="-1">"Passkeys and security keys"</h3>
        <p>"A passkey on this device, a phone or a security key signs you in with a touch or your screen lock, and cannot be phished."</p>
        {move || render(list.get(), "your passkeys", retry, move |keys| {
            if keys.items.is_empty() {
                return view! { <p data-testid="passkeys-empty">"No passkey yet."</p> }.into_any();
            }
            view! {
                <ul class="passkeys" data-testid="passkeys">
                    {keys.items.into_iter().map(|key| {
                        let label = format!("Remove the passkey {}", key.name);
                        let used = key.last_used_at.as_deref().map_or_else(|| "never used".to_owned(), |at| format!("last used {}", timestamp(at)));
                        let shown = key.clone();
                        view! {
                            <li>
                                <span class="passkey-name">{key.name.clone()}</span>
                                <span class="hint">{format!(" added {}, {used}", timestamp(&key.created_at))}</span>
                                <button type="button" class="button danger" aria-label=label disabled=remove.busy()
                                    on:click=move |_| drop_key(shown.clone())>"Remove"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
        {move || remove.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <form class="stacked-form add-passkey" on:submit=submit novalidate>
            <label for="passkey-name">"Name of the new passkey"</label>
            <input
                id="passkey-name"
                maxlength="64"
                placeholder="YubiKey 5, work laptop…"
                prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            {move || add.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="form-actions action-bar">
                <button type="submit" class="button primary" disabled=add.busy()>
                    {move || if add.busy.get() { "Adding…" } else { "Add a passkey" }}
                </button>
            </div>
        </form>
    }
}
