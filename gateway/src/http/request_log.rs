//! The last requests the gateway answered, for tests with dev controls: a browser test waits
//! until "a PUT /admin/config/tick_rate was answered" instead of sleeping and hoping.

use std::collections::VecDeque;

use serde::Serialize;
use time::OffsetDateTime;

/// Enough for any one test, small enough to never matter.
pub const CAPACITY: usize = 2000;

#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    /// Increases by one per logged request, from 1, and is never reused, even after a clear.
    pub seq: u64,
    pub method: String,
    /// Relative to the API base path, as in the contract: `/admin/config/tick_rate`.
    pub path: String,
    /// The raw query string, null when there is none.
    pub query: Option<String>,
    pub status: u16,
    /// When the response was ready.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    entries: VecDeque<LoggedRequest>,
    last_seq: u64,
}

impl RequestLog {
    pub fn record(&mut self, method: &str, path: &str, query: Option<&str>, status: u16) {
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        self.last_seq += 1;
        self.entries.push_back(LoggedRequest {
            seq: self.last_seq,
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            status,
            at: OffsetDateTime::now_utc(),
        });
    }

    /// The requests after `seq`, oldest first, and the `seq` to ask from next time.
    pub fn since(&self, seq: u64) -> (Vec<LoggedRequest>, u64) {
        let items = self
            .entries
            .iter()
            .filter(|e| e.seq > seq)
            .cloned()
            .collect();
        (items, self.last_seq.max(seq))
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_entries_and_numbers_them_for_good() {
        let mut log = RequestLog::default();
        for i in 0..CAPACITY + 5 {
            log.record("GET", &format!("/r/{i}"), None, 200);
        }
        let (items, next) = log.since(0);
        assert_eq!(items.len(), CAPACITY);
        assert_eq!(items[0].seq, 6);
        assert_eq!(next, (CAPACITY + 5) as u64);
        let (items, _) = log.since(next - 2);
        assert_eq!(
            items.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [next - 1, next]
        );

        log.clear();
        let (items, after_clear) = log.since(0);
        assert!(items.is_empty());
        assert_eq!(after_clear, next, "numbering goes on after a clear");
        log.record("PUT", "/admin/config/motd", Some("a=1"), 412);
        let (items, newer) = log.since(next);
        assert_eq!((items.len(), items[0].seq, newer), (1, next + 1, next + 1));
        assert_eq!(items[0].query.as_deref(), Some("a=1"));
    }
}
