//! API keys on `admin_api_keys` (migration 0010).

use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::audit::insert_audit;
use super::{stored_role, unavailable, Postgres};
use crate::domain::api_keys::{ApiKey, USED_EVERY};
use crate::domain::audit::AuditEntry;
use crate::store::api_keys::Revoked;
use crate::store::StoreResult;

/// The columns of a key; the address blocks as text, which `Cidr` reads.
const COLUMNS: &str = "k.id, k.name, k.role, k.shown, k.key_hash, k.created_by, k.created_at, \
     k.expires_at, k.allowed_addresses::text[] AS allowed_addresses, k.last_used_at, \
     k.last_used_from, k.revoked_at, k.revoked_by";

fn key(row: &Row, creator: String) -> StoreResult<ApiKey> {
    let role = stored_role(row, "admin_api_keys")?;
    let blocks: Vec<String> = row.get("allowed_addresses");
    let allowed_addresses = blocks
        .iter()
        .map(|b| b.parse())
        .collect::<Result<_, _>>()
        .map_err(|e| unavailable(format!("admin_api_keys.allowed_addresses: {e}")))?;
    Ok(ApiKey {
        id: row.get("id"),
        name: row.get("name"),
        role,
        shown: row.get("shown"),
        created_by: row.get("created_by"),
        creator,
        created_at: row.get("created_at"),
        expires_at: row.get("expires_at"),
        allowed_addresses,
        last_used_at: row.get("last_used_at"),
        last_used_from: row.get("last_used_from"),
        revoked_at: row.get("revoked_at"),
        revoked_by: row.get("revoked_by"),
        hash: row.get("key_hash"),
    })
}

impl Postgres {
    pub async fn create_api_key(&self, k: &ApiKey, entry: AuditEntry) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let blocks: Vec<String> = k
            .allowed_addresses
            .iter()
            .map(ToString::to_string)
            .collect();
        tx.execute(
            "INSERT INTO admin_api_keys (id, name, role, shown, key_hash, created_by, created_at, \
             expires_at, allowed_addresses) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[]::inet[])",
            &[
                &k.id,
                &k.name,
                &k.role.as_str(),
                &k.shown,
                &k.hash,
                &k.created_by,
                &k.created_at,
                &k.expires_at,
                &blocks,
            ],
        )
        .await
        .map_err(unavailable)?;
        insert_audit(&tx, &entry).await?;
        tx.commit().await.map_err(unavailable)
    }

    pub async fn api_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM admin_api_keys k WHERE k.key_hash = $1"),
                &[&hash],
            )
            .await
            .map_err(unavailable)?;
        row.map(|r| key(&r, String::new())).transpose()
    }

    /// The last use and its entry, written together, and only when a minute has passed since
    /// the last one any replica wrote.
    pub async fn record_api_key_use(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        address: &str,
        entry: AuditEntry,
    ) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let before = now - USED_EVERY;
        let written = tx
            .execute(
                "UPDATE admin_api_keys SET last_used_at = $2, last_used_from = $3 WHERE id = $1 \
                 AND (last_used_at IS NULL OR last_used_at < $4)",
                &[&id, &now, &address, &before],
            )
            .await
            .map_err(unavailable)?;
        if written == 1 {
            insert_audit(&tx, &entry).await?;
        }
        tx.commit().await.map_err(unavailable)
    }

    pub async fn list_api_keys(&self, of: Option<Uuid>) -> StoreResult<Vec<ApiKey>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS}, a.username FROM admin_api_keys k \
                     JOIN admins a ON a.id = k.created_by \
                     WHERE $1::uuid IS NULL OR k.created_by = $1 \
                     ORDER BY k.created_at DESC, k.id"
                ),
                &[&of],
            )
            .await
            .map_err(unavailable)?;
        rows.iter().map(|r| key(r, r.get("username"))).collect()
    }

    pub async fn revoke_api_key(
        &self,
        id: Uuid,
        only_of: Option<Uuid>,
        by: Uuid,
        now: OffsetDateTime,
        entry: &(dyn Fn(&ApiKey) -> AuditEntry + Sync),
    ) -> StoreResult<Revoked> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let row = tx
            .query_opt(
                &format!(
                    "SELECT {COLUMNS}, a.username FROM admin_api_keys k \
                     JOIN admins a ON a.id = k.created_by WHERE k.id = $1 \
                     AND ($2::uuid IS NULL OR k.created_by = $2) FOR UPDATE OF k"
                ),
                &[&id, &only_of],
            )
            .await
            .map_err(unavailable)?;
        let Some(row) = row else {
            return Ok(Revoked::NotFound);
        };
        let mut found = key(&row, row.get("username"))?;
        if found.revoked_at.is_some() {
            return Ok(Revoked::Already);
        }
        tx.execute(
            "UPDATE admin_api_keys SET revoked_at = $2, revoked_by = $3 WHERE id = $1",
            &[&id, &now, &by],
        )
        .await
        .map_err(unavailable)?;
        found.revoked_at = Some(now);
        found.revoked_by = Some(by);
        insert_audit(&tx, &entry(&found)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Revoked::Now)
    }
}
