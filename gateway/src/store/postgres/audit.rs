//! The audit log on `admin_audit` (migration 0004): appended in order, read newest first by
//! keyset on the indexes the migration names next to each filter.

use time::OffsetDateTime;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{unavailable, Postgres};
use crate::domain::audit::{AuditEntry, Filter, TargetType};
use crate::domain::audit_chain::{Hash, Verification, Verifier, GENESIS};
use crate::domain::keyset::{Found, IdPage, TOTAL_CAP};
use crate::domain::roles::Role;
use crate::store::{StoreError, StoreResult};

/// Why entries were not appended.
#[derive(Debug)]
pub enum AppendError {
    /// The database refused an entry's data (a constraint of `admin_audit`); nothing was
    /// written. Retrying the same entry will not help.
    Refused(String),
    /// The database could not be reached or failed otherwise; nothing was written.
    Unavailable(StoreError),
}

/// The most entries one answer reads (the events of a history range).
const EVENTS_READ: i64 = 10_000;

const COLUMNS: &str = "id, at, tick, admin, admin_id, role, action, target_type, target_id, \
     target, before, after, reason, detail, hash";

/// Entries read per query while checking the chain.
const VERIFY_CHUNK: i64 = 5_000;

/// PostgreSQL's text cannot hold NUL; an entry keeps U+FFFD in its place (a filter is read
/// the same way, so it still finds the entry).
pub(super) fn text(value: &str) -> String {
    value.replace('\0', "\u{FFFD}")
}

fn optional_text(value: &Option<String>) -> Option<String> {
    value.as_deref().map(text)
}

fn entry(row: &Row) -> StoreResult<AuditEntry> {
    let id: i64 = row.get("id");
    let tick: i64 = row.get("tick");
    let role = match row.get::<_, Option<&str>>("role") {
        None => None,
        Some(name) => Some(
            Role::ALL
                .into_iter()
                .find(|r| r.as_str() == name)
                .ok_or_else(|| unavailable(format!("admin_audit.role holds {name:?}")))?,
        ),
    };
    let target_type = match row.get::<_, Option<&str>>("target_type") {
        None => None,
        Some(name) => Some(
            TargetType::parse(name)
                .ok_or_else(|| unavailable(format!("admin_audit.target_type holds {name:?}")))?,
        ),
    };
    Ok(AuditEntry {
        id: u64::try_from(id).unwrap_or_default(),
        at: row.get("at"),
        tick: u64::try_from(tick).unwrap_or_default(),
        admin: row.get("admin"),
        admin_id: row.get("admin_id"),
        role,
        action: row.get("action"),
        target_type,
        target_id: row.get("target_id"),
        target: row.get("target"),
        before: row.get("before"),
        after: row.get("after"),
        reason: row.get("reason"),
        detail: row.get("detail"),
        hash: hash(row.get("hash"))?,
        via: None,
    })
}

fn hash(stored: Option<Vec<u8>>) -> StoreResult<Option<Hash>> {
    stored
        .map(|bytes| {
            Hash::try_from(bytes.as_slice())
                .map_err(|_| unavailable("admin_audit.hash is not 32 bytes"))
        })
        .transpose()
}

/// The `LIKE` pattern of a case-insensitive substring: `\`, `%` and `_` stand for themselves.
pub(super) fn substring_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in text(needle).chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A WHERE clause built condition by condition, with its parameters numbered in order.
#[derive(Default)]
pub(super) struct Conditions {
    sql: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Conditions {
    /// Adds `template` with every `$?` standing for `value`.
    pub(super) fn add(&mut self, template: &str, value: impl ToSql + Sync + Send + 'static) {
        let placeholder = self.param(value);
        self.sql.push(template.replace("$?", &placeholder));
    }

    /// Binds `value` and answers its placeholder (`$3`), for a condition of several values.
    pub(super) fn param(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    /// Adds a condition without values.
    pub(super) fn raw(&mut self, condition: impl Into<String>) {
        self.sql.push(condition.into());
    }

    /// The filters of the listing and the export, as the migration's indexes serve them.
    fn of(filter: &Filter) -> Conditions {
        let mut c = Conditions::default();
        if let Some(actor) = &filter.actor {
            c.add("lower(admin) = $?", text(actor));
        }
        if let Some(action) = &filter.action {
            if action.contains('.') {
                c.add("action = $?", text(action));
            } else {
                c.add("action_family = $?", text(action));
            }
        }
        if let Some(target) = &filter.target {
            c.add(
                "(target ILIKE $? OR target_id ILIKE $?)",
                substring_pattern(target),
            );
        }
        if let Some(from) = filter.from {
            c.add("at >= $?", from);
        }
        if let Some(to) = filter.to {
            c.add("at < $?", to);
        }
        if let Some(until) = filter.until_id {
            c.add("id <= $?", i64::try_from(until).unwrap_or(i64::MAX));
        }
        c
    }

    pub(super) fn and(mut self, template: &str, value: impl ToSql + Sync + Send + 'static) -> Self {
        self.add(template, value);
        self
    }

    pub(super) fn clause(&self) -> String {
        if self.sql.is_empty() {
            "TRUE".to_owned()
        } else {
            self.sql.join(" AND ")
        }
    }

    pub(super) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// The first `limit` of `rows` (read one more than a page), and whether there were more.
pub(super) fn beyond<T>(mut rows: Vec<T>, limit: usize) -> (Vec<T>, bool) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

fn id_param(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

const INSERT: &str = "INSERT INTO admin_audit (at, tick, admin, admin_id, role, action, \
     target_type, target_id, target, before, after, reason, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

/// An entry's columns as `INSERT` binds them.
struct Columns {
    at: OffsetDateTime,
    tick: i64,
    admin: String,
    admin_id: Option<Uuid>,
    role: Option<&'static str>,
    action: String,
    target_type: Option<&'static str>,
    texts: [Option<String>; 6],
}

impl Columns {
    fn of(e: &AuditEntry) -> Columns {
        Columns {
            at: e.at,
            tick: i64::try_from(e.tick).unwrap_or(i64::MAX),
            admin: text(&e.admin),
            admin_id: e.admin_id,
            role: e.role.map(Role::as_str),
            action: text(&e.action),
            target_type: e.target_type.map(TargetType::as_str),
            texts: [
                optional_text(&e.target_id),
                optional_text(&e.target),
                optional_text(&e.before),
                optional_text(&e.after),
                optional_text(&e.reason),
                optional_text(&e.detail),
            ],
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 13] {
        let [target_id, target, before, after, reason, detail] = &self.texts;
        [
            &self.at,
            &self.tick,
            &self.admin,
            &self.admin_id,
            &self.role,
            &self.action,
            &self.target_type,
            target_id,
            target,
            before,
            after,
            reason,
            detail,
        ]
    }
}

/// Where the kept audit chain begins (`admin_audit_chain_start`, migration 0011).
enum ChainStart {
    /// Nothing recorded (a log chained before 0011 whose oldest entry does not link to the
    /// zeros) or nothing chained kept: the oldest entry kept is taken as it stands.
    Unrecorded,
    /// The oldest chained entry kept is the one recorded, and links to this hash.
    Kept(Hash),
    /// The oldest chained entry kept is not the one recorded: an entry before it was removed
    /// other than through `admin_audit_drop_partition`, so the chain breaks at it.
    Removed(u64),
}

/// Appends `entry` inside `tx`, the transaction of the change it records: the entry exists
/// exactly when the change does.
pub(super) async fn insert_audit(
    tx: &tokio_postgres::Transaction<'_>,
    entry: &AuditEntry,
) -> StoreResult<()> {
    tx.execute(INSERT, &Columns::of(entry).params())
        .await
        .map(drop)
        .map_err(unavailable)
}

impl Postgres {
    /// Appends `entries` in one transaction, in order; the table's trigger gives each its id.
    pub async fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), AppendError> {
        let mut client = self.client().await.map_err(AppendError::Unavailable)?;
        let refused_or_unavailable = |e: tokio_postgres::Error| match e.code() {
            Some(code) if is_data_error(code) => AppendError::Refused(e.to_string()),
            _ => AppendError::Unavailable(unavailable(e)),
        };
        let tx = client.transaction().await.map_err(refused_or_unavailable)?;
        let insert = tx.prepare(INSERT).await.map_err(refused_or_unavailable)?;
        for e in entries {
            tx.execute(&insert, &Columns::of(e).params())
                .await
                .map_err(refused_or_unavailable)?;
        }
        tx.commit().await.map_err(refused_or_unavailable)
    }

    /// Checks the hash chain of the newest `budget` entries, oldest first, in chunks; the entry
    /// before them, if any, anchors the check.
    pub async fn verify_audit(&self, budget: usize) -> StoreResult<Verification> {
        let client = self.client().await?;
        let budget = i64::try_from(budget).unwrap_or(i64::MAX);
        let anchor = client
            .query_opt(
                "SELECT id, hash FROM admin_audit ORDER BY id DESC OFFSET $1 LIMIT 1",
                &[&budget],
            )
            .await
            .map_err(unavailable)?;
        let (mut after, anchor) = match anchor {
            // An entry from before the chain (no hash) is followed by one linking to the zeros.
            Some(row) => (
                row.get::<_, i64>("id"),
                Some(hash(row.get("hash"))?.unwrap_or(GENESIS)),
            ),
            None => match Self::chain_start(&client).await? {
                ChainStart::Unrecorded => (0, None),
                ChainStart::Kept(prev) => (0, Some(prev)),
                ChainStart::Removed(oldest) => {
                    return Ok(Verification {
                        broken_at: Some(oldest),
                        ..Verification::default()
                    })
                }
            },
        };
        let mut verifier = Verifier::new(anchor);
        let query = format!(
            "SELECT {COLUMNS} FROM admin_audit WHERE id > $1 ORDER BY id ASC LIMIT {VERIFY_CHUNK}"
        );
        loop {
            let rows = client.query(&query, &[&after]).await.map_err(unavailable)?;
            for row in &rows {
                if !verifier.push(&entry(row)?) {
                    return Ok(verifier.finish());
                }
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == VERIFY_CHUNK => after = last.get("id"),
                _ => return Ok(verifier.finish()),
            }
        }
    }

    /// Where the kept chain begins, as migration 0011 records it, against the oldest chained
    /// entry kept.
    async fn chain_start(client: &tokio_postgres::Client) -> StoreResult<ChainStart> {
        let row = client
            .query_opt(
                "SELECT s.first_id, s.prev_hash, \
                 (SELECT id FROM admin_audit WHERE hash IS NOT NULL ORDER BY id LIMIT 1) AS oldest \
                 FROM admin_audit_chain_start s",
                &[],
            )
            .await
            .map_err(unavailable)?;
        let Some(row) = row else {
            return Ok(ChainStart::Unrecorded);
        };
        let Some(oldest) = row.get::<_, Option<i64>>("oldest") else {
            return Ok(ChainStart::Unrecorded);
        };
        if oldest != row.get::<_, i64>("first_id") {
            return Ok(ChainStart::Removed(
                u64::try_from(oldest).unwrap_or_default(),
            ));
        }
        Ok(match hash(row.get("prev_hash"))? {
            Some(prev) => ChainStart::Kept(prev),
            None => ChainStart::Unrecorded,
        })
    }

    pub async fn newest_audit_id(&self) -> StoreResult<Option<u64>> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT id FROM admin_audit ORDER BY id DESC LIMIT 1", &[])
            .await
            .map_err(unavailable)?;
        Ok(row.map(|r| u64::try_from(r.get::<_, i64>(0)).unwrap_or_default()))
    }

    /// Rows of `admin_audit` matching `conditions`, in `order` (`DESC` or `ASC` by id).
    async fn audit_rows(
        &self,
        conditions: &Conditions,
        order: &str,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>> {
        let client = self.client().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM admin_audit WHERE {} ORDER BY id {order} OFFSET {offset} LIMIT {limit}",
            conditions.clause()
        );
        let rows = client
            .query(&sql, &conditions.params())
            .await
            .map_err(unavailable)?;
        rows.iter().map(entry).collect()
    }

    /// How many entries `filter` selects, counted up to `cap`: the scan stops there.
    pub async fn count_audit(&self, filter: &Filter, cap: usize) -> StoreResult<usize> {
        self.capped_count("admin_audit", &Conditions::of(filter), cap)
            .await
    }

    /// How many rows of `from` match `conditions`, counted up to `cap`: the scan stops there.
    pub(super) async fn capped_count(
        &self,
        from: &str,
        conditions: &Conditions,
        cap: usize,
    ) -> StoreResult<usize> {
        let client = self.client().await?;
        let sql = format!(
            "SELECT count(*) FROM (SELECT FROM {from} WHERE {} LIMIT {cap}) AS capped",
            conditions.clause()
        );
        let row = client
            .query_one(&sql, &conditions.params())
            .await
            .map_err(unavailable)?;
        Ok(usize::try_from(row.get::<_, i64>(0)).unwrap_or_default())
    }

    /// Whether any row of `from` matches `conditions`: the probe for the other side of a page.
    /// The first row in `order` (the list's index order away from the page), not `EXISTS`:
    /// the planner drops an `ORDER BY` inside `EXISTS` and may then scan the table for a row
    /// past a deep cursor, which took 250 ms instead of 0.1 ms on a million players (a
    /// synchronised sequential scan starting wherever the last one stopped).
    pub(super) async fn any_row(
        &self,
        from: &str,
        conditions: &Conditions,
        order: &str,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        let sql = format!(
            "SELECT 1 FROM {from} WHERE {} ORDER BY {order} LIMIT 1",
            conditions.clause()
        );
        let row = client
            .query_opt(&sql, &conditions.params())
            .await
            .map_err(unavailable)?;
        Ok(row.is_some())
    }

    /// A page by keyset on the id (newest first), one more row than asked to learn whether
    /// more follow; whether rows lie on the other side is one probe on the index.
    pub async fn audit_page(
        &self,
        filter: &Filter,
        at: IdPage,
        limit: usize,
    ) -> StoreResult<Found<AuditEntry>> {
        let matching = self.count_audit(filter, TOTAL_CAP + 1).await?;
        let of = || Conditions::of(filter);
        let (items, has_previous, has_next) = match at {
            IdPage::Newest { offset } => {
                let (rows, more) = beyond(
                    self.audit_rows(&of(), "DESC", offset, limit + 1).await?,
                    limit,
                );
                (rows, offset > 0 && matching > 0, more)
            }
            IdPage::OlderThan(b) => {
                let (rows, more) = beyond(
                    self.audit_rows(&of().and("id < $?", id_param(b)), "DESC", 0, limit + 1)
                        .await?,
                    limit,
                );
                let newer = self
                    .any_row("admin_audit", &of().and("id >= $?", id_param(b)), "id")
                    .await?;
                (rows, newer, more)
            }
            IdPage::NewerThan(b) => {
                let (mut rows, more) = beyond(
                    self.audit_rows(&of().and("id > $?", id_param(b)), "ASC", 0, limit + 1)
                        .await?,
                    limit,
                );
                rows.reverse();
                let older = self
                    .any_row("admin_audit", &of().and("id <= $?", id_param(b)), "id DESC")
                    .await?;
                (rows, more, older)
            }
            IdPage::Oldest => {
                let (mut rows, more) =
                    beyond(self.audit_rows(&of(), "ASC", 0, limit + 1).await?, limit);
                rows.reverse();
                (rows, more, false)
            }
        };
        Ok(Found {
            items,
            matching,
            has_previous,
            has_next,
        })
    }

    /// Up to `rows` entries `filter` selects below id `before`, newest first.
    pub async fn audit_chunk(
        &self,
        filter: &Filter,
        before: u64,
        rows: usize,
    ) -> StoreResult<Vec<AuditEntry>> {
        let conditions = Conditions::of(filter).and("id < $?", id_param(before));
        self.audit_rows(&conditions, "DESC", 0, rows).await
    }

    pub async fn audit_about_player(
        &self,
        id: Uuid,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(Vec<AuditEntry>, usize)> {
        let conditions = Conditions::default()
            .and("target_type = $?", "player")
            .and("target_id = $?", id.to_string());
        let items = self.audit_rows(&conditions, "DESC", offset, limit).await?;
        let client = self.client().await?;
        let sql = format!(
            "SELECT count(*) FROM admin_audit WHERE {}",
            conditions.clause()
        );
        let row = client
            .query_one(&sql, &conditions.params())
            .await
            .map_err(unavailable)?;
        Ok((
            items,
            usize::try_from(row.get::<_, i64>(0)).unwrap_or_default(),
        ))
    }

    pub async fn audit_events(
        &self,
        actions: &[&str],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<AuditEntry>> {
        let actions: Vec<String> = actions.iter().map(|a| (*a).to_owned()).collect();
        let conditions = Conditions::default()
            .and("action = ANY($?)", actions)
            .and("at >= $?", from)
            .and("at <= $?", to);
        let client = self.client().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM admin_audit WHERE {} ORDER BY id LIMIT {EVENTS_READ}",
            conditions.clause()
        );
        let rows = client
            .query(&sql, &conditions.params())
            .await
            .map_err(unavailable)?;
        rows.iter().map(entry).collect()
    }
}

/// A data exception (class 22) or an integrity constraint violation (class 23).
fn is_data_error(code: &SqlState) -> bool {
    code.code().starts_with("22") || code.code().starts_with("23")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_substring_pattern_takes_like_wildcards_literally() {
        assert_eq!(substring_pattern("pilot"), "%pilot%");
        assert_eq!(substring_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(substring_pattern("a\0b"), "%a\u{FFFD}b%");
    }

    #[test]
    fn conditions_number_their_parameters_in_order() {
        let filter = Filter {
            actor: Some("ops".into()),
            target: Some("x".into()),
            until_id: Some(9),
            ..Filter::default()
        };
        let c = Conditions::of(&filter).and("id < $?", 5_i64);
        assert_eq!(
            c.clause(),
            "lower(admin) = $1 AND (target ILIKE $2 OR target_id ILIKE $2) AND id <= $3 AND id < $4"
        );
        assert_eq!(c.params().len(), 4);
    }
}
