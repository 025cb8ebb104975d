//! The console's accounts, in whichever store holds them: the in-memory World (the embedded
//! default) or Galaxy's PostgreSQL, shared by every replica. Both apply the rules of
//! `domain::accounts` to the accounts as they are at the moment of the change.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::accounts::{self, enabled_admins, Account, AccountChange, SecondFactorChange};
use crate::domain::audit::AuditEntry;
use crate::domain::error::Rejected;
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

/// The account `id` as it is now, or the refusal for an id that names none.
fn existing(world: &World, id: Uuid) -> Result<Account, Rejected> {
    world
        .account(id)
        .cloned()
        .ok_or_else(|| accounts::not_found(id))
}

#[derive(Clone)]
pub enum Accounts {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres),
}

impl Accounts {
    /// Whether the store can be reached now (always, in memory).
    pub async fn ping(&self) -> StoreResult<()> {
        match self {
            Accounts::Memory(_) => Ok(()),
            Accounts::Postgres(pg) => pg.ping().await,
        }
    }

    /// Every account, oldest first.
    pub async fn list(&self) -> StoreResult<Vec<Account>> {
        match self {
            Accounts::Memory(world) => Ok(lock(world).accounts.clone()),
            Accounts::Postgres(pg) => pg.accounts().await,
        }
    }

    pub async fn get(&self, id: Uuid) -> StoreResult<Option<Account>> {
        match self {
            Accounts::Memory(world) => Ok(lock(world).account(id).cloned()),
            Accounts::Postgres(pg) => pg.account(id).await,
        }
    }

    pub async fn named(&self, username: &str) -> StoreResult<Option<Account>> {
        match self {
            Accounts::Memory(world) => Ok(lock(world).account_named(username).cloned()),
            Accounts::Postgres(pg) => pg.account_named(username).await,
        }
    }

    /// Adds `account` with its audit `entry` (none for the dev controls' set-up); false, and
    /// no entry, when an account of its name exists.
    pub async fn create(&self, account: &Account, entry: Option<AuditEntry>) -> StoreResult<bool> {
        match self {
            Accounts::Memory(world) => {
                let mut world = lock(world);
                if world.account_named(&account.username).is_some() {
                    return Ok(false);
                }
                world.accounts.push(account.clone());
                if let Some(entry) = entry {
                    world.record_audit(entry);
                }
                Ok(true)
            }
            Accounts::Postgres(pg) => pg.create_account(account, entry.as_ref()).await,
        }
    }

    /// The account before and after `change` made by `acting` (after is `None` when it
    /// changed nothing), or the refusal of `domain::accounts::apply_change`. A change is
    /// recorded with the entry `audit(before, after)`, atomically with it.
    pub async fn change(
        &self,
        id: Uuid,
        acting: Uuid,
        change: AccountChange,
        audit: impl FnOnce(&Account, &Account) -> AuditEntry + Send,
    ) -> StoreResult<(Account, Option<Account>)> {
        match self {
            Accounts::Memory(world) => {
                let mut world = lock(world);
                let current = existing(&world, id)?;
                let after = accounts::apply_change(
                    &current,
                    change,
                    acting,
                    &enabled_admins(&world.accounts),
                )?;
                if let Some(after) = &after {
                    *world.account_mut(id).expect("found above") = after.clone();
                    world.record_audit(audit(&current, after));
                }
                Ok((current, after))
            }
            Accounts::Postgres(pg) => pg.change_account(id, acting, change, audit).await,
        }
    }

    /// Deletes the account, unless `domain::accounts::check_delete` refuses, with the entry
    /// `audit(account)`; returns it as it was.
    pub async fn delete(
        &self,
        id: Uuid,
        acting: Uuid,
        audit: impl FnOnce(&Account) -> AuditEntry + Send,
    ) -> StoreResult<Account> {
        match self {
            Accounts::Memory(world) => {
                let mut world = lock(world);
                let current = existing(&world, id)?;
                accounts::check_delete(&current, acting, &enabled_admins(&world.accounts))?;
                world.accounts.retain(|a| a.id != id);
                // As ON DELETE CASCADE has it.
                world.passkeys.retain(|k| k.account_id != id);
                world.record_audit(audit(&current));
                Ok(current)
            }
            Accounts::Postgres(pg) => pg.delete_account(id, acting, audit).await,
        }
    }

    /// Sets the password hash and ends the account's sessions, only if its hash is still
    /// `expected` (when given), recorded with `entry`; `None` (and no entry) when the account
    /// is gone or its password changed meanwhile.
    pub async fn set_password(
        &self,
        id: Uuid,
        expected: Option<&str>,
        hash: String,
        entry: AuditEntry,
    ) -> StoreResult<Option<Account>> {
        match self {
            Accounts::Memory(world) => {
                let mut world = lock(world);
                let Some(account) = world
                    .account_mut(id)
                    .filter(|a| expected.is_none_or(|e| a.password_hash == e))
                else {
                    return Ok(None);
                };
                account.password_hash = hash;
                account.revoke_tokens();
                let account = account.clone();
                world.record_audit(entry);
                Ok(Some(account))
            }
            Accounts::Postgres(pg) => pg.set_password(id, expected, &hash, Some(&entry)).await,
        }
    }

    /// Enrols or removes the account's second factor, recorded with `entry`; `None` (and no
    /// entry) when the account is gone.
    pub async fn set_second_factor(
        &self,
        id: Uuid,
        change: SecondFactorChange,
        entry: AuditEntry,
    ) -> StoreResult<Option<Account>> {
        match self {
            Accounts::Memory(world) => {
                let mut world = lock(world);
                let Some(account) = world.account_mut(id) else {
                    return Ok(None);
                };
                change.apply(account);
                let account = account.clone();
                if change.is_removal() {
                    world.passkeys.retain(|k| k.account_id != id);
                }
                world.record_audit(entry);
                Ok(Some(account))
            }
            Accounts::Postgres(pg) => pg.set_second_factor(id, &change, &entry).await,
        }
    }

    /// Uses the TOTP code of `step`: true only if no code of it or a later step was used.
    pub async fn use_totp_step(&self, id: Uuid, step: u64) -> StoreResult<bool> {
        match self {
            Accounts::Memory(world) => Ok(lock(world)
                .account_mut(id)
                .filter(|a| a.totp_secret.is_some() && a.totp_last_step < step)
                .map(|a| a.totp_last_step = step)
                .is_some()),
            Accounts::Postgres(pg) => pg.use_totp_step(id, step).await,
        }
    }

    /// Uses the recovery code hashed `hash`: how many are left, or none when it is not one.
    pub async fn use_recovery_code(&self, id: Uuid, hash: &str) -> StoreResult<Option<usize>> {
        match self {
            Accounts::Memory(world) => Ok(lock(world).account_mut(id).and_then(|a| {
                let i = a.recovery_codes.iter().position(|h| h == hash)?;
                a.recovery_codes.remove(i);
                Some(a.recovery_codes.len())
            })),
            Accounts::Postgres(pg) => pg.use_recovery_code(id, hash).await,
        }
    }

    pub async fn record_login(&self, id: Uuid, at: OffsetDateTime) -> StoreResult<()> {
        match self {
            Accounts::Memory(world) => {
                if let Some(a) = lock(world).account_mut(id) {
                    a.last_login_at = Some(at);
                }
                Ok(())
            }
            Accounts::Postgres(pg) => pg.record_login(id, at).await,
        }
    }

    /// The dev controls' reset of the accounts (the in-memory store resets them with the
    /// rest of the world).
    pub async fn reset(&self, bootstrap: &Account) -> StoreResult<()> {
        match self {
            Accounts::Memory(_) => Ok(()),
            Accounts::Postgres(pg) => pg.reset_accounts(bootstrap).await,
        }
    }
}
