//! A rolling history of the game's health, sampled on the gateway's own clock (a tokio
//! interval task started by `serve`, never by requests), so a chart shows the same past
//! whoever asks and however often.
//!
//! Resolution is fixed: one sample every `--history-interval-secs` (default 10). Retention is
//! 24 hours, so the ring holds `ceil(86400 / interval)` samples (8640 at 10 s). It is allocated
//! once, at that capacity, and never grows: a new sample past capacity replaces the oldest.
//!
//! Cost: a [`Sample`] is `size_of::<Sample>()` = 40 bytes (an `i64` time, a `u64` backlog,
//! three `f32` rates and durations, a `u32` player count and a `bool`, padded to 8), so the
//! whole history is bounded by 40 × 8640 = 345 600 bytes (about 338 KiB) at the default
//! interval, and 40 × ceil(86400 / interval) bytes in general.
//!
//! With a Prometheus URL configured the history is read from Prometheus instead (see
//! `store::history` and `store::prometheus`), with the same buckets.
//!
//! `tick_duration_ms` is a stand-in for Galaxy's `physics_tick_duration_ms`: the simulated
//! engine has no real work, so its time per tick is derived, deterministically, from its
//! capacity and its load: [`tick_duration_ms`].

use std::collections::VecDeque;

/// Retention: a day.
pub const RETENTION_SECS: u32 = 86_400;
pub const DEFAULT_INTERVAL_SECS: u32 = 10;
/// The most buckets a range is cut into (plus one, as buckets are aligned to the epoch and
/// the range's ends rarely are).
pub const TARGET_BUCKETS: u32 = 120;

/// One observation of the game's health.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Unix seconds.
    pub at: i64,
    /// The configured tick rate.
    pub tick_rate: f32,
    /// The measured tick rate (0 while paused).
    pub actual_rate: f32,
    pub ticks_behind: u64,
    /// See [`tick_duration_ms`].
    pub tick_duration_ms: f32,
    pub players_online: u32,
    pub paused: bool,
}

/// Bytes one sample costs in the ring.
pub const SAMPLE_BYTES: usize = std::mem::size_of::<Sample>();

/// The simulated engine's time per tick, in milliseconds: 5 ms plus 0.02 ms per player online
/// (its load), or the time its capacity limit allows a tick (1000 / ticks per second) when
/// that is longer, so it rises as the engine falls behind; 0 while paused, when no tick runs.
/// A capacity of zero counts as a minute per tick.
pub fn tick_duration_ms(paused: bool, capacity: Option<f64>, players_online: u32) -> f64 {
    if paused {
        return 0.0;
    }
    let load = 5.0 + 0.02 * f64::from(players_online);
    let limited = capacity.map_or(0.0, |c| if c > 0.0 { 1000.0 / c } else { 60_000.0 });
    load.max(limited).min(60_000.0)
}

/// A fixed-capacity ring of samples in time order, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    interval_secs: u32,
    capacity: usize,
    samples: VecDeque<Sample>,
}

/// How many samples 24 hours at `interval_secs` take.
pub fn capacity_for(interval_secs: u32) -> usize {
    RETENTION_SECS.div_ceil(interval_secs.max(1)) as usize
}

impl History {
    /// Allocates the whole ring now; `interval_secs` is at least 1.
    pub fn new(interval_secs: u32) -> Self {
        let interval_secs = interval_secs.max(1);
        let capacity = capacity_for(interval_secs);
        Self {
            interval_secs,
            capacity,
            samples: VecDeque::with_capacity(capacity),
        }
    }

    pub fn interval_secs(&self) -> u32 {
        self.interval_secs
    }

    /// The most samples kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// What the ring has allocated, in samples; never changes after `new`.
    pub fn allocated(&self) -> usize {
        self.samples.capacity()
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Sample> + '_ {
        self.samples.iter()
    }

    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// Appends a sample; past capacity the oldest goes.
    pub fn push(&mut self, sample: Sample) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// Merges samples in time order (a dev control and the demo history); past capacity the
    /// oldest go. Reuses the ring's allocation.
    pub fn insert(&mut self, mut new: Vec<Sample>) {
        new.sort_by_key(|s| s.at);
        let mut merged: Vec<Sample> = Vec::with_capacity(self.samples.len() + new.len());
        let mut old = self.samples.drain(..).peekable();
        let mut new = new.into_iter().peekable();
        loop {
            let take_old = match (old.peek(), new.peek()) {
                (Some(a), Some(b)) => a.at <= b.at,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let next = if take_old { old.next() } else { new.next() };
            merged.extend(next);
        }
        drop(old);
        let skip = merged.len().saturating_sub(self.capacity);
        self.samples.extend(merged.into_iter().skip(skip));
    }
}

/// A range of the history endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    TenMinutes,
    Hour,
    SixHours,
    Day,
}

impl Range {
    pub const NAMES: [&'static str; 4] = ["10m", "1h", "6h", "24h"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "10m" => Some(Self::TenMinutes),
            "1h" => Some(Self::Hour),
            "6h" => Some(Self::SixHours),
            "24h" => Some(Self::Day),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::TenMinutes => "10m",
            Self::Hour => "1h",
            Self::SixHours => "6h",
            Self::Day => "24h",
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Self::TenMinutes => 600,
            Self::Hour => 3600,
            Self::SixHours => 21_600,
            Self::Day => 86_400,
        }
    }
}

/// The smallest multiple of `sample_secs` that is at least `range_secs / 120`.
pub fn bucket_seconds(range_secs: i64, sample_secs: u32) -> i64 {
    let sample = i64::from(sample_secs.max(1));
    let wanted = (range_secs + i64::from(TARGET_BUCKETS) - 1) / i64::from(TARGET_BUCKETS);
    ((wanted + sample - 1) / sample).max(1) * sample
}

/// Minimum, mean and maximum of one series within a bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}

impl Stat {
    /// Rounded to thousandths, so an `f32` 0.1 reads 0.1 and not 0.10000000149.
    pub fn json(self) -> serde_json::Value {
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        serde_json::json!({ "min": r(self.min), "avg": r(self.avg), "max": r(self.max) })
    }
}

#[derive(Debug, Clone, Copy)]
struct Acc {
    min: f64,
    sum: f64,
    max: f64,
}

impl Acc {
    fn new(x: f64) -> Self {
        Self {
            min: x,
            sum: x,
            max: x,
        }
    }

    fn add(&mut self, x: f64) {
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        self.sum += x;
    }

    fn stat(self, n: u32) -> Stat {
        Stat {
            min: self.min,
            avg: self.sum / f64::from(n),
            max: self.max,
        }
    }
}

/// The samples of one bucket, summarized.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Unix seconds, a multiple of the bucket length.
    pub at: i64,
    pub samples: u32,
    /// Whether any sample was taken while paused.
    pub paused: bool,
    pub tick_rate: Stat,
    pub actual_rate: Stat,
    pub ticks_behind: Stat,
    pub tick_duration_ms: Stat,
    pub players_online: Stat,
}

struct Building {
    at: i64,
    samples: u32,
    paused: bool,
    series: [Acc; 5],
}

fn values(s: &Sample) -> [f64; 5] {
    [
        f64::from(s.tick_rate),
        f64::from(s.actual_rate),
        s.ticks_behind as f64,
        f64::from(s.tick_duration_ms),
        f64::from(s.players_online),
    ]
}

impl Building {
    fn finish(self) -> Bucket {
        let [tick_rate, actual_rate, ticks_behind, tick_duration_ms, players_online] =
            self.series.map(|a| a.stat(self.samples));
        Bucket {
            at: self.at,
            samples: self.samples,
            paused: self.paused,
            tick_rate,
            actual_rate,
            ticks_behind,
            tick_duration_ms,
            players_online,
        }
    }
}

/// Buckets of `bucket_secs` aligned to the Unix epoch, oldest first, of the samples taken
/// from `from` to `to` (Unix seconds, inclusive) in buckets starting at `since` or later
/// (floored to its bucket); only buckets with at least one sample.
pub fn downsample<'a>(
    samples: impl Iterator<Item = &'a Sample>,
    from: i64,
    to: i64,
    bucket_secs: i64,
    since: Option<i64>,
) -> Vec<Bucket> {
    let first = since.map_or(i64::MIN, |s| s.div_euclid(bucket_secs) * bucket_secs);
    let mut buckets = Vec::new();
    let mut current: Option<Building> = None;
    for s in samples.filter(|s| s.at >= from && s.at <= to) {
        let at = s.at.div_euclid(bucket_secs) * bucket_secs;
        if at < first {
            continue;
        }
        let v = values(s);
        match &mut current {
            Some(b) if b.at == at => {
                b.samples += 1;
                b.paused |= s.paused;
                for (acc, x) in b.series.iter_mut().zip(v) {
                    acc.add(x);
                }
            }
            _ => {
                buckets.extend(current.take().map(Building::finish));
                current = Some(Building {
                    at,
                    samples: 1,
                    paused: s.paused,
                    series: v.map(Acc::new),
                });
            }
        }
    }
    buckets.extend(current.map(Building::finish));
    buckets
}

/// A day of plausible history ending just before `now` (Unix seconds), the same every time
/// for the same arguments: players online follow the time of day around `players_online`,
/// the engine keeps `tick_rate` but for a lag episode three to four hours ago (ticks behind
/// pile up and drain, ticks take longer) and a quarter-hour pause nine hours ago, with a few
/// single-sample spikes of tick duration.
pub fn demo(now: i64, interval_secs: u32, tick_rate: f32, players_online: u32) -> Vec<Sample> {
    let interval = i64::from(interval_secs.max(1));
    let count = capacity_for(interval_secs) as i64 - 1;
    let base = f64::from(players_online.max(10));
    let mut noise = 0x5EED_u64;
    let mut next_noise = || {
        // xorshift64: repeatable and small.
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        (noise % 1000) as f64 / 1000.0
    };
    let mut backlog = 0.0_f64;
    (1..=count)
        .rev()
        .map(|n| {
            let ago = n * interval;
            let at = now - ago;
            let day = (at.rem_euclid(86_400) as f64) / 86_400.0;
            let wave = (std::f64::consts::TAU * (day - 0.3)).sin();
            let players = (base * (1.0 + 0.35 * wave) + base * 0.05 * (next_noise() - 0.5))
                .round()
                .max(0.0) as u32;
            let paused = (9 * 3600 - 900..9 * 3600).contains(&ago);
            let lagging = (3 * 3600 + 1800..4 * 3600).contains(&ago);
            let rate = f64::from(tick_rate);
            let capacity = if lagging { Some(rate * 0.6) } else { None };
            let (actual, duration) = if paused {
                backlog = 0.0;
                (0.0, 0.0)
            } else if let Some(c) = capacity {
                backlog += (rate - c) * interval as f64;
                (c, tick_duration_ms(false, Some(c), players))
            } else {
                let drained = (rate * 0.5 * interval as f64).min(backlog);
                backlog -= drained;
                let actual = rate + drained / interval as f64 - 0.02 * next_noise();
                let spike = if next_noise() > 0.997 { 8.0 } else { 1.0 };
                (
                    actual,
                    tick_duration_ms(false, None, players) * spike * (1.0 + 0.1 * next_noise()),
                )
            };
            Sample {
                at,
                tick_rate,
                actual_rate: ((actual * 100.0).round() / 100.0) as f32,
                ticks_behind: backlog.floor() as u64,
                tick_duration_ms: duration as f32,
                players_online: players,
                paused,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: i64, tick_duration_ms: f32) -> Sample {
        Sample {
            at,
            tick_rate: 1.0,
            actual_rate: 1.0,
            ticks_behind: 0,
            tick_duration_ms,
            players_online: 50,
            paused: false,
        }
    }

    #[test]
    fn a_sample_costs_forty_bytes_and_a_day_at_ten_seconds_8640_of_them() {
        assert_eq!(SAMPLE_BYTES, 40);
        assert_eq!(capacity_for(10), 8640);
        assert_eq!(capacity_for(7), 12_343);
        assert_eq!(capacity_for(86_400), 1);
        assert_eq!(capacity_for(100_000), 1);
    }

    #[test]
    fn the_ring_keeps_the_newest_and_never_grows() {
        let mut h = History::new(3600);
        assert_eq!(h.capacity(), 24);
        let allocated = h.allocated();
        assert!(allocated >= 24);
        for at in 0..100 {
            h.push(sample(at, 1.0));
        }
        assert_eq!(h.len(), 24);
        assert_eq!(h.allocated(), allocated);
        assert_eq!(h.iter().next().unwrap().at, 76);
        assert_eq!(h.iter().last().unwrap().at, 99);
    }

    #[test]
    fn inserted_samples_are_merged_in_time_order_within_capacity() {
        let mut h = History::new(3600);
        for at in [10, 30, 50] {
            h.push(sample(at, 1.0));
        }
        h.insert(vec![sample(40, 2.0), sample(20, 2.0), sample(60, 2.0)]);
        let ats: Vec<i64> = h.iter().map(|s| s.at).collect();
        assert_eq!(ats, [10, 20, 30, 40, 50, 60]);
        let allocated = h.allocated();
        h.insert((0..50).map(|n| sample(100 + n, 3.0)).collect());
        assert_eq!(h.len(), 24);
        assert_eq!(h.allocated(), allocated);
        assert_eq!(h.iter().next().unwrap().at, 126);
    }

    #[test]
    fn buckets_are_the_smallest_sample_multiple_giving_at_most_120() {
        assert_eq!(bucket_seconds(600, 10), 10);
        assert_eq!(bucket_seconds(3600, 10), 30);
        assert_eq!(bucket_seconds(21_600, 10), 180);
        assert_eq!(bucket_seconds(86_400, 10), 720);
        assert_eq!(bucket_seconds(600, 7), 7);
        assert_eq!(bucket_seconds(3600, 7), 35);
        assert_eq!(bucket_seconds(600, 60), 60);
        for sample in [1, 7, 10, 60] {
            for range in [600, 3600, 21_600, 86_400] {
                let b = bucket_seconds(range, sample);
                assert_eq!(b % i64::from(sample), 0);
                assert!(b * 120 >= range && (b - i64::from(sample)) * 120 < range);
            }
        }
    }

    #[test]
    fn downsampling_keeps_a_one_sample_spike_and_aligns_to_the_epoch() {
        let samples: Vec<Sample> = (0..12)
            .map(|n| sample(1_000 + n * 10, if n == 4 { 900.0 } else { 10.0 }))
            .collect();
        let buckets = downsample(samples.iter(), 1_000, 1_110, 30, None);
        let starts: Vec<i64> = buckets.iter().map(|b| b.at).collect();
        assert_eq!(starts, [990, 1_020, 1_050, 1_080, 1_110]);
        let counts: Vec<u32> = buckets.iter().map(|b| b.samples).collect();
        assert_eq!(counts, [2, 3, 3, 3, 1]);
        let spiked = &buckets[1];
        assert_eq!(spiked.tick_duration_ms.max, 900.0);
        assert_eq!(spiked.tick_duration_ms.min, 10.0);
        assert!((spiked.tick_duration_ms.avg - 920.0 / 3.0).abs() < 1e-9);
        let since = downsample(samples.iter(), 1_000, 1_110, 30, Some(1_070));
        assert_eq!(since.first().map(|b| b.at), Some(1_050));
        assert_eq!(since.len(), 3);
    }

    #[test]
    fn the_stand_in_tick_duration_rises_when_capacity_is_short() {
        assert_eq!(tick_duration_ms(true, Some(0.5), 100), 0.0);
        assert_eq!(tick_duration_ms(false, None, 0), 5.0);
        assert_eq!(tick_duration_ms(false, None, 100), 7.0);
        assert_eq!(tick_duration_ms(false, Some(0.5), 100), 2000.0);
        assert_eq!(tick_duration_ms(false, Some(0.0), 100), 60_000.0);
    }

    #[test]
    fn the_demo_day_is_deterministic_ordered_and_fills_the_ring() {
        let a = demo(1_000_000, 10, 1.0, 50);
        assert_eq!(a, demo(1_000_000, 10, 1.0, 50));
        assert_eq!(a.len(), 8639);
        assert!(a.windows(2).all(|w| w[0].at < w[1].at));
        assert!(a.iter().any(|s| s.paused));
        assert!(a.iter().any(|s| s.ticks_behind > 100));
        assert!(a.last().unwrap().at < 1_000_000);
    }
}
