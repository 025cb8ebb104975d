//! The runtime configuration on `game_config` (Galaxy's runtime overrides, migration 0005): a
//! key without a row has its default; a change writes the key's row, whose revision (set by the
//! table's trigger from one sequence) is its entity tag, in one transaction with its audit
//! entry.

use serde_json::Value;
use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Row};

use super::audit::insert_audit;
use super::{unavailable, Postgres};
use crate::domain::audit::AuditEntry;
use crate::domain::runtime_config::{ConfigChange, ConfigItem, RuntimeConfig, StoredValue};
use crate::store::StoreResult;

const STORED_COLUMNS: &str = "key, value, updated_at, revision";

fn stored(row: &Row) -> StoredValue {
    StoredValue {
        key: row.get("key"),
        value: row.get("value"),
        updated_at: row.get("updated_at"),
        revision: u64::try_from(row.get::<_, i64>("revision")).unwrap_or_default(),
    }
}

/// The console's keys as stored now; the rows of other services' keys are not read.
async fn read(client: &impl GenericClient) -> StoreResult<RuntimeConfig> {
    let keys: Vec<&str> = RuntimeConfig::default()
        .items()
        .iter()
        .map(|i| i.key)
        .collect();
    let rows = client
        .query(
            &format!("SELECT {STORED_COLUMNS} FROM game_config WHERE key = ANY($1)"),
            &[&keys],
        )
        .await
        .map_err(unavailable)?;
    Ok(RuntimeConfig::from_stored(
        &rows.iter().map(stored).collect::<Vec<_>>(),
    ))
}

/// How many unpinned snapshots retention keeps, as stored now.
pub(super) async fn snapshot_retention(client: &impl GenericClient) -> StoreResult<usize> {
    Ok(read(client).await?.snapshot_retention())
}

impl Postgres {
    pub async fn runtime_config(&self) -> StoreResult<RuntimeConfig> {
        let client = self.client().await?;
        read(&**client).await
    }

    /// Sets or resets `key` under `if_match` with the domain's checks (unknown key, stale tag,
    /// invalid value, in that order), recorded with `entry(before, after)`. Changes of one key
    /// through the console are serialised across replicas by an advisory lock, since a key with
    /// no row yet has nothing to lock; a key's row, once there, is locked against every writer.
    pub async fn change_config(
        &self,
        key: &str,
        change: ConfigChange,
        if_match: Option<&str>,
        now: OffsetDateTime,
        entry: impl FnOnce(&Value, &ConfigItem) -> AuditEntry + Send,
    ) -> StoreResult<ConfigItem> {
        // Before any query: a key that is no key (it may hold a NUL) is refused as unknown.
        RuntimeConfig::default().check_key(key)?;
        let mut client = self.client().await?;
        // A second pass only when another writer inserted the key's first row meanwhile: it
        // then finds that row, locks it and judges `if_match` against it.
        for _ in 0..2 {
            let tx = client.transaction().await.map_err(unavailable)?;
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('game_config'), hashtext($1))",
                &[&key],
            )
            .await
            .map_err(unavailable)?;
            let rows = tx
                .query(
                    &format!("SELECT {STORED_COLUMNS} FROM game_config WHERE key = $1 FOR UPDATE"),
                    &[&key],
                )
                .await
                .map_err(unavailable)?;
            let mut config =
                RuntimeConfig::from_stored(&rows.iter().map(stored).collect::<Vec<_>>());
            let before = config.value(key).cloned().expect("checked to be a key");
            let mut item = match &change {
                ConfigChange::Set(value) => config.set(key, value, if_match, now)?,
                ConfigChange::Reset => config.reset(key, if_match, now)?,
            };
            // A reset stores the default too: deleting the row would bring back the tag of a
            // key never changed, which a client may still hold from before the change.
            let written = if rows.is_empty() {
                tx.query_opt(
                    "INSERT INTO game_config (key, value, updated_at) VALUES ($1, $2, clock_timestamp()) \
                     ON CONFLICT (key) DO NOTHING RETURNING revision, updated_at",
                    &[&key, &item.value],
                )
                .await
            } else {
                tx.query_opt(
                    "UPDATE game_config SET value = $2, updated_at = clock_timestamp() WHERE key = $1 \
                     RETURNING revision, updated_at",
                    &[&key, &item.value],
                )
                .await
            }
            .map_err(unavailable)?;
            let Some(row) = written else {
                continue;
            };
            item.revision = u64::try_from(row.get::<_, i64>("revision")).unwrap_or_default();
            item.updated_at = row.get("updated_at");
            insert_audit(&tx, &entry(&before, &item)).await?;
            tx.commit().await.map_err(unavailable)?;
            return Ok(item);
        }
        Err(unavailable(format!(
            "{key} kept changing while it was written"
        )))
    }
}
