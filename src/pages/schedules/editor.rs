//! Creating and editing a schedule: when (once, or a cron expression) in the operator's time
//! zone, and its steps, each minutes before or after that time. "Maintenance" fills in the
//! usual night: warnings at 10, 5 and 1 minutes, a snapshot, the pause.

use gloo_net::http::Method;
use leptos::prelude::*;

use super::draft::{self, StepDraft, KINDS, MESSAGE_MAX_CHARS};
use crate::infra::api::types::Schedule;
use crate::infra::api::use_api;
use crate::infra::mutation::Mutation;
use crate::infra::session::{use_session, Role};

/// One step's fields, each its own signal, so typing in one redraws nothing else.
#[derive(Clone, Copy)]
struct StepRow {
    key: u32,
    minutes: RwSignal<String>,
    before: RwSignal<bool>,
    kind: RwSignal<String>,
    text: RwSignal<String>,
    value: RwSignal<String>,
    stop: RwSignal<bool>,
}

impl StepRow {
    fn new(key: u32, d: StepDraft) -> Self {
        Self {
            key,
            minutes: RwSignal::new(d.minutes),
            before: RwSignal::new(d.before),
            kind: RwSignal::new(d.kind),
            text: RwSignal::new(d.text),
            value: RwSignal::new(d.value),
            stop: RwSignal::new(d.stop_on_failure),
        }
    }

    fn draft(&self) -> StepDraft {
        StepDraft {
            minutes: self.minutes.get_untracked(),
            before: self.before.get_untracked(),
            kind: self.kind.get_untracked(),
            text: self.text.get_untracked(),
            value: self.value.get_untracked(),
            stop_on_failure: self.stop.get_untracked(),
        }
    }
}

/// The operator's IANA time zone, as the browser knows it.
pub fn browser_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
        .unwrap_or_else(|| "UTC".to_owned())
}

/// `editing`: `None` for a new schedule. `on_saved` gets the schedule as saved.
#[component]
pub fn ScheduleEditor(
    editing: Option<Schedule>,
    on_saved: Callback<Schedule>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let save = Mutation::new();
    let name = RwSignal::new(editing.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    let zone = RwSignal::new(
        editing
            .as_ref()
            .map_or_else(browser_zone, |s| s.time_zone.clone()),
    );
    let once = RwSignal::new(editing.as_ref().is_none_or(|s| s.cron.is_none()));
    let at = RwSignal::new(
        editing
            .as_ref()
            .and_then(|s| s.once_at.clone())
            .map(|a| a.chars().take(16).collect::<String>())
            .unwrap_or_default(),
    );
    let cron = RwSignal::new(
        editing
            .as_ref()
            .and_then(|s| s.cron.clone())
            .unwrap_or_else(|| "0 4 * * *".to_owned()),
    );
    let enabled = editing.as_ref().is_none_or(|s| s.enabled);
    let next_key = StoredValue::new(0_u32);
    let row = move |d: StepDraft| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        StepRow::new(key, d)
    };
    let initial: Vec<StepRow> = editing
        .as_ref()
        .map(draft::steps_of)
        .unwrap_or_default()
        .into_iter()
        .map(row)
        .collect();
    let steps = RwSignal::new(initial);
    let problem = RwSignal::new(None::<String>);
    let revision = editing.as_ref().map(|s| (s.id.clone(), s.revision));
    let title = if editing.is_some() {
        "Edit schedule"
    } else {
        "New schedule"
    };
    let is_admin = move || !session.lacks(Role::Admin);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let drafts: Vec<StepDraft> = steps.get_untracked().iter().map(StepRow::draft).collect();
        let body = match draft::body(
            &name.get_untracked(),
            &zone.get_untracked(),
            once.get_untracked(),
            &at.get_untracked(),
            &cron.get_untracked(),
            enabled,
            &drafts,
        ) {
            Ok(body) => body,
            Err(e) => {
                problem.set(Some(e));
                return;
            }
        };
        problem.set(None);
        let call = match &revision {
            Some((id, rev)) => api.json_if_match::<Schedule>(
                Method::PUT,
                format!("/admin/schedules/{id}"),
                Some(body),
                Some(format!("\"{rev}\"")),
            ),
            None => api.json::<Schedule>(Method::POST, "/admin/schedules", Some(body)),
        };
        save.run(call, move |saved| on_saved.run(saved));
    };

    view! {
        <form class="schedule-editor" on:submit=submit aria-labelledby="schedule-editor-heading" data-testid="schedule-editor">
            <h2 id="schedule-editor-heading">{title}</h2>
            <div class="form-row">
                <label>"Name"<input type="text" required maxlength="100" bind:value=name placeholder="Nightly maintenance" /></label>
                <label>"Time zone"<input type="text" required bind:value=zone /></label>
            </div>
            <fieldset class="form-row">
                <legend>"When"</legend>
                <label class="inline"><input type="radio" name="when" prop:checked=move || once.get() on:change=move |_| once.set(true) />"Once"</label>
                <label class="inline"><input type="radio" name="when" prop:checked=move || !once.get() on:change=move |_| once.set(false) />"Repeat (cron)"</label>
                {move || if once.get() {
                    view! { <label>"Date and time"<input type="datetime-local" required bind:value=at /></label> }.into_any()
                } else {
                    view! {
                        <label>"Cron expression"<input type="text" required bind:value=cron aria-describedby="cron-hint" /></label>
                        <span class="hint" id="cron-hint">"minute hour day month weekday, such as 0 4 * * * (04:00 every day)"</span>
                    }.into_any()
                }}
                <span class="hint">{move || format!("Times are read in {}, daylight saving included.", zone.get())}</span>
            </fieldset>
            <fieldset>
                <legend>"Steps"</legend>
                <div class="action-bar">
                    <button type="button" class="button" on:click=move |_| steps.set(draft::maintenance().into_iter().map(row).collect())>
                        "Maintenance: 3 warnings, snapshot, pause"
                    </button>
                    <button type="button" class="button" on:click=move |_| steps.update(|s| s.push(row(StepDraft::new("message", 0, "")))) >
                        "Add step"
                    </button>
                </div>
                <ol class="steps" data-testid="steps">
                    <For each=move || steps.get() key=|r| r.key let:r>
                        <StepFields r steps is_admin=Signal::derive(is_admin) />
                    </For>
                </ol>
            </fieldset>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            {move || save.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="action-bar">
                <button type="submit" class="button primary" disabled=move || save.busy.get()>
                    {move || if save.busy.get() { "Saving…" } else { "Save schedule" }}
                </button>
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn StepFields(r: StepRow, steps: RwSignal<Vec<StepRow>>, is_admin: Signal<bool>) -> impl IntoView {
    let position = move || {
        steps
            .with(|s| s.iter().position(|x| x.key == r.key))
            .map_or(0, |p| p + 1)
    };
    let kind = r.kind;
    let count = move || r.text.with(|t| t.chars().count());
    view! {
        <li class="step">
            <span class="step-number">{move || format!("Step {}", position())}</span>
            <label>"Minutes"<input type="number" min="0" max="1440" step="any" required bind:value=r.minutes class="short" /></label>
            <label>"Before or after"
                <select on:change=move |ev| r.before.set(event_target_value(&ev) == "before") prop:value=move || if r.before.get() { "before" } else { "after" }>
                    <option value="before">"before"</option>
                    <option value="after">"after (or at)"</option>
                </select>
            </label>
            <label>"Action"
                <select on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                    {KINDS.iter().map(|(value, label)| {
                        let admin_only = value.ends_with("_config");
                        view! {
                            <option value=*value disabled=move || admin_only && !is_admin.get()>
                                {*label}{admin_only.then_some(" (admin)")}
                            </option>
                        }
                    }).collect_view()}
                </select>
            </label>
            {move || match kind.get().as_str() {
                "message" => view! {
                    <label class="grow">"Message"
                        <textarea rows="2" maxlength=MESSAGE_MAX_CHARS.to_string() required bind:value=r.text></textarea>
                    </label>
                    <div class="message-preview" aria-live="polite">
                        <span class="hint">{move || format!("Players see ({} of {MESSAGE_MAX_CHARS} characters):", count())}</span>
                        <p class="preview-text">{move || r.text.get()}</p>
                    </div>
                }.into_any(),
                "snapshot" => view! { <label class="grow">"Label"<input type="text" maxlength="100" bind:value=r.text /></label> }.into_any(),
                "set_config" => view! {
                    <label>"Key"<input type="text" required bind:value=r.text /></label>
                    <label>"Value"<input type="text" required bind:value=r.value /></label>
                }.into_any(),
                "reset_config" => view! { <label>"Key"<input type="text" required bind:value=r.text /></label> }.into_any(),
                _ => ().into_any(),
            }}
            <label class="inline"><input type="checkbox" bind:checked=r.stop />"Stop the run if this fails"</label>
            <button type="button" class="button" on:click=move |_| steps.update(|s| s.retain(|x| x.key != r.key))
                aria-label=move || format!("Remove step {}", position())>
                "Remove"
            </button>
        </li>
    }
}
