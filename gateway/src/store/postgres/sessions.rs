//! Console sessions on `admin_sessions` (migration 0009).

use time::{Duration, OffsetDateTime};
use tokio_postgres::Row;
use uuid::Uuid;

use super::audit::insert_audit;
use super::{unavailable, Postgres};
use crate::domain::audit::AuditEntry;
use crate::domain::sessions::SessionRecord;
use crate::store::StoreResult;

const COLUMNS: &str =
    "id, admin_id, created_at, last_seen_at, expires_at, address, device, ended_at, end_reason";

fn record(row: &Row) -> SessionRecord {
    SessionRecord {
        id: row.get("id"),
        account_id: row.get("admin_id"),
        created_at: row.get("created_at"),
        last_seen_at: row.get("last_seen_at"),
        expires_at: row.get("expires_at"),
        address: row.get("address"),
        device: row.get("device"),
        ended_at: row.get("ended_at"),
        end_reason: row.get("end_reason"),
    }
}

impl Postgres {
    pub async fn start_session(&self, s: &SessionRecord) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO admin_sessions (id, admin_id, created_at, last_seen_at, expires_at, \
                 address, device) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &s.id,
                    &s.account_id,
                    &s.created_at,
                    &s.last_seen_at,
                    &s.expires_at,
                    &s.address,
                    &s.device,
                ],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The session as stored, its last sight written when `writes` says so (and no other
    /// replica wrote it within `every`).
    pub async fn touch_session(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        writes: &(dyn Fn(&SessionRecord) -> bool + Sync),
        every: Duration,
    ) -> StoreResult<Option<SessionRecord>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM admin_sessions WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(unavailable)?;
        let Some(mut found) = row.as_ref().map(record) else {
            return Ok(None);
        };
        if writes(&found) {
            let before = now - every;
            client
                .execute(
                    "UPDATE admin_sessions SET last_seen_at = $2 WHERE id = $1 \
                     AND last_seen_at < $3",
                    &[&id, &now, &before],
                )
                .await
                .map_err(unavailable)?;
            found.last_seen_at = now;
        }
        Ok(Some(found))
    }

    /// The account's live sessions at `now`, newest first.
    pub async fn live_sessions(
        &self,
        account: Uuid,
        now: OffsetDateTime,
        idle: Option<Duration>,
    ) -> StoreResult<Vec<SessionRecord>> {
        let client = self.client().await?;
        let active_since = idle.map(|idle| now - idle);
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM admin_sessions WHERE admin_id = $1 \
                     AND ended_at IS NULL AND expires_at > $2 \
                     AND ($3::timestamptz IS NULL OR last_seen_at >= $3) \
                     ORDER BY created_at DESC, id"
                ),
                &[&account, &now, &active_since],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(record).collect())
    }

    /// Ends the account's live sessions `only` names (every one but `keep` when `only` is
    /// none), with `entry` (built from what ended) unless nothing did; what ended.
    pub async fn end_sessions(
        &self,
        account: Uuid,
        only: Option<Uuid>,
        keep: Option<Uuid>,
        now: OffsetDateTime,
        reason: &str,
        entry: &(dyn Fn(&[SessionRecord]) -> Option<AuditEntry> + Sync),
    ) -> StoreResult<Vec<SessionRecord>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let rows = tx
            .query(
                &format!(
                    "UPDATE admin_sessions SET ended_at = $2, end_reason = $3 \
                     WHERE admin_id = $1 AND ended_at IS NULL AND expires_at > $2 \
                     AND ($4::uuid IS NULL OR id = $4) AND ($5::uuid IS NULL OR id <> $5) \
                     RETURNING {COLUMNS}"
                ),
                &[&account, &now, &reason, &only, &keep],
            )
            .await
            .map_err(unavailable)?;
        let ended: Vec<SessionRecord> = rows.iter().map(record).collect();
        if let Some(entry) = entry(&ended) {
            insert_audit(&tx, &entry).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(ended)
    }
}
