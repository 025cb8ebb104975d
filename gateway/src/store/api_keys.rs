//! API keys (`domain::api_keys`) in whichever store holds the accounts: the world's, for one
//! process, or Galaxy's PostgreSQL, where every replica reads the same rows.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::api_keys::ApiKey;
use crate::domain::audit::AuditEntry;
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

#[derive(Clone)]
pub enum ApiKeys {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres),
}

/// What a revocation found.
#[derive(Debug)]
pub enum Revoked {
    Now,
    Already,
    /// No such key, or (for `only_of`) not one of that account's.
    NotFound,
}

impl ApiKeys {
    /// Keeps a new key, with its audit entry.
    pub async fn create(&self, key: &ApiKey, entry: AuditEntry) -> StoreResult<()> {
        match self {
            ApiKeys::Memory(world) => {
                let mut world = lock(world);
                world.api_keys.insert(key.id, key.clone());
                world.record_audit(entry);
                Ok(())
            }
            ApiKeys::Postgres(pg) => pg.create_api_key(key, entry).await,
        }
    }

    /// The key whose SHA-256 is `hash`, revoked and expired ones too.
    pub async fn by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>> {
        match self {
            ApiKeys::Memory(world) => Ok(lock(world)
                .api_keys
                .values()
                .find(|k| k.hash == hash)
                .cloned()),
            ApiKeys::Postgres(pg) => pg.api_key_by_hash(hash).await,
        }
    }

    /// Records a use of key `id` from `address` at `now`, with the entry `entry` makes, unless
    /// one was recorded within the last minute (by any replica).
    pub async fn record_use(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        address: &str,
        entry: AuditEntry,
    ) -> StoreResult<()> {
        match self {
            ApiKeys::Memory(world) => {
                let mut world = lock(world);
                let Some(key) = world.api_keys.get_mut(&id) else {
                    return Ok(());
                };
                if key.used_long_ago(now) {
                    key.last_used_at = Some(now);
                    key.last_used_from = Some(address.to_owned());
                    world.record_audit(entry);
                }
                Ok(())
            }
            ApiKeys::Postgres(pg) => pg.record_api_key_use(id, now, address, entry).await,
        }
    }

    /// Every key (`of`: only that account's), newest first, with its creator's username.
    pub async fn list(&self, of: Option<Uuid>) -> StoreResult<Vec<ApiKey>> {
        match self {
            ApiKeys::Memory(world) => {
                let world = lock(world);
                let mut keys: Vec<ApiKey> = world
                    .api_keys
                    .values()
                    .filter(|k| of.is_none_or(|id| k.created_by == id))
                    .filter_map(|k| {
                        // A key goes with its creator's account, as ON DELETE CASCADE has it.
                        let creator = world.accounts.iter().find(|a| a.id == k.created_by)?;
                        Some(ApiKey {
                            creator: creator.username.clone(),
                            ..k.clone()
                        })
                    })
                    .collect();
                keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
                Ok(keys)
            }
            ApiKeys::Postgres(pg) => pg.list_api_keys(of).await,
        }
    }

    /// Revokes key `id` (if `only_of`, only when that account made it) by `by` at `now`, with
    /// the entry `entry` makes of it (the key as `list` gives it, its creator's name too).
    pub async fn revoke(
        &self,
        id: Uuid,
        only_of: Option<Uuid>,
        by: Uuid,
        now: OffsetDateTime,
        entry: &(dyn Fn(&ApiKey) -> AuditEntry + Sync),
    ) -> StoreResult<Revoked> {
        match self {
            ApiKeys::Memory(world) => {
                let mut world = lock(world);
                let key = match world.api_keys.get_mut(&id) {
                    Some(k) if only_of.is_none_or(|of| k.created_by == of) => k,
                    _ => return Ok(Revoked::NotFound),
                };
                if key.revoked_at.is_some() {
                    return Ok(Revoked::Already);
                }
                key.revoked_at = Some(now);
                key.revoked_by = Some(by);
                let mut key = key.clone();
                key.creator = world
                    .account(key.created_by)
                    .map(|a| a.username.clone())
                    .unwrap_or_default();
                world.record_audit(entry(&key));
                Ok(Revoked::Now)
            }
            ApiKeys::Postgres(pg) => pg.revoke_api_key(id, only_of, by, now, entry).await,
        }
    }
}
