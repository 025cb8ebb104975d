//! Passkeys (`domain::passkeys`) and the ceremonies in flight, in whichever store holds the
//! accounts: the world's, for one process, or Galaxy's PostgreSQL, where a ceremony started on
//! one replica is finished on another, once.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::AuditEntry;
use crate::domain::passkeys::{Added, Ceremony, Passkey, Removed, MAX_PER_ACCOUNT};
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

#[derive(Clone)]
pub enum Passkeys {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres),
}

impl Passkeys {
    /// The account's passkeys, oldest first.
    pub async fn list(&self, account_id: Uuid) -> StoreResult<Vec<Passkey>> {
        match self {
            Passkeys::Memory(world) => Ok(lock(world)
                .passkeys
                .iter()
                .filter(|k| k.account_id == account_id)
                .cloned()
                .collect()),
            Passkeys::Postgres(pg) => pg.passkeys(account_id).await,
        }
    }

    /// Keeps `key` as a factor of its account, with `entry`; with `recovery_codes` (hashes)
    /// when it is the account's first factor, which replace any it had.
    pub async fn add(
        &self,
        key: &Passkey,
        recovery_codes: Option<Vec<String>>,
        entry: AuditEntry,
    ) -> StoreResult<Added> {
        match self {
            Passkeys::Memory(world) => {
                let mut world = lock(world);
                if world.account(key.account_id).is_none() {
                    return Ok(Added::NoAccount);
                }
                if world
                    .passkeys
                    .iter()
                    .any(|k| k.credential_id == key.credential_id)
                {
                    return Ok(Added::Duplicate);
                }
                let count = world
                    .passkeys
                    .iter()
                    .filter(|k| k.account_id == key.account_id)
                    .count();
                if count >= MAX_PER_ACCOUNT {
                    return Ok(Added::TooMany);
                }
                world.passkeys.push(key.clone());
                if let Some(account) = world.account_mut(key.account_id) {
                    account.passkeys = count + 1;
                    if let Some(codes) = recovery_codes {
                        account.recovery_codes = codes;
                    }
                }
                world.record_audit(entry);
                Ok(Added::Now)
            }
            Passkeys::Postgres(pg) => pg.add_passkey(key, recovery_codes, entry).await,
        }
    }

    /// Removes passkey `id` of `account_id` with the entry `entry` makes of it; unless
    /// `keep_a_factor` and it is the account's only factor (checked at the moment of the
    /// change, so two removals at once cannot both pass).
    pub async fn remove(
        &self,
        account_id: Uuid,
        id: Uuid,
        keep_a_factor: bool,
        entry: &(dyn Fn(&Passkey) -> AuditEntry + Sync),
    ) -> StoreResult<Removed> {
        match self {
            Passkeys::Memory(world) => {
                let mut world = lock(world);
                let Some(at) = world
                    .passkeys
                    .iter()
                    .position(|k| k.id == id && k.account_id == account_id)
                else {
                    return Ok(Removed::NotFound);
                };
                let only = world.account(account_id).is_some_and(|a| {
                    a.totp_secret.is_none()
                        && world
                            .passkeys
                            .iter()
                            .filter(|k| k.account_id == account_id)
                            .count()
                            == 1
                });
                if keep_a_factor && only {
                    return Ok(Removed::LastFactor);
                }
                let removed = world.passkeys.remove(at);
                let left = world
                    .passkeys
                    .iter()
                    .filter(|k| k.account_id == account_id)
                    .count();
                if let Some(account) = world.account_mut(account_id) {
                    account.passkeys = left;
                }
                world.record_audit(entry(&removed));
                Ok(Removed::Now(removed))
            }
            Passkeys::Postgres(pg) => {
                pg.remove_passkey(account_id, id, keep_a_factor, entry)
                    .await
            }
        }
    }

    /// Records a use of `key` at `at`, with its new signature state when it changed: only if
    /// its state is still the one the assertion was checked against, so two assertions at once
    /// (on two replicas) cannot both count, nor move the counter back. False when it was not.
    pub async fn record_use(
        &self,
        key: &Passkey,
        new_state: Option<Vec<u8>>,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        match self {
            Passkeys::Memory(world) => {
                let mut world = lock(world);
                let Some(stored) = world
                    .passkeys
                    .iter_mut()
                    .find(|k| k.id == key.id && k.dynamic_state == key.dynamic_state)
                else {
                    return Ok(false);
                };
                stored.last_used_at = Some(at);
                if let Some(state) = new_state {
                    stored.dynamic_state = state;
                }
                Ok(true)
            }
            Passkeys::Postgres(pg) => pg.record_passkey_use(key, new_state, at).await,
        }
    }

    /// Keeps a ceremony until it is finished or expires (expired ones are dropped meanwhile).
    pub async fn begin(&self, ceremony: &Ceremony) -> StoreResult<()> {
        match self {
            Passkeys::Memory(world) => {
                let mut world = lock(world);
                let now = OffsetDateTime::now_utc();
                world.passkey_ceremonies.retain(|_, c| c.expires_at > now);
                world
                    .passkey_ceremonies
                    .insert(ceremony.challenge, ceremony.clone());
                Ok(())
            }
            Passkeys::Postgres(pg) => pg.begin_passkey_ceremony(ceremony).await,
        }
    }

    /// Takes the unexpired ceremony of `challenge`: a second take of one finds none.
    pub async fn take(&self, challenge: Uuid) -> StoreResult<Option<Ceremony>> {
        match self {
            Passkeys::Memory(world) => {
                let now = OffsetDateTime::now_utc();
                Ok(lock(world)
                    .passkey_ceremonies
                    .remove(&challenge)
                    .filter(|c| c.expires_at > now))
            }
            Passkeys::Postgres(pg) => pg.take_passkey_ceremony(challenge).await,
        }
    }
}
