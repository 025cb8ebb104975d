//! The audit log in whichever store holds it: the world's ring of the newest 10,000 entries
//! (the embedded default), or Galaxy's PostgreSQL (`admin_audit`, append-only), where every
//! replica writes and reads one log with ids in commit order.
//!
//! With PostgreSQL, what the world records (a pause, a config change, a ban: the state the
//! reference still keeps in memory) waits in the world's outbox and is written by [`flush`],
//! in the order recorded: after every request, before its answer leaves (so an operator reads
//! their own action in the log at once), and every second from a background task (entries of
//! the gateway's own clock, such as an ended ban, and retries after an outage). A database
//! that cannot be reached keeps the entries in the outbox; none is lost while the process runs
//! (the server flushes once more as it stops). One limit: when the connection drops during a
//! COMMIT that did succeed, the batch is written again at the next flush (entries carry no key
//! of their own the table could refuse a second time by).
//!
//! [`flush`]: AuditLog::flush

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::{AuditEntry, Filter, TargetType};
use crate::domain::audit_chain::{Verification, Verifier};
use crate::domain::keyset::{Found, IdPage};
use crate::store::memory::{lock, World};
use crate::store::postgres::{AppendError, Postgres};
use crate::store::StoreResult;

#[derive(Clone)]
pub enum AuditLog {
    Memory(Arc<Mutex<World>>),
    Postgres {
        pg: Postgres,
        world: Arc<Mutex<World>>,
        /// One flush at a time, so entries reach the table in the order they were recorded,
        /// and a request's flush waits for one already writing its entries.
        flushing: Arc<tokio::sync::Mutex<()>>,
        /// Whether the last flush failed (see [`AuditLog::is_failing`]).
        failing: Arc<AtomicBool>,
        /// One check of the chain at a time per replica: a check reads up to its budget of
        /// rows, and any signed-in account may ask for one, so asking again and again queues
        /// checks instead of running them side by side against the database.
        verifying: Arc<tokio::sync::Mutex<()>>,
    },
}

/// Writes `batch` in one transaction; on failure, the entries that were not written. An entry
/// the database refuses is logged and dropped (written one by one to find it).
async fn write_batch(pg: &Postgres, batch: &[AuditEntry]) -> Result<(), Vec<AuditEntry>> {
    match pg.append_audit(batch).await {
        Ok(()) => Ok(()),
        Err(AppendError::Unavailable(e)) => {
            tracing::warn!("the audit log cannot be written now: {e}");
            Err(batch.to_vec())
        }
        Err(AppendError::Refused(_)) => {
            for (i, entry) in batch.iter().enumerate() {
                match pg.append_audit(std::slice::from_ref(entry)).await {
                    Ok(()) => {}
                    Err(AppendError::Refused(why)) => {
                        tracing::error!(?entry, "the audit log refused an entry: {why}");
                    }
                    Err(AppendError::Unavailable(e)) => {
                        tracing::warn!("the audit log cannot be written now: {e}");
                        return Err(batch[i..].to_vec());
                    }
                }
            }
            Ok(())
        }
    }
}

/// Entries written per transaction: a backlog after an outage is written in batches, so the
/// log's id lock (migration 0004) is never held for long against other replicas' changes.
const FLUSH_BATCH: usize = 500;

impl AuditLog {
    /// The log of `pg`; from now on the world's entries wait in its outbox for [`flush`].
    ///
    /// [`flush`]: AuditLog::flush
    pub fn postgres(pg: Postgres, world: Arc<Mutex<World>>) -> Self {
        lock(&world).send_audit_to_store();
        AuditLog::Postgres {
            pg,
            world,
            flushing: Arc::new(tokio::sync::Mutex::new(())),
            failing: Arc::new(AtomicBool::new(false)),
            verifying: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Whether the last flush failed: the database is out of reach, and a request's answer
    /// should not wait for one more try (the background task retries every second).
    pub fn is_failing(&self) -> bool {
        match self {
            AuditLog::Memory(_) => false,
            AuditLog::Postgres { failing, .. } => failing.load(Ordering::Relaxed),
        }
    }

    /// Writes the entries waiting in the outbox, oldest first, in batches (nothing to do in
    /// memory). An entry the database refuses (it breaks a constraint of `admin_audit`) is
    /// logged and dropped, so it cannot hold back every later one; when the database cannot be
    /// reached, the entries not written go back to the outbox for the next flush. The writing
    /// runs as a task of its own: a caller that goes away (a client that hangs up, a shutdown)
    /// cannot drop entries taken from the outbox halfway.
    pub async fn flush(&self) -> StoreResult<()> {
        if matches!(self, AuditLog::Memory(_)) {
            return Ok(());
        }
        let this = self.clone();
        match tokio::spawn(async move { this.write_outbox().await }).await {
            Ok(written) => written,
            Err(e) => Err(crate::store::StoreError::Unavailable(format!(
                "the audit flush stopped: {e}"
            ))),
        }
    }

    async fn write_outbox(&self) -> StoreResult<()> {
        let AuditLog::Postgres {
            pg,
            world,
            flushing,
            failing,
            ..
        } = self
        else {
            return Ok(());
        };
        let _one_at_a_time = flushing.lock().await;
        let mut pending = lock(world).take_audit_outbox();
        while !pending.is_empty() {
            let rest = pending.split_off(pending.len().min(FLUSH_BATCH));
            let written = write_batch(pg, &pending).await;
            if let Err(unwritten) = written {
                let mut back = unwritten;
                back.extend(rest);
                lock(world).return_audit_outbox(back);
                failing.store(true, Ordering::Relaxed);
                return Err(crate::store::StoreError::Unavailable(
                    "the audit log cannot be written now".into(),
                ));
            }
            pending = rest;
        }
        failing.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// Checks the hash chain of the newest `budget` entries in PostgreSQL, or of every entry
    /// the memory ring holds (at most 10,000).
    pub async fn verify(&self, budget: usize) -> StoreResult<Verification> {
        match self {
            AuditLog::Memory(world) => {
                let world = lock(world);
                let mut verifier = Verifier::new(Some(world.audit_anchor()));
                for e in &world.audit {
                    if !verifier.push(e) {
                        break;
                    }
                }
                Ok(verifier.finish())
            }
            AuditLog::Postgres { pg, verifying, .. } => {
                let _one_at_a_time = verifying.lock().await;
                pg.verify_audit(budget).await
            }
        }
    }

    /// The newest entry's id, if any: the default `until_id` of a listing.
    pub async fn newest_id(&self) -> StoreResult<Option<u64>> {
        match self {
            AuditLog::Memory(world) => Ok(lock(world).audit.back().map(|e| e.id)),
            AuditLog::Postgres { pg, .. } => pg.newest_audit_id().await,
        }
    }

    /// The page `at` of the entries `filter` selects, newest first.
    pub async fn page(
        &self,
        filter: &Filter,
        at: IdPage,
        limit: usize,
    ) -> StoreResult<Found<AuditEntry>> {
        match self {
            AuditLog::Memory(world) => {
                let world = lock(world);
                let matching: Vec<&AuditEntry> = world
                    .audit
                    .iter()
                    .rev()
                    .filter(|e| filter.matches(e))
                    .collect();
                let window = at.window(matching.len(), |i| matching[i].id, limit);
                let found = Found::from_window(&matching, &window);
                Ok(Found {
                    items: found.items.into_iter().cloned().collect(),
                    matching: found.matching,
                    has_previous: found.has_previous,
                    has_next: found.has_next,
                })
            }
            AuditLog::Postgres { pg, .. } => pg.audit_page(filter, at, limit).await,
        }
    }

    /// How many entries `filter` selects, counted up to `cap` and no further.
    pub async fn count_up_to(&self, filter: &Filter, cap: usize) -> StoreResult<usize> {
        match self {
            AuditLog::Memory(world) => Ok(lock(world)
                .audit
                .iter()
                .filter(|e| filter.matches(e))
                .take(cap)
                .count()),
            AuditLog::Postgres { pg, .. } => pg.count_audit(filter, cap).await,
        }
    }

    /// Up to `rows` entries `filter` selects with an id below `before`, newest first, and the
    /// id to continue below (`None` once the log is through): an export's next chunk.
    pub async fn chunk(
        &self,
        filter: &Filter,
        before: u64,
        rows: usize,
    ) -> StoreResult<(Vec<AuditEntry>, Option<u64>)> {
        let entries = match self {
            AuditLog::Memory(world) => {
                let world = lock(world);
                let end = world.audit.partition_point(|e| e.id < before);
                world
                    .audit
                    .range(..end)
                    .rev()
                    .filter(|e| filter.matches(e))
                    .take(rows)
                    .cloned()
                    .collect::<Vec<_>>()
            }
            AuditLog::Postgres { pg, .. } => pg.audit_chunk(filter, before, rows).await?,
        };
        let next = (entries.len() == rows)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        Ok((entries, next))
    }

    /// The entries about player `id`, newest first: `limit` of them after `offset`, and how
    /// many there are.
    pub async fn about_player(
        &self,
        id: Uuid,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(Vec<AuditEntry>, usize)> {
        match self {
            AuditLog::Memory(world) => {
                let world = lock(world);
                let target = id.to_string();
                let matching: Vec<&AuditEntry> = world
                    .audit
                    .iter()
                    .rev()
                    .filter(|e| {
                        e.target_type == Some(TargetType::Player)
                            && e.target_id.as_deref() == Some(&target)
                    })
                    .collect();
                let items = matching.iter().skip(offset).take(limit);
                Ok((items.map(|e| (*e).clone()).collect(), matching.len()))
            }
            AuditLog::Postgres { pg, .. } => pg.audit_about_player(id, offset, limit).await,
        }
    }

    /// The entries of `actions` recorded from `from` to `to` (both inclusive), oldest first:
    /// the events drawn on the history's charts.
    pub async fn events(
        &self,
        actions: &[&str],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<AuditEntry>> {
        match self {
            AuditLog::Memory(world) => Ok(lock(world)
                .audit
                .iter()
                .filter(|e| actions.contains(&e.action.as_str()) && e.at >= from && e.at <= to)
                .cloned()
                .collect()),
            AuditLog::Postgres { pg, .. } => pg.audit_events(actions, from, to).await,
        }
    }
}
