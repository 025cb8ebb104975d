//! The runner: every second (and at once when the dev clock moves), each replica starts the
//! occurrences that are due and takes the steps that are due, as the store lets it (see
//! `store::schedules`), on the gateway's clock. A step runs with its schedule owner's role as
//! it is then: an owner demoted, disabled or deleted since gets the step refused, recorded.

use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use crate::domain::audit::{Actor, Audit, AuditEntry, TargetType};
use crate::domain::rfc3339;
use crate::domain::runtime_config::ConfigChange;
use crate::domain::schedules::{
    self, Action, Run, RunStatus, StepOutcome, StepResult, Trigger, CLAIM_LEASE, GRACE,
};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::store::StoreResult;

/// How long a step may take: half the claim's lease.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the schedules until the process ends, once a second and whenever `state.schedule_wake`
/// is notified (a schedule saved, the dev clock moved).
pub async fn run_forever(state: AppState) {
    loop {
        if let Err(e) = run_due(&state).await {
            tracing::warn!("schedules were not run this time: {e}");
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = state.schedule_wake.notified() => {}
        }
    }
}

/// Starts every due occurrence and takes every due step, until nothing more is due now.
pub async fn run_due(state: &AppState) -> StoreResult<()> {
    let _one_pass = state.schedule_pass.lock().await;
    let now = state.world().ban_clock();
    for schedule in state.schedules.due(now).await? {
        let Some(due) = schedules::due(&schedule, now) else {
            continue;
        };
        let system = state.audit_entry(&schedule_actor(&schedule.owner), Audit::default());
        let (run, entries) = if due.missed > 0 {
            let run = Run::missed(&schedule, due.at, due.missed, now);
            let detail = if due.missed > 1 {
                format!(
                    "{} occurrences up to {} were missed: no gateway ran within {} s of them",
                    due.missed,
                    rfc3339(due.at),
                    GRACE.whole_seconds()
                )
            } else {
                format!(
                    "the occurrence at {} was missed: no gateway ran within {} s of it",
                    rfc3339(due.at),
                    GRACE.whole_seconds()
                )
            };
            let entry = system
                .with(on_schedule("schedule.run", &schedule.id, &schedule.name).detail(detail));
            (run, vec![entry])
        } else {
            (
                Run::start(
                    &schedule,
                    due.at,
                    Trigger::Scheduled,
                    &schedule.owner.username,
                ),
                vec![],
            )
        };
        state
            .schedules
            .start(&schedule, run, due.next_at, entries)
            .await?;
    }
    loop {
        let mut took = false;
        for run in state.schedules.active().await? {
            // Read again for each run: a claim is dated when it is made, not when the pass began.
            let now = state.world().ban_clock();
            if let Some((index, since)) = run.claimed {
                if since + CLAIM_LEASE < now {
                    interrupted(state, &run, index, now).await?;
                    took = true;
                }
                continue;
            }
            let Some(index) = run.next_step(now) else {
                continue;
            };
            if !state.schedules.claim(run.id, index, now).await? {
                continue;
            }
            took = true;
            let outcome = take_step(state, &run, index, now).await;
            let entries = outcome_entries(state, &run, &outcome);
            state.schedules.record(run.id, outcome, entries).await?;
        }
        if !took {
            return Ok(());
        }
    }
}

fn on_schedule(action: &'static str, id: &uuid::Uuid, name: &str) -> Audit {
    Audit::new(action).on(
        TargetType::Schedule,
        Some(id.to_string()),
        Some(name.to_owned()),
    )
}

/// The gateway itself, for what a schedule's runner records about a run: `(system)`, naming
/// the owner the schedule acts for.
fn schedule_actor(owner: &schedules::Owner) -> Actor {
    Actor {
        via: Some(format!("a schedule of {}", owner.username)),
        ..Actor::system()
    }
}

/// The owner as the actor of a step: with its role now, and "with schedule …" on every entry
/// the step makes.
fn owner_actor(owner: &schedules::Owner, role: crate::domain::roles::Role, via: String) -> Actor {
    Actor {
        id: Some(owner.id),
        username: owner.username.clone(),
        role: Some(role),
        via: Some(via),
    }
}

/// "on time" within a few seconds of its due time, else how late.
fn punctuality(due: OffsetDateTime, at: OffsetDateTime) -> String {
    let late = (at - due).whole_seconds();
    if late <= 5 {
        "on time".into()
    } else {
        format!("{late} s late")
    }
}

async fn take_step(state: &AppState, run: &Run, index: usize, now: OffsetDateTime) -> StepOutcome {
    let step = &run.steps[index];
    let due_at = run.due_at(index);
    let outcome = |result, detail: String| StepOutcome {
        index,
        due_at,
        at: now,
        result,
        detail,
    };
    if now > due_at + GRACE {
        return outcome(
            StepResult::Missed,
            format!(
                "not run: its time passed {} s ago, beyond the grace of {} s",
                (now - due_at).whole_seconds(),
                GRACE.whole_seconds()
            ),
        );
    }
    let owner = match state.accounts.get(run.owner.id).await {
        Ok(Some(account)) if !account.disabled => account,
        Ok(_) => {
            return outcome(
                StepResult::Failed,
                format!(
                    "refused: the schedule's owner {} no longer has an enabled account",
                    run.owner.username
                ),
            )
        }
        Err(e) => return outcome(StepResult::Failed, format!("not run: {e}")),
    };
    let needed = step.action.minimum_role();
    if owner.role < needed {
        return outcome(
            StepResult::Failed,
            format!(
                "refused: {} needs {needed}, and the schedule's owner {} is {} now",
                step.action.describe(),
                owner.username,
                owner.role
            ),
        );
    }
    let via = format!(
        "schedule “{}” (step {} of {}, due {}, {})",
        run.schedule_name,
        index + 1,
        run.steps.len(),
        rfc3339(due_at),
        punctuality(due_at, now)
    );
    let actor = owner_actor(&run.owner, owner.role, via);
    // Well within the claim's lease, so no other replica takes this step for interrupted
    // while it still runs.
    match tokio::time::timeout(STEP_TIMEOUT, perform(state, &actor, &step.action)).await {
        Ok(Ok(detail)) => outcome(StepResult::Succeeded, detail),
        Ok(Err(e)) => outcome(StepResult::Failed, e.message()),
        Err(_) => outcome(
            StepResult::Failed,
            format!(
                "did not finish within {} s; it may have happened: check before running it again",
                STEP_TIMEOUT.as_secs()
            ),
        ),
    }
}

/// Does `action` for `actor` through the same paths as the console's own requests, so it is
/// audited alike; what happened, in words.
async fn perform(state: &AppState, actor: &Actor, action: &Action) -> Result<String, ApiError> {
    match action {
        Action::Pause | Action::Resume => {
            let pause = matches!(action, Action::Pause);
            let mut world = state.world();
            Ok(
                match crate::http::game::set_paused(&mut world, actor, pause, None) {
                    Some(tick) if pause => format!("paused at tick {tick}"),
                    Some(tick) => format!("resumed at tick {tick}"),
                    None if pause => "the game was already paused".into(),
                    None => "the game was already running".into(),
                },
            )
        }
        Action::Snapshot { label } => {
            let taken = state
                .snapshots
                .take(actor, label.clone(), None)
                .await?
                .ok_or_else(|| ApiError::ServiceUnavailable("Snapshot ids are used up".into()))?;
            Ok(format!(
                "snapshot {} at tick {}",
                taken.id, taken.tick_number
            ))
        }
        Action::SetConfig { key, value } => {
            config(
                state,
                actor,
                key,
                ConfigChange::Set(value.clone()),
                "config.update",
            )
            .await
        }
        Action::ResetConfig { key } => {
            config(state, actor, key, ConfigChange::Reset, "config.reset").await
        }
        Action::Message { text } => {
            // Planned warnings are not held back by the limit on sending by hand.
            let sent = crate::http::player_messages::send(state, actor, text, false).await?;
            Ok(format!("sent to {} players online", sent.recipients))
        }
    }
}

async fn config(
    state: &AppState,
    actor: &Actor,
    key: &str,
    change: ConfigChange,
    action: &'static str,
) -> Result<String, ApiError> {
    let stamp = state.audit_entry(actor, Audit::default());
    let item = state
        .config
        .change(key, change, None, |before: &Value, item| {
            stamp.with(crate::http::config::config_change(
                action,
                key.to_owned(),
                before,
                &item.value,
            ))
        })
        .await?;
    Ok(format!("{key} = {}", item.value))
}

/// The entries of a step's outcome beyond what the step itself recorded: a step that did not
/// succeed, and the run's end.
fn outcome_entries(
    state: &AppState,
    run: &Run,
    outcome: &StepOutcome,
) -> impl FnOnce(&Run) -> Vec<AuditEntry> + Send {
    let stamp = state.audit_entry(&schedule_actor(&run.owner), Audit::default());
    let (id, name) = (run.schedule_id, run.schedule_name.clone());
    let step = outcome.clone();
    let description = run.steps[outcome.index].action.describe();
    move |after: &Run| {
        let mut entries = Vec::new();
        if step.result != StepResult::Succeeded {
            entries.push(
                stamp.with(on_schedule("schedule.step", &id, &name).detail(format!(
                    "step {} ({description}) {}: {}",
                    step.index + 1,
                    result_word(step.result),
                    step.detail
                ))),
            );
        }
        if after.status != RunStatus::Running {
            entries
                .push(stamp.with(on_schedule("schedule.run", &id, &name).detail(summary(after))));
        }
        entries
    }
}

fn result_word(result: StepResult) -> &'static str {
    match result {
        StepResult::Succeeded => "succeeded",
        StepResult::Failed => "failed",
        StepResult::Skipped => "skipped",
        StepResult::Missed => "missed",
        StepResult::Interrupted => "interrupted",
    }
}

/// "run of 04:00 UTC succeeded: 5 of 5 steps".
pub fn summary(run: &Run) -> String {
    let succeeded = run
        .outcomes
        .iter()
        .filter(|o| o.result == StepResult::Succeeded)
        .count();
    format!(
        "run of {} {}: {succeeded} of {} steps succeeded",
        rfc3339(run.at),
        run.status.as_str(),
        run.steps.len()
    )
}

async fn interrupted(
    state: &AppState,
    run: &Run,
    index: usize,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let outcome = StepOutcome {
        index,
        due_at: run.due_at(index),
        at: now,
        result: StepResult::Interrupted,
        detail: "the gateway running it stopped before recording what happened; not run again"
            .into(),
    };
    let entries = outcome_entries(state, run, &outcome);
    state.schedules.record(run.id, outcome, entries).await
}
