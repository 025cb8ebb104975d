"""Snapshots and the runtime configuration in Galaxy's PostgreSQL, through two real gateway
processes on one database (the fixture of test_replicas.py): a key set through one replica is
read, and run by the simulated game, through the other; two changes made against one entity tag
at the same moment cannot both win; snapshots taken through either are one list, a pinned one
stays whoever deletes it, and retention records each deletion once while both replicas take
snapshots at once. Every wait polls under a deadline."""

from __future__ import annotations

import threading
from urllib.parse import quote

from test_replicas import Replica, replicas, wait_for  # noqa: F401 - the fixture
from reference_gateway import http


def config_item(replica: Replica, token: str, key: str) -> dict:
    status, body = replica.call(token, "GET", "/admin/config")
    assert status == 200, body
    return next(item for item in body["items"] if item["key"] == key)


def change(replica: Replica, token: str, method: str, key: str, etag: str, value=None, reason: str | None = None):
    headers = {"If-Match": etag, "Authorization": f"Bearer {token}"}
    body = None
    if method == "PUT":
        body = {"value": value, **({"reason": reason} if reason else {})}
    elif reason:
        headers["X-Audit-Log-Reason"] = quote(reason)
    return http(method, f"{replica.api}/admin/config/{key}", body, headers=headers)


def tick_rate(replica: Replica, token: str) -> float:
    status, body = replica.call(token, "GET", "/admin/game/status")
    assert status == 200, body
    return body["tick_rate"]


def test_a_config_change_through_one_replica_is_read_and_run_by_the_other(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    loaded = config_item(a, token_a, "tick_rate")
    assert (loaded["value"], loaded["updated_at"]) == (1.0, None), loaded
    status, item = change(a, token_a, "PUT", "tick_rate", loaded["etag"], 4, reason="weekend event")
    assert status == 200 and item["value"] == 4.0 and item["etag"] != loaded["etag"], item
    # Read through the other at once, with the same entity tag; its game follows the rate.
    assert config_item(b, token_b, "tick_rate") == item
    wait_for(lambda: tick_rate(b, token_b) == 4.0, "the other replica's game runs at the new rate")
    # A change against the tag the other replica's operator loaded first is refused there.
    status, refused = change(b, token_b, "PUT", "tick_rate", loaded["etag"], 9)
    assert status == 412 and refused["current"] == item, refused
    status, reset = change(b, token_b, "DELETE", "tick_rate", item["etag"], reason="event over")
    assert status == 200 and reset["value"] == 1.0 and reset["etag"] not in (item["etag"], loaded["etag"]), reset
    wait_for(lambda: tick_rate(a, token_a) == 1.0, "the first replica's game runs at the default again")
    with server.connect(db) as conn:
        rows = conn.execute("SELECT value, revision FROM game_config WHERE key = 'tick_rate'").fetchall()
        audited = conn.execute(
            "SELECT action, before, after, reason FROM admin_audit WHERE target_type = 'config' ORDER BY id").fetchall()
    # A reset keeps a row with the default, so a tag from before it can never match again.
    assert rows == [(1.0, int(reset["etag"].strip('"')))], rows
    assert audited == [("config.update", "1.0", "4.0", "weekend event"), ("config.reset", "4.0", "1.0", "event over")], audited


def test_a_value_another_galaxy_service_writes_is_followed_with_a_new_tag(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    loaded = config_item(a, token_a, "tick_rate")
    with server.connect(db) as conn:
        conn.execute("INSERT INTO game_config (key, value) VALUES ('tick_rate', '7.5') "
                     "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
    for replica, token in ((a, token_a), (b, token_b)):
        wait_for(lambda: tick_rate(replica, token) == 7.5, f"{replica.port} follows the table")
    status, refused = change(a, token_a, "PUT", "tick_rate", loaded["etag"], 2)
    assert status == 412 and refused["current"]["value"] == 7.5, refused


def test_two_changes_against_one_tag_through_two_replicas_at_once_one_wins(replicas):
    a, b = replicas
    tokens = {a.port: a.login(), b.port: b.login()}
    for round_ in range(5):
        loaded = config_item(a, tokens[a.port], "motd")
        start = threading.Barrier(2)
        results: dict[int, tuple[int, object]] = {}

        def write(replica: Replica) -> None:
            start.wait()
            results[replica.port] = change(replica, tokens[replica.port], "PUT", "motd", loaded["etag"], f"from {replica.port} in round {round_}")

        threads = [threading.Thread(target=write, args=(r,)) for r in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(status for status, _ in results.values())
        assert statuses == [200, 412], results
        winner = next(body for status, body in results.values() if status == 200)
        assert config_item(b, tokens[b.port], "motd") == winner


def snapshot_ids(replica: Replica, token: str) -> list[int]:
    status, body = replica.call(token, "GET", "/admin/snapshots?limit=200")
    assert status == 200, body
    return [s["id"] for s in body["items"]]


def delete_snapshot(replica: Replica, token: str, snapshot: int, reason: str | None = None):
    headers = {"Authorization": f"Bearer {token}", **({"X-Audit-Log-Reason": quote(reason)} if reason else {})}
    return http("DELETE", f"{replica.api}/admin/snapshots/{snapshot}", headers=headers)


def test_snapshots_through_either_replica_are_one_list_and_a_pinned_one_stays(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    status, taken = a.call(token_a, "POST", "/admin/snapshots")
    assert status == 201 and taken["created_by"] == "admin" and taken["size_bytes"] > 0, taken
    assert snapshot_ids(b, token_b) == [taken["id"]]
    status, pinned = b.call(token_b, "PUT", f"/admin/snapshots/{taken['id']}/pin")
    assert status == 200 and pinned["pinned"] is True, pinned
    status, refused = delete_snapshot(a, token_a, taken["id"])
    assert status == 409 and refused["code"] == "snapshot_pinned", refused
    # A retention job that knows nothing of pins cannot remove it either.
    with server.connect(db) as conn:
        conn.execute("DELETE FROM snapshots")
    assert snapshot_ids(a, token_a) == [taken["id"]]
    status, _ = a.call(token_a, "DELETE", f"/admin/snapshots/{taken['id']}/pin")
    assert status == 200
    status, _ = delete_snapshot(b, token_b, taken["id"], reason="superseded")
    assert status == 204
    assert snapshot_ids(a, token_a) == []
    status, _ = a.call(token_a, "PUT", f"/admin/snapshots/{taken['id']}/pin")
    assert status == 404
    status, log = a.call(token_a, "GET", "/admin/audit?limit=50")
    about_it = [e for e in log["items"] if e["target_type"] == "snapshot"]
    assert [(e["action"], e["target_exists"]) for e in about_it] == [
        ("snapshot.delete", False), ("snapshot.unpin", False), ("snapshot.pin", False), ("snapshot.create", False)], log
    assert about_it[0]["reason"] == "superseded"


def test_retention_while_both_replicas_take_snapshots_records_each_deletion_once(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    loaded = config_item(a, token_a, "snapshot_retention")
    status, _ = change(a, token_a, "PUT", "snapshot_retention", loaded["etag"], 3)
    assert status == 200
    start = threading.Barrier(5)
    taking = threading.Event()
    errors: list[object] = []

    def take(replica: Replica, token: str) -> None:
        start.wait()
        try:
            for _ in range(4):
                status, body = replica.call(token, "POST", "/admin/snapshots")
                assert status == 201, body
        except Exception as error:  # noqa: BLE001 - any failure of a thread fails the test
            errors.append(error)

    def pin_the_oldest() -> None:
        # An operator saving the oldest snapshot from retention, and changing their mind, while
        # retention deletes around it: neither waits on the other into a deadlock (a 503).
        start.wait()
        try:
            while taking.is_set():
                ids = snapshot_ids(b, token_b)
                if not ids:
                    continue
                status, body = b.call(token_b, "PUT", f"/admin/snapshots/{ids[-1]}/pin")
                assert status in (200, 404), body
                if status == 200:
                    status, body = b.call(token_b, "DELETE", f"/admin/snapshots/{ids[-1]}/pin")
                    assert status == 200, body
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    taking.set()
    takers = [threading.Thread(target=take, args=(r, t)) for r, t in ((a, token_a), (b, token_b)) for _ in range(2)]
    pinner = threading.Thread(target=pin_the_oldest)
    for t in (*takers, pinner):
        t.start()
    for t in takers:
        t.join(60)
    taking.clear()
    pinner.join(60)
    assert errors == [] and not any(t.is_alive() for t in (*takers, pinner)), errors
    # One more, with nothing pinned: retention is back to the newest three.
    status, _ = a.call(token_a, "POST", "/admin/snapshots")
    assert status == 201
    with server.connect(db) as conn:
        kept = [row[0] for row in conn.execute("SELECT id FROM snapshots ORDER BY id DESC")]
        created = [row[0] for row in conn.execute(
            "SELECT target_id::int FROM admin_audit WHERE action = 'snapshot.create' ORDER BY id")]
        deleted = conn.execute(
            "SELECT target_id::int, count(*), min(admin), min(detail) FROM admin_audit "
            "WHERE action = 'snapshot.delete' GROUP BY target_id ORDER BY 1").fetchall()
    assert len(created) == 17 and sorted(created) == created, created
    assert kept == sorted(created, reverse=True)[:3], (kept, created)
    assert deleted == [(id_, 1, "(system)", "retention") for id_ in sorted(created)[:-3]], deleted
    assert snapshot_ids(b, token_b) == kept


def test_a_restore_through_one_replica_takes_its_safety_snapshot_in_the_shared_table(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    status, taken = a.call(token_a, "POST", "/admin/snapshots")
    assert status == 201
    status, refused = b.call(token_b, "POST", f"/admin/snapshots/{taken['id']}/restore")
    assert status == 409, refused
    status, _ = b.call(token_b, "POST", "/admin/game/pause")
    assert status == 200
    status, restored = b.call(token_b, "POST", f"/admin/snapshots/{taken['id']}/restore", {"reason": "rollback"})
    assert status == 200 and restored["tick"] == taken["tick_number"], restored
    safety = restored["safety_snapshot"]
    assert safety["label"] == f"before restore of #{taken['id']}", safety
    assert snapshot_ids(a, token_a) == [safety["id"], taken["id"]]


def test_snapshot_ids_used_up_are_a_503_and_nothing_is_recorded(replicas, server, db):
    a, _ = replicas
    token = a.login()
    with server.connect(db) as conn:
        conn.execute("SELECT setval('snapshots_id_seq', 2147483647)")
    status, body = a.call(token, "POST", "/admin/snapshots")
    assert status == 503 and "used up" in body["detail"], body
    with server.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM admin_audit WHERE action LIKE 'snapshot.%'").fetchone() == (0,)


def test_snapshots_and_config_outlive_a_restart_of_every_replica(replicas):
    a, b = replicas
    token = a.login()
    status, taken = a.call(token, "POST", "/admin/snapshots")
    assert status == 201
    motd = config_item(a, token, "motd")
    status, item = change(a, token, "PUT", "motd", motd["etag"], "maintenance at 04:00")
    assert status == 200
    for replica in replicas:
        replica.stop()
    for replica in replicas:
        replica.start()
    token = b.login()
    assert snapshot_ids(b, token) == [taken["id"]]
    assert config_item(b, token, "motd") == item
