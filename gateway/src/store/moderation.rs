//! Bans, notes and the deletion of players, in whichever store holds them: the world's (one
//! process), or Galaxy's PostgreSQL (`player_bans`, `player_notes`, `players`), where a ban made
//! through one replica is in force through every other at once and an ended ban is recorded
//! once, by whichever replica notices it first. Each change is recorded with its audit entry
//! atomically (under the world's lock, or in the change's transaction).
//!
//! Bans are judged on the ban clock, the world's (`World::ban_clock`: the real time, moved by
//! the dev control `/__dev/clock`), in either store. What a ban or a deletion does to a player's
//! live sessions is the simulated game's, in the world, and stays with the HTTP layer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::{Actor, AuditEntry};
use crate::domain::players::{Ban, Note};
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

#[derive(Clone)]
pub enum Moderation {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres, Arc<Mutex<World>>),
}

impl Moderation {
    fn world(&self) -> &Arc<Mutex<World>> {
        match self {
            Moderation::Memory(world) | Moderation::Postgres(_, world) => world,
        }
    }

    /// The ban clock now, and the game tick for audit entries.
    fn now_and_tick(&self) -> (OffsetDateTime, u64) {
        let mut world = lock(self.world());
        (world.ban_clock(), world.status().tick)
    }

    /// Ends the bans whose time is up, each recorded as `player.ban_expired` by `(system)`,
    /// once. Called before players are read or changed and on every history sample.
    pub async fn expire(&self) -> StoreResult<()> {
        match self {
            Moderation::Memory(world) => {
                lock(world).expire_bans();
                Ok(())
            }
            Moderation::Postgres(pg, _) => {
                let (now, tick) = self.now_and_tick();
                pg.expire_bans(now, tick).await
            }
        }
    }

    /// The bans that hold now, by player.
    pub async fn active(&self) -> StoreResult<HashMap<Uuid, Ban>> {
        match self {
            Moderation::Memory(world) => Ok(lock(world).active_bans()),
            Moderation::Postgres(pg, world) => {
                let now = lock(world).ban_clock();
                pg.active_bans(now, None).await
            }
        }
    }

    /// Player `id`'s ban, if one holds now.
    pub async fn active_for(&self, id: Uuid) -> StoreResult<Option<Ban>> {
        match self {
            Moderation::Memory(world) => Ok(lock(world).active_ban(id).cloned()),
            Moderation::Postgres(pg, world) => {
                let now = lock(world).ban_clock();
                Ok(pg.active_bans(now, Some(id)).await?.remove(&id))
            }
        }
    }

    /// Bans player `id` with `ban`, replacing the ban that holds (returned), recorded with
    /// `entry(replaced)`. `None` when the store has no such player.
    pub async fn ban(
        &self,
        id: Uuid,
        ban: &Ban,
        entry: impl FnOnce(Option<&Ban>) -> AuditEntry + Send,
    ) -> StoreResult<Option<Option<Ban>>> {
        match self {
            Moderation::Memory(world) => {
                let mut world = lock(world);
                if world.player_index(id).is_none() {
                    return Ok(None);
                }
                // A ban that has ended is recorded as such, not replaced (as in PostgreSQL).
                world.expire_bans();
                let replaced = world.active_ban(id).cloned();
                world.bans.insert(id, ban.clone());
                world.record_audit(entry(replaced.as_ref()));
                Ok(Some(replaced))
            }
            Moderation::Postgres(pg, _) => {
                let (now, tick) = self.now_and_tick();
                pg.ban(id, ban, now, tick, entry).await
            }
        }
    }

    /// Lifts player `id`'s ban by `actor`, recorded with `entry(lifted)`; `None` when no ban
    /// holds.
    pub async fn lift(
        &self,
        id: Uuid,
        actor: &Actor,
        entry: impl FnOnce(&Ban) -> AuditEntry + Send,
    ) -> StoreResult<Option<Ban>> {
        match self {
            Moderation::Memory(world) => {
                let mut world = lock(world);
                world.expire_bans();
                let Some(ban) = world.bans.remove(&id) else {
                    return Ok(None);
                };
                world.record_audit(entry(&ban));
                Ok(Some(ban))
            }
            Moderation::Postgres(pg, _) => {
                let (now, tick) = self.now_and_tick();
                pg.lift_ban(id, actor, now, tick, entry).await
            }
        }
    }

    /// Deletes player `id` with its bans and notes (its audit entries stay), recorded with
    /// `entry`; false when the store has no such player.
    pub async fn delete_player(&self, id: Uuid, entry: AuditEntry) -> StoreResult<bool> {
        match self {
            Moderation::Memory(world) => {
                let mut world = lock(world);
                let Some(index) = world.player_index(id) else {
                    return Ok(false);
                };
                world.players.remove(index);
                world.bans.remove(&id);
                world.notes.retain(|n| n.player_id != id);
                world.record_audit(entry);
                Ok(true)
            }
            Moderation::Postgres(pg, world) => {
                let deleted = pg.delete_player(id, &entry).await?;
                // The simulated game forgets the player too.
                let mut world = lock(world);
                if let Some(index) = world.player_index(id).filter(|_| deleted) {
                    world.players.remove(index);
                }
                Ok(deleted)
            }
        }
    }

    /// Player `id`'s notes, newest first.
    pub async fn notes(&self, id: Uuid) -> StoreResult<Vec<Note>> {
        match self {
            Moderation::Memory(world) => Ok(lock(world)
                .notes
                .iter()
                .rev()
                .filter(|n| n.player_id == id)
                .cloned()
                .collect()),
            Moderation::Postgres(pg, _) => pg.notes(id).await,
        }
    }

    /// A new note on player `id` by `actor`, recorded with `entry(note)`; `None` when the
    /// store has no such player.
    pub async fn add_note(
        &self,
        id: Uuid,
        text: String,
        actor: &Actor,
        entry: impl FnOnce(&Note) -> AuditEntry + Send,
    ) -> StoreResult<Option<Note>> {
        match self {
            Moderation::Memory(world) => {
                let mut world = lock(world);
                if world.player_index(id).is_none() {
                    return Ok(None);
                }
                let note = world.add_note(id, text, actor);
                world.record_audit(entry(&note));
                Ok(Some(note))
            }
            Moderation::Postgres(pg, _) => pg.add_note(id, &text, actor, entry).await,
        }
    }
}
