//! Snapshots, in whichever store holds them: the world's (one process), or Galaxy's
//! `snapshots` table, shared by every replica and the tick-engine. Each change is recorded with
//! its audit entries atomically (under the world's lock, or in the change's transaction).
//!
//! A snapshot records the simulated game as it is in this process (its tick and game time);
//! restoring one moves that game back, in the HTTP layer.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::domain::audit::{Actor, AuditEntry};
use crate::domain::snapshots::{Deletion, Snapshot};
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

#[derive(Clone)]
pub enum Snapshots {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres, Arc<Mutex<World>>),
}

impl Snapshots {
    /// Every snapshot, newest first.
    pub async fn newest_first(&self) -> StoreResult<Vec<Snapshot>> {
        match self {
            Snapshots::Memory(world) => Ok(lock(world).snapshots.iter().rev().cloned().collect()),
            Snapshots::Postgres(pg, _) => pg.snapshots().await,
        }
    }

    pub async fn get(&self, id: u32) -> StoreResult<Option<Snapshot>> {
        match self {
            Snapshots::Memory(world) => {
                Ok(lock(world).snapshots.iter().find(|s| s.id == id).cloned())
            }
            Snapshots::Postgres(pg, _) => pg.snapshot(id).await,
        }
    }

    /// Which of `ids` are snapshots that exist.
    pub async fn existing(&self, ids: &[u32]) -> StoreResult<HashSet<u32>> {
        match self {
            Snapshots::Memory(world) => {
                let world = lock(world);
                Ok(ids
                    .iter()
                    .copied()
                    .filter(|id| world.snapshots.iter().any(|s| s.id == *id))
                    .collect())
            }
            Snapshots::Postgres(pg, _) => pg.existing_snapshots(ids).await,
        }
    }

    /// Takes a snapshot of the game now for `actor` (a scheduled one for `(system)`), recorded
    /// as `snapshot.create`, then applies retention sparing `spare` too. `None` once the ids
    /// are used up.
    pub async fn take(
        &self,
        actor: &Actor,
        label: Option<String>,
        spare: Option<u32>,
    ) -> StoreResult<Option<Snapshot>> {
        match self {
            Snapshots::Memory(world) => Ok(lock(world).take_snapshot(actor, label, spare)),
            Snapshots::Postgres(pg, world) => {
                let (status, players) = {
                    let mut world = lock(world);
                    (world.status(), world.players.len())
                };
                pg.take_snapshot(actor, label, spare, &status, players)
                    .await
            }
        }
    }

    /// Pins or unpins snapshot `id`; setting what it already is changes nothing and records
    /// nothing, otherwise the change is recorded with `entry(changed)`. `None`: no such one.
    pub async fn set_pinned(
        &self,
        id: u32,
        pinned: bool,
        entry: impl FnOnce(&Snapshot) -> AuditEntry + Send,
    ) -> StoreResult<Option<Snapshot>> {
        match self {
            Snapshots::Memory(world) => {
                let mut world = lock(world);
                let Some(snapshot) = world.snapshots.iter_mut().find(|s| s.id == id) else {
                    return Ok(None);
                };
                if snapshot.pinned == pinned {
                    return Ok(Some(snapshot.clone()));
                }
                snapshot.pinned = pinned;
                let snapshot = snapshot.clone();
                world.record_audit(entry(&snapshot));
                Ok(Some(snapshot))
            }
            Snapshots::Postgres(pg, _) => pg.set_pinned(id, pinned, entry).await,
        }
    }

    /// Deletes snapshot `id` unless it is pinned, recorded with `entry(deleted)`.
    pub async fn delete(
        &self,
        id: u32,
        entry: impl FnOnce(&Snapshot) -> AuditEntry + Send,
    ) -> StoreResult<Deletion> {
        match self {
            Snapshots::Memory(world) => {
                let mut world = lock(world);
                let Some(index) = world.snapshots.iter().position(|s| s.id == id) else {
                    return Ok(Deletion::NotFound);
                };
                if world.snapshots[index].pinned {
                    return Ok(Deletion::Pinned);
                }
                let deleted = world.snapshots.remove(index);
                world.record_audit(entry(&deleted));
                Ok(Deletion::Deleted(deleted))
            }
            Snapshots::Postgres(pg, _) => pg.delete_snapshot(id, entry).await,
        }
    }
}
