//! Passkeys on `admin_passkeys` and ceremonies on `admin_passkey_ceremonies` (migration 0012).

use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::audit::insert_audit;
use super::{unavailable, Postgres};
use crate::domain::audit::AuditEntry;
use crate::domain::passkeys::{Added, Ceremony, Passkey, Purpose, Removed, MAX_PER_ACCOUNT};
use crate::store::StoreResult;

const COLUMNS: &str = "id, admin_id, name, credential_id, public_key, dynamic_state, transports, \
     created_at, last_used_at";

fn passkey(row: &Row) -> Passkey {
    Passkey {
        id: row.get("id"),
        account_id: row.get("admin_id"),
        name: row.get("name"),
        credential_id: row.get("credential_id"),
        public_key: row.get("public_key"),
        dynamic_state: row.get("dynamic_state"),
        transports: u8::try_from(row.get::<_, i16>("transports")).unwrap_or_default(),
        created_at: row.get("created_at"),
        last_used_at: row.get("last_used_at"),
    }
}

impl Postgres {
    pub async fn passkeys(&self, account_id: Uuid) -> StoreResult<Vec<Passkey>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM admin_passkeys WHERE admin_id = $1 ORDER BY created_at, id"
                ),
                &[&account_id],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(passkey).collect())
    }

    pub async fn add_passkey(
        &self,
        k: &Passkey,
        recovery_codes: Option<Vec<String>>,
        entry: AuditEntry,
    ) -> StoreResult<Added> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        // The account's row, locked: two registrations at once cannot both pass the count.
        let exists = tx
            .query_opt(
                "SELECT 1 FROM admins WHERE id = $1 FOR UPDATE",
                &[&k.account_id],
            )
            .await
            .map_err(unavailable)?;
        if exists.is_none() {
            return Ok(Added::NoAccount);
        }
        let count: i64 = tx
            .query_one(
                "SELECT count(*) FROM admin_passkeys WHERE admin_id = $1",
                &[&k.account_id],
            )
            .await
            .map_err(unavailable)?
            .get(0);
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_PER_ACCOUNT {
            return Ok(Added::TooMany);
        }
        let inserted = tx
            .execute(
                "INSERT INTO admin_passkeys (id, admin_id, name, credential_id, public_key, \
                 dynamic_state, transports, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (credential_id) DO NOTHING",
                &[
                    &k.id,
                    &k.account_id,
                    &k.name,
                    &k.credential_id,
                    &k.public_key,
                    &k.dynamic_state,
                    &i16::from(k.transports),
                    &k.created_at,
                ],
            )
            .await
            .map_err(unavailable)?;
        if inserted == 0 {
            return Ok(Added::Duplicate);
        }
        if let Some(codes) = recovery_codes {
            tx.execute(
                "UPDATE admins SET recovery_codes = $2 WHERE id = $1",
                &[&k.account_id, &codes],
            )
            .await
            .map_err(unavailable)?;
        }
        insert_audit(&tx, &entry).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Added::Now)
    }

    pub async fn remove_passkey(
        &self,
        account_id: Uuid,
        id: Uuid,
        keep_a_factor: bool,
        entry: &(dyn Fn(&Passkey) -> AuditEntry + Sync),
    ) -> StoreResult<Removed> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        // The account's row, locked as adding one does: its factors are counted as they are.
        let factors = tx
            .query_opt(
                "SELECT totp_secret IS NOT NULL AS totp, \
                 (SELECT count(*) FROM admin_passkeys WHERE admin_id = $1) AS passkeys \
                 FROM admins WHERE id = $1 FOR UPDATE",
                &[&account_id],
            )
            .await
            .map_err(unavailable)?;
        let Some(factors) = factors else {
            return Ok(Removed::NotFound);
        };
        let only = !factors.get::<_, bool>("totp") && factors.get::<_, i64>("passkeys") == 1;
        let row = tx
            .query_opt(
                &format!(
                    "DELETE FROM admin_passkeys WHERE id = $1 AND admin_id = $2 RETURNING {COLUMNS}"
                ),
                &[&id, &account_id],
            )
            .await
            .map_err(unavailable)?;
        let Some(removed) = row.as_ref().map(passkey) else {
            return Ok(Removed::NotFound);
        };
        if keep_a_factor && only {
            // Dropped without a commit: the DELETE is undone.
            return Ok(Removed::LastFactor);
        }
        insert_audit(&tx, &entry(&removed)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Removed::Now(removed))
    }

    pub async fn record_passkey_use(
        &self,
        key: &Passkey,
        new_state: Option<Vec<u8>>,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        let updated = client
            .execute(
                "UPDATE admin_passkeys SET last_used_at = $2, \
                 dynamic_state = COALESCE($4, dynamic_state) WHERE id = $1 AND dynamic_state = $3",
                &[&key.id, &at, &key.dynamic_state, &new_state],
            )
            .await
            .map_err(unavailable)?;
        Ok(updated == 1)
    }

    pub async fn begin_passkey_ceremony(&self, c: &Ceremony) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM admin_passkey_ceremonies WHERE expires_at < NOW()",
                &[],
            )
            .await
            .map_err(unavailable)?;
        client
            .execute(
                "INSERT INTO admin_passkey_ceremonies (challenge, admin_id, purpose, state, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &c.challenge,
                    &c.account_id,
                    &c.purpose.as_str(),
                    &c.state,
                    &c.expires_at,
                ],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub async fn take_passkey_ceremony(&self, challenge: Uuid) -> StoreResult<Option<Ceremony>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "DELETE FROM admin_passkey_ceremonies WHERE challenge = $1 AND expires_at > NOW() \
                 RETURNING challenge, admin_id, purpose, state, expires_at",
                &[&challenge],
            )
            .await
            .map_err(unavailable)?;
        row.map(|row| {
            let purpose: &str = row.get("purpose");
            Ok(Ceremony {
                challenge: row.get("challenge"),
                account_id: row.get("admin_id"),
                purpose: Purpose::parse(purpose).ok_or_else(|| {
                    unavailable(format!("admin_passkey_ceremonies.purpose {purpose:?}"))
                })?,
                state: row.get("state"),
                expires_at: row.get("expires_at"),
            })
        })
        .transpose()
    }
}
