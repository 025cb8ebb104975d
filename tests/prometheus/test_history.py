"""The history endpoint served from a real Prometheus scraping the reference gateway's
/metrics: the same slices the ring gives, computed from Prometheus's own samples; a gateway
restart keeps the earlier history; Prometheus down or silent is a 503 in the contract's error
shape."""

from __future__ import annotations

import socket
import time
from datetime import datetime, timezone

from conftest import CLOSED_PORT, SCRAPE_SECONDS, wait_until

# The history's series and the metrics of Galaxy's spec they are read from.
SERIES = {
    "tick_rate": "tick_engine_tick_rate",
    "actual_rate": "tick_engine_actual_rate",
    "ticks_behind": "tick_engine_ticks_behind",
    "tick_duration_ms": "physics_tick_duration_ms",
    "players_online": "galaxy_connections_active",
}


def unix(text: str) -> int:
    """Whole Unix seconds of the gateway's RFC 3339 UTC time (fraction dropped)."""
    return int(datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp())


def expected_buckets(prometheus, body: dict, since: int | None = None) -> dict[int, dict]:
    """The slices of the answer's range computed here from Prometheus's raw samples, by the
    ring's rules: samples from `from` to `to` (whole seconds), in slices of `bucket_seconds`
    aligned to the epoch, from `since`'s slice on, only slices with samples of every series."""
    b, start, end = body["bucket_seconds"], unix(body["from"]), unix(body["to"])
    first = start // b * b if since is None else max(start // b * b, since // b * b)
    span = end - start + 60

    def grouped(metric: str) -> dict[int, list[float]]:
        slices: dict[int, list[float]] = {}
        for t, v in prometheus.samples(metric, span, end + 1):
            ms = round(t * 1000)
            if start * 1000 <= ms < (end + 1) * 1000 and ms // (b * 1000) * b >= first:
                slices.setdefault(ms // (b * 1000) * b, []).append(v)
        return slices

    series = {key: grouped(metric) for key, metric in SERIES.items()}
    paused = grouped("tick_engine_paused")
    buckets = {}
    for at, rates in series["actual_rate"].items():
        if not all(at in s for s in series.values()):
            continue
        buckets[at] = {
            "samples": len(rates),
            "paused": max(paused.get(at, [0])) > 0,
            **{key: {"min": min(s[at]), "avg": sum(s[at]) / len(s[at]), "max": max(s[at])} for key, s in series.items()},
        }
    return buckets


def settled(body: dict) -> list[dict]:
    """The answer's slices that had ended a second before its `to`: every sample of theirs was in
    Prometheus when it was asked, as a scrape is stored within its 1 s timeout of its
    timestamp or not at all (the newest slice is still filling)."""
    b, end = body["bucket_seconds"], unix(body["to"])
    return [x for x in body["buckets"] if unix(x["at"]) + b <= end - 1]


def assert_matches(prometheus, body: dict, since: int | None = None) -> list[dict]:
    expected = expected_buckets(prometheus, body, since)
    got = settled(body)
    b, end = body["bucket_seconds"], unix(body["to"])
    assert [unix(x["at"]) for x in got] == sorted(at for at in expected if at + b <= end - 1)
    for bucket in got:
        want = expected[unix(bucket["at"])]
        assert bucket["samples"] == want["samples"], bucket
        assert bucket["paused"] == want["paused"], bucket
        for key in SERIES:
            for stat in ("min", "avg", "max"):
                assert abs(bucket[key][stat] - want[key][stat]) <= 0.0011, (key, stat, bucket, want)
    return got


def scraped_since(prometheus, t: float, metric: str = "tick_engine_current_tick") -> int:
    """How many samples Prometheus has of `metric` taken after `t`."""
    now = time.time()
    return sum(1 for at, _ in prometheus.samples(metric, int(now - t) + 2, now) if at > t)


def test_history_from_prometheus_is_the_slices_of_its_samples(prometheus, gateway_factory):
    gateway = gateway_factory(prometheus.url)
    gateway.start()
    started = time.time()
    # Something worth charting: the engine falls behind (ticks take 2000 ms), is paused, then
    # resumes and catches up. Each step waits until Prometheus has scraped the last one.
    assert gateway.call("PUT", "/__dev/tick-capacity", {"ticks_per_second": 0.5})[0] == 204
    wait_until("a sample of the engine behind", lambda: prometheus.query("tick_engine_ticks_behind > 1"))
    assert gateway.call("POST", "/admin/game/pause", {"reason": "Prometheus test"})[0] == 200
    wait_until("a paused sample", lambda: prometheus.query("tick_engine_paused == 1"))
    assert gateway.call("POST", "/admin/game/resume", {"reason": "Prometheus test"})[0] == 200
    assert gateway.call("PUT", "/__dev/tick-capacity", {"ticks_per_second": None})[0] == 204
    wait_until("a running sample", lambda: prometheus.query("tick_engine_paused == 0"))
    wait_until("20 samples of this gateway", lambda: scraped_since(prometheus, started) >= 20, timeout=90)

    body = gateway.history("range=10m")
    assert body["range"] == "10m"
    assert body["sample_seconds"] == SCRAPE_SECONDS
    assert body["bucket_seconds"] == 5, "the ring's rule: the smallest multiple of 1 s giving at most 120 slices"
    assert unix(body["to"]) - unix(body["from"]) == 600
    assert all(unix(x["at"]) % 5 == 0 for x in body["buckets"])
    got = assert_matches(prometheus, body)
    assert len(got) >= 3, body
    assert any(x["paused"] for x in got), "the pause shows in a slice"
    assert any(x["ticks_behind"]["max"] > x["ticks_behind"]["min"] or x["actual_rate"]["max"] > x["actual_rate"]["min"] for x in got), \
        "some slice has differing samples, so min, avg and max are really computed"
    assert any(x["tick_duration_ms"]["max"] == 2000 for x in got), "the slow ticks' duration"
    actions = [e["action"] for e in body["events"]]
    assert "game.pause" in actions and "game.resume" in actions, "events still come from the audit log"

    # `since`: only the slices from its own on, the same figures.
    since = unix(got[1]["at"]) + 2
    later = gateway.history(f"range=10m&since={datetime.fromtimestamp(since, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    assert unix(later["buckets"][0]["at"]) == unix(got[1]["at"])
    assert_matches(prometheus, later, since)

    # An hour in slices of 30 s, from the same samples.
    hour = gateway.history("range=1h")
    assert hour["bucket_seconds"] == 30
    assert_matches(prometheus, hour)
    assert sum(x["samples"] for x in hour["buckets"]) >= 20


def test_a_gateway_restart_keeps_the_day(prometheus, gateway_factory):
    gateway = gateway_factory(prometheus.url)
    gateway.start()
    started = time.time()
    wait_until("12 samples of the first process", lambda: scraped_since(prometheus, started) >= 12, timeout=60)
    before = gateway.history("range=10m")
    kept = settled(before)
    assert len(kept) >= 2, before
    gateway.stop()

    gateway.start()  # a new process: its own memory is empty, its tick counter starts again
    restarted = time.time()
    wait_until("a sample of the new process", lambda: scraped_since(prometheus, restarted) >= 1, timeout=30)
    after = gateway.history("range=10m")
    by_start = {x["at"]: x for x in after["buckets"]}
    for bucket in kept:
        assert by_start.get(bucket["at"]) == bucket, "a slice from before the restart, unchanged"
    assert any(unix(x["at"]) + after["bucket_seconds"] > restarted for x in after["buckets"]), "and the new process's samples"


def test_prometheus_down_or_silent_is_a_503_in_the_contract_error_shape(gateway_factory, tmp_path):
    down = gateway_factory(f"http://127.0.0.1:{CLOSED_PORT}")
    down.start()
    status, body = down.call("GET", "/admin/metrics/history?range=1h")
    assert status == 503, body
    assert list(body) == ["detail"] and "Prometheus is unreachable" in body["detail"], body
    assert down.call("GET", "/admin/game/status")[0] == 200, "the rest of the API is unaffected"
    down.stop()

    # A Prometheus that accepts the connection and never answers: the query's time limit.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        stalled = gateway_factory(f"http://127.0.0.1:{port}", "--prometheus-timeout-secs", "1")
        stalled.start()
        began = time.monotonic()
        status, body = stalled.call("GET", "/admin/metrics/history?range=10m")
        took = time.monotonic() - began
    assert status == 503, body
    assert body == {"detail": "The history is unavailable: Prometheus did not answer within 1 s"}
    assert took < 5, took
