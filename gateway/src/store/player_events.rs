//! How a ban or a kick reaches the player's sockets on every replica ("Enforcing bans and
//! kicks" in the contract). Galaxy publishes on the Redis channel `galaxy:player-sessions`;
//! the reference shows the same fan-out with PostgreSQL's `NOTIFY` on
//! `galaxy_player_sessions`, which every replica `LISTEN`s to, so a ban through one replica
//! closes the sockets another holds, and a player connected through one is online for all.
//!
//! An event is applied by the replica that makes it at once, and published with that replica's
//! `origin` so that it skips its own echo (which could otherwise close a socket opened since).
//! Delivery is at most once, as with Redis pub/sub: a replica whose listening connection is
//! down misses what is published meanwhile, and its sockets of a banned player stay open until
//! the client reconnects, when the connect check refuses it. A connection lost without a word
//! is noticed by TCP keepalives within about half a minute (see `Postgres::subscribe`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::player_sessions::PlayerEvent;
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;

/// The channel every replica listens on.
pub const CHANNEL: &str = "galaxy_player_sessions";

/// An event as sent: the contract's message, with the replica that sent it.
#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: Uuid,
    #[serde(flatten)]
    event: PlayerEvent,
}

#[derive(Clone)]
pub enum PlayerEvents {
    /// One process: an event is applied to its world only.
    Local(Arc<Mutex<World>>),
    Postgres {
        pg: Postgres,
        world: Arc<Mutex<World>>,
        /// This process, in the events it sends.
        origin: Uuid,
    },
}

impl PlayerEvents {
    pub fn postgres(pg: Postgres, world: Arc<Mutex<World>>) -> Self {
        PlayerEvents::Postgres {
            pg,
            world,
            origin: crate::domain::accounts::random_id(),
        }
    }

    /// Applies `event` to this process's sockets and tells every other replica; how many of
    /// this process's sockets it closed.
    pub async fn publish(&self, event: PlayerEvent) -> usize {
        let world = match self {
            PlayerEvents::Local(world) | PlayerEvents::Postgres { world, .. } => world,
        };
        let closed = lock(world).apply_player_event(&event);
        self.tell_others(event).await;
        closed
    }

    /// Tells every other replica about `event`, already applied here (under the lock of the
    /// decision it came from). A failure is logged, not returned: what caused the event (a ban)
    /// is already recorded and holds at every connect.
    pub async fn tell_others(&self, event: PlayerEvent) {
        let PlayerEvents::Postgres { pg, origin, .. } = self else {
            return;
        };
        let payload = serde_json::to_string(&Envelope {
            origin: *origin,
            event,
        })
        .expect("an event serializes");
        if let Err(e) = pg.notify(CHANNEL, &payload).await {
            tracing::error!("other replicas were not told ({e}): {payload}");
        }
    }

    /// With PostgreSQL: listens on [`CHANNEL`] before returning, so nothing published once the
    /// server serves is missed, then applies every other replica's events in a task that
    /// listens again a second after a lost connection. `Ok(None)` in memory; an error when the
    /// first listening connection cannot be made (the replica must not serve without it).
    pub async fn listen(&self) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
        let PlayerEvents::Postgres { pg, world, origin } = self else {
            return Ok(None);
        };
        let (pg, world, origin) = (pg.clone(), world.clone(), *origin);
        let mut subscription = Ok(pg.subscribe(CHANNEL).await?);
        Ok(Some(tokio::spawn(async move {
            loop {
                match subscription {
                    Ok(mut listening) => {
                        while let Some(payload) = listening.next().await {
                            apply(&world, origin, &payload);
                        }
                        let why = listening.ended().await;
                        tracing::warn!("stopped listening on {CHANNEL}: {why}; listening again");
                    }
                    Err(e) => tracing::warn!("cannot listen on {CHANNEL} ({e}); trying again"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                subscription = pg.subscribe(CHANNEL).await;
            }
        })))
    }
}

/// Another replica's event, applied here; this replica's own are skipped (applied when made).
fn apply(world: &Mutex<World>, origin: Uuid, payload: &str) {
    match serde_json::from_str::<Envelope>(payload) {
        Ok(envelope) if envelope.origin == origin => {}
        Ok(envelope) => {
            lock(world).apply_player_event(&envelope.event);
        }
        Err(e) => tracing::warn!(
            "ignored a message on {CHANNEL} that is no player event ({e}): {payload}"
        ),
    }
}
