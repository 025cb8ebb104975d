//! The login limit (`domain::login_limit`) in whichever store holds it: the world's, for one
//! process, or Galaxy's PostgreSQL, where a lockout made through one replica holds through all.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::domain::login_limit::{self, Refusal};
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

#[derive(Clone)]
pub enum LoginLimitStore {
    Memory(Arc<Mutex<World>>),
    /// The first lockout's length is still each process's (the dev control sets it in the world).
    Postgres(Postgres, Arc<Mutex<World>>),
}

impl LoginLimitStore {
    /// Whether an attempt under `key` from `client` must be refused now, and for how long.
    pub async fn check(&self, key: &str, client: IpAddr) -> StoreResult<Option<Refusal>> {
        match self {
            LoginLimitStore::Memory(world) => {
                Ok(lock(world).login_limits.check(key, client, Instant::now()))
            }
            LoginLimitStore::Postgres(pg, _) => {
                let (account, address) = pg.login_waits(key, client).await?;
                Ok(login_limit::refusal(account, address))
            }
        }
    }

    pub async fn record_failure(&self, key: &str, client: IpAddr) -> StoreResult<()> {
        match self {
            LoginLimitStore::Memory(world) => {
                lock(world)
                    .login_limits
                    .record_failure(key, client, Instant::now());
                Ok(())
            }
            LoginLimitStore::Postgres(pg, world) => {
                let base = lock(world).login_limits.base_lockout();
                pg.record_login_failure(key, client, base).await
            }
        }
    }

    /// Clears the account's failures and lockouts (a success, or a password reset).
    pub async fn record_success(&self, key: &str) -> StoreResult<()> {
        match self {
            LoginLimitStore::Memory(world) => {
                lock(world).login_limits.record_success(key);
                Ok(())
            }
            LoginLimitStore::Postgres(pg, _) => pg.clear_login_failures(key).await,
        }
    }

    /// The dev controls' reset (the in-memory limit is reset with the rest of the world).
    pub async fn reset(&self) -> StoreResult<()> {
        match self {
            LoginLimitStore::Memory(_) => Ok(()),
            LoginLimitStore::Postgres(pg, _) => pg.reset_login_limits().await,
        }
    }
}
