//! API keys on "Your sign-in": keys for scripts and the admin CLI, which act on their
//! creator's authority with a role no higher than theirs. A key is shown once, when it is
//! made (the gateway keeps only its hash); keys are listed with where they were last used,
//! and revoked here. An admin's list has everyone's keys.

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::{ApiKey, Items, NewApiKey};
use crate::infra::api::use_api;
use crate::infra::json::{object, Value};
use crate::infra::loader::Loader;
use crate::infra::mutation::Mutation;
use crate::infra::session::{use_session, Role};
use crate::infra::time::parse_rfc3339;
use crate::ui::dialog::{reason_body, ConfirmDialog};
use crate::ui::format;
use crate::ui::load::{render, Empty};
use crate::ui::toast::use_toasts;

/// A key's lifetime unless the operator says otherwise, in days (the gateway allows 1 to 365).
const DEFAULT_DAYS: &str = "90";

#[component]
pub fn ApiKeys() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let toasts = use_toasts();
    let list = Loader::new(move || api.get::<Items<ApiKey>>("/admin/api-keys"));
    let retry = Callback::new(move |_| list.refetch());
    let action = Mutation::new();
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer.label().to_owned());
    let days = RwSignal::new(DEFAULT_DAYS.to_owned());
    let addresses = RwSignal::new(String::new());
    // The key just made, with its secret: shown once, until dismissed.
    let made = RwSignal::new(None::<NewApiKey>);
    let revoking = RwSignal::new(None::<ApiKey>);
    let reason = RwSignal::new(String::new());

    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let blocks = address_list(&addresses.get_untracked());
        let body = object([
            ("name", name.get_untracked().trim().into()),
            ("role", role.get_untracked().into()),
            (
                "expires_in_days",
                days.get_untracked()
                    .trim()
                    .parse::<i64>()
                    .unwrap_or(0)
                    .into(),
            ),
            (
                "allowed_addresses",
                Value::Array(blocks.into_iter().map(Value::from).collect()),
            ),
        ]);
        action.run(
            api.json::<NewApiKey>(Method::POST, "/admin/api-keys", Some(body)),
            move |key| {
                toasts.success(format!("API key “{}” made", key.key.name));
                name.set(String::new());
                addresses.set(String::new());
                made.set(Some(key));
                list.refetch();
            },
        );
    };
    let revoke = move |key: ApiKey| {
        action.run(
            api.empty(
                Method::DELETE,
                format!("/admin/api-keys/{}", key.id),
                reason_body(reason),
            ),
            move |_| {
                toasts.success(format!("API key “{}” revoked", key.name));
                revoking.set(None);
                list.refetch();
            },
        );
    };
    // The roles a key may have: up to the operator's own. The first, viewer, is the
    // default, and `role` follows the operator's choice.
    let roles = move || {
        let own = session.role().unwrap_or(Role::Viewer);
        [Role::Viewer, Role::Operator, Role::Admin]
            .into_iter()
            .filter(|r| *r <= own)
            .map(|r| view! { <option value=r.label()>{r.label()}</option> })
            .collect_view()
    };

    view! {
        <h2 id="api-keys">"API keys"</h2>
        <p class="hint">"For scripts and the admin CLI: a key acts on your authority, with a role no higher than yours, until it expires or is revoked. It is shown once, when it is made."</p>
        <form class="stacked-form" on:submit=on_create novalidate>
            <label for="key-name">"Name"</label>
            <input id="key-name" maxlength="100" required autocomplete="off" placeholder="nightly backup script"
                prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="key-role">"Role"</label>
            <select id="key-role" on:change=move |ev| role.set(event_target_value(&ev))>{roles}</select>
            <label for="key-days">"Expires after (days, 1 to 365)"</label>
            <input id="key-days" type="number" min="1" max="365" required
                prop:value=days on:input=move |ev| days.set(event_target_value(&ev)) />
            <label for="key-addresses">"Only from these addresses (optional)"</label>
            <input id="key-addresses" autocomplete="off" spellcheck="false" placeholder="10.0.0.0/8, 192.0.2.7"
                aria-describedby="key-addresses-hint"
                prop:value=addresses on:input=move |ev| addresses.set(event_target_value(&ev)) />
            <p class="hint" id="key-addresses-hint">"Addresses or blocks, separated by commas or spaces; empty: from anywhere."</p>
            {move || revoking.with(Option::is_none).then(|| action.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> }))}
            <button type="submit" class="button primary" disabled=action.busy()>"Make API key"</button>
        </form>
        {move || made.get().map(|key| view! {
            <div class="notice one-time" role="status">
                <label for="new-api-key">{format!("API key “{}”: shown only now, copy it into the script's secret store", key.key.name)}</label>
                <input id="new-api-key" readonly spellcheck="false" prop:value=key.secret />
                <button type="button" class="button" on:click=move |_| made.set(None)>"Done"</button>
            </div>
        })}
        {move || render(list.get(), "API keys", retry, move |keys| {
            if keys.items.is_empty() {
                return view! { <Empty message="No API keys yet." /> }.into_any();
            }
            let now = (js_sys::Date::now() / 1000.0) as i64;
            view! {
                <table class="data" aria-labelledby="api-keys" data-testid="api-keys">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Key"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Made by"</th>
                            <th scope="col">"Expires"</th>
                            <th scope="col">"Last used"</th>
                            <th scope="col">"State"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {keys.items.into_iter().map(|k| {
                            let state = state(&k, now);
                            let used = match (&k.last_used_at, &k.last_used_from) {
                                (Some(at), Some(from)) => format!("{} from {from}", format::timestamp(at)),
                                (Some(at), None) => format::timestamp(at),
                                _ => "never".to_owned(),
                            };
                            let label = format!("Revoke API key {}", k.name);
                            let target = k.clone();
                            view! {
                                <tr data-key=k.name.clone()>
                                    <td class="wrap">{k.name.clone()}</td>
                                    <td><code>{format!("{}…", k.shown)}</code></td>
                                    <td>{k.role.clone()}</td>
                                    <td>{k.created_by.clone()}</td>
                                    <td>{format::timestamp(&k.expires_at)}</td>
                                    <td>{used}</td>
                                    <td>{state}</td>
                                    <td class="actions">
                                        {(state == "Active").then(|| view! {
                                            <button type="button" class="button" aria-label=label
                                                on:click=move |_| { action.clear(); revoking.set(Some(target.clone())) }>"Revoke"</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        })}
        {move || revoking.get().map(|key| {
            let target = key.clone();
            view! {
                <ConfirmDialog
                    title=format!("Revoke API key “{}”?", key.name)
                    message="Scripts using it are refused from their next request, on every gateway replica. This cannot be undone.".to_owned()
                    confirm_label="Revoke key".to_owned()
                    busy=action.busy()
                    error=action.message()
                    reason
                    on_confirm=Callback::new(move |_| revoke(target.clone()))
                    on_cancel=Callback::new(move |_| revoking.set(None))
                />
            }
        })}
    }
}

/// Whether a key still works, as of `now` (seconds since the epoch).
fn state(key: &ApiKey, now: i64) -> &'static str {
    if key.revoked_at.is_some() {
        "Revoked"
    } else if parse_rfc3339(&key.expires_at).is_some_and(|end| end <= now) {
        "Expired"
    } else {
        "Active"
    }
}

/// The address blocks typed, separated by commas or white space.
fn address_list(typed: &str) -> Vec<String> {
    typed
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(expires_at: &str, revoked_at: Option<&str>) -> ApiKey {
        ApiKey {
            id: "1".into(),
            name: "backup".into(),
            role: "viewer".into(),
            shown: "gak_abcdef".into(),
            created_by: "admin".into(),
            created_at: "2026-12-01T00:00:00Z".into(),
            expires_at: expires_at.into(),
            allowed_addresses: vec![],
            last_used_at: None,
            last_used_from: None,
            revoked_at: revoked_at.map(str::to_owned),
        }
    }

    #[test]
    fn a_key_is_active_until_it_expires_or_is_revoked() {
        let now = parse_rfc3339("2026-12-07T00:00:00Z").unwrap();
        assert_eq!(state(&key("2026-12-08T00:00:00Z", None), now), "Active");
        assert_eq!(state(&key("2026-12-07T00:00:00Z", None), now), "Expired");
        assert_eq!(
            state(
                &key("2026-12-08T00:00:00Z", Some("2026-12-06T00:00:00Z")),
                now
            ),
            "Revoked"
        );
    }

    #[test]
    fn addresses_are_split_on_commas_and_spaces() {
        assert_eq!(
            address_list(" 10.0.0.0/8, 192.0.2.7\nfd00::/8,,"),
            vec!["10.0.0.0/8", "192.0.2.7", "fd00::/8"]
        );
        assert!(address_list("  ").is_empty());
    }
}
