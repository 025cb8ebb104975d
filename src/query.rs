//! The players list's view (search, sort, page) kept in the URL query, so a
//! link or the back button restores exactly what the operator was looking at.

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
    /// 1-based.
    pub page: u32,
    pub size: u32,
}

impl Default for PlayersQuery {
    fn default() -> Self {
        Self {
            search: String::new(),
            sort: Sort::Username,
            descending: false,
            page: 1,
            size: DEFAULT_SIZE,
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
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
            page: get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(d.page),
            size: get("size")
                .and_then(|s| s.parse().ok())
                .filter(|s| PAGE_SIZES.contains(s))
                .unwrap_or(d.size),
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
        if self.page != d.page {
            parts.push(format!("page={}", self.page));
        }
        if self.size != d.size {
            parts.push(format!("size={}", self.size));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The gateway request for this view.
    pub fn api_path(&self) -> String {
        let offset = (self.page.saturating_sub(1) as u64) * self.size as u64;
        let mut path = format!(
            "/admin/players?sort={}&order={}&limit={}&offset={offset}",
            self.sort.as_str(),
            if self.descending { "desc" } else { "asc" },
            self.size
        );
        if !self.search.trim().is_empty() {
            path.push_str(&format!("&search={}", encode(self.search.trim())));
        }
        path
    }

    /// Clicking a column header: the same column flips the order, another starts ascending.
    pub fn sorted_by(&self, sort: Sort) -> Self {
        let descending = self.sort == sort && !self.descending;
        Self {
            sort,
            descending,
            page: 1,
            ..self.clone()
        }
    }

    pub fn searching(&self, search: String) -> Self {
        Self {
            search,
            page: 1,
            ..self.clone()
        }
    }

    pub fn with_page(&self, page: u32) -> Self {
        Self {
            page: page.max(1),
            ..self.clone()
        }
    }

    pub fn with_size(&self, size: u32) -> Self {
        Self {
            size,
            page: 1,
            ..self.clone()
        }
    }
}

/// Number of pages for `total` items, at least 1.
pub fn page_count(total: u64, size: u32) -> u32 {
    (total.div_ceil(size.max(1) as u64)).max(1) as u32
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

    #[test]
    fn round_trips_through_the_url() {
        let q = PlayersQuery {
            search: "nova ace".into(),
            sort: Sort::CreatedAt,
            descending: true,
            page: 3,
            size: 50,
        };
        assert_eq!(
            q.to_query(),
            "?search=nova%20ace&sort=created_at&order=desc&page=3&size=50"
        );
        let back = parse("search=nova ace&sort=created_at&order=desc&page=3&size=50");
        assert_eq!(back, q);
        assert_eq!(PlayersQuery::default().to_query(), "");
    }

    #[test]
    fn invalid_values_fall_back_to_defaults() {
        assert_eq!(
            parse("sort=email&order=up&page=0&size=7"),
            PlayersQuery::default()
        );
        assert_eq!(parse("page=-2&size=abc"), PlayersQuery::default());
    }

    #[test]
    fn api_path_pages_with_limit_and_offset() {
        let q = parse("search=x&y&page=3&size=50");
        assert_eq!(
            q.api_path(),
            "/admin/players?sort=username&order=asc&limit=50&offset=100&search=x"
        );
        assert_eq!(encode("<b>&ü"), "%3Cb%3E%26%C3%BC");
    }

    #[test]
    fn sorting_and_searching_go_back_to_page_one() {
        let q = PlayersQuery::default().with_page(4);
        let by_name = q.sorted_by(Sort::Username);
        assert!(
            by_name.descending && by_name.page == 1,
            "same column flips the order"
        );
        assert!(!by_name.sorted_by(Sort::CreatedAt).descending);
        assert_eq!(q.searching("ace".into()).page, 1);
        assert_eq!(q.with_size(100).page, 1);
        assert_eq!(page_count(0, 25), 1);
        assert_eq!(page_count(251, 25), 11);
    }
}

/// A `?page=N` parameter (1-based); anything else is page 1.
pub fn page_param(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod page_param_tests {
    use super::page_param;

    #[test]
    fn page_param_defaults_to_one() {
        assert_eq!(page_param(Some("3")), 3);
        for bad in [None, Some("0"), Some("-1"), Some("x")] {
            assert_eq!(page_param(bad), 1);
        }
    }
}
