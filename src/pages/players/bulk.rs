//! Banning or kicking several players at once: the selection is listed in the
//! confirmation, and each player's outcome is reported, since some may fail
//! (already offline, deleted meanwhile) while the others succeed.

use gloo_net::http::Method;
use leptos::prelude::*;

use super::moderation::{bulk_body, duration_select, picked};
use crate::infra::api::types::BulkResults;
use crate::infra::api::use_api;
use crate::infra::draft::draft;
use crate::infra::mutation::Mutation;
use crate::infra::session::{use_session, Role};
use crate::ui::dialog::Modal;

/// Players picked on the page: (id, username).
pub type Selection = RwSignal<Vec<(String, String)>>;

#[component]
pub fn BulkActions(
    selected: Selection,
    done: Callback<()>,
    /// The rows they were picked from are being replaced: nothing acts on them now.
    busy: Signal<bool>,
) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let run = Mutation::new();
    // Some(true): ban, Some(false): kick.
    let asking = RwSignal::new(None::<bool>);
    // Kept until a bulk ban is made, like a single ban's.
    let reason = draft("bulk-ban:reason");
    let duration = draft("bulk-ban:for");
    let outcome = RwSignal::new(None::<Vec<(String, Option<String>)>>);
    let open = move |ban: bool| {
        run.clear();
        outcome.set(None);
        asking.set(Some(ban));
    };
    let close = Callback::new(move |_| {
        if outcome.get_untracked().is_some() {
            selected.set(Vec::new());
            done.run(());
        }
        asking.set(None);
    });
    let confirm = move |ban: bool| {
        let chosen = selected.get_untracked();
        let ids: Vec<String> = chosen.iter().map(|(id, _)| id.clone()).collect();
        let body = bulk_body(ban, &ids, &reason.get_untracked(), picked(duration));
        run.run(
            api.json::<BulkResults>(Method::POST, "/admin/players/bulk", Some(body)),
            move |results| {
                if ban {
                    reason.set(String::new());
                    duration.set(String::new());
                }
                let named = results
                    .0
                    .into_iter()
                    .map(|r| {
                        let name = chosen
                            .iter()
                            .find(|(id, _)| *id == r.id)
                            .map_or(r.id.clone(), |(_, n)| n.clone());
                        (
                            name,
                            if r.ok {
                                None
                            } else {
                                r.error.or(Some("failed".to_owned()))
                            },
                        )
                    })
                    .collect();
                outcome.set(Some(named));
            },
        );
    };
    let lacks = move || busy.get() || session.lacks(Role::Operator);
    view! {
        {move || {
            let n = selected.with(Vec::len);
            (n > 0).then(|| view! {
                <div class="bulk-bar action-bar stacks" role="region" aria-label="Selected players">
                    <span>{format!("{n} selected")}</span>
                    <button type="button" class="button danger" disabled=lacks on:click=move |_| open(true)>"Ban selected…"</button>
                    <button type="button" class="button" disabled=lacks on:click=move |_| open(false)>"Kick selected…"</button>
                    <button type="button" class="button" on:click=move |_| selected.set(Vec::new())>"Clear selection"</button>
                </div>
            })
        }}
        {move || asking.get().map(|ban| view! {
            <Modal
                title=format!("{} {} players?", if ban { "Ban" } else { "Kick" }, selected.with_untracked(Vec::len))
                on_close=close
                busy=run.busy()
            >
                <ul class="bulk-list" data-testid="bulk-list">
                    {move || {
                        let outcome = outcome.get();
                        selected.get().into_iter().enumerate().map(|(i, (_, name))| {
                            let result = outcome.as_ref().and_then(|o| o.get(i)).map(|(_, e)| match e {
                                None => ": done".to_owned(),
                                Some(e) => format!(": not done, {e}"),
                            });
                            view! { <li>{name}{result}</li> }
                        }).collect_view()
                    }}
                </ul>
                {move || outcome.with(Option::is_none).then(|| ban.then(|| view! {
                    <label for="bulk-reason">"Reason (required)"</label>
                    <textarea id="bulk-reason" rows="2" maxlength="500" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    {duration_select(duration)}
                }))}
                {move || run.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="modal-actions">
                    <button type="button" class="button" disabled=run.busy() on:click=move |_| close.run(())>
                        {move || if outcome.with(Option::is_some) { "Close" } else { "Cancel" }}
                    </button>
                    {move || outcome.with(Option::is_none).then(|| view! {
                        <button
                            type="button"
                            class="button danger"
                            disabled=move || run.busy.get() || (ban && reason.with(|r| r.trim().is_empty()))
                            on:click=move |_| confirm(ban)
                        >
                            {if ban { "Ban them" } else { "Kick them" }}
                        </button>
                    })}
                </div>
            </Modal>
        })}
    }
}
