//! Schedules and their runs, in whichever store holds them: the world's (one process, `make
//! dev`), or Galaxy's PostgreSQL (`admin_schedules`, `admin_schedule_runs`, migration 0013),
//! shared by every replica.
//!
//! Exactly once across replicas rests on two compare-and-set steps in the store: an occurrence
//! is started by the replica that moves the schedule's `next_at` on from the time it read
//! (the run's row is unique per schedule and time besides), and a step is taken by the replica
//! that claims it while the run holds no claim and has recorded every step before it. Its
//! outcome is recorded only under that claim; a claim left by a replica that stopped is
//! recorded as interrupted after [`CLAIM_LEASE`], so no step runs twice.
//!
//! [`CLAIM_LEASE`]: crate::domain::schedules::CLAIM_LEASE

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::AuditEntry;
use crate::domain::error::Rejected;
use crate::domain::schedules::{Run, RunStatus, Schedule, StepOutcome, StepResult, MAX_SCHEDULES};
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

/// Runs kept in memory; PostgreSQL keeps them all.
const RUNS_KEPT: usize = 1_000;

#[derive(Clone)]
pub enum Schedules {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres),
}

/// A schedule's change refused because another was saved since the caller read it.
pub fn changed_meanwhile(current: &Schedule) -> Rejected {
    Rejected::ChangedMeanwhile {
        detail: "This schedule was changed since you opened it; review the current version".into(),
        etag: current.revision.to_string(),
        current: serde_json::to_value(current.listed()).expect("a schedule serializes"),
    }
}

fn too_many() -> Rejected {
    Rejected::Conflict(format!(
        "There are already {MAX_SCHEDULES} schedules; cancel one you no longer need"
    ))
}

/// A run of a cancelled schedule takes no further step. A step a replica is running now
/// still records its outcome, and the rest are skipped after it.
pub fn cancel_run(run: &mut Run, now: OffsetDateTime) {
    run.status = RunStatus::Cancelled;
    if run.claimed.is_none() {
        for index in run.outcomes.len()..run.steps.len() {
            run.outcomes.push(StepOutcome {
                index,
                due_at: run.due_at(index),
                at: now,
                result: StepResult::Skipped,
                detail: "not run: the schedule was cancelled".into(),
            });
        }
    }
}

impl Schedules {
    /// Every schedule, the next to run first, then those that will not run.
    pub async fn list(&self) -> StoreResult<Vec<Schedule>> {
        let mut all = match self {
            Schedules::Memory(world) => lock(world).schedules.clone(),
            Schedules::Postgres(pg) => pg.schedules().await?,
        };
        all.sort_by_key(|s| (s.next_due().is_none(), s.next_due(), s.created_at));
        Ok(all)
    }

    pub async fn get(&self, id: Uuid) -> StoreResult<Option<Schedule>> {
        match self {
            Schedules::Memory(world) => {
                Ok(lock(world).schedules.iter().find(|s| s.id == id).cloned())
            }
            Schedules::Postgres(pg) => pg.schedule(id).await,
        }
    }

    pub async fn create(&self, schedule: &Schedule, entry: AuditEntry) -> StoreResult<()> {
        match self {
            Schedules::Memory(world) => {
                let mut world = lock(world);
                if world.schedules.len() >= MAX_SCHEDULES {
                    return Err(too_many().into());
                }
                world.schedules.push(schedule.clone());
                world.record_audit(entry);
                Ok(())
            }
            Schedules::Postgres(pg) => pg.create_schedule(schedule, entry).await,
        }
    }

    /// Replaces the schedule of `updated.id` when its revision is still `updated.revision - 1`
    /// (else the schedule as it is now, refused); `None`: there is no such schedule.
    pub async fn replace(
        &self,
        updated: &Schedule,
        entry: impl FnOnce(&Schedule) -> AuditEntry + Send,
    ) -> StoreResult<Option<Schedule>> {
        match self {
            Schedules::Memory(world) => {
                let mut world = lock(world);
                let Some(current) = world.schedules.iter_mut().find(|s| s.id == updated.id) else {
                    return Ok(None);
                };
                if current.revision != updated.revision - 1 {
                    return Err(changed_meanwhile(current).into());
                }
                let before = std::mem::replace(current, updated.clone());
                world.record_audit(entry(&before));
                Ok(Some(before))
            }
            Schedules::Postgres(pg) => pg.replace_schedule(updated, entry).await,
        }
    }

    /// Cancels schedule `id`: it is removed, and a run under way takes no further step (the
    /// one a replica is running now still records its outcome).
    pub async fn cancel(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        entry: impl FnOnce(&Schedule) -> AuditEntry + Send,
    ) -> StoreResult<Option<Schedule>> {
        match self {
            Schedules::Memory(world) => {
                let mut world = lock(world);
                let Some(index) = world.schedules.iter().position(|s| s.id == id) else {
                    return Ok(None);
                };
                let cancelled = world.schedules.remove(index);
                for run in world
                    .schedule_runs
                    .iter_mut()
                    .filter(|r| r.schedule_id == id && r.status == RunStatus::Running)
                {
                    cancel_run(run, now);
                }
                world.record_audit(entry(&cancelled));
                Ok(Some(cancelled))
            }
            Schedules::Postgres(pg) => pg.cancel_schedule(id, now, entry).await,
        }
    }

    /// Enabled schedules whose next occurrence's first step is due by `now`.
    pub async fn due(&self, now: OffsetDateTime) -> StoreResult<Vec<Schedule>> {
        let due = |s: &Schedule| s.enabled && s.next_due().is_some_and(|d| d <= now);
        match self {
            Schedules::Memory(world) => Ok(lock(world)
                .schedules
                .iter()
                .filter(|s| due(s))
                .cloned()
                .collect()),
            Schedules::Postgres(pg) => Ok(pg
                .schedules_due(now)
                .await?
                .into_iter()
                .filter(due)
                .collect()),
        }
    }

    /// Starts `run` of `schedule` when its `next_at` is still the one read (moving it to
    /// `next_at` and bumping its revision, so an edit from before is refused), recorded with
    /// `entries`; `None` when another replica started it, or the occurrence already has its
    /// run (the schedule still moves on).
    pub async fn start(
        &self,
        schedule: &Schedule,
        run: Run,
        next_at: Option<OffsetDateTime>,
        entries: Vec<AuditEntry>,
    ) -> StoreResult<Option<Run>> {
        match self {
            Schedules::Memory(world) => {
                let mut world = lock(world);
                let Some(current) = world.schedules.iter_mut().find(|s| s.id == schedule.id) else {
                    return Ok(None);
                };
                if current.next_at != schedule.next_at {
                    return Ok(None);
                }
                current.next_at = next_at;
                current.revision += 1;
                let started = world.schedule_runs.iter().any(|r| {
                    r.schedule_id == run.schedule_id
                        && r.trigger == crate::domain::schedules::Trigger::Scheduled
                        && r.at == run.at
                });
                Ok((!started).then(|| add_run(&mut world, run, entries)))
            }
            Schedules::Postgres(pg) => pg.start_run(schedule, run, next_at, entries).await,
        }
    }

    /// A run started by "run now", recorded with `entry`.
    pub async fn add(&self, run: Run, entry: AuditEntry) -> StoreResult<Run> {
        match self {
            Schedules::Memory(world) => Ok(add_run(&mut lock(world), run, vec![entry])),
            Schedules::Postgres(pg) => pg.add_run(run, entry).await,
        }
    }

    /// Runs under way, oldest first.
    pub async fn active(&self) -> StoreResult<Vec<Run>> {
        match self {
            Schedules::Memory(world) => Ok(lock(world)
                .schedule_runs
                .iter()
                .filter(|r| r.status == RunStatus::Running)
                .cloned()
                .collect()),
            Schedules::Postgres(pg) => pg.active_runs().await,
        }
    }

    /// Claims step `index` of run `id` for this replica at `now`: whether it got it (the run
    /// holds no claim and has recorded every step before it).
    pub async fn claim(&self, id: i64, index: usize, now: OffsetDateTime) -> StoreResult<bool> {
        match self {
            Schedules::Memory(world) => {
                let mut world = lock(world);
                let Some(run) = world.schedule_runs.iter_mut().find(|r| r.id == id) else {
                    return Ok(false);
                };
                let free = run.status == RunStatus::Running
                    && run.claimed.is_none()
                    && run.outcomes.len() == index
                    && index < run.steps.len();
                if free {
                    run.claimed = Some((index, now));
                }
                Ok(free)
            }
            Schedules::Postgres(pg) => pg.claim_step(id, index, now).await,
        }
    }

    /// Records `outcome` of the step claimed in run `id`, and the run's end when it was its
    /// last (or the run stops there), with `entries`; whether the claim was still held.
    pub async fn record(
        &self,
        id: i64,
        outcome: StepOutcome,
        entries: impl FnOnce(&Run) -> Vec<AuditEntry> + Send,
    ) -> StoreResult<bool> {
        match self {
            Schedules::Memory(world) => {
                let mut world = lock(world);
                let Some(run) = world.schedule_runs.iter_mut().find(|r| r.id == id) else {
                    return Ok(false);
                };
                if run.claimed.map(|(i, _)| i) != Some(outcome.index) {
                    return Ok(false);
                }
                run.claimed = None;
                run.outcomes.push(outcome);
                finish_if_done(run);
                let run = run.clone();
                for entry in entries(&run) {
                    world.record_audit(entry);
                }
                Ok(true)
            }
            Schedules::Postgres(pg) => pg.record_step(id, outcome, entries).await,
        }
    }

    /// Runs, newest first: of schedule `id`, or of all.
    pub async fn runs(&self, schedule: Option<Uuid>, limit: usize) -> StoreResult<Vec<Run>> {
        match self {
            Schedules::Memory(world) => Ok(lock(world)
                .schedule_runs
                .iter()
                .rev()
                .filter(|r| schedule.is_none_or(|id| r.schedule_id == id))
                .take(limit)
                .cloned()
                .collect()),
            Schedules::Postgres(pg) => pg.runs(schedule, limit).await,
        }
    }
}

/// Ends `run` when every step has an outcome, or skips the rest when a failure stops it.
pub fn finish_if_done(run: &mut Run) {
    let why = if run.status == RunStatus::Cancelled {
        Some("not run: the schedule was cancelled")
    } else if run.stopped() {
        Some("not run: an earlier step failed and stops the run")
    } else {
        None
    };
    if let Some(why) = why {
        let at = run.outcomes.last().map(|o| o.at).unwrap_or(run.at);
        for index in run.outcomes.len()..run.steps.len() {
            run.outcomes.push(StepOutcome {
                index,
                due_at: run.due_at(index),
                at,
                result: StepResult::Skipped,
                detail: why.into(),
            });
        }
    }
    if run.outcomes.len() >= run.steps.len() && run.status == RunStatus::Running {
        run.status = Run::final_status(&run.outcomes);
    }
}

fn add_run(world: &mut World, mut run: Run, entries: Vec<AuditEntry>) -> Run {
    run.id = world.next_schedule_run_id;
    world.next_schedule_run_id += 1;
    if world.schedule_runs.len() >= RUNS_KEPT {
        world.schedule_runs.pop_front();
    }
    world.schedule_runs.push_back(run.clone());
    for entry in entries {
        world.record_audit(entry);
    }
    run
}
