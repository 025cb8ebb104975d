use gloo_net::http::Method;
use leptos::prelude::*;
use serde_json::json;

use crate::api::types::{ConfigItem, Items};
use crate::api::use_api;
use crate::components::load::render;
use crate::config_rules::{display, validate};
use crate::format;
use crate::mutation::Mutation;
use crate::status::use_game_status;
use crate::toast::use_toasts;

#[component]
pub fn RuntimeConfigPage() -> impl IntoView {
    crate::polling::set_title("Runtime config");
    let api = use_api();
    let game = use_game_status();
    let items = LocalResource::new(move || {
        game.recoveries();
        async move { api.get::<Items<ConfigItem>>("/admin/config").await }
    });
    let retry = Callback::new(move |_| items.refetch());
    view! {
        <section class="page">
            <h1>"Runtime config"</h1>
            <p class="hint">"Changes apply to the running game at once and are recorded in the audit log."</p>
            {move || render(items.get(), "runtime config", retry, |list| view! {
                <table class="data config-table">
                    <thead>
                        <tr>
                            <th scope="col">"Key"</th>
                            <th scope="col">"Value"</th>
                            <th scope="col">"Default"</th>
                            <th scope="col">"Last change"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.items.into_iter().map(|item| view! { <ConfigRow item /> }).collect_view()}
                    </tbody>
                </table>
            }.into_any())}
        </section>
    }
}

#[component]
fn ConfigRow(item: ConfigItem) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let item = RwSignal::new(item);
    let input = RwSignal::new(display(&item.get_untracked().value));
    let save = Mutation::new();
    let reset = Mutation::new();
    let key = item.get_untracked().key.clone();
    let field_id = format!("config-{key}");
    let local = move || item.with(|i| validate(&i.key, &i.default, &input.get()));
    let changed = move || item.with(|i| local().is_ok_and(|v| v != i.value));
    // The server's own message wins once it has spoken (both FastAPI shapes).
    let message = move || {
        save.error
            .get()
            .map(|e| e.message())
            .or_else(|| local().err())
            .or_else(|| reset.error.get().map(|e| e.message()))
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(value) = local() else { return };
        let key = item.get_untracked().key;
        let call = api.json::<ConfigItem>(
            Method::PUT,
            format!("/admin/config/{key}"),
            Some(json!({ "value": value })),
        );
        save.run(call, move |updated| {
            toasts.success(format!(
                "{} set to {}",
                updated.key,
                display(&updated.value)
            ));
            input.set(display(&updated.value));
            item.set(updated);
        });
    };
    let on_reset = move |_| {
        let key = item.get_untracked().key;
        save.clear();
        reset.run(
            api.json::<ConfigItem>(Method::DELETE, format!("/admin/config/{key}"), None),
            move |updated| {
                toasts.success(format!("{} reset to its default", updated.key));
                input.set(display(&updated.value));
                item.set(updated);
            },
        );
    };
    let error_id = format!("{field_id}-error");
    view! {
        <tr data-key=key.clone()>
            <th scope="row">
                <label for=field_id.clone()>
                    <code>{key.clone()}</code>
                    <span class="description">{move || item.with(|i| i.description.clone())}</span>
                </label>
            </th>
            <td>
                <form class="config-form" on:submit=on_submit>
                    <input
                        id=field_id
                        prop:value=input
                        on:input=move |ev| {
                            save.clear();
                            input.set(event_target_value(&ev));
                        }
                        aria-invalid=move || message().is_some().to_string()
                        aria-describedby=error_id.clone()
                    />
                    <button type="submit" class="button primary" disabled=move || save.busy.get() || !changed()>
                        {move || if save.busy.get() { "Saving…" } else { "Save" }}
                    </button>
                </form>
                <p class="field-error" id=error_id role="alert">{message}</p>
            </td>
            <td><code>{move || item.with(|i| display(&i.default))}</code></td>
            <td>{move || item.with(|i| i.updated_at.as_deref().map(format::timestamp).unwrap_or_else(|| "never".to_owned()))}</td>
            <td>
                <button
                    type="button"
                    class="button"
                    disabled=move || reset.busy.get() || item.with(|i| i.value == i.default)
                    on:click=on_reset
                >
                    {move || if reset.busy.get() { "Resetting…" } else { "Reset to default" }}
                </button>
            </td>
        </tr>
    }
}
