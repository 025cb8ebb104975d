//! The game's health over time, as the gateway sampled it. The whole range is
//! asked for once (and again when the operator picks another); after that the
//! status poll the shell runs anyway drives small updates: only the buckets
//! since the newest one shown, and the events since then.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::infra::api::types::History;
use crate::infra::api::{use_api, ApiError};
use crate::infra::time::iso;
use crate::pages::overview::status::use_game_status;

/// The ranges the gateway keeps, as the URL and the API name them.
pub const RANGES: [(&str, &str); 4] = [
    ("10m", "10 minutes"),
    ("1h", "1 hour"),
    ("6h", "6 hours"),
    ("24h", "24 hours"),
];
pub const DEFAULT_RANGE: &str = "1h";

/// How often the newest bucket is asked for again: the gateway's sampling interval.
const UPDATE_EVERY_MS: f64 = 10_000.0;

/// A range from the URL, or the default for anything else.
pub fn range_param(asked: Option<&str>) -> &'static str {
    RANGES
        .iter()
        .find(|(r, _)| Some(*r) == asked)
        .map_or(DEFAULT_RANGE, |(r, _)| r)
}

/// `update` folded into what is shown: its buckets replace those from its first
/// one on (the newest shown bucket was still filling), its events join those
/// not seen yet, and whatever fell out of the range goes.
pub fn merge(shown: &mut History, update: History) {
    if update.bucket_seconds != shown.bucket_seconds {
        *shown = update;
        return;
    }
    if let Some(first) = update.buckets.first() {
        let first = first.at;
        shown.buckets.retain(|b| b.at < first);
    }
    shown.buckets.extend(update.buckets);
    let from = update.from;
    shown.buckets.retain(|b| b.at + shown.bucket_seconds > from);
    // Both oldest first: what is new comes after the newest shown.
    let newest = shown.events.last().map_or(0, |e| e.id);
    shown
        .events
        .extend(update.events.into_iter().filter(|e| e.id > newest));
    shown
        .events
        .retain(|e| crate::infra::time::parse_rfc3339(&e.at).is_some_and(|at| at >= from));
    shown.from = from;
    shown.to = update.to;
}

#[derive(Clone, Copy)]
pub struct HistoryStore {
    pub shown: RwSignal<Option<History>>,
    /// Why the range could not be loaded (an update that fails changes nothing:
    /// the status poll's own error says the gateway is away).
    pub error: RwSignal<Option<ApiError>>,
    again: RwSignal<u32>,
}

impl HistoryStore {
    /// Asks for the whole range again (after it failed to load).
    pub fn retry(&self) {
        self.again.update(|n| *n += 1);
    }
}

/// Loads `range` whenever it changes and keeps it current while the caller lives.
pub fn follow(range: Memo<&'static str>) -> HistoryStore {
    let api = use_api();
    let status = use_game_status();
    let store = HistoryStore {
        shown: RwSignal::new(None),
        error: RwSignal::new(None),
        again: RwSignal::new(0),
    };
    // Which range's answers are still wanted: a slow answer for the range the
    // operator just left must not land in the new one.
    let generation = StoredValue::new(0u32);
    let asked_at = StoredValue::new(0f64);
    let load = move |full: bool| {
        let r = range.get_untracked();
        let since = store
            .shown
            .with_untracked(|h| h.as_ref().and_then(|h| h.buckets.last().map(|b| iso(b.at))))
            .filter(|_| !full);
        if full {
            generation.update_value(|g| *g += 1);
        }
        let asked = generation.get_value();
        asked_at.set_value(js_sys::Date::now());
        let path = match &since {
            Some(s) => format!("/admin/metrics/history?range={r}&since={s}"),
            None => format!("/admin/metrics/history?range={r}"),
        };
        spawn_local(async move {
            let result = api.get::<History>(path).await;
            if generation.try_get_value() != Some(asked) {
                return;
            }
            match result {
                Ok(update) => {
                    store.error.try_set(None);
                    store.shown.try_update(|shown| match shown {
                        Some(shown) if since.is_some() => merge(shown, update),
                        _ => *shown = Some(update),
                    });
                }
                Err(e) if since.is_none() => {
                    store.error.try_set(Some(e));
                }
                Err(_) => {}
            }
        });
    };
    Effect::new(move |_| {
        range.track();
        store.again.track();
        store.shown.set(None);
        load(true);
    });
    // Each status answer: the game paused, resumed or changed its rate (an event
    // to show now), or a sample's time has passed since the last update.
    let last = StoredValue::new(None::<(bool, u64)>);
    Effect::new(move |_| {
        let Some(now) = status
            .latest
            .with(|s| s.as_ref().map(|s| (s.paused, s.tick_rate.to_bits())))
        else {
            return;
        };
        let changed = last.get_value().is_some_and(|was| was != now);
        last.set_value(Some(now));
        let due = js_sys::Date::now() - asked_at.get_value() >= UPDATE_EVERY_MS;
        let loaded = store.shown.with_untracked(Option::is_some);
        if loaded && (changed || due) {
            load(false);
        } else if store.error.with_untracked(Option::is_some) && due {
            load(true);
        }
    });
    store
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::api::types::{AuditEntry, Bucket, Stat};

    fn bucket(at: i64, avg: f64) -> Bucket {
        Bucket {
            at,
            paused: false,
            stats: [Stat {
                min: avg,
                avg,
                max: avg,
            }; 5],
        }
    }

    fn event(id: u64, at: &str) -> AuditEntry {
        AuditEntry {
            id,
            at: at.to_owned(),
            admin: "admin".to_owned(),
            role: Some("operator".to_owned()),
            action: "game.pause".to_owned(),
            target: None,
            target_type: Some("game".to_owned()),
            target_id: None,
            target_exists: true,
            before: None,
            after: None,
            reason: None,
            tick: 1,
            detail: None,
        }
    }

    fn history(from: i64, buckets: Vec<Bucket>, events: Vec<AuditEntry>) -> History {
        History {
            from,
            to: from + 600,
            bucket_seconds: 10,
            buckets,
            events,
        }
    }

    #[test]
    fn an_update_replaces_the_bucket_still_filling_and_drops_the_oldest() {
        let mut shown = history(
            0,
            vec![bucket(0, 1.0), bucket(10, 1.0), bucket(20, 1.0)],
            vec![],
        );
        merge(
            &mut shown,
            history(15, vec![bucket(20, 5.0), bucket(30, 6.0)], vec![]),
        );
        let kept: Vec<(i64, f64)> = shown
            .buckets
            .iter()
            .map(|b| (b.at, b.stats[0].avg))
            .collect();
        assert_eq!(
            kept,
            [(10, 1.0), (20, 5.0), (30, 6.0)],
            "bucket 0 ended before the range starts"
        );
        assert_eq!((shown.from, shown.to), (15, 615));
    }

    #[test]
    fn events_are_not_shown_twice_and_leave_with_the_range() {
        let mut shown = history(
            0,
            vec![],
            vec![
                event(1, "1970-01-01T00:00:05Z"),
                event(2, "1970-01-01T00:00:30Z"),
            ],
        );
        merge(
            &mut shown,
            history(
                10,
                vec![],
                vec![
                    event(2, "1970-01-01T00:00:30Z"),
                    event(3, "1970-01-01T00:00:40Z"),
                ],
            ),
        );
        let ids: Vec<u64> = shown.events.iter().map(|e| e.id).collect();
        assert_eq!(ids, [2, 3]);
    }

    #[test]
    fn an_update_in_another_resolution_replaces_everything() {
        let mut shown = history(0, vec![bucket(0, 1.0)], vec![]);
        let mut other = history(0, vec![bucket(0, 2.0)], vec![]);
        other.bucket_seconds = 30;
        merge(&mut shown, other.clone());
        assert_eq!(shown, other);
    }

    #[test]
    fn an_unknown_range_falls_back_to_an_hour() {
        assert_eq!(range_param(Some("6h")), "6h");
        assert_eq!(range_param(Some("7d")), "1h");
        assert_eq!(range_param(None), "1h");
    }
}
