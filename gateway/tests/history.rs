//! The game's health history: a bounded ring sampled on the gateway's own clock, downsampled
//! per range with min/avg/max kept, aligned buckets, `since`, and events from the audit log.

mod common;

use common::{player, validation_loc, Gateway};
use galaxy_gateway::domain::history::{History, Sample, SAMPLE_BYTES};
use galaxy_gateway::store::prometheus::{Prometheus, MAX_ANSWER_BYTES};
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn unix(value: &Value) -> i64 {
    OffsetDateTime::parse(value.as_str().expect("a date-time"), &Rfc3339)
        .expect("RFC 3339")
        .unix_timestamp()
}

fn sample(seconds_ago: i64, tick_duration_ms: f64) -> Value {
    json!({
        "seconds_ago": seconds_ago,
        "tick_rate": 1.0,
        "actual_rate": 1.0,
        "ticks_behind": 0,
        "tick_duration_ms": tick_duration_ms,
        "players_online": 40,
        "paused": false,
    })
}

/// A whole day of samples every 10 seconds, with a one-sample spike `spike_ago` seconds ago.
async fn fill_a_day(gw: &Gateway, spike_ago: i64) -> Value {
    let samples: Vec<Value> = (0..8640)
        .map(|n| {
            let ago = 86_390 - n * 10;
            sample(ago, if ago == spike_ago { 4_000.0 } else { 12.0 })
        })
        .collect();
    gw.dev(
        Method::POST,
        "/__dev/history",
        json!({ "samples": samples }),
    )
    .await
    .json()
    .await
    .unwrap()
}

#[test]
fn the_ring_wraps_around_and_stays_bounded_over_more_than_a_day() {
    let mut history = History::new(10);
    assert_eq!(history.capacity(), 8640);
    assert_eq!(SAMPLE_BYTES, 40, "the cost documented in the contract");
    let allocated = history.allocated();
    assert!(allocated >= 8640);
    // Two days at one sample every 10 seconds.
    for n in 0..2 * 8640 {
        history.push(Sample {
            at: n * 10,
            tick_rate: 1.0,
            actual_rate: 1.0,
            ticks_behind: 0,
            tick_duration_ms: 5.0,
            players_online: 1,
            paused: false,
        });
    }
    assert_eq!(history.len(), 8640);
    assert_eq!(history.allocated(), allocated, "the ring never grew");
    assert_eq!(
        history.iter().next().unwrap().at,
        8640 * 10,
        "the oldest went"
    );
    assert_eq!(history.iter().last().unwrap().at, (2 * 8640 - 1) * 10);
    assert!(history
        .iter()
        .zip(history.iter().skip(1))
        .all(|(a, b)| a.at < b.at));
}

#[tokio::test]
async fn every_range_has_at_most_121_aligned_buckets_of_the_documented_length() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let filled = fill_a_day(&gw, 7_200).await;
    assert_eq!(filled["capacity"], 8640);
    assert_eq!(filled["len"], 8640, "a day fills the ring; the oldest went");
    for (range, seconds, bucket) in [
        ("10m", 600, 10),
        ("1h", 3600, 30),
        ("6h", 21_600, 180),
        ("24h", 86_400, 720),
    ] {
        let body = gw
            .get(&token, &format!("/admin/metrics/history?range={range}"))
            .await;
        assert_eq!(body["range"], range);
        assert_eq!(body["sample_seconds"], 10);
        assert_eq!(body["bucket_seconds"], bucket, "{range}");
        assert_eq!(unix(&body["to"]) - unix(&body["from"]), seconds);
        let buckets = body["buckets"].as_array().unwrap();
        // A full day of samples fills every bucket of the range: about range / bucket of them.
        let full = (seconds / bucket) as usize;
        assert!(
            buckets.len() <= 121 && buckets.len() >= full,
            "{range}: {}",
            buckets.len()
        );
        let starts: Vec<i64> = buckets.iter().map(|b| unix(&b["at"])).collect();
        assert!(starts.iter().all(|s| s % bucket == 0), "{range}: aligned");
        assert!(
            starts.windows(2).all(|w| w[0] < w[1]),
            "{range}: oldest first"
        );
        assert!(starts[0] >= unix(&body["from"]) - bucket);
        for b in buckets {
            let n = b["samples"].as_u64().unwrap();
            assert!(n >= 1 && n <= (bucket / 10) as u64 + 1, "{range}: {b}");
            let stat = &b["tick_rate"];
            assert_eq!(
                (&stat["min"], &stat["avg"], &stat["max"]),
                (&json!(1.0), &json!(1.0), &json!(1.0))
            );
        }
    }
    // More than a day again over HTTP: still bounded, and the allocation never changed.
    let again = fill_a_day(&gw, 7_200).await;
    assert_eq!(
        (&again["len"], &again["allocated"]),
        (&json!(8640), &filled["allocated"])
    );
}

#[tokio::test]
async fn a_one_sample_spike_survives_in_max_at_every_range() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    fill_a_day(&gw, 300).await;
    for range in ["10m", "1h", "6h", "24h"] {
        let body = gw
            .get(&token, &format!("/admin/metrics/history?range={range}"))
            .await;
        let spiked: Vec<&Value> = body["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["tick_duration_ms"]["max"] == 4000.0)
            .collect();
        assert_eq!(spiked.len(), 1, "{range}");
        let stat = &spiked[0]["tick_duration_ms"];
        let avg = stat["avg"].as_f64().unwrap();
        if range == "10m" {
            assert_eq!(
                (&stat["min"], avg),
                (&json!(4000.0), 4000.0),
                "one sample a bucket"
            );
        } else {
            // The sampler's own sample at start-up may share the newest buckets.
            assert!(stat["min"].as_f64().unwrap() <= 12.0, "{range}");
            assert!(avg > 5.0 && avg < 4000.0, "{range}: {avg}");
        }
    }
}

#[tokio::test]
async fn since_returns_only_the_buckets_and_events_from_then() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    fill_a_day(&gw, -1).await;
    gw.send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    let full = gw.get(&token, "/admin/metrics/history?range=1h").await;
    let buckets = full["buckets"].as_array().unwrap();
    assert_eq!(full["events"].as_array().unwrap().len(), 1);
    let cut = &buckets[buckets.len() - 3]["at"];
    // A time inside that bucket: the answer starts at the bucket's start.
    let inside = OffsetDateTime::from_unix_timestamp(unix(cut) + 7).unwrap();
    let since = inside.format(&Rfc3339).unwrap();
    let delta = gw
        .get(
            &token,
            &format!(
                "/admin/metrics/history?range=1h&since={}",
                since.replace('+', "%2B")
            ),
        )
        .await;
    let starts: Vec<&Value> = delta["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["at"])
        .collect();
    assert!(starts.len() >= 3, "{starts:?}");
    assert_eq!(starts[0], cut);
    // The pause was just now, after `since`: it is in the delta.
    assert_eq!(delta["events"].as_array().unwrap().len(), 1);
    let later = (OffsetDateTime::now_utc() + time::Duration::seconds(5))
        .format(&Rfc3339)
        .unwrap();
    let none = gw
        .get(
            &token,
            &format!("/admin/metrics/history?range=1h&since={later}"),
        )
        .await;
    assert_eq!(none["events"], json!([]));
}

#[tokio::test]
async fn a_pause_through_the_api_is_an_event_with_its_admin_and_reason() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.send(
        &token,
        Method::POST,
        "/admin/game/pause",
        Some(json!({ "reason": " engine lag " })),
    )
    .await;
    gw.send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    gw.send(
        &token,
        Method::DELETE,
        &format!("/admin/players/{}", player(3)),
        None,
    )
    .await;
    gw.send(
        &token,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 2.5, "reason": "catch up" })),
    )
    .await;
    gw.send(&token, Method::POST, "/admin/game/resume", None)
        .await;
    gw.dev(
        Method::PUT,
        "/__dev/services/physics",
        json!({ "version": "1.2.1" }),
    )
    .await;
    let body = gw.get(&token, "/admin/metrics/history?range=10m").await;
    let events = body["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "game.pause",
            "snapshot.create",
            "config.update",
            "game.resume",
            "service.deploy"
        ],
        "oldest first, and no player.delete or logins"
    );
    let pause = &events[0];
    assert_eq!(
        (
            &pause["admin"],
            &pause["role"],
            &pause["reason"],
            &pause["target_type"]
        ),
        (
            &json!("admin"),
            &json!("admin"),
            &json!("engine lag"),
            &json!("game")
        )
    );
    assert_eq!(
        (
            &events[2]["before"],
            &events[2]["after"],
            &events[2]["reason"]
        ),
        (&json!("1.0"), &json!("2.5"), &json!("catch up"))
    );
    assert_eq!(events[4]["admin"], "(system)");
    // The sampler took a sample at start-up, on its own.
    let buckets = body["buckets"].as_array().unwrap();
    assert!(!buckets.is_empty());
    assert!(unix(&buckets[0]["at"]) >= unix(&body["from"]) - 10);
}

#[tokio::test]
async fn bad_ranges_and_times_are_422_in_the_usual_shape() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    for (query, param) in [
        ("", "range"),
        ("?range=2h", "range"),
        ("?range=1h&since=yesterday", "since"),
        ("?range=1h&since=2026-01-01", "since"),
    ] {
        let (code, body) = gw
            .send(
                &token,
                Method::GET,
                &format!("/admin/metrics/history{query}"),
                None,
            )
            .await;
        assert_eq!(code, 422, "{query}");
        assert_eq!(
            validation_loc(&body),
            [json!("query"), json!(param)],
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_sampler_runs_on_its_own_clock_and_a_reset_clears_the_history() {
    let mut settings = Settings::for_tests(250);
    settings.history_interval_secs = 1;
    let gw = Gateway::start_with(settings).await;
    let token = gw.login().await;
    tokio::time::sleep(std::time::Duration::from_millis(2_300)).await;
    let body = gw.get(&token, "/admin/metrics/history?range=10m").await;
    assert_eq!(body["sample_seconds"], 1);
    assert_eq!(body["bucket_seconds"], 5);
    let samples: u64 = body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["samples"].as_u64().unwrap())
        .sum();
    assert!((2..=4).contains(&samples), "{samples} samples in 2.3 s");
    let online = galaxy_gateway::domain::players::seed(250)
        .iter()
        .filter(|p| p.online)
        .count();
    let last = body["buckets"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["players_online"]["max"], online as f64);
    assert_eq!(last["tick_duration_ms"]["max"], 5.0 + 0.02 * online as f64);

    gw.dev(Method::POST, "/__dev/reset", json!({})).await;
    let token = gw.login().await;
    let body = gw.get(&token, "/admin/metrics/history?range=10m").await;
    assert!(
        body["buckets"].as_array().unwrap().len() <= 1,
        "at most the one sample since the reset"
    );
}

#[tokio::test]
async fn the_status_counts_the_players_online() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let players = galaxy_gateway::domain::players::seed(250);
    let online = players.iter().filter(|p| p.online).count();
    let status = gw.get(&token, "/admin/game/status").await;
    assert_eq!(status["players_online"], online);
    let gone = players.iter().find(|p| p.online).unwrap().id;
    let (code, _) = gw
        .send(
            &token,
            Method::DELETE,
            &format!("/admin/players/{gone}"),
            None,
        )
        .await;
    assert_eq!(code, 204);
    let status = gw.get(&token, "/admin/game/status").await;
    assert_eq!(status["players_online"], online - 1);
}

#[tokio::test]
async fn a_slow_engine_shows_in_ticks_behind_and_tick_duration() {
    let mut settings = Settings::for_tests(0);
    settings.history_interval_secs = 1;
    let gw = Gateway::start_with(settings).await;
    let token = gw.login().await;
    gw.send(
        &token,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 20 })),
    )
    .await;
    gw.dev(
        Method::PUT,
        "/__dev/tick-capacity",
        json!({ "ticks_per_second": 4 }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    let body = gw.get(&token, "/admin/metrics/history?range=10m").await;
    let last = body["buckets"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["tick_duration_ms"]["max"], 250.0,
        "1000 / 4 ticks per second"
    );
    assert!(
        last["ticks_behind"]["max"].as_f64().unwrap() > 10.0,
        "{last}"
    );
}

#[tokio::test]
async fn a_demo_day_fills_the_charts_at_start_up() {
    let mut settings = Settings::for_tests(250);
    settings.demo_history = true;
    let gw = Gateway::start_with(settings).await;
    let token = gw.login().await;
    let body = gw.get(&token, "/admin/metrics/history?range=24h").await;
    let buckets = body["buckets"].as_array().unwrap();
    assert!(buckets.len() >= 120, "{}", buckets.len());
    assert!(buckets.iter().any(|b| b["paused"] == true));
    assert!(buckets
        .iter()
        .any(|b| b["ticks_behind"]["max"].as_f64().unwrap() > 0.0));
}

/// What a client gets for each `Accept-Encoding`: brotli first, then gzip, else identity,
/// always with `Vary: Accept-Encoding`, so caches keep the variants apart.
#[tokio::test]
async fn answers_are_compressed_as_the_client_accepts() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let mut sizes = Vec::new();
    for (accept, expected) in [
        ("br;q=1.0, gzip;q=0.8", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let response = gw
            .request(Method::GET, "/admin/players?limit=100")
            .bearer_auth(&token)
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(encoding.as_deref(), expected, "{accept}");
        let vary = response
            .headers()
            .get("vary")
            .map(|v| v.to_str().unwrap().to_lowercase());
        assert!(
            vary.is_some_and(|v| v.contains("accept-encoding")),
            "{accept}: Vary"
        );
        sizes.push(response.bytes().await.unwrap().len());
    }
    assert!(
        sizes[0] * 2 < sizes[2] && sizes[1] * 2 < sizes[2],
        "compressed to less than half: {sizes:?}"
    );
}

/// Streamed exports end cleanly through the compression layer (an unfused stream polled
/// once more after its end used to bring the gateway down), in each encoding.
#[tokio::test]
async fn streamed_exports_are_compressed_to_the_end() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    for path in ["/admin/players/export", "/admin/audit/export"] {
        for accept in ["br", "gzip", "identity"] {
            let response = gw
                .request(Method::GET, path)
                .bearer_auth(&token)
                .header("accept-encoding", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path} {accept}");
            let body = response.bytes().await;
            assert!(
                body.is_ok_and(|b| !b.is_empty()),
                "{path} {accept}: the whole body"
            );
        }
    }
    assert_eq!(
        gw.status(&token, Method::GET, "/admin/game/status").await,
        200,
        "still up"
    );
}

/// The gateway's `/metrics`, outside the API's base path and without a session: the game's
/// health by the names of Galaxy's spec, what a Prometheus scrapes for the history.
#[tokio::test]
async fn metrics_are_exposed_for_prometheus_under_galaxy_names() {
    let gw = Gateway::start().await;
    let origin = gw.base.trim_end_matches("/api");
    let scrape = || async {
        let response = gw
            .client
            .get(format!("{origin}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        let text = response.text().await.unwrap();
        let value = |name: &str| -> f64 {
            assert!(text.contains(&format!("# TYPE {name} gauge\n")), "{text}");
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{name} in {text}"))
                .parse()
                .unwrap()
        };
        [
            "tick_engine_tick_rate",
            "tick_engine_actual_rate",
            "tick_engine_ticks_behind",
            "tick_engine_paused",
            "tick_engine_current_tick",
            "physics_tick_duration_ms",
            "galaxy_connections_active",
        ]
        .map(value)
    };
    let running = scrape().await;
    assert_eq!(running[0], 1.0, "the configured rate");
    assert_eq!(running[3], 0.0, "running");
    assert!(running[5] >= 5.0, "the stand-in tick duration");
    let token = gw.login().await;
    assert_eq!(
        gw.status(&token, Method::POST, "/admin/game/pause").await,
        200
    );
    let paused = scrape().await;
    assert_eq!((paused[1], paused[3], paused[5]), (0.0, 1.0, 0.0));
    let online = gw.get(&token, "/admin/game/status").await["players_online"].clone();
    assert_eq!(json!(paused[6] as u64), online);
}

/// A stand-in for Prometheus that answers every request with `status` and `body`; its URL.
async fn fake_prometheus(status: u16, body: &'static str) -> String {
    use axum::http::StatusCode;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(move || async move { (StatusCode::from_u16(status).unwrap(), body) });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn history_from(url: &str, timeout_secs: u64) -> (u16, Value) {
    let mut settings = Settings::for_tests(10);
    settings.prometheus =
        Some(Prometheus::new(url, 1, std::time::Duration::from_secs(timeout_secs)).unwrap());
    let gw = Gateway::start_with(settings).await;
    let token = gw.login().await;
    gw.send(&token, Method::GET, "/admin/metrics/history?range=1h", None)
        .await
}

/// Prometheus down, silent, refusing or talking nonsense: a 503 in the contract's error shape
/// saying so, never a panic or a 200 with an empty history.
#[tokio::test]
async fn a_prometheus_that_fails_is_a_503_that_says_why() {
    // Bound but not listening: the port stays this test's while it runs (a port merely freed
    // can be taken by another test's server at once), and a connect to it is refused.
    let reserved = tokio::net::TcpSocket::new_v4().unwrap();
    reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let closed = format!("http://{}", reserved.local_addr().unwrap());
    let (status, body) = history_from(&closed, 5).await;
    drop(reserved);
    assert_eq!(status, 503, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("The history is unavailable: Prometheus is unreachable"),
        "{detail}"
    );

    // Accepts connections (the kernel's backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let started = std::time::Instant::now();
    let (status, body) = history_from(&format!("http://{}", silent.local_addr().unwrap()), 1).await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({ "detail": "The history is unavailable: Prometheus did not answer within 1 s" })
        )
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    let refused =
        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\""}"#;
    for (status, answer, says) in [
        (
            400,
            refused,
            "Prometheus refused the query: bad_data: invalid parameter \"query\"",
        ),
        (
            502,
            "<html>Bad Gateway</html>",
            "Prometheus refused the query: HTTP status 502",
        ),
        (
            200,
            "{\"status\":\"succ",
            "Prometheus answered something unexpected: not a query API answer",
        ),
        (
            200,
            Box::leak(" ".repeat(MAX_ANSWER_BYTES + 1).into_boxed_str()),
            "Prometheus answered something unexpected: an answer of more than 4194304 bytes",
        ),
        (
            200,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"galaxy_history":"samples"},"values":[[1e300,"1"]]}]}}"#,
            // A matrix for the instant queries, a time not asked for in the range query.
            "Prometheus answered something unexpected: ",
        ),
    ] {
        let url = fake_prometheus(status, answer).await;
        let (got, body) = history_from(&url, 5).await;
        assert_eq!(got, 503, "{answer}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!("The history is unavailable: {says}")),
            "{answer}: {detail}"
        );
    }
}
