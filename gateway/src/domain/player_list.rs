//! The players list's rules, whichever store serves it: the search, the filters and the two
//! orders (by username case-insensitively, or by creation time; the id breaking ties, so
//! paging is stable), the sort key a cursor carries, and a player as the list shows it.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::domain::keyset::{Boundary, Position};
use crate::domain::players::{Ban, Player};

/// The search, sort and filters shared by the list and the export.
#[derive(Debug, Clone, Default)]
pub struct PlayerQuery {
    /// Lower case, trimmed; empty matches everyone.
    pub search: String,
    pub by_created_at: bool,
    pub descending: bool,
    pub banned: Option<bool>,
    pub online: Option<bool>,
}

/// A player's place in the list's order, the sort key first, the id breaking ties.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    /// Lower case, so "nova" and "Nova" sort together.
    Name(String, Uuid),
    /// Unix nanoseconds.
    Created(i128, Uuid),
}

/// Which page of the list is asked for, in the terms a store's query takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayerPage {
    /// From the first row, skipping `offset` rows (0: the first page).
    First { offset: usize },
    /// The last rows.
    Last,
    /// The rows after this one: the next page.
    After(SortKey),
    /// The rows before this one: the page before.
    Before(SortKey),
}

/// A player as the list, the player's page and the export show it: the row, whether it is
/// online now, and its ban if one holds (else null).
#[derive(Debug, Clone, Serialize)]
pub struct ListedPlayer {
    #[serde(flatten)]
    pub player: Player,
    pub ban: Option<Ban>,
}

impl PlayerQuery {
    /// The order's name in cursors: a cursor of one order is refused by another.
    pub fn order(&self) -> &'static str {
        match (self.by_created_at, self.descending) {
            (false, false) => "username:asc",
            (false, true) => "username:desc",
            (true, false) => "created_at:asc",
            (true, true) => "created_at:desc",
        }
    }

    pub fn key(&self, p: &Player) -> SortKey {
        if self.by_created_at {
            SortKey::Created(p.created_at.unix_timestamp_nanos(), p.id)
        } else {
            SortKey::Name(p.username.to_lowercase(), p.id)
        }
    }

    pub fn boundary(&self, p: &Player) -> Boundary {
        let key = match self.key(p) {
            SortKey::Name(name, _) => json!(name),
            // A string: nanoseconds are past JSON's exact integers.
            SortKey::Created(nanos, _) => json!(nanos.to_string()),
        };
        Boundary {
            key,
            id: p.id.to_string(),
        }
    }

    /// The sort key a cursor's boundary names, if it is one of this order.
    pub fn boundary_key(&self, b: &Boundary) -> Option<SortKey> {
        let id: Uuid = b.id.parse().ok()?;
        let text = b.key.as_str()?;
        Some(if self.by_created_at {
            SortKey::Created(text.parse().ok()?, id)
        } else {
            SortKey::Name(text.to_owned(), id)
        })
    }

    /// The page `position` (with `offset`, for clients that page by number) asks for; `None`
    /// for a cursor that is not one of this order's.
    pub fn page(&self, position: &Position, offset: usize) -> Option<PlayerPage> {
        Some(match position {
            Position::First => PlayerPage::First { offset },
            Position::Last => PlayerPage::Last,
            Position::Next(b) => PlayerPage::After(self.boundary_key(b)?),
            Position::Previous(b) => PlayerPage::Before(self.boundary_key(b)?),
        })
    }

    /// Whether `p` passes the search and the filters; `banned`: whether a ban holds on it now.
    pub fn matches(&self, p: &Player, banned: bool) -> bool {
        (self.search.is_empty() || p.username.to_lowercase().contains(&self.search))
            && self.online.is_none_or(|o| p.online == o)
            && self.banned.is_none_or(|b| banned == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boundary_gives_back_its_row_s_key_in_either_order() {
        let p = &crate::domain::players::seed(1)[0];
        for by_created_at in [false, true] {
            let q = PlayerQuery {
                by_created_at,
                ..PlayerQuery::default()
            };
            assert_eq!(q.boundary_key(&q.boundary(p)), Some(q.key(p)));
        }
        // A name is no time (the cursor's order name keeps the two apart anyway).
        let by_name = PlayerQuery::default().boundary(p);
        let by_time = PlayerQuery {
            by_created_at: true,
            ..PlayerQuery::default()
        };
        assert_eq!(by_time.boundary_key(&by_name), None);
    }

    #[test]
    fn search_is_a_case_insensitive_substring_and_filters_combine() {
        let mut p = crate::domain::players::seed(1)[0].clone();
        p.username = "Nova_Pilot7".into();
        p.online = true;
        let q = |search: &str, online, banned| PlayerQuery {
            search: search.into(),
            online,
            banned,
            ..PlayerQuery::default()
        };
        assert!(q("a_pil", None, None).matches(&p, false));
        assert!(!q("zz", None, None).matches(&p, false));
        assert!(q("", Some(true), Some(true)).matches(&p, true));
        assert!(!q("", Some(false), None).matches(&p, false));
        assert!(!q("", None, Some(false)).matches(&p, true));
    }
}
