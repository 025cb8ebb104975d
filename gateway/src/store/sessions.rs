//! Console sessions (`domain::sessions`) in whichever store holds the accounts: the world's,
//! for one process, or Galaxy's PostgreSQL, where every replica reads the same rows.

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::audit::AuditEntry;
use crate::domain::sessions::{seen_every, SessionRecord};
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

#[derive(Clone)]
pub enum Sessions {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres),
}

/// Which of an account's live sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    One(Uuid),
    AllBut(Option<Uuid>),
}

impl Which {
    fn picks(self, s: &SessionRecord) -> bool {
        match self {
            Which::One(id) => s.id == id,
            Which::AllBut(keep) => keep != Some(s.id),
        }
    }
}

impl Sessions {
    pub async fn start(&self, record: &SessionRecord) -> StoreResult<()> {
        match self {
            Sessions::Memory(world) => {
                lock(world).start_session(record.clone());
                Ok(())
            }
            Sessions::Postgres(pg) => pg.start_session(record).await,
        }
    }

    /// The session `id` as stored (ended or not; none when there is no such session). For a
    /// request of its operator's (`active`), its last sight moves to `now` when it is live,
    /// not idle under `idle`, and last written `seen_every(idle)` ago.
    pub async fn touch(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        active: bool,
        idle: Option<Duration>,
    ) -> StoreResult<Option<SessionRecord>> {
        let writes = |s: &SessionRecord| {
            active
                && s.is_live(now)
                && !s.is_idle(now, idle)
                && s.seen_long_ago(now, seen_every(idle))
        };
        match self {
            Sessions::Memory(world) => Ok(lock(world).sessions.get_mut(&id).map(|s| {
                if writes(s) {
                    s.last_seen_at = now;
                }
                s.clone()
            })),
            Sessions::Postgres(pg) => pg.touch_session(id, now, &writes, seen_every(idle)).await,
        }
    }

    /// The account's live sessions (not idle longer than `idle` either), newest first.
    pub async fn live(
        &self,
        account: Uuid,
        now: OffsetDateTime,
        idle: Option<Duration>,
    ) -> StoreResult<Vec<SessionRecord>> {
        match self {
            Sessions::Memory(world) => {
                let world = lock(world);
                let mut live: Vec<SessionRecord> = world
                    .sessions
                    .values()
                    .filter(|s| s.account_id == account && s.is_live(now) && !s.is_idle(now, idle))
                    .cloned()
                    .collect();
                live.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
                Ok(live)
            }
            Sessions::Postgres(pg) => pg.live_sessions(account, now, idle).await,
        }
    }

    /// Ends the account's live sessions `which` picks, recorded with the entry `entry` makes of
    /// them (none when nothing ended, or when it says so); what ended.
    pub async fn end(
        &self,
        account: Uuid,
        which: Which,
        reason: &str,
        entry: &(dyn Fn(&[SessionRecord]) -> Option<AuditEntry> + Sync),
    ) -> StoreResult<Vec<SessionRecord>> {
        let now = crate::domain::to_micros(OffsetDateTime::now_utc());
        match self {
            Sessions::Memory(world) => {
                let mut world = lock(world);
                let mut ended = vec![];
                for s in world.sessions.values_mut() {
                    if s.account_id == account && s.is_live(now) && which.picks(s) {
                        s.ended_at = Some(now);
                        s.end_reason = Some(reason.to_owned());
                        ended.push(s.clone());
                    }
                }
                ended.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
                if let Some(entry) = entry(&ended) {
                    world.record_audit(entry);
                }
                Ok(ended)
            }
            Sessions::Postgres(pg) => {
                let (only, keep) = match which {
                    Which::One(id) => (Some(id), None),
                    Which::AllBut(keep) => (None, keep),
                };
                pg.end_sessions(account, only, keep, now, reason, entry)
                    .await
            }
        }
    }
}
