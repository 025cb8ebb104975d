//! The players pages' URL state: the list's view (search, sort, page cursor) kept in
//! the query, so a link or the back button restores exactly what the operator
//! was looking at, and the player id in the path.

use crate::infra::api::url::encode;
use crate::ui::cursor_paging::Place;

pub const PAGE_SIZES: [u32; 3] = [25, 50, 100];
const DEFAULT_SIZE: u32 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Username,
    CreatedAt,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Username => "username",
            Sort::CreatedAt => "created_at",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayersQuery {
    pub search: String,
    pub sort: Sort,
    pub descending: bool,
    /// Which page, by the gateway's cursor.
    pub place: Place,
    pub size: u32,
    /// Only banned (or only not banned) players; `None`: all.
    pub banned: Option<bool>,
    /// Only online (or only offline) players; `None`: all.
    pub online: Option<bool>,
}

/// `true`/`false` in the URL; anything else is no filter.
fn yes_no(value: Option<&str>) -> Option<bool> {
    match value {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

impl Default for PlayersQuery {
    fn default() -> Self {
        Self {
            search: String::new(),
            sort: Sort::Username,
            descending: false,
            place: Place::default(),
            size: DEFAULT_SIZE,
            banned: None,
            online: None,
        }
    }
}

/// Whether `id` is a UUID in its canonical text form (8-4-4-4-12 hex digits),
/// as Galaxy's players have; anything else cannot name a player.
pub fn is_uuid(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

impl PlayersQuery {
    /// From URL query pairs; anything unknown or invalid falls back to the default.
    pub fn from_pairs<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Self {
        let d = Self::default();
        Self {
            search: get("search")
                .map(|s| s.chars().take(100).collect())
                .unwrap_or_default(),
            sort: match get("sort") {
                Some("created_at") => Sort::CreatedAt,
                _ => Sort::Username,
            },
            descending: get("order") == Some("desc"),
            place: Place::from_pairs(&get),
            size: get("size")
                .and_then(|s| s.parse().ok())
                .filter(|s| PAGE_SIZES.contains(s))
                .unwrap_or(d.size),
            banned: yes_no(get("banned")),
            online: yes_no(get("online")),
        }
    }

    /// The URL query for this view, defaults left out so links stay short.
    pub fn to_query(&self) -> String {
        let d = Self::default();
        let mut parts = vec![];
        if !self.search.is_empty() {
            parts.push(format!("search={}", encode(&self.search)));
        }
        if self.sort != d.sort {
            parts.push(format!("sort={}", self.sort.as_str()));
        }
        if self.descending {
            parts.push("order=desc".to_owned());
        }
        if self.size != d.size {
            parts.push(format!("size={}", self.size));
        }
        if let Some(b) = self.banned {
            parts.push(format!("banned={b}"));
        }
        if let Some(o) = self.online {
            parts.push(format!("online={o}"));
        }
        // Last: the one part that changes while paging.
        parts.extend(self.place.url_parts());
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The gateway request for this view.
    pub fn api_path(&self) -> String {
        format!(
            "/admin/players?{}&limit={}{}",
            self.selection(),
            self.size,
            self.place.api_part()
        )
    }

    /// Every player of this search, filters and order, as CSV.
    pub fn export_path(&self) -> String {
        format!("/admin/players/export?{}", self.selection())
    }

    /// Which players, in which order: the query both the page and the export ask.
    fn selection(&self) -> String {
        let mut query = format!(
            "sort={}&order={}",
            self.sort.as_str(),
            if self.descending { "desc" } else { "asc" }
        );
        if !self.search.trim().is_empty() {
            query.push_str(&format!("&search={}", encode(self.search.trim())));
        }
        if let Some(b) = self.banned {
            query.push_str(&format!("&banned={b}"));
        }
        if let Some(o) = self.online {
            query.push_str(&format!("&online={o}"));
        }
        query
    }

    /// Only players banned (or not, or either), from the first page.
    pub fn filtered(&self, banned: Option<bool>, online: Option<bool>) -> Self {
        Self {
            banned,
            online,
            place: Place::default(),
            ..self.clone()
        }
    }

    /// Clicking a column header: the same column flips the order, another starts ascending.
    pub fn sorted_by(&self, sort: Sort) -> Self {
        let descending = self.sort == sort && !self.descending;
        Self {
            sort,
            descending,
            place: Place::default(),
            ..self.clone()
        }
    }

    pub fn searching(&self, search: String) -> Self {
        Self {
            search,
            place: Place::default(),
            ..self.clone()
        }
    }

    pub fn at(&self, place: Place) -> Self {
        Self {
            place,
            ..self.clone()
        }
    }

    pub fn with_size(&self, size: u32) -> Self {
        Self {
            size,
            place: Place::default(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(query: &str) -> PlayersQuery {
        let map: HashMap<&str, &str> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        PlayersQuery::from_pairs(|k| map.get(k).copied())
    }

    fn second_page() -> Place {
        Place {
            cursor: Some("eyJvIjoi".into()),
            at: Some(51),
        }
    }

    #[test]
    fn round_trips_through_the_url() {
        let q = PlayersQuery {
            search: "nova ace".into(),
            sort: Sort::CreatedAt,
            descending: true,
            place: second_page(),
            size: 50,
            banned: Some(true),
            online: Some(false),
        };
        assert_eq!(
            q.to_query(),
            "?search=nova%20ace&sort=created_at&order=desc&size=50&banned=true&online=false&cursor=eyJvIjoi&at=51"
        );
        let back = parse(
            "search=nova ace&sort=created_at&order=desc&size=50&banned=true&online=false&cursor=eyJvIjoi&at=51",
        );
        assert_eq!(back, q);
        assert_eq!(PlayersQuery::default().to_query(), "");
    }

    #[test]
    fn invalid_values_fall_back_to_defaults() {
        assert_eq!(
            parse("sort=email&order=up&page=3&size=7"),
            PlayersQuery::default()
        );
        assert_eq!(
            parse("cursor=not%20one&size=abc&banned=maybe"),
            PlayersQuery::default()
        );
    }

    #[test]
    fn api_path_pages_by_cursor() {
        let q = parse("search=x&y&size=50&cursor=abc_-1&at=51");
        assert_eq!(
            q.api_path(),
            "/admin/players?sort=username&order=asc&search=x&limit=50&cursor=abc_-1"
        );
        let q = q.filtered(Some(true), None);
        assert_eq!(
            q.place,
            Place::default(),
            "a filter starts from the first page"
        );
        assert_eq!(
            q.api_path(),
            "/admin/players?sort=username&order=asc&search=x&banned=true&limit=50"
        );
        assert_eq!(
            q.export_path(),
            "/admin/players/export?sort=username&order=asc&search=x&banned=true",
            "the export is the whole search, not a page"
        );
    }

    #[test]
    fn sorting_and_searching_go_back_to_the_first_page() {
        let q = PlayersQuery::default().at(second_page());
        let by_name = q.sorted_by(Sort::Username);
        assert!(
            by_name.descending && by_name.place == Place::default(),
            "same column flips the order"
        );
        assert!(!by_name.sorted_by(Sort::CreatedAt).descending);
        assert_eq!(q.searching("ace".into()).place, Place::default());
        assert_eq!(q.with_size(100).place, Place::default());
    }

    #[test]
    fn only_canonical_uuids_name_a_player() {
        assert!(is_uuid("0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33"));
        assert!(is_uuid("0B7C6F0E-3F9A-4C41-9D2E-2F0D7C1A5B33"));
        for bad in [
            "",
            "42",
            "0b7c6f0e3f9a4c419d2e2f0d7c1a5b33",
            "0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b3",
            "0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b333",
            "0b7c6f0e-3f9a-4c41-9d2e_2f0d7c1a5b33",
            "zb7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33",
            "{0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b3}",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }
}
