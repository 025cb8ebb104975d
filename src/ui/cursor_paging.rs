//! Paging by cursor (the players list, the audit log): the gateway answers a
//! page with the cursors of the pages either side and a total counted up to
//! 10 000, so a page costs the same at any depth. The URL keeps the page's
//! cursor and, when known, the position of its first row (`?cursor=…&at=41`),
//! so a reload, a link or Back shows the same page with the same range.

use leptos::prelude::*;

use crate::infra::api::types::Page;
use crate::infra::api::url::encode;
use crate::infra::api::ApiError;
use crate::ui::format;

/// Number of pages for `total` items, at least 1; saturating, never a panic.
pub fn page_count(total: u64, size: u32) -> u64 {
    total.div_ceil(u64::from(size.max(1))).max(1)
}

/// The cursor of the last page, as the contract names it.
pub const LAST: &str = "last";

/// Where a list is: its cursor (none: the first page) and, when known, the
/// 1-based position of the page's first row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub cursor: Option<String>,
    pub at: Option<u64>,
}

/// Only what a gateway's cursor can be: `last` or base64url. Anything else in
/// a URL (typed, truncated, hostile) is the first page, not a request.
fn cursor_param(raw: Option<&str>) -> Option<String> {
    raw.filter(|c| {
        !c.is_empty()
            && c.len() <= 1000
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
    .map(str::to_owned)
}

impl Place {
    pub fn from_pairs<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Self {
        let cursor = cursor_param(get("cursor"));
        let at = cursor
            .as_ref()
            .and(get("at"))
            .and_then(|a| a.parse::<u64>().ok())
            .filter(|&a| a >= 1);
        Self { cursor, at }
    }

    pub fn last() -> Self {
        Self {
            cursor: Some(LAST.to_owned()),
            at: None,
        }
    }

    /// `cursor=…&at=…` for the dashboard's URL; empty on the first page.
    pub fn url_parts(&self) -> Vec<String> {
        let mut parts = vec![];
        if let Some(c) = &self.cursor {
            parts.push(format!("cursor={}", encode(c)));
            if let Some(at) = self.at {
                parts.push(format!("at={at}"));
            }
        }
        parts
    }

    /// `&cursor=…` for the gateway's request.
    pub fn api_part(&self) -> String {
        self.cursor
            .as_ref()
            .map(|c| format!("&cursor={}", encode(c)))
            .unwrap_or_default()
    }

    /// The position of the page's first row, once its page has loaded: the
    /// first page starts at 1, the last page of an exactly counted list ends at
    /// its total, any other page where the operator's paging put it.
    pub fn first_row<T>(&self, page: &Page<T>) -> Option<u64> {
        if page.prev_cursor.is_none() {
            Some(1)
        } else if self.cursor.as_deref() == Some(LAST) && page.total_exact {
            Some(
                (page.total + 1)
                    .saturating_sub(page.items.len() as u64)
                    .max(1),
            )
        } else {
            self.at
        }
    }

    pub fn next<T>(&self, page: &Page<T>) -> Option<Self> {
        Some(Self {
            cursor: Some(page.next_cursor.clone()?),
            at: self.first_row(page).map(|a| a + page.items.len() as u64),
        })
    }

    pub fn previous<T>(&self, page: &Page<T>, size: u32) -> Option<Self> {
        Some(Self {
            cursor: Some(page.prev_cursor.clone()?),
            at: self
                .first_row(page)
                .map(|a| a.saturating_sub(u64::from(size)).max(1)),
        })
    }
}

/// "41–50 of 120 · page 5 of 12"; "41–50 of more than 10 000" where the total
/// stopped counting; "the last 50 of more than 10 000" where even the position
/// is unknown (the last page of such a list).
pub fn describe(first: Option<u64>, shown: usize, size: u32, total: u64, exact: bool) -> String {
    let of = if exact {
        format!("of {}", format::integer(total))
    } else {
        format!("of more than {}", format::integer(total))
    };
    match first {
        None => format!("the last {} {of}", format::integer(shown as u64)),
        Some(first) => {
            let last = first + (shown as u64).saturating_sub(1);
            let range = format!("{}–{} {of}", format::integer(first), format::integer(last));
            if exact {
                // By the last row: a page counted from the end (Last) starts anywhere.
                let page = last.max(first).div_ceil(u64::from(size.max(1)));
                format!("{range} · page {page} of {}", page_count(total, size))
            } else {
                range
            }
        }
    }
}

/// What the operator is told when their page could not be shown as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// The page's rows went meanwhile (or an old link): the last page instead.
    Gone,
    /// A cursor of another order, or not one at all: the first page instead.
    Invalid,
}

impl Moved {
    pub fn text(self) -> &'static str {
        match self {
            Moved::Gone => "The rows of that page are gone; showing the last page.",
            Moved::Invalid => "That page no longer exists in this order; showing the first page.",
        }
    }
}

/// Where a loaded answer sends the operator instead, if anywhere.
pub fn moved<T>(page: &Page<T>) -> Option<Moved> {
    (page.items.is_empty() && page.prev_cursor.is_some()).then_some(Moved::Gone)
}

/// Where an answer (or a refusal) moved the operator, and why; kept until
/// they move on to another page.
#[derive(Clone, Copy)]
pub struct Mover(RwSignal<Option<(Moved, Place)>>);

impl Mover {
    pub fn new() -> Self {
        Self(RwSignal::new(None))
    }

    /// After the answer for `asked`: the place to show instead, if any. A
    /// cursor the gateway refuses (422 on `cursor`) goes to the first page.
    pub fn settle<T>(self, asked: &Place, result: &Result<Page<T>, ApiError>) -> Option<Place> {
        let why = match result {
            Ok(page) => moved(page),
            Err(ApiError::Validation(issues)) if issues.iter().any(|i| i.field == "cursor") => {
                Some(Moved::Invalid)
            }
            Err(_) => return None,
        };
        match why {
            Some(why) => {
                let to = match why {
                    Moved::Gone => Place::last(),
                    Moved::Invalid => Place::default(),
                };
                self.0.try_set(Some((why, to.clone())));
                Some(to)
            }
            None => {
                if self
                    .0
                    .try_get_untracked()
                    .flatten()
                    .is_some_and(|(_, to)| to != *asked)
                {
                    self.0.try_set(None);
                }
                None
            }
        }
    }

    pub fn notice(self) -> impl IntoView {
        move || {
            self.0
                .get()
                .map(|(m, _)| view! { <p class="notice" role="status">{m.text()}</p> })
        }
    }
}

/// First / Previous / the range / Next / Last. `go` gets the place to show.
#[component]
pub fn CursorPagination(
    place: Place,
    first: Option<u64>,
    shown: usize,
    size: u32,
    total: u64,
    exact: bool,
    previous: Option<Place>,
    next: Option<Place>,
    go: Callback<Place>,
) -> impl IntoView {
    let at_start = previous.is_none();
    let at_end = next.is_none();
    let on_last = place.cursor.as_deref() == Some(LAST);
    view! {
        <nav class="pagination action-bar" aria-label="Pagination">
            <button type="button" class="button" disabled=at_start on:click=move |_| go.run(Place::default())>
                "First"
            </button>
            <button type="button" class="button" disabled=at_start on:click=move |_| {
                if let Some(p) = previous.clone() { go.run(p) }
            }>
                "Previous"
            </button>
            <span class="page-info">{describe(first, shown, size, total, exact)}</span>
            <button type="button" class="button" disabled=at_end on:click=move |_| {
                if let Some(p) = next.clone() { go.run(p) }
            }>
                "Next"
            </button>
            <button type="button" class="button" disabled=at_end && on_last on:click=move |_| go.run(Place::last())>
                "Last"
            </button>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(
        len: usize,
        total: u64,
        exact: bool,
        prev: Option<&str>,
        next: Option<&str>,
    ) -> Page<u8> {
        Page {
            items: vec![0; len],
            total,
            total_exact: exact,
            until_id: None,
            next_cursor: next.map(str::to_owned),
            prev_cursor: prev.map(str::to_owned),
        }
    }

    fn place(cursor: Option<&str>, at: Option<u64>) -> Place {
        Place {
            cursor: cursor.map(str::to_owned),
            at,
        }
    }

    #[test]
    fn the_url_keeps_only_what_a_cursor_can_be() {
        let get = |q: &'static str| {
            move |k: &str| {
                q.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v)
            }
        };
        assert_eq!(
            Place::from_pairs(get("cursor=eyJv_-9&at=41")),
            place(Some("eyJv_-9"), Some(41))
        );
        assert_eq!(Place::from_pairs(get("cursor=last")), Place::last());
        for bad in ["cursor=a%20b", "cursor=<x>", "cursor=", "at=5"] {
            assert_eq!(Place::from_pairs(get(bad)), Place::default(), "{bad}");
        }
        assert_eq!(Place::from_pairs(get("cursor=abc&at=0")).at, None);
        assert_eq!(
            place(Some("abc"), Some(41)).url_parts(),
            ["cursor=abc", "at=41"]
        );
        assert!(Place::default().url_parts().is_empty());
        assert_eq!(Place::default().api_part(), "");
        assert_eq!(Place::last().api_part(), "&cursor=last");
    }

    #[test]
    fn positions_follow_the_paging_and_are_known_at_either_end() {
        let first = page(10, 35, true, None, Some("n1"));
        let start = Place::default();
        assert_eq!(start.first_row(&first), Some(1));
        let second = start.next(&first).unwrap();
        assert_eq!(second, place(Some("n1"), Some(11)));
        let p2 = page(10, 35, true, Some("p2"), Some("n2"));
        assert_eq!(
            second.previous(&p2, 10).unwrap(),
            place(Some("p2"), Some(1))
        );
        // The last page of an exact list ends at the total, wherever it was reached from.
        let last = page(5, 35, true, Some("p4"), None);
        assert_eq!(Place::last().first_row(&last), Some(31));
        assert_eq!(Place::last().next(&last), None);
        assert_eq!(
            Place::last().previous(&last, 10).unwrap(),
            place(Some("p4"), Some(21))
        );
        // Past 10 000 the last page's position is unknown, and stays so going back.
        let far = page(50, 10_000, false, Some("p"), None);
        assert_eq!(Place::last().first_row(&far), None);
        assert_eq!(Place::last().previous(&far, 50).unwrap().at, None);
    }

    #[test]
    fn page_counts_never_overflow() {
        assert_eq!(page_count(0, 25), 1);
        assert_eq!(page_count(251, 25), 11);
        assert_eq!(page_count(u64::MAX, 1), u64::MAX);
        assert_eq!(page_count(10, 0), 10, "a zero size counts as one");
    }

    #[test]
    fn ranges_say_what_is_known() {
        assert_eq!(
            describe(Some(41), 10, 10, 120, true),
            "41–50 of 120 · page 5 of 12"
        );
        assert_eq!(
            describe(Some(51), 50, 50, 10_000, false),
            "51–100 of more than 10\u{2009}000"
        );
        assert_eq!(
            describe(None, 50, 50, 10_000, false),
            "the last 50 of more than 10\u{2009}000"
        );
    }

    #[test]
    fn an_empty_page_after_others_moves_to_the_last_page() {
        assert_eq!(
            moved(&page(0, 20, true, Some("last"), None)),
            Some(Moved::Gone)
        );
        assert_eq!(
            moved(&page(0, 0, true, None, None)),
            None,
            "an empty list is just empty"
        );
        assert_eq!(moved(&page(3, 20, true, Some("p"), None)), None);
    }
}
