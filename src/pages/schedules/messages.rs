//! A message to every player online, now: previewed as players see it, at most 280
//! characters, a few a minute (the gateway says when the next may go).

use gloo_net::http::Method;
use leptos::prelude::*;

use super::draft::MESSAGE_MAX_CHARS;
use crate::infra::api::types::{PlayerMessage, PlayerMessages};
use crate::infra::api::use_api;
use crate::infra::json::object;
use crate::infra::loader::Loader;
use crate::infra::mutation::Mutation;
use crate::infra::session::{use_session, Role};
use crate::ui::format;
use crate::ui::load::render;
use crate::ui::toast::use_toasts;

#[component]
pub fn MessagePlayers() -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let session = use_session();
    let text = RwSignal::new(String::new());
    let send = Mutation::new();
    let sent = Loader::new(move || api.get::<PlayerMessages>("/admin/players/messages"));
    let retry = Callback::new(move |_| sent.refetch());
    let count = move || text.with(|t| t.chars().count());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = object([("text", text.get_untracked().into())]);
        send.run(
            api.json::<PlayerMessage>(Method::POST, "/admin/players/messages", Some(body)),
            move |m| {
                toasts.success(format!("Message sent to {} players online", m.recipients));
                text.set(String::new());
                sent.refetch();
            },
        );
    };
    view! {
        <h2 id="message-players">"Message players"</h2>
        <form class="message-form" on:submit=on_submit aria-labelledby="message-players">
            <label>"Message to every player online"
                <textarea rows="2" maxlength=MESSAGE_MAX_CHARS.to_string() required bind:value=text></textarea>
            </label>
            <div class="message-preview" aria-live="polite">
                <span class="hint">{move || format!("Players see ({} of {MESSAGE_MAX_CHARS} characters):", count())}</span>
                <p class="preview-text" data-testid="message-preview">{move || text.get()}</p>
            </div>
            {move || send.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="action-bar">
                <button type="submit" class="button primary" disabled=move || send.busy.get() || session.lacks(Role::Operator) || text.with(|t| t.trim().is_empty())>
                    {move || if send.busy.get() { "Sending…" } else { "Send to players" }}
                </button>
            </div>
        </form>
        {move || render(sent.get(), "the messages", retry, move |list| {
            if list.0.is_empty() {
                return ().into_any();
            }
            view! {
                <ul class="sent-messages" aria-label="Messages sent lately">
                    {list.0.into_iter().map(|m| view! {
                        <li>
                            "“"{m.text}"”"
                            <span class="sub">{format!("{} · by {} · {} players", format::timestamp(&m.sent_at), m.sent_by, m.recipients)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}
