//! What operators do to a player: ban (with a reason and a duration, ending by
//! itself) and unban, kick, notes; and the player's own timeline from the audit
//! log, where all of that, and any deletion attempt, is recorded.

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::{AuditEntry, Items, Note, Page, Player};
use crate::infra::api::use_api;
use crate::infra::draft::draft;
use crate::infra::json::{object, Value};
use crate::infra::loader::Loader;
use crate::infra::mutation::Mutation;
use crate::infra::session::{use_session, Role};
use crate::pages::audit::describe;
use crate::ui::dialog::Modal;
use crate::ui::format;
use crate::ui::markup::{element, escape};
use crate::ui::toast::use_toasts;

/// The ban durations offered, in seconds (`None`: permanent); 24 hours first.
const DURATIONS: [(&str, Option<u32>); 5] = [
    ("24 hours", Some(86_400)),
    ("1 hour", Some(3_600)),
    ("7 days", Some(604_800)),
    ("30 days", Some(2_592_000)),
    ("Permanently", None),
];

/// The duration picked, as its index in `DURATIONS` (a draft keeps it as text).
pub fn picked(duration: RwSignal<String>) -> usize {
    duration.with(|d| d.parse().unwrap_or(0))
}

/// The ban body: the reason, and the duration picked (its index in `DURATIONS`).
pub fn ban_body(reason: &str, duration: usize) -> Value {
    object([
        ("reason", reason.trim().into()),
        ("duration_seconds", seconds(duration)),
    ])
}

fn seconds(duration: usize) -> Value {
    DURATIONS
        .get(duration)
        .and_then(|(_, s)| *s)
        .map_or(Value::Null, |s| i64::from(s).into())
}

/// The bulk body: `ban` (with reason and duration) or `kick`, for these ids.
pub fn bulk_body(ban: bool, ids: &[String], reason: &str, duration: usize) -> Value {
    let ids = Value::Array(ids.iter().map(|id| id.as_str().into()).collect());
    if ban {
        object([
            ("action", "ban".into()),
            ("ids", ids),
            ("reason", reason.trim().into()),
            ("duration_seconds", seconds(duration)),
        ])
    } else {
        object([("action", "kick".into()), ("ids", ids)])
    }
}

/// The duration choice, as a select that always shows the duration the body will carry.
pub fn duration_select(duration: RwSignal<String>) -> impl IntoView {
    view! {
        <label for="ban-duration">"For"</label>
        <select id="ban-duration" on:change=move |ev| duration.set(event_target_value(&ev))>
            {DURATIONS.iter().enumerate().map(|(i, (label, _))| view! {
                <option value=i.to_string() prop:selected=move || picked(duration) == i>{*label}</option>
            }).collect_view()}
        </select>
    }
}

/// "Banned until … by …: reason", or that there is no ban.
pub fn ban_text(p: &Player) -> String {
    match &p.ban {
        None => "Not banned".to_owned(),
        Some(b) => format!(
            "Banned {} by {}: {}",
            b.until.as_deref().map_or_else(
                || "permanently".to_owned(),
                |u| format!("until {}", format::timestamp(u))
            ),
            b.by,
            b.reason
        ),
    }
}

/// Ban, unban and kick, for operators; `changed` runs after each. `children`: the
/// page's other actions on the player, in the same bar.
#[component]
pub fn Moderation(player: Player, changed: Callback<()>, children: Children) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let session = use_session();
    let action = Mutation::new();
    let banning = RwSignal::new(false);
    // Kept until the ban is made: closing the dialog, leaving the page or a
    // session that needs renewing loses none of it.
    let reason = draft(&format!("ban:{}:reason", player.id));
    let duration = draft(&format!("ban:{}:for", player.id));
    let base = format!("/admin/players/{}", player.id);
    let name = StoredValue::new(player.username.clone());
    let act = move |method: Method, path: String, body: Option<Value>, done: &'static str| {
        let banned = done == "banned";
        action.run(api.json::<Player>(method, path, body), move |_| {
            if banned {
                reason.set(String::new());
                duration.set(String::new());
            }
            banning.set(false);
            toasts.success(format!("{} {done}", name.get_value()));
            changed.run(());
        })
    };
    let (ban_path, unban_path, kick_path) = (
        format!("{base}/ban"),
        format!("{base}/ban"),
        format!("{base}/kick"),
    );
    let lacks = move || action.busy.get() || session.lacks(Role::Operator);
    view! {
        <div class="action-bar">
            <button type="button" class="button danger" disabled=lacks on:click=move |_| { action.clear(); banning.set(true) }>
                {if player.ban.is_some() { "Change ban…" } else { "Ban…" }}
            </button>
            {player.ban.is_some().then(|| view! {
                <button type="button" class="button" disabled=lacks on:click=move |_| act(Method::DELETE, unban_path.clone(), None, "unbanned")>"Unban"</button>
            })}
            {player.online.then(|| view! {
                <button type="button" class="button" disabled=lacks on:click=move |_| act(Method::POST, kick_path.clone(), None, "kicked: the live session ended")>"Kick"</button>
            })}
            {children()}
        </div>
        {move || session.note(Role::Operator, "ban or kick players").map(|n| view! { <p class="needs">{n}</p> })}
        {move || action.message().get().filter(|_| !banning.get()).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || banning.get().then(|| {
            let path = ban_path.clone();
            view! {
                <Modal title=format!("Ban {}?", name.get_value()) on_close=Callback::new(move |_| banning.set(false)) busy=action.busy()>
                    <p>"A ban ends the player's live session and keeps them out until it ends by itself."</p>
                    <label for="ban-reason">"Reason (required, the player's record and the audit log keep it)"</label>
                    <textarea id="ban-reason" rows="2" maxlength="500" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    {duration_select(duration)}
                    {move || action.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <div class="modal-actions">
                        <button type="button" class="button" disabled=action.busy() on:click=move |_| banning.set(false)>"Cancel"</button>
                        <button
                            type="button"
                            class="button danger"
                            disabled=move || action.busy.get() || reason.with(|r| r.trim().is_empty())
                            on:click=move |_| act(Method::POST, path.clone(), Some(ban_body(&reason.get_untracked(), picked(duration))), "banned")
                        >
                            {move || if action.busy.get() { "Banning…" } else { "Ban player" }}
                        </button>
                    </div>
                </Modal>
            }
        })}
    }
}

/// Notes, newest first, and a form to add one (operators).
#[component]
pub fn Notes(id: String, changed: Callback<()>) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let path = format!("/admin/players/{id}/notes");
    let list_path = path.clone();
    let notes = Loader::new(move || api.get::<Items<Note>>(list_path.clone()));
    let text = draft(&format!("note:{id}"));
    let add = Mutation::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = object([("text", text.get_untracked().trim().into())]);
        add.run(
            api.json::<Note>(Method::POST, path.clone(), Some(body)),
            move |_| {
                text.set(String::new());
                notes.refetch();
                changed.run(());
            },
        )
    };
    view! {
        <h2>"Notes"</h2>
        <form class="note-form" on:submit=submit>
            <label for="note-text" class="visually-hidden">"New note"</label>
            <textarea id="note-text" rows="2" maxlength="2000" placeholder="A note for the other operators" readonly=move || session.lacks(Role::Operator) prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <button type="submit" class="button" disabled=move || add.busy.get() || session.lacks(Role::Operator) || text.with(|t| t.trim().is_empty())>"Add note"</button>
        </form>
        {move || add.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <ol class="notes" data-testid="notes" inner_html=move || notes.get().map(|r| match r {
            Ok(list) if list.items.is_empty() => "<li class=\"none\">No notes yet.</li>".to_owned(),
            Ok(list) => list.items.iter().fold(String::new(), |mut out, n| {
                out.push_str("<li>");
                element(&mut out, "span", " class=\"when\"", &format!("{} · {}", format::timestamp(&n.created_at), n.author));
                element(&mut out, "p", "", &n.text);
                out.push_str("</li>");
                out
            }),
            Err(e) => format!("<li class=\"none\">{}</li>", escape(&e.message())),
        })></ol>
    }
}

/// The player's audit entries, newest first: bans, kicks, notes, deletion attempts.
#[component]
pub fn Timeline(id: String, reload: Signal<u32>) -> impl IntoView {
    let api = use_api();
    let path = format!("/admin/players/{id}/timeline?limit=50");
    let entries = Loader::new(move || {
        reload.track();
        api.get::<Page<AuditEntry>>(path.clone())
    });
    view! {
        <h2>"Timeline"</h2>
        <ol class="events" data-testid="timeline" inner_html=move || entries.get().map(|r| match r {
            Ok(page) if page.items.is_empty() => "<li class=\"none\">Nothing recorded about this player yet.</li>".to_owned(),
            Ok(page) => describe::items(page.items.iter()),
            Err(e) => format!("<li class=\"none\">{}</li>", escape(&e.message())),
        })></ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_is_for_a_day_unless_another_duration_is_picked() {
        assert_eq!(
            ban_body(" griefing ", 0).to_string(),
            r#"{"reason":"griefing","duration_seconds":86400}"#
        );
        assert_eq!(
            ban_body("x", 4).to_string(),
            r#"{"reason":"x","duration_seconds":null}"#
        );
    }
}
