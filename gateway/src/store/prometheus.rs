//! The history read from Prometheus, which Galaxy already runs and which keeps the game's
//! health across restarts of any one process.
//!
//! A range is cut into the same epoch-aligned slices as the ring's (`bucket_seconds`, with the
//! scrape interval as the sample interval), and every slice is one evaluation of one PromQL
//! expression: for each series the minimum, mean (sum over count) and maximum of the samples
//! within the slice, the number of tick-engine samples, and whether any sample was paused.
//! The slices wholly inside the range are one `query_range` with the slice length as step and
//! window; a first or last slice cut by the range's ends (the ring keeps only samples from
//! `from` to `to`) is an instant query with the window cut to match, so the answer holds the
//! same samples the ring would. Series are aggregated across targets (`min`, `max`, sums), so a
//! restarted process, whose series may carry new labels, continues the same line.
//!
//! A window evaluated at `t` over `w` covers `[t - w, t]` in Prometheus 2 (both ends
//! included): a slice `[a, a + b)` is evaluated at `a + b - 1 ms` over `b - 1 ms`.
//! (Prometheus 3 leaves a window's start out, so there a sample on a slice's very first
//! millisecond is left out of it.)
//!
//! No HTTP-server types here: the endpoint maps [`Error`] to its 503.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::domain::history::{Bucket, Stat};

/// The series the history shows, by the names Galaxy's spec gives them (its Grafana panels),
/// and the one it does not name: the configured tick rate.
pub mod names {
    /// The configured ticks per second (the `tick_rate` key). Not in Galaxy's spec: its
    /// tick-engine has to export it for the history's `tick_rate`.
    pub const TICK_RATE: &str = "tick_engine_tick_rate";
    pub const ACTUAL_RATE: &str = "tick_engine_actual_rate";
    pub const TICKS_BEHIND: &str = "tick_engine_ticks_behind";
    pub const PAUSED: &str = "tick_engine_paused";
    pub const CURRENT_TICK: &str = "tick_engine_current_tick";
    pub const TICK_DURATION_MS: &str = "physics_tick_duration_ms";
    /// WebSocket connections: one per player online.
    pub const CONNECTIONS_ACTIVE: &str = "galaxy_connections_active";
}

/// The five series of a bucket, in [`Bucket`]'s order, with their metrics.
const SERIES: [(&str, &str); 5] = [
    ("tick_rate", names::TICK_RATE),
    ("actual_rate", names::ACTUAL_RATE),
    ("ticks_behind", names::TICKS_BEHIND),
    ("tick_duration_ms", names::TICK_DURATION_MS),
    ("players_online", names::CONNECTIONS_ACTIVE),
];

/// The label that tells the parts of the expression apart in an answer.
const PART_LABEL: &str = "galaxy_history";

/// The most an answer may weigh. A whole range is 17 series of at most 121 points, tens of
/// kilobytes; anything near this is not the query API's answer, and is not read further.
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

/// Why Prometheus gave no history.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// No connection, or it broke.
    Unreachable(String),
    /// No answer within the query timeout.
    Timeout(Duration),
    /// Prometheus answered with an error (its `errorType` and `error`, or the HTTP status).
    Query(String),
    /// An answer that is not what the query API returns.
    Malformed(String),
    /// Samples of the tick engine, but none of these series in the whole range.
    Missing(Vec<&'static str>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreachable(why) => write!(f, "Prometheus is unreachable: {why}"),
            Error::Timeout(after) => write!(
                f,
                "Prometheus did not answer within {} s",
                after.as_secs_f64()
            ),
            Error::Query(why) => write!(f, "Prometheus refused the query: {why}"),
            Error::Malformed(why) => write!(f, "Prometheus answered something unexpected: {why}"),
            Error::Missing(metrics) => write!(
                f,
                "Prometheus has no samples of {} in the range",
                metrics.join(", ")
            ),
        }
    }
}

impl std::error::Error for Error {}

/// A Prometheus server to read the history from.
#[derive(Debug, Clone)]
pub struct Prometheus {
    client: reqwest::Client,
    /// The server's root, without a trailing slash, e.g. `http://prometheus:9090`.
    base: String,
    scrape_secs: u32,
    timeout: Duration,
}

impl Prometheus {
    /// `url` is the server's root (a path prefix is kept, as behind a proxy); `scrape_secs`
    /// its scrape interval, the history's `sample_seconds`; `timeout` bounds each query.
    pub fn new(url: &str, scrape_secs: u32, timeout: Duration) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| format!("the Prometheus URL {url:?} is not a URL: {e}"))?;
        // Plain HTTP, as Galaxy serves Prometheus inside the cluster (see Cargo.toml).
        if parsed.scheme() != "http" || parsed.host().is_none() {
            return Err(format!(
                "the Prometheus URL {url:?} must be http:// with a host (the reference gateway speaks plain HTTP to Prometheus)"
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!(
                "the Prometheus URL {url:?} must have no query or fragment"
            ));
        }
        if timeout.is_zero() {
            return Err("the Prometheus query timeout must be positive".to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client for Prometheus: {e}"))?;
        Ok(Self {
            client,
            base: parsed.as_str().trim_end_matches('/').to_owned(),
            scrape_secs: scrape_secs.max(1),
            timeout,
        })
    }

    /// The sample interval of the history: Prometheus's scrape interval.
    pub fn scrape_secs(&self) -> u32 {
        self.scrape_secs
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// The buckets of `bucket_secs` of the samples from `from` to `to` (Unix seconds, both
    /// included) in buckets starting at `since` or later (floored to its bucket), oldest
    /// first, only those with samples: what [`crate::domain::history::downsample`] gives for the ring.
    pub async fn buckets(
        &self,
        from: i64,
        to: i64,
        bucket_secs: i64,
        since: Option<i64>,
    ) -> Result<Vec<Bucket>, Error> {
        let queries = plan(from, to, bucket_secs, since);
        let answers =
            futures_util::future::try_join_all(queries.iter().map(|q| self.run(q))).await?;
        assemble(answers.into_iter().flatten())
    }

    async fn run(&self, query: &Query) -> Result<Vec<Point>, Error> {
        let timeout = format!("{}ms", self.timeout.as_millis());
        let expression = expression(query.window_ms);
        let (path, form): (&str, Vec<(&str, String)>) = if query.count == 1 {
            (
                "/api/v1/query",
                vec![
                    ("query", expression),
                    ("time", seconds(query.first_eval_ms)),
                    ("timeout", timeout),
                ],
            )
        } else {
            (
                "/api/v1/query_range",
                vec![
                    ("query", expression),
                    ("start", seconds(query.first_eval_ms)),
                    (
                        "end",
                        seconds(query.first_eval_ms + (query.count - 1) * query.step_ms),
                    ),
                    ("step", seconds(query.step_ms)),
                    ("timeout", timeout),
                ],
            )
        };
        let mut response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(Error::Malformed(format!(
                    "an answer of more than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        parse(query, status.as_u16(), &body)
    }

    fn transport(&self, error: reqwest::Error) -> Error {
        if error.is_timeout() {
            Error::Timeout(self.timeout)
        } else {
            // The chain says why (refused, reset, DNS), the top only "error sending request".
            let mut why = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(inner) = source {
                why = format!("{why}: {inner}");
                source = inner.source();
            }
            Error::Unreachable(why)
        }
    }
}

/// Unix milliseconds as the seconds the query API takes.
fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// One query: `count` evaluations `step_ms` apart from `first_eval_ms`, each over the
/// `window_ms` before it, the first for the bucket starting at `first_bucket`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub first_bucket: i64,
    pub count: i64,
    pub step_ms: i64,
    pub first_eval_ms: i64,
    pub window_ms: i64,
}

impl Query {
    /// The bucket (Unix seconds) of an evaluation at `eval_ms`.
    fn bucket_of(&self, eval_ms: i64) -> i64 {
        self.first_bucket
            + (eval_ms - self.first_eval_ms).div_euclid(self.step_ms) * self.step_ms / 1000
    }
}

/// The queries that give the buckets of `bucket_secs` of the samples at `from` to `to`
/// (Unix seconds, `to` counting until its last millisecond), from `since`'s bucket on: one
/// range query for the buckets wholly inside, one instant query for each cut at an end.
pub fn plan(from: i64, to: i64, bucket_secs: i64, since: Option<i64>) -> Vec<Query> {
    let b = bucket_secs.max(1);
    let floor = |t: i64| t.div_euclid(b) * b;
    let first = floor(from).max(since.map_or(i64::MIN, floor));
    let last = floor(to);
    if to < from || first > last {
        return vec![];
    }
    // Samples are kept from `from` up to the end of the second `to`, as the ring keeps those
    // whose whole second is at most `to`.
    let (start_ms, end_ms) = (from * 1000, (to + 1) * 1000);
    let cut = |a: i64| {
        let lo = (a * 1000).max(start_ms);
        let hi = ((a + b) * 1000).min(end_ms);
        Query {
            first_bucket: a,
            count: 1,
            step_ms: b * 1000,
            first_eval_ms: hi - 1,
            window_ms: hi - 1 - lo,
        }
    };
    let whole = |a: i64| a * 1000 >= start_ms && (a + b) * 1000 <= end_ms;
    let mut queries = vec![];
    let mut whole_first = first;
    if !whole(first) {
        queries.push(cut(first));
        whole_first = first + b;
    }
    let mut whole_last = last;
    if last >= whole_first && !whole(last) {
        queries.push(cut(last));
        whole_last = last - b;
    }
    if whole_last >= whole_first {
        queries.push(Query {
            first_bucket: whole_first,
            count: (whole_last - whole_first) / b + 1,
            step_ms: b * 1000,
            first_eval_ms: (whole_first + b) * 1000 - 1,
            window_ms: b * 1000 - 1,
        });
    }
    queries.sort_by_key(|q| q.first_bucket);
    queries
}

/// One PromQL expression whose answer has every figure of a bucket as its own series, named
/// by the label `galaxy_history`: `samples`, `paused`, and `<series>.min|avg|max`.
pub fn expression(window_ms: i64) -> String {
    let w = format!("[{}ms]", window_ms.max(1));
    let part = |name: &str, expr: String| {
        format!("label_replace({expr}, \"{PART_LABEL}\", \"{name}\", \"\", \"\")")
    };
    let mut parts = vec![
        part(
            "samples",
            format!("sum(count_over_time({}{w}))", names::ACTUAL_RATE),
        ),
        part(
            "paused",
            format!("max(max_over_time({}{w}))", names::PAUSED),
        ),
    ];
    for (key, metric) in SERIES {
        parts.push(part(
            &format!("{key}.min"),
            format!("min(min_over_time({metric}{w}))"),
        ));
        parts.push(part(
            &format!("{key}.avg"),
            format!("sum(sum_over_time({metric}{w})) / sum(count_over_time({metric}{w}))"),
        ));
        parts.push(part(
            &format!("{key}.max"),
            format!("max(max_over_time({metric}{w}))"),
        ));
    }
    parts.join(" or ")
}

/// One figure of one bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub bucket: i64,
    pub part: String,
    pub value: f64,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    metric: BTreeMap<String, String>,
    /// A range query's samples.
    values: Option<Vec<(f64, String)>>,
    /// An instant query's sample.
    value: Option<(f64, String)>,
}

/// The points of one query's answer (HTTP `status`, `body`).
pub fn parse(query: &Query, status: u16, body: &[u8]) -> Result<Vec<Point>, Error> {
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(e) if (200..300).contains(&status) => {
            return Err(Error::Malformed(format!("not a query API answer ({e})")))
        }
        Err(_) => return Err(Error::Query(format!("HTTP status {status}"))),
    };
    if envelope.status != "success" {
        return Err(Error::Query(format!(
            "{}: {}",
            envelope.error_type.as_deref().unwrap_or("error"),
            envelope.error.as_deref().unwrap_or("no message")
        )));
    }
    let data = envelope
        .data
        .ok_or_else(|| Error::Malformed("a success without data".to_owned()))?;
    let expected = if query.count == 1 { "vector" } else { "matrix" };
    if data.result_type != expected {
        return Err(Error::Malformed(format!(
            "a {} where a {expected} was asked for",
            data.result_type
        )));
    }
    let mut points = vec![];
    for series in data.result {
        let part = series
            .metric
            .get(PART_LABEL)
            .ok_or_else(|| Error::Malformed(format!("a series without {PART_LABEL}")))?
            .clone();
        let samples = match (series.values, series.value) {
            (Some(values), None) if query.count > 1 => values,
            (None, Some(value)) if query.count == 1 => vec![value],
            _ => return Err(Error::Malformed(format!("{part}: no samples"))),
        };
        for (at, value) in samples {
            let eval_ms = (at * 1000.0).round() as i64;
            let offset = eval_ms - query.first_eval_ms;
            if offset < 0 || offset % query.step_ms != 0 || offset / query.step_ms >= query.count {
                return Err(Error::Malformed(format!(
                    "{part}: a sample at {at}, which was not asked for"
                )));
            }
            let value: f64 = value
                .parse()
                .map_err(|_| Error::Malformed(format!("{part}: {value:?} is not a number")))?;
            if !value.is_finite() {
                return Err(Error::Malformed(format!("{part}: {value}")));
            }
            points.push(Point {
                bucket: query.bucket_of(eval_ms),
                part: part.clone(),
                value,
            });
        }
    }
    Ok(points)
}

#[derive(Default)]
struct Building {
    samples: Option<f64>,
    paused: Option<f64>,
    /// Min, avg, max of each of [`SERIES`].
    stats: [[Option<f64>; 3]; 5],
}

/// Buckets from the points of every query: those with tick-engine samples and every figure,
/// oldest first.
pub fn assemble(points: impl IntoIterator<Item = Point>) -> Result<Vec<Bucket>, Error> {
    let mut building: BTreeMap<i64, Building> = BTreeMap::new();
    for point in points {
        let b = building.entry(point.bucket).or_default();
        let slot = match point.part.as_str() {
            "samples" => &mut b.samples,
            "paused" => &mut b.paused,
            part => {
                let (key, stat) = part
                    .split_once('.')
                    .ok_or_else(|| Error::Malformed(format!("an unknown part {part:?}")))?;
                let series = SERIES.iter().position(|(k, _)| *k == key);
                let stat = ["min", "avg", "max"].iter().position(|s| *s == stat);
                let (Some(series), Some(stat)) = (series, stat) else {
                    return Err(Error::Malformed(format!("an unknown part {part:?}")));
                };
                &mut b.stats[series][stat]
            }
        };
        *slot = Some(point.value);
    }
    let mut seen = [false; 5];
    let mut sampled = false;
    let mut buckets = vec![];
    for (at, b) in building {
        let samples = b.samples.unwrap_or(0.0).round();
        if samples < 1.0 {
            continue;
        }
        sampled = true;
        for (seen, stats) in seen.iter_mut().zip(&b.stats) {
            *seen |= stats.iter().all(Option::is_some);
        }
        let stat = |i: usize| match b.stats[i] {
            [Some(min), Some(avg), Some(max)] => Some(Stat { min, avg, max }),
            _ => None,
        };
        // A slice that has a tick-engine sample but no sample of another series (they are
        // scraped from different services at different moments) is left out.
        let (Some(tick_rate), Some(actual_rate), Some(ticks_behind), Some(duration), Some(players)) =
            (stat(0), stat(1), stat(2), stat(3), stat(4))
        else {
            continue;
        };
        buckets.push(Bucket {
            at,
            samples: samples.min(f64::from(u32::MAX)) as u32,
            paused: b.paused.is_some_and(|p| p > 0.0),
            tick_rate,
            actual_rate,
            ticks_behind,
            tick_duration_ms: duration,
            players_online: players,
        });
    }
    let missing: Vec<&'static str> = SERIES
        .iter()
        .zip(seen)
        .filter(|(_, seen)| !seen)
        .map(|((_, metric), _)| *metric)
        .collect();
    if sampled && !missing.is_empty() {
        return Err(Error::Missing(missing));
    }
    Ok(buckets)
}

/// The gateway's own metrics in Prometheus's text format (version 0.0.4): the simulated
/// game's health by the names of Galaxy's spec, so a Prometheus scraping the reference
/// gateway has what the history reads.
pub fn exposition(
    status: &crate::domain::game::GameStatus,
    tick_duration_ms: f64,
    players_online: u32,
) -> String {
    let gauges: [(&str, &str, String); 7] = [
        (
            names::CURRENT_TICK,
            "Latest processed tick.",
            status.tick.to_string(),
        ),
        (
            names::TICK_RATE,
            "Configured ticks per second (the tick_rate key).",
            status.tick_rate.to_string(),
        ),
        (
            names::ACTUAL_RATE,
            "Measured ticks per second (0 while paused).",
            status.actual_rate.to_string(),
        ),
        (
            names::PAUSED,
            "1 while the game is paused, else 0.",
            u8::from(status.paused).to_string(),
        ),
        (
            names::TICKS_BEHIND,
            "Ticks due that the engine has not performed yet.",
            status.ticks_behind.to_string(),
        ),
        (
            names::TICK_DURATION_MS,
            "Per-tick compute time in milliseconds (the reference gateway's stand-in).",
            tick_duration_ms.to_string(),
        ),
        (
            names::CONNECTIONS_ACTIVE,
            "WebSocket connections: players online.",
            players_online.to_string(),
        ),
    ];
    let mut text = String::new();
    for (name, help, value) in gauges {
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(
        first_bucket: i64,
        count: i64,
        step: i64,
        first_eval_ms: i64,
        window_ms: i64,
    ) -> Query {
        Query {
            first_bucket,
            count,
            step_ms: step * 1000,
            first_eval_ms,
            window_ms,
        }
    }

    #[test]
    fn whole_slices_are_one_range_query_and_cut_ends_instant_ones() {
        // 10:00:05 to 10:10:05 in 10 s slices: the first slice keeps 10:00:05 to :09, the
        // last 10:10:00 to :05 (the whole second of `to`).
        let (from, to) = (36_005, 36_605);
        let plan = plan(from, to, 10, None);
        assert_eq!(
            plan,
            [
                query(36_000, 1, 10, 36_009_999, 4_999),
                query(36_010, 59, 10, 36_019_999, 9_999),
                query(36_600, 1, 10, 36_605_999, 5_999),
            ]
        );
        // Aligned ends: the last slice still ends with `to`'s second.
        let plan = super::plan(36_000, 36_600, 10, None);
        assert_eq!(
            plan,
            [
                query(36_000, 60, 10, 36_009_999, 9_999),
                query(36_600, 1, 10, 36_600_999, 999),
            ]
        );
        // `to` on a slice's last second: every slice whole.
        assert_eq!(
            super::plan(36_000, 36_599, 10, None),
            [query(36_000, 60, 10, 36_009_999, 9_999)]
        );
    }

    #[test]
    fn since_starts_at_its_slice_and_a_single_cut_slice_is_one_query() {
        assert_eq!(
            plan(36_005, 36_605, 10, Some(36_583)),
            [
                query(36_580, 2, 10, 36_589_999, 9_999),
                query(36_600, 1, 10, 36_605_999, 5_999),
            ]
        );
        assert_eq!(
            plan(36_005, 36_605, 10, Some(36_600)),
            [query(36_600, 1, 10, 36_605_999, 5_999)]
        );
        assert_eq!(plan(36_005, 36_605, 10, Some(40_000)), []);
        // A range inside one slice, cut at both ends.
        assert_eq!(
            plan(36_002, 36_004, 10, None),
            [query(36_000, 1, 10, 36_004_999, 2_999)]
        );
    }

    #[test]
    fn the_expression_names_every_part_and_aggregates_across_targets() {
        let e = expression(9_999);
        assert_eq!(e.matches(" or ").count(), 16);
        assert!(e.contains(
            "label_replace(sum(count_over_time(tick_engine_actual_rate[9999ms])), \"galaxy_history\", \"samples\", \"\", \"\")"
        ));
        assert!(e.contains("max(max_over_time(tick_engine_paused[9999ms]))"));
        assert!(e.contains(
            "sum(sum_over_time(physics_tick_duration_ms[9999ms])) / sum(count_over_time(physics_tick_duration_ms[9999ms]))"
        ));
        assert!(e.contains("min(min_over_time(galaxy_connections_active[9999ms]))"));
    }

    fn matrix(parts: &[(&str, &[(f64, &str)])]) -> Vec<u8> {
        let result: Vec<serde_json::Value> = parts
            .iter()
            .map(|(part, values)| {
                serde_json::json!({ "metric": { PART_LABEL: part }, "values": values })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "status": "success",
            "data": { "resultType": "matrix", "result": result }
        }))
        .unwrap()
    }

    fn all_parts(at: f64, samples: &'static str) -> Vec<(String, Vec<(f64, &'static str)>)> {
        let mut parts = vec![
            ("samples".to_owned(), vec![(at, samples)]),
            ("paused".to_owned(), vec![(at, "0")]),
        ];
        for (key, _) in SERIES {
            for (stat, v) in [("min", "1"), ("avg", "2.5"), ("max", "4")] {
                parts.push((format!("{key}.{stat}"), vec![(at, v)]));
            }
        }
        parts
    }

    #[test]
    fn an_answer_becomes_buckets_with_every_figure() {
        let q = query(36_010, 3, 10, 36_019_999, 9_999);
        let mut parts = all_parts(36_029.999, "10");
        parts.push(("paused".to_owned(), vec![(36_019.999, "1")]));
        let refs: Vec<(&str, &[(f64, &str)])> = parts
            .iter()
            .map(|(p, v)| (p.as_str(), v.as_slice()))
            .collect();
        let points = parse(&q, 200, &matrix(&refs)).unwrap();
        let buckets = assemble(points).unwrap();
        // 36010 has only `paused` (no samples): left out.
        assert_eq!(buckets.len(), 1);
        let b = &buckets[0];
        assert_eq!((b.at, b.samples, b.paused), (36_020, 10, false));
        assert_eq!(
            b.players_online,
            Stat {
                min: 1.0,
                avg: 2.5,
                max: 4.0
            }
        );
    }

    #[test]
    fn errors_and_odd_answers_are_errors_never_panics() {
        let q = query(36_010, 3, 10, 36_019_999, 9_999);
        let refused = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        assert_eq!(
            parse(&q, 400, refused),
            Err(Error::Query("bad_data: parse error".to_owned()))
        );
        assert!(matches!(parse(&q, 502, b"<html>"), Err(Error::Query(_))));
        assert!(matches!(
            parse(&q, 200, b"{\"status\""),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(parse(&q, 200, b"[]"), Err(Error::Malformed(_))));
        let vector = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert!(matches!(parse(&q, 200, vector), Err(Error::Malformed(_))));
        for bad in [
            &[("samples", &[(36_019.999, "NaN")][..])][..],
            &[("samples", &[(36_019.999, "many")][..])],
            &[("samples", &[(36_015.0, "1")][..])],
            &[("samples", &[(36_049.999, "1")][..])],
        ] {
            assert!(matches!(
                parse(&q, 200, &matrix(bad)),
                Err(Error::Malformed(_))
            ));
        }
        let unknown = vec![Point {
            bucket: 0,
            part: "nonsense".to_owned(),
            value: 1.0,
        }];
        assert!(matches!(assemble(unknown), Err(Error::Malformed(_))));
    }

    #[test]
    fn a_series_missing_from_the_whole_range_is_named() {
        let parts = all_parts(36_019.999, "5");
        let points = parts
            .into_iter()
            .filter(|(p, _)| !p.starts_with("tick_duration_ms"))
            .map(|(part, values)| Point {
                bucket: 36_010,
                part,
                value: values[0].1.parse().unwrap(),
            });
        assert_eq!(
            assemble(points),
            Err(Error::Missing(vec![names::TICK_DURATION_MS]))
        );
        // Nothing scraped yet: no buckets, no error.
        assert_eq!(assemble(vec![]), Ok(vec![]));
    }

    #[test]
    fn bad_urls_are_refused_at_start_up() {
        let t = Duration::from_secs(5);
        assert!(Prometheus::new("prometheus:9090", 15, t).is_err());
        assert!(Prometheus::new("ftp://prometheus:9090", 15, t).is_err());
        assert!(Prometheus::new("https://prometheus:9090", 15, t).is_err());
        assert!(Prometheus::new("http://prometheus:9090/?x=1", 15, t).is_err());
        assert!(Prometheus::new("http://prometheus:9090", 15, Duration::ZERO).is_err());
        let p = Prometheus::new("http://prometheus:9090/prom/", 15, t).unwrap();
        assert_eq!(p.url(), "http://prometheus:9090/prom");
    }

    #[test]
    fn the_exposition_has_every_series_as_a_gauge() {
        let status = crate::domain::game::GameStatus {
            tick: 42,
            game_time: time::OffsetDateTime::UNIX_EPOCH,
            tick_rate: 1.0,
            actual_rate: 0.5,
            paused: true,
            ticks_behind: 3,
        };
        let text = exposition(&status, 12.5, 7);
        for line in [
            "tick_engine_current_tick 42",
            "tick_engine_tick_rate 1",
            "tick_engine_actual_rate 0.5",
            "tick_engine_paused 1",
            "tick_engine_ticks_behind 3",
            "physics_tick_duration_ms 12.5",
            "galaxy_connections_active 7",
            "# TYPE physics_tick_duration_ms gauge",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
