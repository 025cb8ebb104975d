//! The runtime configuration, in whichever store holds it: the world's (one process), or
//! Galaxy's `game_config` in PostgreSQL, which every replica and Galaxy's own services read.
//!
//! The simulated game runs at the configured tick rate, so each process keeps a copy in its
//! world. With PostgreSQL that copy follows the table: it is replaced whenever the
//! configuration is read or changed through this process, and every second otherwise
//! ([`ConfigStore::follow`]), so a tick rate set through one replica drives every replica's
//! game within a second.

use std::sync::{Arc, Mutex};

use serde_json::Value;
use time::OffsetDateTime;

use crate::domain::audit::AuditEntry;
use crate::domain::runtime_config::{ConfigChange, ConfigItem};
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

#[derive(Clone)]
pub enum ConfigStore {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres, Arc<Mutex<World>>),
}

impl ConfigStore {
    /// Every key as it is now.
    pub async fn items(&self) -> StoreResult<Vec<ConfigItem>> {
        match self {
            ConfigStore::Memory(world) => Ok(lock(world).config.items().to_vec()),
            ConfigStore::Postgres(pg, world) => {
                let seen = lock(world).config_writes;
                let config = pg.runtime_config().await?;
                let items = config.items().to_vec();
                let mut world = lock(world);
                // A change made through this process since the read is newer than the read.
                if world.config_writes == seen {
                    world.adopt_config(config);
                }
                Ok(items)
            }
        }
    }

    /// Brings the world's copy up to the stored configuration (nothing to do in memory).
    pub async fn follow(&self) -> StoreResult<()> {
        match self {
            ConfigStore::Memory(_) => Ok(()),
            ConfigStore::Postgres(..) => self.items().await.map(drop),
        }
    }

    /// Sets or resets `key` when `if_match` (the request's `If-Match`, if any) admits its
    /// current entity tag, recorded with `entry(before, after)` atomically with the change.
    pub async fn change(
        &self,
        key: &str,
        change: ConfigChange,
        if_match: Option<&str>,
        entry: impl FnOnce(&Value, &ConfigItem) -> AuditEntry + Send,
    ) -> StoreResult<ConfigItem> {
        let now = OffsetDateTime::now_utc();
        match self {
            ConfigStore::Memory(world) => {
                let mut world = lock(world);
                // The ticks so far were earned at the old rate.
                let _ = world.status();
                let before = world.config.value(key).cloned();
                let item = match change {
                    ConfigChange::Set(value) => world.config.set(key, &value, if_match, now)?,
                    ConfigChange::Reset => world.config.reset(key, if_match, now)?,
                };
                let before = before.expect("a change succeeds only for a key");
                world.record_audit(entry(&before, &item));
                Ok(item)
            }
            ConfigStore::Postgres(pg, world) => {
                let item = pg.change_config(key, change, if_match, now, entry).await?;
                let mut world = lock(world);
                let mut config = world.config.clone();
                config.replace(item.clone());
                world.adopt_config(config);
                world.config_writes += 1;
                Ok(item)
            }
        }
    }
}
