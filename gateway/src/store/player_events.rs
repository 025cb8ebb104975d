//! How a ban or a kick reaches the player's sockets on every replica ("Enforcing bans and
//! kicks" in the contract). Galaxy publishes on the Redis channel `galaxy:player-sessions`;
//! the reference shows the same fan-out with PostgreSQL's `NOTIFY` on
//! `galaxy_player_sessions`, which every replica `LISTEN`s to, so a ban through one replica
//! closes the sockets another holds, and a player connected through one is online for all.
//!
//! An event is applied here at once and, with PostgreSQL, published to every replica (this one
//! included: applying it twice changes nothing). Delivery is at most once, as with Redis
//! pub/sub: a replica whose listening connection is down misses what is published meanwhile,
//! and its sockets of a banned player stay open until the client reconnects, when the connect
//! check refuses it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::player_sessions::PlayerEvent;
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;

/// The channel every replica listens on.
pub const CHANNEL: &str = "galaxy_player_sessions";

#[derive(Clone)]
pub enum PlayerEvents {
    /// One process: an event is applied to its world only.
    Local(Arc<Mutex<World>>),
    Postgres(Postgres, Arc<Mutex<World>>),
}

fn apply(world: &Mutex<World>, payload: &str) {
    match serde_json::from_str::<PlayerEvent>(payload) {
        Ok(event) => {
            lock(world).apply_player_event(&event);
        }
        Err(e) => tracing::warn!(
            "ignored a message on {CHANNEL} that is no player event ({e}): {payload}"
        ),
    }
}

impl PlayerEvents {
    /// Applies `event` to this process's sockets and tells every other replica; how many of
    /// this process's sockets it closed. A failure to tell the others is logged, not returned:
    /// what caused the event (a ban) is already recorded and holds at every connect.
    pub async fn publish(&self, event: PlayerEvent) -> usize {
        match self {
            PlayerEvents::Local(world) => lock(world).apply_player_event(&event),
            PlayerEvents::Postgres(pg, world) => {
                let closed = lock(world).apply_player_event(&event);
                let payload = serde_json::to_string(&event).expect("an event serializes");
                if let Err(e) = pg.notify(CHANNEL, &payload).await {
                    tracing::error!("other replicas were not told ({e}): {payload}");
                }
                closed
            }
        }
    }

    /// With PostgreSQL: listens on [`CHANNEL`] before returning (so nothing published after
    /// start-up is missed), then applies every event published, in a task that listens again
    /// after a lost connection. `None` in memory.
    pub async fn listen(&self) -> Option<tokio::task::JoinHandle<()>> {
        let PlayerEvents::Postgres(pg, world) = self else {
            return None;
        };
        let (pg, world) = (pg.clone(), world.clone());
        let mut subscription = pg.subscribe(CHANNEL).await;
        Some(tokio::spawn(async move {
            loop {
                match subscription {
                    Ok(mut listening) => {
                        while let Some(payload) = listening.next().await {
                            apply(&world, &payload);
                        }
                        tracing::warn!(
                            "stopped listening on {CHANNEL}: {}; listening again",
                            listening.ended().await
                        );
                    }
                    Err(e) => tracing::warn!("cannot listen on {CHANNEL} ({e}); trying again"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                subscription = pg.subscribe(CHANNEL).await;
            }
        }))
    }
}
