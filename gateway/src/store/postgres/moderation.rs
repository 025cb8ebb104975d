//! Bans, notes and player deletion on `player_bans`, `player_notes` and `players` (migration
//! 0003), each change in one transaction with its audit entry.

use std::collections::HashMap;

use time::OffsetDateTime;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

use super::audit::insert_audit;
use super::{unavailable, Postgres};
use crate::domain::audit::{Actor, AuditEntry};
use crate::domain::error::{FieldError, Rejected};
use crate::domain::players::{ban_expired, Ban, Note};
use crate::store::{StoreError, StoreResult};

const BAN_COLUMNS: &str =
    "b.player_id, b.reason, b.banned_at, b.until, b.banned_by, b.banned_by_id";

fn ban(row: &Row) -> (Uuid, Ban) {
    (
        row.get("player_id"),
        Ban {
            reason: row.get("reason"),
            banned_at: row.get("banned_at"),
            until: row.get("until"),
            by: row.get("banned_by"),
            by_id: row.get("banned_by_id"),
        },
    )
}

fn note(row: &Row, player_id: Uuid) -> Note {
    Note {
        id: u64::try_from(row.get::<_, i64>("id")).unwrap_or_default(),
        player_id,
        text: row.get("text"),
        author: row.get("author"),
        author_id: row.get("author_id"),
        created_at: row.get("created_at"),
    }
}

/// The player a ban or note names is not (or no longer) in `players`.
fn no_such_player(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION)
}

/// PostgreSQL's text cannot hold NUL: kept as U+FFFD, as the audit log keeps it.
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// A text the table's CHECK `constraint` refuses though the contract's rules let it through
/// (the two disagree on what white space is only for rare characters, such as U+0085): a 422
/// on the field, not a failed database.
fn refused_text(e: tokio_postgres::Error, constraint: &str, field: &str) -> StoreError {
    let refused_by = e.as_db_error().and_then(|d| d.constraint());
    if e.code() == Some(&SqlState::CHECK_VIOLATION) && refused_by == Some(constraint) {
        StoreError::Rejected(Rejected::Invalid(vec![FieldError::new(
            &["body", field],
            "Value error, must contain a character that is not white space",
            "value_error",
        )]))
    } else {
        unavailable(e)
    }
}

/// One change to a player's bans at a time, across replicas: `players` cannot be locked by the
/// gateway's role (it may only read and delete rows), so a transaction-level advisory lock
/// keyed by the player stands in for its row lock.
async fn lock_player(tx: &Transaction<'_>, id: Uuid) -> StoreResult<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('player_bans'), hashtext($1::text))",
        &[&id.to_string()],
    )
    .await
    .map(drop)
    .map_err(unavailable)
}

/// Ends the open bans whose `until` has passed at `now` (only player `only`'s, when given) in
/// `tx`, returning their `player.ban_expired` entries for the caller to insert after its last
/// row change (an audit row holds the log's id lock until commit). Rows another transaction holds (a replica
/// sweeping at the same moment, a ban being replaced) are skipped, not waited for: that
/// transaction ends them, or a later sweep does. Each expiry is recorded once.
async fn sweep(
    tx: &Transaction<'_>,
    now: OffsetDateTime,
    tick: u64,
    only: Option<Uuid>,
) -> StoreResult<Vec<AuditEntry>> {
    let rows = tx
        .query(
            &format!(
                "UPDATE player_bans AS b SET ended_at = b.until, end_reason = 'expired' \
                 WHERE b.id IN (SELECT id FROM player_bans \
                   WHERE ended_at IS NULL AND until <= $1 AND ($2::uuid IS NULL OR player_id = $2) \
                   FOR UPDATE SKIP LOCKED) \
                   AND b.ended_at IS NULL \
                 RETURNING {BAN_COLUMNS}, \
                   (SELECT p.username FROM players AS p WHERE p.id = b.player_id) AS username"
            ),
            &[&now, &only],
        )
        .await
        .map_err(unavailable)?;
    let mut ended: Vec<(Uuid, Ban, Option<String>)> = rows
        .iter()
        .map(|row| {
            let (id, ban) = ban(row);
            (id, ban, row.get("username"))
        })
        .collect();
    ended.sort_by_key(|(id, b, _)| (b.until, *id));
    Ok(ended
        .into_iter()
        .map(|(id, ban, username)| {
            AuditEntry::recorded(
                &Actor::system(),
                ban_expired(id, username.as_deref(), &ban),
                tick,
            )
        })
        .collect())
}

/// Inserts `entries` in order in `tx`.
async fn insert_all(tx: &Transaction<'_>, entries: &[AuditEntry]) -> StoreResult<()> {
    for entry in entries {
        insert_audit(tx, entry).await?;
    }
    Ok(())
}

impl Postgres {
    pub async fn expire_bans(&self, now: OffsetDateTime, tick: u64) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let expired = sweep(&tx, now, tick, None).await?;
        insert_all(&tx, &expired).await?;
        tx.commit().await.map_err(unavailable)
    }

    /// The bans that hold at `now` (only player `only`'s, when given), by player.
    pub async fn active_bans(
        &self,
        now: OffsetDateTime,
        only: Option<Uuid>,
    ) -> StoreResult<HashMap<Uuid, Ban>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {BAN_COLUMNS} FROM player_bans AS b \
                     WHERE b.ended_at IS NULL AND (b.until IS NULL OR b.until > $1) \
                       AND ($2::uuid IS NULL OR b.player_id = $2)"
                ),
                &[&now, &only],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(ban).collect())
    }

    /// Bans player `id`: ends the ban that holds as `replaced` (an ended one as `expired`, with
    /// its entry), opens `ban`, and records `entry(replaced)`. `None` when no such player.
    pub async fn ban(
        &self,
        id: Uuid,
        ban_: &Ban,
        now: OffsetDateTime,
        tick: u64,
        entry: impl FnOnce(Option<&Ban>) -> AuditEntry + Send,
    ) -> StoreResult<Option<Option<Ban>>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        lock_player(&tx, id).await?;
        let expired = sweep(&tx, now, tick, Some(id)).await?;
        let replaced = tx
            .query_opt(
                &format!(
                    "UPDATE player_bans AS b SET ended_at = $2, end_reason = 'replaced', \
                       ended_by = $3, ended_by_id = $4 \
                     WHERE b.player_id = $1 AND b.ended_at IS NULL RETURNING {BAN_COLUMNS}"
                ),
                &[&id, &now, &ban_.by, &ban_.by_id],
            )
            .await
            .map_err(unavailable)?
            .map(|row| ban(&row).1);
        let inserted = tx
            .execute(
                "INSERT INTO player_bans (player_id, reason, banned_by, banned_by_id, banned_at, until) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&id, &storable(&ban_.reason), &ban_.by, &ban_.by_id, &ban_.banned_at, &ban_.until],
            )
            .await;
        match inserted {
            Err(e) if no_such_player(&e) => return Ok(None),
            Err(e) => return Err(refused_text(e, "player_bans_reason_length", "reason")),
            Ok(_) => {}
        }
        insert_all(&tx, &expired).await?;
        insert_audit(&tx, &entry(replaced.as_ref())).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(replaced))
    }

    /// Lifts the ban that holds on player `id` at `now`, by `actor`, recorded with
    /// `entry(lifted)`; `None` when none holds.
    pub async fn lift_ban(
        &self,
        id: Uuid,
        actor: &Actor,
        now: OffsetDateTime,
        tick: u64,
        entry: impl FnOnce(&Ban) -> AuditEntry + Send,
    ) -> StoreResult<Option<Ban>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        lock_player(&tx, id).await?;
        let expired = sweep(&tx, now, tick, Some(id)).await?;
        let lifted = tx
            .query_opt(
                &format!(
                    "UPDATE player_bans AS b SET ended_at = $2, end_reason = 'lifted', \
                       ended_by = $3, ended_by_id = $4 \
                     WHERE b.player_id = $1 AND b.ended_at IS NULL RETURNING {BAN_COLUMNS}"
                ),
                &[&id, &now, &actor.username, &actor.id],
            )
            .await
            .map_err(unavailable)?
            .map(|row| ban(&row).1);
        insert_all(&tx, &expired).await?;
        if let Some(lifted) = &lifted {
            insert_audit(&tx, &entry(lifted)).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(lifted)
    }

    /// Deletes the player (its bans and notes go with it, by the foreign keys), recorded with
    /// `entry`; false when there is no such player.
    pub async fn delete_player(&self, id: Uuid, entry: &AuditEntry) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let deleted = tx
            .execute("DELETE FROM players WHERE id = $1", &[&id])
            .await
            .map_err(unavailable)?;
        if deleted == 0 {
            return Ok(false);
        }
        insert_audit(&tx, entry).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(true)
    }

    pub async fn notes(&self, id: Uuid) -> StoreResult<Vec<Note>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id, text, author, author_id, created_at FROM player_notes \
                 WHERE player_id = $1 ORDER BY created_at DESC, id DESC",
                &[&id],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(|row| note(row, id)).collect())
    }

    /// Adds a note by `actor`, recorded with `entry(note)`; `None` when no such player.
    pub async fn add_note(
        &self,
        id: Uuid,
        text: &str,
        actor: &Actor,
        entry: impl FnOnce(&Note) -> AuditEntry + Send,
    ) -> StoreResult<Option<Note>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let inserted = tx
            .query_one(
                "INSERT INTO player_notes (player_id, text, author, author_id) VALUES ($1, $2, $3, $4) \
                 RETURNING id, text, author, author_id, created_at",
                &[&id, &storable(text), &actor.username, &actor.id.unwrap_or(Uuid::nil())],
            )
            .await;
        let note = match inserted {
            Err(e) if no_such_player(&e) => return Ok(None),
            Err(e) => return Err(refused_text(e, "player_notes_text_length", "text")),
            Ok(row) => note(&row, id),
        };
        insert_audit(&tx, &entry(&note)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(note))
    }
}
