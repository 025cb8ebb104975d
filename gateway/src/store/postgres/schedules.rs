//! Schedules on `admin_schedules` and their runs on `admin_schedule_runs` (migration 0013).
//! See `store::schedules` for how each step runs once across replicas.

use time::OffsetDateTime;
use tokio_postgres::types::Json;
use tokio_postgres::Row;
use uuid::Uuid;

use super::audit::insert_audit;
use super::{unavailable, Postgres};
use crate::domain::audit::AuditEntry;
use crate::domain::schedules::{
    Owner, Run, RunStatus, Schedule, Step, StepOutcome, Trigger, When, MAX_SCHEDULES,
};
use crate::store::schedules::{cancel_run, changed_meanwhile, finish_if_done};
use crate::store::{StoreError, StoreResult};

const COLUMNS: &str = "id, name, time_zone, timing, steps, enabled, owner_id, owner_username, \
     created_at, updated_at, revision, next_at";

const RUN_COLUMNS: &str = "id, schedule_id, schedule_name, occurrence_at, trigger, started_by, \
     owner_id, owner_username, status, steps, outcomes, missed_occurrences, claimed_step, claimed_at";

fn malformed(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("a stored {what} cannot be read: {e}"))
}

fn schedule(row: &Row) -> StoreResult<Schedule> {
    let Json(when): Json<When> = row
        .try_get("timing")
        .map_err(|e| malformed("schedule", e))?;
    let Json(steps): Json<Vec<Step>> =
        row.try_get("steps").map_err(|e| malformed("schedule", e))?;
    Ok(Schedule {
        id: row.get("id"),
        name: row.get("name"),
        time_zone: row.get("time_zone"),
        when,
        steps,
        enabled: row.get("enabled"),
        owner: Owner {
            id: row.get("owner_id"),
            username: row.get("owner_username"),
        },
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        revision: row.get("revision"),
        next_at: row.get("next_at"),
    })
}

fn trigger_name(t: Trigger) -> &'static str {
    match t {
        Trigger::Scheduled => "scheduled",
        Trigger::Manual => "manual",
    }
}

fn status_of(name: &str) -> RunStatus {
    match name {
        "succeeded" => RunStatus::Succeeded,
        "failed" => RunStatus::Failed,
        "missed" => RunStatus::Missed,
        "cancelled" => RunStatus::Cancelled,
        _ => RunStatus::Running,
    }
}

fn run(row: &Row) -> StoreResult<Run> {
    let Json(steps): Json<Vec<Step>> = row.try_get("steps").map_err(|e| malformed("run", e))?;
    let Json(outcomes): Json<Vec<StepOutcome>> =
        row.try_get("outcomes").map_err(|e| malformed("run", e))?;
    let claimed_step: Option<i32> = row.get("claimed_step");
    let claimed_at: Option<OffsetDateTime> = row.get("claimed_at");
    Ok(Run {
        id: row.get("id"),
        schedule_id: row.get("schedule_id"),
        schedule_name: row.get("schedule_name"),
        at: row.get("occurrence_at"),
        trigger: if row.get::<_, &str>("trigger") == "manual" {
            Trigger::Manual
        } else {
            Trigger::Scheduled
        },
        started_by: row.get("started_by"),
        status: status_of(row.get("status")),
        steps,
        outcomes,
        missed_occurrences: u32::try_from(row.get::<_, i32>("missed_occurrences"))
            .unwrap_or_default(),
        owner: Owner {
            id: row.get("owner_id"),
            username: row.get("owner_username"),
        },
        claimed: claimed_step
            .zip(claimed_at)
            .map(|(i, at)| (usize::try_from(i).unwrap_or_default(), at)),
    })
}

/// Both take a schedule's columns in the order of [`save`]'s parameters.
const INSERT: &str = "INSERT INTO admin_schedules (id, name, time_zone, timing, steps, enabled, \
     owner_id, owner_username, created_at, updated_at, revision, next_at, next_due_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const UPDATE: &str = "UPDATE admin_schedules SET name = $2, time_zone = $3, timing = $4, \
     steps = $5, enabled = $6, owner_id = $7, owner_username = $8, created_at = $9, \
     updated_at = $10, revision = $11, next_at = $12, next_due_at = $13 WHERE id = $1";

async fn save(
    tx: &tokio_postgres::Transaction<'_>,
    statement: &str,
    s: &Schedule,
) -> StoreResult<()> {
    tx.execute(
        statement,
        &[
            &s.id,
            &s.name,
            &s.time_zone,
            &Json(&s.when),
            &Json(&s.steps),
            &s.enabled,
            &s.owner.id,
            &s.owner.username,
            &s.created_at,
            &s.updated_at,
            &s.revision,
            &s.next_at,
            &s.next_due(),
        ],
    )
    .await
    .map(drop)
    .map_err(unavailable)
}

fn rows_to<T>(rows: &[Row], f: fn(&Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(f).collect()
}

impl Postgres {
    pub async fn schedules(&self) -> StoreResult<Vec<Schedule>> {
        let client = self.client().await?;
        let rows = client
            .query(&format!("SELECT {COLUMNS} FROM admin_schedules"), &[])
            .await
            .map_err(unavailable)?;
        rows_to(&rows, schedule)
    }

    pub async fn schedule(&self, id: Uuid) -> StoreResult<Option<Schedule>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM admin_schedules WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(unavailable)?;
        row.as_ref().map(schedule).transpose()
    }

    pub async fn schedules_due(&self, now: OffsetDateTime) -> StoreResult<Vec<Schedule>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM admin_schedules WHERE enabled AND next_due_at <= $1 \
                     ORDER BY next_due_at"
                ),
                &[&now],
            )
            .await
            .map_err(unavailable)?;
        rows_to(&rows, schedule)
    }

    pub async fn create_schedule(&self, s: &Schedule, entry: AuditEntry) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        // Serializes creations, so two at once cannot both pass the count.
        tx.execute(
            "LOCK TABLE admin_schedules IN SHARE ROW EXCLUSIVE MODE",
            &[],
        )
        .await
        .map_err(unavailable)?;
        let count: i64 = tx
            .query_one("SELECT count(*) FROM admin_schedules", &[])
            .await
            .map_err(unavailable)?
            .get(0);
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_SCHEDULES {
            return Err(crate::domain::error::Rejected::Conflict(format!(
                "There are already {MAX_SCHEDULES} schedules; cancel one you no longer need"
            ))
            .into());
        }
        save(&tx, INSERT, s).await?;
        insert_audit(&tx, &entry).await?;
        tx.commit().await.map_err(unavailable)
    }

    pub async fn replace_schedule(
        &self,
        s: &Schedule,
        entry: impl FnOnce(&Schedule) -> AuditEntry + Send,
    ) -> StoreResult<Option<Schedule>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let Some(row) = tx
            .query_opt(
                &format!("SELECT {COLUMNS} FROM admin_schedules WHERE id = $1 FOR UPDATE"),
                &[&s.id],
            )
            .await
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        let before = schedule(&row)?;
        if before.revision != s.revision - 1 {
            return Err(changed_meanwhile(&before).into());
        }
        save(&tx, UPDATE, s).await?;
        insert_audit(&tx, &entry(&before)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(before))
    }

    pub async fn cancel_schedule(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        entry: impl FnOnce(&Schedule) -> AuditEntry + Send,
    ) -> StoreResult<Option<Schedule>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let Some(row) = tx
            .query_opt(
                &format!("DELETE FROM admin_schedules WHERE id = $1 RETURNING {COLUMNS}"),
                &[&id],
            )
            .await
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        let cancelled = schedule(&row)?;
        let runs = tx
            .query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM admin_schedule_runs \
                     WHERE schedule_id = $1 AND status = 'running' FOR UPDATE"
                ),
                &[&id],
            )
            .await
            .map_err(unavailable)?;
        for row in &runs {
            let mut r = run(row)?;
            cancel_run(&mut r, now);
            tx.execute(
                "UPDATE admin_schedule_runs SET status = $2, outcomes = $3 WHERE id = $1",
                &[&r.id, &r.status.as_str(), &Json(&r.outcomes)],
            )
            .await
            .map_err(unavailable)?;
        }
        insert_audit(&tx, &entry(&cancelled)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(cancelled))
    }

    async fn insert_run(tx: &tokio_postgres::Transaction<'_>, r: &Run) -> StoreResult<Option<Run>> {
        let row = tx
            .query_opt(
                &format!(
                    "INSERT INTO admin_schedule_runs (schedule_id, schedule_name, occurrence_at, \
                     trigger, started_by, owner_id, owner_username, status, steps, outcomes, \
                     missed_occurrences) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT DO NOTHING RETURNING {RUN_COLUMNS}"
                ),
                &[
                    &r.schedule_id,
                    &r.schedule_name,
                    &r.at,
                    &trigger_name(r.trigger),
                    &r.started_by,
                    &r.owner.id,
                    &r.owner.username,
                    &r.status.as_str(),
                    &Json(&r.steps),
                    &Json(&r.outcomes),
                    &i32::try_from(r.missed_occurrences).unwrap_or(i32::MAX),
                ],
            )
            .await
            .map_err(unavailable)?;
        row.as_ref().map(run).transpose()
    }

    pub async fn start_run(
        &self,
        s: &Schedule,
        r: Run,
        next_at: Option<OffsetDateTime>,
        entries: Vec<AuditEntry>,
    ) -> StoreResult<Option<Run>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let next_due = next_at.map(|t| t + crate::domain::schedules::first_offset(&s.steps));
        let moved = tx
            .execute(
                "UPDATE admin_schedules SET next_at = $3, next_due_at = $4, \
                 revision = revision + 1 WHERE id = $1 AND next_at = $2",
                &[&s.id, &s.next_at, &next_at, &next_due],
            )
            .await
            .map_err(unavailable)?;
        if moved == 0 {
            return Ok(None);
        }
        let Some(started) = Self::insert_run(&tx, &r).await? else {
            // The occurrence has its run already: the schedule still moves on past it.
            tx.commit().await.map_err(unavailable)?;
            return Ok(None);
        };
        for entry in &entries {
            insert_audit(&tx, entry).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(started))
    }

    pub async fn add_run(&self, r: Run, entry: AuditEntry) -> StoreResult<Run> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let started = Self::insert_run(&tx, &r)
            .await?
            .ok_or_else(|| StoreError::Unavailable("the run was not stored".into()))?;
        insert_audit(&tx, &entry).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(started)
    }

    pub async fn active_runs(&self) -> StoreResult<Vec<Run>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM admin_schedule_runs WHERE status = 'running' ORDER BY id"
                ),
                &[],
            )
            .await
            .map_err(unavailable)?;
        rows_to(&rows, run)
    }

    pub async fn claim_step(
        &self,
        id: i64,
        index: usize,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        let index = i32::try_from(index).unwrap_or(i32::MAX);
        let claimed = client
            .execute(
                "UPDATE admin_schedule_runs SET claimed_step = $2, claimed_at = $3 \
                 WHERE id = $1 AND status = 'running' AND claimed_step IS NULL \
                   AND jsonb_array_length(outcomes) = $2 AND jsonb_array_length(steps) > $2",
                &[&id, &index, &now],
            )
            .await
            .map_err(unavailable)?;
        Ok(claimed == 1)
    }

    pub async fn record_step(
        &self,
        id: i64,
        outcome: StepOutcome,
        entries: impl FnOnce(&Run) -> Vec<AuditEntry> + Send,
    ) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let index = i32::try_from(outcome.index).unwrap_or(i32::MAX);
        let Some(row) = tx
            .query_opt(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM admin_schedule_runs \
                     WHERE id = $1 AND claimed_step = $2 FOR UPDATE"
                ),
                &[&id, &index],
            )
            .await
            .map_err(unavailable)?
        else {
            return Ok(false);
        };
        let mut r = run(&row)?;
        r.claimed = None;
        r.outcomes.push(outcome);
        finish_if_done(&mut r);
        tx.execute(
            "UPDATE admin_schedule_runs SET claimed_step = NULL, claimed_at = NULL, \
             outcomes = $2, status = $3 WHERE id = $1",
            &[&id, &Json(&r.outcomes), &r.status.as_str()],
        )
        .await
        .map_err(unavailable)?;
        for entry in entries(&r) {
            insert_audit(&tx, &entry).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(true)
    }

    pub async fn runs(&self, schedule: Option<Uuid>, limit: usize) -> StoreResult<Vec<Run>> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM admin_schedule_runs \
                     WHERE $1::uuid IS NULL OR schedule_id = $1 ORDER BY id DESC LIMIT $2"
                ),
                &[&schedule, &limit],
            )
            .await
            .map_err(unavailable)?;
        rows_to(&rows, run)
    }
}
