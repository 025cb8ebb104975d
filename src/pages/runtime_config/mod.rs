//! Runtime config: one row per key, each change sent with the entity tag of
//! the value it was based on, so two operators never silently overwrite each
//! other: the second is told, sees the current value and chooses.

pub mod rules;

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::draft::draft;
use crate::infra::json::{object, Value};
use crate::infra::loader::Loader;

use crate::infra::api::types::{ConfigItem, FromJson, Items};
use crate::infra::api::{use_api, ApiError};
use crate::infra::mutation::Mutation;
use crate::infra::session::{use_session, Role};
use crate::infra::settings::{Config, Environment};
use crate::pages::overview::status::use_game_status;
use crate::ui::dialog::{reason_body, ConfirmDialog};
use crate::ui::format;
use crate::ui::load::render;
use crate::ui::toast::use_toasts;
use rules::{display, validate};

#[component]
pub fn RuntimeConfigPage() -> impl IntoView {
    crate::infra::polling::set_title("Runtime config");
    let api = use_api();
    let session = use_session();
    let recoveries = use_game_status().recoveries();
    let items = Loader::new(move || {
        recoveries.track();
        async move { api.get::<Items<ConfigItem>>("/admin/config").await }
    });
    let retry = Callback::new(move |_| items.refetch());
    view! {
        <section class="page">
            <h1>"Runtime config"</h1>
            <p class="hint">"Changes apply to the running game at once and are recorded in the audit log."</p>
            {move || session.note(Role::Operator, "change values").map(|n| view! { <p class="needs">{n}</p> })}
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

/// What a change does, kept so it can be applied again after a conflict.
#[derive(Clone)]
enum Change {
    Set(Value),
    Reset,
}

#[component]
fn ConfigRow(item: ConfigItem) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let key = item.key.clone();
    // Unsaved input, with the entity tag it was typed against ("tag\ntext"): a
    // draft, so rows rebuilt when the list loads again, a page left and come
    // back to, a renewed session or a reload for a new build lose none of it.
    let draft = draft(&format!("config:{key}"));
    let (typed, typed_against) = draft
        .with_untracked(|d| {
            d.split_once('\n')
                .map(|(tag, text)| (text.to_owned(), tag.to_owned()))
        })
        .unwrap_or_else(|| (display(&item.value), item.etag.clone()));
    let item = RwSignal::new(item);
    let input = RwSignal::new(typed);
    // The entity tag the operator's view is based on; a change applies only if it still holds.
    let based_on = RwSignal::new(typed_against);
    // Save and Reset are one mutation: they can no longer race each other.
    let change = Mutation::new();
    let last = StoredValue::new(Change::Reset);

    let session = use_session();
    let lacks = move || session.lacks(Role::Operator);
    let local = move || item.with(|i| validate(&i.key, &i.default, &input.get()));
    let changed = move || item.with(|i| local().is_ok_and(|v| v != i.value));
    let theirs = move || {
        change.error.with(|e| match e {
            Some(ApiError::Stale { current, .. }) => ConfigItem::from_json(current).ok(),
            _ => None,
        })
    };
    // The server's own message wins once it has spoken (both FastAPI shapes).
    let message = move || match change.error.get() {
        Some(ApiError::Stale { .. }) | None => local().err(),
        Some(e) => Some(e.message()),
    };

    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        change.clear();
        draft.set(format!("{}\n{text}", based_on.get_untracked()));
        input.set(text);
    };
    let settle = move |now: ConfigItem| {
        draft.set(String::new());
        input.set(display(&now.value));
        based_on.set(now.etag.clone());
        item.set(now);
    };
    let settle_ok = settle;
    // In production a change is confirmed first, old and new side by side, with a reason.
    let prod = expect_context::<Config>().environment == Some(Environment::Prod);
    let confirming = RwSignal::new(None::<(Change, String)>);
    let reason = RwSignal::new(String::new());
    // Undo re-applies the value before, against the entity tag of the one just set:
    // the same conflict check as any change. Set once `apply` exists, below.
    let redo = StoredValue::new(None::<Callback<(Change, String)>>);
    let undo_toast = StoredValue::new(None::<u64>);
    on_cleanup(move || {
        if let Some(id) = undo_toast.try_get_value().flatten() {
            toasts.dismiss(id);
        }
    });
    let send = move |what: Change, if_match: String| {
        last.set_value(what.clone());
        let before = item.with_untracked(|i| i.value.clone());
        let path = format!("/admin/config/{}", item.with_untracked(|i| i.key.clone()));
        let why = reason_body(reason).map(|b| b["reason"].clone());
        let (method, body) = match (&what, why) {
            (Change::Set(value), None) => (Method::PUT, Some(object([("value", value.clone())]))),
            (Change::Set(value), Some(why)) => (
                Method::PUT,
                Some(object([("value", value.clone()), ("reason", why)])),
            ),
            (Change::Reset, why) => (Method::DELETE, why.map(|w| object([("reason", w)]))),
        };
        let settle = settle_ok;
        change.run(
            api.json_if_match::<ConfigItem>(method, path, body, Some(if_match)),
            move |now| {
                confirming.set(None);
                let text = match what {
                    Change::Set(_) => format!("{} set to {}", now.key, display(&now.value)),
                    Change::Reset => format!("{} reset to its default", now.key),
                };
                let tag = now.etag.clone();
                let undo = redo.get_value().map(|apply| {
                    Callback::new(move |_| apply.run((Change::Set(before.clone()), tag.clone())))
                });
                match undo {
                    Some(undo) => undo_toast.set_value(Some(toasts.with_undo(text, undo))),
                    None => toasts.success(text),
                }
                settle(now);
            },
        );
    };
    let send_now = send;
    let apply = move |what: Change, if_match: String| {
        if prod {
            change.clear();
            confirming.set(Some((what, if_match)));
        } else {
            send_now(what, if_match);
        }
    };
    let apply_redo = apply;
    redo.set_value(Some(Callback::new(move |(what, tag): (Change, String)| {
        apply_redo(what, tag)
    })));
    let apply_save = apply;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(value) = local() {
            apply_save(Change::Set(value), based_on.get_untracked());
        }
    };
    let apply_reset = apply;
    let on_reset = move |_| apply_reset(Change::Reset, based_on.get_untracked());
    // After a conflict: mine again, against the value now there...
    let apply_again = apply;
    let reapply = move |_| {
        if let Some(now) = theirs() {
            apply_again(last.get_value(), now.etag);
        }
    };
    // ...or theirs, dropping what I typed.
    let take_theirs = move |_| {
        if let Some(now) = theirs() {
            change.clear();
            settle(now);
        }
    };

    let send_confirmed = send;
    let confirm = move || {
        confirming.get().map(|(what, tag)| {
            let (from, to) = item.with_untracked(|i| {
                let to = match &what {
                    Change::Set(v) => display(v),
                    Change::Reset => display(&i.default),
                };
                (display(&i.value), to)
            });
            let send = send_confirmed;
            view! {
                <ConfirmDialog
                    title=format!("Change {} in production?", item.with_untracked(|i| i.key.clone()))
                    message=format!("{from} → {to}. The running game uses the new value at once.")
                    confirm_label="Apply in production".to_owned()
                    busy=change.busy()
                    error=change.message()
                    on_confirm=Callback::new(move |_| send(what.clone(), tag.clone()))
                    on_cancel=Callback::new(move |_| confirming.set(None))
                    reason
                />
            }
        })
    };

    let field_id = format!("config-{key}");
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
                        readonly=lacks
                        on:input=on_input
                        aria-invalid=move || message().is_some().to_string()
                        aria-describedby=error_id.clone()
                    />
                    <button type="submit" class="button primary" disabled=move || change.busy.get() || !changed() || lacks()>
                        {move || if change.busy.get() && matches!(last.get_value(), Change::Set(_)) { "Saving…" } else { "Save" }}
                    </button>
                </form>
                <p class="field-error" id=error_id role="alert">{message}</p>
                {confirm}
                {move || theirs().map(|now| view! {
                    <div class="conflict" role="alert" data-testid="conflict">
                        <p>
                            {format!(
                                "Changed by someone else since you loaded it: it is now {} (changed {}).",
                                display(&now.value),
                                now.updated_at.as_deref().map(format::timestamp).unwrap_or_else(|| "at start".to_owned()),
                            )}
                        </p>
                        <button type="button" class="button primary" disabled=change.busy() on:click=reapply>
                            {match last.get_value() {
                                Change::Set(_) => "Apply my value anyway",
                                Change::Reset => "Reset anyway",
                            }}
                        </button>
                        <button type="button" class="button" disabled=change.busy() on:click=take_theirs>"Keep their value"</button>
                    </div>
                })}
            </td>
            <td><code>{move || item.with(|i| display(&i.default))}</code></td>
            <td>{move || item.with(|i| i.updated_at.as_deref().map(format::timestamp).unwrap_or_else(|| "never".to_owned()))}</td>
            <td>
                <button
                    type="button"
                    class="button"
                    disabled=move || change.busy.get() || lacks() || item.with(|i| i.value == i.default)
                    on:click=on_reset
                >
                    {move || if change.busy.get() && matches!(last.get_value(), Change::Reset) { "Resetting…" } else { "Reset to default" }}
                </button>
            </td>
        </tr>
    }
}
