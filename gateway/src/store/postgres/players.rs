//! The players list on Galaxy's `players` with the bans that hold (`player_bans`): keyset
//! pages in the list's two orders on their indexes (0006's name order, 0003's
//! `(created_at, id)`), the search on 0003's trigram index.

use std::collections::HashSet;

use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::audit::{beyond, substring_pattern, Conditions};
use super::{unavailable, Postgres};
use crate::domain::keyset::{Found, TOTAL_CAP};
use crate::domain::player_list::{ListedPlayer, PlayerPage, PlayerQuery, SortKey};
use crate::domain::players::{Ban, Player};
use crate::store::StoreResult;

/// A player with the ban that holds at `$1` (at most one: 0003's unique index on open bans).
const FROM: &str = "players AS p LEFT JOIN player_bans AS b ON b.player_id = p.id \
     AND b.ended_at IS NULL AND (b.until IS NULL OR b.until > $1)";

const COLUMNS: &str = "p.id, p.username, p.ship_id, p.created_at, \
     b.reason, b.banned_at, b.until, b.banned_by, b.banned_by_id";

/// The name order's key, as 0006's index holds it.
const NAME_KEY: &str = "lower(p.username) COLLATE \"C\"";

fn listed(row: &Row, online: &HashSet<Uuid>) -> ListedPlayer {
    let id: Uuid = row.get("id");
    let reason: Option<String> = row.get("reason");
    ListedPlayer {
        player: Player {
            id,
            username: row.get("username"),
            ship_id: row.get("ship_id"),
            // Nullable in Galaxy's schema, though always defaulted; such a row (never written
            // by Galaxy) shows the epoch, and keyset pages by creation time pass it by.
            created_at: row
                .get::<_, Option<OffsetDateTime>>("created_at")
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            online: online.contains(&id),
        },
        ban: reason.map(|reason| Ban {
            reason,
            banned_at: row.get("banned_at"),
            until: row.get("until"),
            by: row.get("banned_by"),
            by_id: row.get("banned_by_id"),
        }),
    }
}

/// The conditions of `query`, after `$1` (the ban clock's now).
fn conditions(query: &PlayerQuery, now: OffsetDateTime, online: &[Uuid]) -> Conditions {
    let mut c = Conditions::default();
    c.param(now);
    if !query.search.is_empty() {
        c.add("p.username ILIKE $?", substring_pattern(&query.search));
    }
    match query.banned {
        Some(true) => c.raw("b.player_id IS NOT NULL"),
        Some(false) => c.raw("b.player_id IS NULL"),
        None => {}
    }
    match query.online {
        Some(true) => c.add("p.id = ANY($?)", online.to_vec()),
        Some(false) => c.add("NOT (p.id = ANY($?))", online.to_vec()),
        None => {}
    }
    c
}

/// The order's key expression.
fn key_sql(query: &PlayerQuery) -> &'static str {
    if query.by_created_at {
        "p.created_at"
    } else {
        NAME_KEY
    }
}

/// Adds "(key, id) `op` (the boundary)".
fn compare(c: &mut Conditions, query: &PlayerQuery, op: &str, boundary: &SortKey) {
    let (key, id) = match boundary {
        SortKey::Name(name, id) => (c.param(name.clone()) + "::text COLLATE \"C\"", *id),
        SortKey::Created(nanos, id) => {
            let at = OffsetDateTime::from_unix_timestamp_nanos(*nanos)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            (c.param(at) + "::timestamptz", *id)
        }
    };
    let id = c.param(id);
    c.raw(format!("({}, p.id) {op} ({key}, {id})", key_sql(query)));
}

impl Postgres {
    async fn player_rows(
        &self,
        conditions: &Conditions,
        order: &str,
        offset: usize,
        limit: usize,
        online: &HashSet<Uuid>,
    ) -> StoreResult<Vec<ListedPlayer>> {
        let client = self.client().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {} ORDER BY {order} OFFSET {offset} LIMIT {limit}",
            conditions.clause()
        );
        let rows = client
            .query(&sql, &conditions.params())
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(|row| listed(row, online)).collect())
    }

    /// How many players `query` selects, counted up to `cap`.
    pub async fn count_players(
        &self,
        query: &PlayerQuery,
        cap: usize,
        now: OffsetDateTime,
        online: &[Uuid],
    ) -> StoreResult<usize> {
        self.capped_count(FROM, &conditions(query, now, online), cap)
            .await
    }

    /// A page of the list, as the in-memory store's window finds it: one more row than asked
    /// to learn whether more follow, one probe for the other side.
    pub async fn players_page(
        &self,
        query: &PlayerQuery,
        at: &PlayerPage,
        limit: usize,
        now: OffsetDateTime,
        online: &[Uuid],
    ) -> StoreResult<Found<ListedPlayer>> {
        let matching = self
            .count_players(query, TOTAL_CAP + 1, now, online)
            .await?;
        let online_set: HashSet<Uuid> = online.iter().copied().collect();
        let key = key_sql(query);
        let (forward, backward) = if query.descending {
            (format!("{key} DESC, p.id DESC"), format!("{key}, p.id"))
        } else {
            (format!("{key}, p.id"), format!("{key} DESC, p.id DESC"))
        };
        // "After" in the list's order is > ascending, < descending; and so on.
        let (after, at_or_before, before, at_or_after) = if query.descending {
            ("<", ">=", ">", "<=")
        } else {
            (">", "<=", "<", ">=")
        };
        let base = || conditions(query, now, online);
        let (items, has_previous, has_next) = match at {
            PlayerPage::First { offset } => {
                let rows = self
                    .player_rows(&base(), &forward, *offset, limit + 1, &online_set)
                    .await?;
                let (rows, more) = beyond(rows, limit);
                (rows, *offset > 0 && matching > 0, more)
            }
            PlayerPage::After(boundary) => {
                let mut c = base();
                compare(&mut c, query, after, boundary);
                let rows = self
                    .player_rows(&c, &forward, 0, limit + 1, &online_set)
                    .await?;
                let (rows, more) = beyond(rows, limit);
                let mut c = base();
                compare(&mut c, query, at_or_before, boundary);
                (rows, self.any_row(FROM, &c, &backward).await?, more)
            }
            PlayerPage::Before(boundary) => {
                let mut c = base();
                compare(&mut c, query, before, boundary);
                let rows = self
                    .player_rows(&c, &backward, 0, limit + 1, &online_set)
                    .await?;
                let (mut rows, more) = beyond(rows, limit);
                rows.reverse();
                let mut c = base();
                compare(&mut c, query, at_or_after, boundary);
                (rows, more, self.any_row(FROM, &c, &forward).await?)
            }
            PlayerPage::Last => {
                let rows = self
                    .player_rows(&base(), &backward, 0, limit + 1, &online_set)
                    .await?;
                let (mut rows, more) = beyond(rows, limit);
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

    /// Up to `rows` players `query` selects after `after` (from the first without), in the
    /// list's order: an export's next chunk.
    pub async fn players_chunk(
        &self,
        query: &PlayerQuery,
        after: Option<&SortKey>,
        rows: usize,
        now: OffsetDateTime,
        online: &[Uuid],
    ) -> StoreResult<Vec<ListedPlayer>> {
        let mut c = conditions(query, now, online);
        if let Some(boundary) = after {
            compare(
                &mut c,
                query,
                if query.descending { "<" } else { ">" },
                boundary,
            );
        }
        let key = key_sql(query);
        let order = if query.descending {
            format!("{key} DESC, p.id DESC")
        } else {
            format!("{key}, p.id")
        };
        let online: HashSet<Uuid> = online.iter().copied().collect();
        self.player_rows(&c, &order, 0, rows, &online).await
    }

    pub async fn player(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        online: &[Uuid],
    ) -> StoreResult<Option<ListedPlayer>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM {FROM} WHERE p.id = $2"),
                &[&now, &id],
            )
            .await
            .map_err(unavailable)?;
        let online: HashSet<Uuid> = online.iter().copied().collect();
        Ok(row.map(|row| listed(&row, &online)))
    }

    pub async fn existing_players(&self, ids: &[Uuid]) -> StoreResult<HashSet<Uuid>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let client = self.client().await?;
        let rows = client
            .query("SELECT id FROM players WHERE id = ANY($1)", &[&ids])
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
