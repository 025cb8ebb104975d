//! Snapshots on Galaxy's `snapshots` table (with the pin, label and creator of migration 0005):
//! listed without their `state`, which for Galaxy's world is large; each change in one
//! transaction with its audit entries.

use std::collections::HashSet;

use serde_json::json;
use tokio_postgres::error::SqlState;
use tokio_postgres::{GenericClient, Row, Transaction};

use super::audit::insert_audit;
use super::config::snapshot_retention;
use super::{unavailable, Postgres};
use crate::domain::audit::{Actor, AuditEntry};
use crate::domain::game::GameStatus;
use crate::domain::snapshots::{retention_entry, taken_entry, Deletion, Snapshot};
use crate::store::StoreResult;

/// `size_bytes` is the state's stored size (compressed as kept), read without decompressing it.
const COLUMNS: &str =
    "id, tick_number, game_time, COALESCE(created_at, 'epoch'::timestamptz) AS created_at, \
     pg_column_size(state)::bigint AS size_bytes, pinned, label, created_by";

fn snapshot(row: &Row) -> Snapshot {
    Snapshot {
        id: u32::try_from(row.get::<_, i32>("id")).unwrap_or_default(),
        tick_number: u64::try_from(row.get::<_, i64>("tick_number")).unwrap_or_default(),
        game_time: row.get("game_time"),
        created_at: row.get("created_at"),
        size_bytes: u64::try_from(row.get::<_, i64>("size_bytes")).unwrap_or_default(),
        pinned: row.get("pinned"),
        label: row.get("label"),
        created_by: row.get("created_by"),
    }
}

/// Deletes the unpinned snapshots beyond the newest `snapshot_retention` ones (sparing `spare`);
/// the ids deleted, oldest first, for their `snapshot.delete` entries by `(system)`.
async fn apply_retention(tx: &Transaction<'_>, spare: Option<u32>) -> StoreResult<Vec<u32>> {
    let keep = i64::try_from(snapshot_retention(tx).await?).unwrap_or(i64::MAX);
    let spare = spare.and_then(|id| i32::try_from(id).ok());
    let rows = tx
        .query(
            "DELETE FROM snapshots WHERE NOT pinned AND id IS DISTINCT FROM $2 \
               AND id NOT IN (SELECT id FROM snapshots WHERE NOT pinned ORDER BY id DESC LIMIT $1) \
             RETURNING id",
            &[&keep, &spare],
        )
        .await
        .map_err(unavailable)?;
    let mut deleted: Vec<u32> = rows
        .iter()
        .filter_map(|row| u32::try_from(row.get::<_, i32>("id")).ok())
        .collect();
    deleted.sort_unstable();
    Ok(deleted)
}

/// Snapshot `id`, read through `client` (a pooled connection or an open transaction).
async fn by_id(client: &impl GenericClient, id: i32) -> StoreResult<Option<Snapshot>> {
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM snapshots WHERE id = $1"),
            &[&id],
        )
        .await
        .map_err(unavailable)?;
    Ok(row.as_ref().map(snapshot))
}

impl Postgres {
    /// Every snapshot, newest first. The table stays small: retention keeps the newest
    /// `snapshot_retention` (at most 1000) unpinned ones, and operators pin a few.
    pub async fn snapshots(&self) -> StoreResult<Vec<Snapshot>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {COLUMNS} FROM snapshots ORDER BY id DESC"),
                &[],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(snapshot).collect())
    }

    pub async fn snapshot(&self, id: u32) -> StoreResult<Option<Snapshot>> {
        let Ok(id) = i32::try_from(id) else {
            return Ok(None);
        };
        let client = self.client().await?;
        by_id(&**client, id).await
    }

    pub async fn existing_snapshots(&self, ids: &[u32]) -> StoreResult<HashSet<u32>> {
        let ids: Vec<i32> = ids
            .iter()
            .filter_map(|&id| i32::try_from(id).ok())
            .collect();
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let client = self.client().await?;
        let rows = client
            .query("SELECT id FROM snapshots WHERE id = ANY($1)", &[&ids])
            .await
            .map_err(unavailable)?;
        Ok(rows
            .iter()
            .filter_map(|row| u32::try_from(row.get::<_, i32>("id")).ok())
            .collect())
    }

    /// Stores the world at `status` (with `players` players) as a snapshot by `actor`, with its
    /// `snapshot.create` entry, then applies retention sparing `spare`. Snapshots are taken one
    /// at a time across replicas, so retention counts each new one once. `None` once the id
    /// sequence is used up.
    pub async fn take_snapshot(
        &self,
        actor: &Actor,
        label: Option<String>,
        spare: Option<u32>,
        status: &GameStatus,
        players: usize,
    ) -> StoreResult<Option<Snapshot>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtext('snapshots'))", &[])
            .await
            .map_err(unavailable)?;
        // What the simulation has of a world; Galaxy's tick-engine stores its whole state.
        let state = json!({
            "tick_number": status.tick,
            "game_time": crate::domain::rfc3339(status.game_time),
            "players": players,
        });
        let tick = i64::try_from(status.tick).unwrap_or(i64::MAX);
        let created_by = actor.id.map(|_| actor.username.clone());
        let inserted = tx
            .query_one(
                &format!(
                    "INSERT INTO snapshots (tick_number, game_time, state, created_at, label, created_by, created_by_id) \
                     VALUES ($1, $2, $3, clock_timestamp(), $4, $5, $6) RETURNING {COLUMNS}"
                ),
                &[&tick, &status.game_time, &state, &label, &created_by, &actor.id],
            )
            .await;
        let taken = match inserted {
            Ok(row) => snapshot(&row),
            Err(e) if e.code() == Some(&SqlState::SEQUENCE_GENERATOR_LIMIT_EXCEEDED) => {
                return Ok(None)
            }
            Err(e) => return Err(unavailable(e)),
        };
        let deleted = apply_retention(&tx, spare).await?;
        // The entries last: an audit row holds the log's id lock until commit, and a row lock
        // taken after it could wait on a pin or delete that waits for that lock.
        let entry = AuditEntry::recorded(actor, taken_entry(&taken), status.tick);
        insert_audit(&tx, &entry).await?;
        for id in deleted {
            let entry = AuditEntry::recorded(&Actor::system(), retention_entry(id), status.tick);
            insert_audit(&tx, &entry).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(taken))
    }

    /// Pins or unpins snapshot `id`, recorded with `entry(changed)` when that changes it.
    /// `None` when there is no such snapshot.
    pub async fn set_pinned(
        &self,
        id: u32,
        pinned: bool,
        entry: impl FnOnce(&Snapshot) -> AuditEntry + Send,
    ) -> StoreResult<Option<Snapshot>> {
        let Ok(key) = i32::try_from(id) else {
            return Ok(None);
        };
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let changed = tx
            .query_opt(
                &format!(
                    "UPDATE snapshots SET pinned = $2 WHERE id = $1 AND pinned IS DISTINCT FROM $2 \
                     RETURNING {COLUMNS}"
                ),
                &[&key, &pinned],
            )
            .await
            .map_err(unavailable)?;
        let Some(changed) = changed.as_ref().map(snapshot) else {
            // Already so, or no such snapshot: read on this connection, not a second one.
            return by_id(&*tx, key).await;
        };
        insert_audit(&tx, &entry(&changed)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(changed))
    }

    /// Deletes snapshot `id` unless it is pinned, recorded with `entry(deleted)`. The table's
    /// trigger keeps a pinned row whoever deletes it; no row deleted tells pinned from absent.
    pub async fn delete_snapshot(
        &self,
        id: u32,
        entry: impl FnOnce(&Snapshot) -> AuditEntry + Send,
    ) -> StoreResult<Deletion> {
        let Ok(key) = i32::try_from(id) else {
            return Ok(Deletion::NotFound);
        };
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let deleted = tx
            .query_opt(
                &format!("DELETE FROM snapshots WHERE id = $1 AND NOT pinned RETURNING {COLUMNS}"),
                &[&key],
            )
            .await
            .map_err(unavailable)?;
        let Some(deleted) = deleted.as_ref().map(snapshot) else {
            let exists = tx
                .query_opt("SELECT 1 FROM snapshots WHERE id = $1", &[&key])
                .await
                .map_err(unavailable)?;
            return Ok(if exists.is_some() {
                Deletion::Pinned
            } else {
                Deletion::NotFound
            });
        };
        insert_audit(&tx, &entry(&deleted)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Deletion::Deleted(deleted))
    }
}
