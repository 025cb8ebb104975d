"""Schedules on two real reference gateway processes sharing one PostgreSQL, as two replicas of
Galaxy's api-gateway: both reach a step's time together and it runs once (one run, one outcome
and one audit entry per step, each player's socket gets each message once, wherever it is
connected); and a gateway stopped through a step's time runs it when it is back within the
grace period, recorded as late.

Every wait polls under a deadline; none sleeps to let something happen, except the one wait for
real time to pass a step's time while no gateway runs."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from test_replicas import Replica, replicas, wait_for  # noqa: F401 (replicas is a fixture)

STEPS = 4


def clock(replica: Replica, advance: int = 0) -> datetime:
    status, body = replica.call("", "POST", "/__dev/clock", {"advance_seconds": advance})
    assert status == 200, body
    return datetime.fromisoformat(body["now"].replace("Z", "+00:00"))


def connect(replica: Replica, player_id: str) -> None:
    status, body = replica.call("", "POST", f"/__dev/players/{player_id}/sessions", {})
    assert status in (200, 201), body


def received(replica: Replica, player_id: str) -> list[str]:
    status, body = replica.call("", "GET", f"/__dev/players/{player_id}/sessions")
    assert status == 200, body
    return [m["text"] for s in body["items"] for m in s.get("received", [])]


def local(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def test_two_replicas_at_a_steps_time_run_it_once(replicas):
    a, b = replicas
    token = a.login()
    status, players = a.call(token, "GET", "/admin/players?online=true&limit=2")
    assert status == 200, players
    on_a, on_b = (p["id"] for p in players["items"])
    connect(a, on_a)
    connect(b, on_b)
    start = clock(a).replace(microsecond=0) + timedelta(minutes=10)
    steps = [{"offset_seconds": 10 * i, "action": {"type": "message", "text": f"warning {i}"}} for i in range(STEPS)]
    status, schedule = a.call(token, "POST", "/admin/schedules",
                              {"name": "Race", "time_zone": "UTC", "when": {"type": "once", "at": local(start)}, "steps": steps})
    assert status == 201, schedule

    # Both replicas' clocks to each step's time at once: each races the other for it.
    for i in range(STEPS):
        due = start + timedelta(seconds=10 * i)
        threads = [threading.Thread(target=lambda r=r: clock(r, max(0, int((due - clock(r)).total_seconds()) + 1)))
                   for r in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def finished():
        status, runs = b.call(token, "GET", "/admin/schedule-runs")
        assert status == 200, runs
        return runs["items"] and runs["items"][0]["status"] != "running" and runs["items"]

    [run] = wait_for(finished, "the run ends")
    assert run["status"] == "succeeded", run
    assert [o["index"] for o in run["outcomes"]] == list(range(STEPS))
    status, audit = a.call(token, "GET", "/admin/audit?action=game.message&limit=50")
    assert status == 200
    assert sorted(e["detail"].split("“")[1].split("”")[0] for e in audit["items"]) == [f"warning {i}" for i in range(STEPS)]
    expected = [f"warning {i}" for i in range(STEPS)]
    # Each socket got each message once, in order, whichever replica sent it.
    wait_for(lambda: received(a, on_a) == expected, f"the socket on A gets {expected}: {received(a, on_a)}")
    wait_for(lambda: received(b, on_b) == expected, f"the socket on B gets {expected}: {received(b, on_b)}")


def test_a_gateway_back_within_the_grace_period_runs_the_step_it_missed_late(replicas):
    a, b = replicas
    token = a.login()
    status, listed = a.call(token, "GET", "/admin/schedules")
    grace = listed["grace_seconds"]
    # A few real seconds ahead: the replicas' clocks are real time, undisturbed.
    due = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=4)
    status, schedule = a.call(token, "POST", "/admin/schedules",
                              {"name": "Across a restart", "time_zone": "UTC", "when": {"type": "once", "at": local(due)},
                               "steps": [{"offset_seconds": 0, "action": {"type": "pause"}}]})
    assert status == 201, schedule
    a.stop()
    b.stop()
    # No gateway runs while the step's time passes.
    # Past the few seconds the gateway still calls "on time".
    time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()) + 7)
    a.start()
    token = a.login()

    def ran():
        status, runs = a.call(token, "GET", "/admin/schedule-runs")
        return runs["items"] and runs["items"][0]["status"] != "running" and runs["items"][0]

    run = wait_for(ran, "the missed step runs once the gateway is back")
    assert run["status"] == "succeeded", run
    late = datetime.fromisoformat(run["outcomes"][0]["at"].replace("Z", "+00:00")) - due
    assert timedelta(seconds=7) <= late < timedelta(seconds=grace), run
    status, game = a.call(token, "GET", "/admin/game/status")
    assert game["paused"] is True
    status, audit = a.call(token, "GET", "/admin/audit?action=game.pause&limit=5")
    assert " s late)" in audit["items"][0]["detail"], audit["items"][0]
