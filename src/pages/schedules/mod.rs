//! Schedules: planned operations (warnings, snapshots, pauses, configuration) that the
//! gateway runs at their time, exactly once, while nobody is awake; what their runs did; and
//! messages to every player online, now.

pub mod draft;
mod editor;
mod messages;
mod runs;
pub mod watch;

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::{Schedule, ScheduleRun, Schedules};
use crate::infra::api::use_api;
use crate::infra::json::object;
use crate::infra::loader::Loader;
use crate::infra::mutation::Mutation;
use crate::infra::session::{use_session, Role};
use crate::ui::dialog::ConfirmDialog;
use crate::ui::format;
use crate::ui::load::render;
use crate::ui::toast::use_toasts;
use draft::offset_label;
use editor::ScheduleEditor;
use watch::use_schedules;

#[derive(Clone, PartialEq)]
enum Editing {
    New,
    Existing(Box<Schedule>),
}

#[component]
pub fn SchedulesPage() -> impl IntoView {
    crate::infra::polling::set_title("Schedules");
    let api = use_api();
    let toasts = use_toasts();
    let session = use_session();
    let schedules = use_schedules();
    let runs_changed = RwSignal::new(0_u32);
    let list = Loader::new(move || {
        runs_changed.track();
        api.get::<Schedules>("/admin/schedules")
    });
    let retry = Callback::new(move |_| list.refetch());
    let editing = RwSignal::new(None::<Editing>);
    let cancelling = RwSignal::new(None::<Schedule>);
    let action = Mutation::new();
    // The shell's copy (the banner, the overview) and this page's list, and the runs.
    let changed = move || {
        schedules.reload(api);
        runs_changed.update(|n| *n += 1);
    };
    let on_saved = Callback::new(move |saved: Schedule| {
        toasts.success(format!("Schedule “{}” saved", saved.name));
        editing.set(None);
        changed();
    });
    let on_cancel_edit = Callback::new(move |_| editing.set(None));
    let set_enabled = move |s: Schedule, enabled: bool| {
        action.run(
            api.json::<Schedule>(
                Method::PUT,
                format!("/admin/schedules/{}/enabled", s.id),
                Some(object([("enabled", enabled.into())])),
            ),
            move |now| {
                let done = if now.enabled { "enabled" } else { "disabled" };
                toasts.success(format!("Schedule “{}” {done}", now.name));
                changed();
            },
        );
    };
    let run_now = move |s: Schedule| {
        action.run(
            api.json::<ScheduleRun>(Method::POST, format!("/admin/schedules/{}/run", s.id), None),
            move |run| {
                toasts.success(format!("“{}” is running now", run.schedule_name));
                changed();
            },
        );
    };
    let close_cancel = Callback::new(move |_| {
        action.clear();
        cancelling.set(None);
    });
    let cancel = move |s: Schedule| {
        action.run(
            api.empty(Method::DELETE, format!("/admin/schedules/{}", s.id), None),
            move |_| {
                toasts.success(format!("Schedule “{}” cancelled", s.name));
                cancelling.set(None);
                changed();
            },
        );
    };
    let operator = move || !session.lacks(Role::Operator);

    view! {
        <section class="page schedules">
            <div class="page-head">
                <h1>"Schedules"</h1>
                <div class="action-bar">
                    <button type="button" class="button primary" disabled=move || !operator() || editing.with(Option::is_some)
                        on:click=move |_| editing.set(Some(Editing::New))>
                        "New schedule"
                    </button>
                </div>
            </div>
            <p class="hint">"The gateway runs each step at its time, once, even with several replicas; a step it could not run within a few minutes of its time is recorded as missed, never run late."</p>
            {move || session.note(Role::Operator, "schedule operations or message players").map(|n| view! { <p class="needs">{n}</p> })}
            {move || editing.get().map(|e| {
                let existing = match e { Editing::New => None, Editing::Existing(s) => Some(*s) };
                view! { <ScheduleEditor editing=existing on_saved on_cancel=on_cancel_edit /> }
            })}
            {move || action.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {move || render(list.get(), "the schedules", retry, move |list| if list.items.is_empty() {
                view! {
                    <p class="empty">"Nothing is scheduled. Plan tonight's maintenance with New schedule."</p>
                }.into_any()
            } else {
                view! {
                    <table class="data" data-testid="schedules">
                        <thead>
                            <tr>
                                <th scope="col">"Schedule"</th>
                                <th scope="col">"When"</th>
                                <th scope="col">"Next run"</th>
                                <th scope="col">"Steps"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.items.into_iter().map(|s| {
                                let (for_edit, for_toggle, for_run, for_cancel) = (s.clone(), s.clone(), s.clone(), s.clone());
                                let when = match (&s.once_at, &s.cron) {
                                    (Some(at), _) => format!("once, {} ({})", at.replace('T', " "), s.time_zone),
                                    (_, Some(cron)) => format!("cron “{cron}” ({})", s.time_zone),
                                    _ => String::new(),
                                };
                                let next = s.next_at.map(|at| (at, s.next_at_local.clone().unwrap_or_default()));
                                let enabled = s.enabled;
                                view! {
                                    <tr>
                                        <td>
                                            {s.name.clone()}
                                            <span class="sub">{format!("by {}{}", s.owner, if enabled { "" } else { " · disabled" })}</span>
                                        </td>
                                        <td>{when}</td>
                                        <td>{match next {
                                            Some((at, local)) if enabled => view! { <NextRun at local /> }.into_any(),
                                            Some(_) => "disabled".into_any(),
                                            None => "no run left".into_any(),
                                        }}</td>
                                        <td>
                                            <ol class="step-summary">
                                                {s.steps.iter().map(|step| view! {
                                                    <li>{format!("{}: {}", offset_label(step.offset_seconds), describe(step))}</li>
                                                }).collect_view()}
                                            </ol>
                                        </td>
                                        <td class="actions">
                                                <button type="button" class="button" disabled=move || !operator() || action.busy.get()
                                                    on:click=move |_| run_now(for_run.clone())>"Run now"</button>
                                                <button type="button" class="button" disabled=move || !operator()
                                                    on:click=move |_| editing.set(Some(Editing::Existing(Box::new(for_edit.clone()))))>"Edit"</button>
                                                <button type="button" class="button" disabled=move || !operator() || action.busy.get()
                                                    on:click=move |_| set_enabled(for_toggle.clone(), !enabled)>
                                                    {if enabled { "Disable" } else { "Enable" }}
                                                </button>
                                                <button type="button" class="button danger" disabled=move || !operator()
                                                    on:click=move |_| { action.clear(); cancelling.set(Some(for_cancel.clone())); }>"Cancel…"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
            {move || cancelling.get().map(|s| {
                let target = s.clone();
                view! {
                    <ConfirmDialog
                        title=format!("Cancel “{}”?", s.name)
                        message="It is removed and none of its steps runs again; a run under way stops before its next step. Its past runs stay listed.".to_owned()
                        confirm_label="Cancel schedule".to_owned()
                        busy=action.busy()
                        error=action.message()
                        on_confirm=Callback::new(move |_| cancel(target.clone()))
                        on_cancel=close_cancel
                    />
                }
            })}
            <runs::RecentRuns changed=runs_changed />
            <messages::MessagePlayers />
        </section>
    }
}

/// What a step does, in words.
pub fn describe(step: &crate::infra::api::types::ScheduleStep) -> String {
    let a = &step.action;
    match a.kind.as_str() {
        "message" => format!("message “{}”", a.text.clone().unwrap_or_default()),
        "snapshot" => a
            .label
            .as_ref()
            .map_or_else(|| "snapshot".to_owned(), |l| format!("snapshot “{l}”")),
        "pause" => "pause the game".to_owned(),
        "resume" => "resume the game".to_owned(),
        "set_config" => format!(
            "set {} to {}",
            a.key.clone().unwrap_or_default(),
            a.value
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        "reset_config" => format!("reset {}", a.key.clone().unwrap_or_default()),
        other => other.to_owned(),
    }
}

/// The next run in the schedule's zone (with its offset) and in the operator's, counting down.
#[component]
fn NextRun(at: i64, local: String) -> impl IntoView {
    let left = use_schedules().until_ms(at);
    view! {
        <span data-testid="next-run">{local.replace('T', " ")}</span>
        <span class="sub">{format::local_time(at)}</span>
        <span class="sub countdown">{move || {
            let ms = left.try_get().unwrap_or_default();
            if ms > 0.0 { format!("in {}", format::remaining(ms)) } else { "starting".to_owned() }
        }}</span>
    }
}
