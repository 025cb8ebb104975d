//! What the latest runs did, step by step: what an operator reads in the morning.

use leptos::prelude::*;

use super::describe;
use crate::infra::api::types::ScheduleRuns;
use crate::infra::api::use_api;
use crate::infra::loader::Loader;
use crate::ui::format;
use crate::ui::load::render;

/// `changed` counts the page's changes: each may have started a run.
#[component]
pub fn RecentRuns(changed: RwSignal<u32>) -> impl IntoView {
    let api = use_api();
    let runs = Loader::new(move || {
        changed.track();
        api.get::<ScheduleRuns>("/admin/schedule-runs?limit=10")
    });
    let retry = Callback::new(move |_| runs.refetch());
    view! {
        <h2 id="recent-runs">"Recent runs"</h2>
        {move || render(runs.get(), "the runs", retry, move |runs| {
            if runs.0.is_empty() {
                return view! { <p class="empty">"No schedule has run yet."</p> }.into_any();
            }
            view! {
                <ul class="runs" aria-labelledby="recent-runs" data-testid="runs">
                    {runs.0.into_iter().map(|run| {
                        let how = if run.trigger == "manual" { format!("run now by {}", run.started_by) } else { "on schedule".to_owned() };
                        let missed = (run.missed_occurrences > 0)
                            .then(|| format!(" · {} earlier occurrences missed too", run.missed_occurrences));
                        view! {
                            <li class=format!("run run-{}", run.status)>
                                <p>
                                    <strong>{run.schedule_name.clone()}</strong>
                                    {format!(" · {} · {how} · {}", format::local_time(run.at), run.status)}
                                    {missed}
                                </p>
                                <ol>
                                    {run.outcomes.iter().map(|o| {
                                        let step = run.steps.get(o.index as usize).map(describe).unwrap_or_default();
                                        let late = o.at - o.due_at;
                                        let timing = if o.result == "succeeded" && late > 5 { format!(", {late} s late") } else { String::new() };
                                        view! {
                                            <li class=format!("outcome outcome-{}", o.result)>
                                                {format!("{step}: {}{timing}", o.result)}
                                                <span class="sub">{format!("{} · {}", format::local_time(o.at), o.detail)}</span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}
