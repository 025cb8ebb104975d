//! Keyset (cursor) paging: a page is "the `limit` rows after (or before) this row" in the
//! list's order. Its cost does not grow with its depth, as an OFFSET's does (the 1000th page
//! of 10 million audit rows is one index range scan), and rows added or removed meanwhile do
//! not shift the pages under the operator.
//!
//! A cursor is opaque to clients: base64url (no padding) of a small JSON object naming the
//! list's order, the direction, and the boundary row's sort key and id. The stores compare
//! rows with [`Boundary`]; the in-memory store finds a page in its sorted list with
//! [`window`], PostgreSQL with a row comparison on an index.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::error::FieldError;

/// Totals are counted up to this many rows and no further: past it a total costs a scan of
/// every matching row, which no page needs. An answer says whether its total is exact.
pub const TOTAL_CAP: usize = 10_000;

/// Whether a page is the rows after its boundary or before it, in the list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    #[serde(rename = "a")]
    After,
    #[serde(rename = "b")]
    Before,
}

/// One row's place in a list's order: its sort key (JSON, so each list chooses its own) and
/// its id, which breaks ties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boundary {
    #[serde(rename = "k")]
    pub key: Value,
    #[serde(rename = "i")]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// The order it belongs to, such as `username:asc`.
    #[serde(rename = "o")]
    order: String,
    #[serde(rename = "d")]
    direction: Direction,
    #[serde(flatten)]
    boundary: Boundary,
}

/// Which page is asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    First,
    Last,
    Next(Boundary),
    Previous(Boundary),
}

/// The page a `cursor` value asks for in the list ordered by `order`: none is the first page,
/// `last` the last one, else a cursor from an answer of the same order.
pub fn decode_position(raw: Option<&str>, order: &str) -> Result<Position, FieldError> {
    let invalid = |msg: &str| FieldError::new(&["query", "cursor"], msg, "cursor_invalid");
    let Some(raw) = raw else {
        return Ok(Position::First);
    };
    if raw == "last" {
        return Ok(Position::Last);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| invalid("Not a cursor from this list"))?;
    let cursor: Cursor =
        serde_json::from_slice(&bytes).map_err(|_| invalid("Not a cursor from this list"))?;
    if cursor.order != order {
        return Err(invalid(
            "The cursor belongs to another sort order; start again from the first page",
        ));
    }
    Ok(match cursor.direction {
        Direction::After => Position::Next(cursor.boundary),
        Direction::Before => Position::Previous(cursor.boundary),
    })
}

/// The rows `offset` selects, for clients that page by number (each page costs its depth).
pub fn offset_window(len: usize, offset: usize, limit: usize) -> Window {
    let start = offset.min(len);
    let end = (start + limit).min(len);
    Window {
        range: start..end,
        has_previous: start > 0,
        has_next: end < len,
    }
}

/// The page at `position` of a list ordered newest first by a numeric id (`id_of(i)`
/// strictly decreasing); a cursor whose boundary is no id is refused.
pub fn newest_first(
    len: usize,
    id_of: impl Fn(usize) -> u64,
    position: &Position,
    limit: usize,
) -> Result<Window, FieldError> {
    let boundary = match position {
        Position::Next(b) | Position::Previous(b) => Some(b.id.parse::<u64>().map_err(|_| {
            FieldError::new(
                &["query", "cursor"],
                "Not a cursor from this list",
                "cursor_invalid",
            )
        })?),
        Position::First | Position::Last => None,
    };
    Ok(window(
        len,
        position,
        limit,
        |i, _| boundary.is_some_and(|b| id_of(i) > b),
        |i, _| boundary == Some(id_of(i)),
    ))
}

/// A page of a list ordered newest first by a numeric id, in the terms a store's query takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPage {
    /// From the newest row, skipping `offset` rows (0: the first page).
    Newest { offset: usize },
    /// The oldest rows: the last page.
    Oldest,
    /// The rows older than this id: the next page.
    OlderThan(u64),
    /// The rows newer than this id: the page before.
    NewerThan(u64),
}

impl IdPage {
    /// The page `position` (with `offset`, for clients that page by number) asks for; a
    /// cursor whose boundary is no id is refused.
    pub fn new(position: &Position, offset: usize) -> Result<IdPage, FieldError> {
        let id = |b: &Boundary| {
            b.id.parse::<u64>().map_err(|_| {
                FieldError::new(
                    &["query", "cursor"],
                    "Not a cursor from this list",
                    "cursor_invalid",
                )
            })
        };
        Ok(match position {
            Position::First => IdPage::Newest { offset },
            Position::Last => IdPage::Oldest,
            Position::Next(b) => IdPage::OlderThan(id(b)?),
            Position::Previous(b) => IdPage::NewerThan(id(b)?),
        })
    }

    /// This page of a list of `len` rows held in order (`id_of(i)` strictly decreasing).
    pub fn window(&self, len: usize, id_of: impl Fn(usize) -> u64, limit: usize) -> Window {
        let (position, boundary) = match *self {
            IdPage::Newest { offset } if offset > 0 => return offset_window(len, offset, limit),
            IdPage::Newest { .. } => (Position::First, None),
            IdPage::Oldest => (Position::Last, None),
            IdPage::OlderThan(b) => (Position::Next(id_boundary(b)), Some(b)),
            IdPage::NewerThan(b) => (Position::Previous(id_boundary(b)), Some(b)),
        };
        window(
            len,
            &position,
            limit,
            |i, _| boundary.is_some_and(|b| id_of(i) > b),
            |i, _| boundary == Some(id_of(i)),
        )
    }
}

/// A page as a store found it: its rows in the list's order, how many rows match (counted up
/// to at least [`TOTAL_CAP`] + 1, so the answer can say whether its total is exact), and
/// whether rows lie either side of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<T> {
    pub items: Vec<T>,
    pub matching: usize,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<T> Found<T> {
    /// The rows of `window` in `rows` (the whole matching list, in order).
    pub fn from_window(rows: &[T], window: &Window) -> Found<T>
    where
        T: Clone,
    {
        Found {
            items: rows[window.range.clone()].to_vec(),
            matching: rows.len(),
            has_previous: window.has_previous,
            has_next: window.has_next,
        }
    }

    /// The paging fields of the answer (see [`fields`]).
    pub fn fields(
        &self,
        order: &str,
        boundary_of: impl Fn(&T) -> Boundary,
    ) -> serde_json::Map<String, Value> {
        let window = Window {
            range: 0..self.items.len(),
            has_previous: self.has_previous,
            has_next: self.has_next,
        };
        fields(order, self.matching, &window, |i| {
            boundary_of(&self.items[i])
        })
    }
}

/// A boundary of a list ordered by id alone.
pub fn id_boundary(id: u64) -> Boundary {
    Boundary {
        key: Value::Null,
        id: id.to_string(),
    }
}

/// The cursor of the rows after (or before) `boundary`.
pub fn cursor(order: &str, direction: Direction, boundary: Boundary) -> String {
    let cursor = Cursor {
        order: order.to_owned(),
        direction,
        boundary,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).expect("plain JSON"))
}

/// A page of rows `range` of a list of `len` rows, as `window` finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub range: std::ops::Range<usize>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// The page at `position` in a list of `len` rows, where `is_before(i, b)` says whether row
/// `i` comes strictly before boundary `b` in the list's order and `is_at(i, b)` whether it is
/// that very row (rows are totally ordered by key, then id). Binary searches: O(log n).
pub fn window(
    len: usize,
    position: &Position,
    limit: usize,
    is_before: impl Fn(usize, &Boundary) -> bool,
    is_at: impl Fn(usize, &Boundary) -> bool,
) -> Window {
    let range = match position {
        Position::First => 0..limit.min(len),
        Position::Last => len.saturating_sub(limit)..len,
        Position::Next(b) => {
            let start = partition_point(len, |i| is_before(i, b) || is_at(i, b));
            start..(start + limit).min(len)
        }
        Position::Previous(b) => {
            let end = partition_point(len, |i| is_before(i, b));
            end.saturating_sub(limit)..end
        }
    };
    Window {
        has_previous: range.start > 0,
        has_next: range.end < len,
        range,
    }
}

fn partition_point(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, len);
    while low < high {
        let mid = low + (high - low) / 2;
        if pred(mid) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

/// The paging fields of a list answer: `total` counted up to [`TOTAL_CAP`] (`total_exact`
/// says whether it is the whole count), `has_more` and the cursors of the pages either side,
/// each null where there is no such page.
pub fn fields(
    order: &str,
    matching: usize,
    window: &Window,
    boundary_of: impl Fn(usize) -> Boundary,
) -> serde_json::Map<String, Value> {
    // An empty page has no row to continue after (a cursor used with another filter can land
    // on one): no next cursor, rather than a row that is not there.
    let next = (window.has_next && !window.range.is_empty())
        .then(|| cursor(order, Direction::After, boundary_of(window.range.end - 1)));
    let previous = window.has_previous.then(|| {
        if window.range.is_empty() {
            // Past the end (its rows went meanwhile): the page before is the last page.
            "last".to_owned()
        } else {
            cursor(order, Direction::Before, boundary_of(window.range.start))
        }
    });
    let mut fields = serde_json::Map::new();
    fields.insert("total".into(), matching.min(TOTAL_CAP).into());
    fields.insert("total_exact".into(), (matching <= TOTAL_CAP).into());
    fields.insert("has_more".into(), window.has_next.into());
    fields.insert("next_cursor".into(), next.into());
    fields.insert("prev_cursor".into(), previous.into());
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<(u32, &'static str)> {
        // Sorted by key, then id: a list in its order.
        vec![
            (1, "a"),
            (1, "b"),
            (2, "a"),
            (3, "c"),
            (3, "d"),
            (5, "a"),
            (8, "z"),
        ]
    }

    fn boundary(row: (u32, &str)) -> Boundary {
        Boundary {
            key: row.0.into(),
            id: row.1.to_owned(),
        }
    }

    fn page(position: &Position, limit: usize) -> Window {
        let rows = rows();
        let key = |b: &Boundary| (b.key.as_u64().unwrap() as u32, b.id.clone());
        window(
            rows.len(),
            position,
            limit,
            |i, b| (rows[i].0, rows[i].1.to_owned()) < key(b),
            |i, b| (rows[i].0, rows[i].1.to_owned()) == key(b),
        )
    }

    #[test]
    fn forward_pages_cover_every_row_once_and_backward_pages_return() {
        let rows = rows();
        let mut position = Position::First;
        let mut seen = vec![];
        let mut pages = vec![];
        loop {
            let w = page(&position, 3);
            seen.extend(w.range.clone());
            pages.push(w.range.clone());
            if !w.has_next {
                break;
            }
            position = Position::Next(boundary(rows[w.range.end - 1]));
        }
        assert_eq!(seen, (0..rows.len()).collect::<Vec<_>>());
        assert_eq!(pages, [0..3, 3..6, 6..7]);
        // Back from the last page by its first row.
        let w = page(&Position::Previous(boundary(rows[6])), 3);
        assert_eq!((w.range, w.has_previous, w.has_next), (3..6, true, true));
        let w = page(&Position::Previous(boundary(rows[3])), 3);
        assert_eq!((w.range, w.has_previous, w.has_next), (0..3, false, true));
    }

    #[test]
    fn last_and_edges() {
        let w = page(&Position::Last, 3);
        assert_eq!((w.range, w.has_previous, w.has_next), (4..7, true, false));
        let w = page(&Position::Last, 50);
        assert_eq!((w.range, w.has_previous, w.has_next), (0..7, false, false));
        // A boundary row deleted meanwhile still places the page: after (2,"b") is (3,"c").
        let gone = Boundary {
            key: 2.into(),
            id: "b".into(),
        };
        assert_eq!(page(&Position::Next(gone.clone()), 2).range, 3..5);
        assert_eq!(page(&Position::Previous(gone), 2).range, 1..3);
        // Past the end: empty, with rows before it.
        let past = page(&Position::Next(boundary(rows()[6])), 3);
        assert_eq!(
            (past.range, past.has_previous, past.has_next),
            (7..7, true, false)
        );
    }

    #[test]
    fn id_pages_match_the_cursor_windows() {
        // Ids 70, 60, ... 10: newest first.
        let ids = [70u64, 60, 50, 40, 30, 20, 10];
        let page = |p: IdPage| p.window(ids.len(), |i| ids[i], 3);
        assert_eq!(page(IdPage::Newest { offset: 0 }).range, 0..3);
        assert_eq!(page(IdPage::Newest { offset: 5 }).range, 5..7);
        assert_eq!(page(IdPage::Oldest).range, 4..7);
        let next = page(IdPage::OlderThan(50));
        assert_eq!(
            (next.range, next.has_previous, next.has_next),
            (3..6, true, true)
        );
        let before = page(IdPage::NewerThan(40));
        assert_eq!((before.range, before.has_previous), (0..3, false));
        // A boundary id no row has (its row went) still places the page.
        assert_eq!(page(IdPage::OlderThan(45)).range, 3..6);
        let cursor = Position::Next(id_boundary(50));
        assert_eq!(IdPage::new(&cursor, 0), Ok(IdPage::OlderThan(50)));
        let bad = Position::Previous(Boundary {
            key: Value::Null,
            id: "x".into(),
        });
        assert!(IdPage::new(&bad, 0).is_err());
    }

    #[test]
    fn an_empty_page_with_rows_after_it_has_no_next_cursor() {
        let window = Window {
            range: 0..0,
            has_previous: false,
            has_next: true,
        };
        let f = fields("o", 3, &window, |_| unreachable!("no row to name"));
        assert_eq!(
            (f["next_cursor"].clone(), f["has_more"].clone()),
            (Value::Null, Value::Bool(true))
        );
    }
}
