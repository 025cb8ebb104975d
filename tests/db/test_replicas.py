"""Two real reference gateway processes on one PostgreSQL (`--database-url`), as two replicas of
Galaxy's api-gateway: what one does to the console's accounts and the login limit is in force
through the other at once, the rule "there is always an enabled admin" holds when two admins
change each other through different replicas at the same moment, and both write and read one
audit log, in order, that outlives them.

The gateways connect as `galaxy_admin_api`, the least-privileged role the migrations create, to
a fresh copy of the migrated database; they are the release build scripts/test.sh makes
(GATEWAY_BIN names another). Every wait polls under a deadline; none sleeps to let something
happen."""

from __future__ import annotations

import hashlib

import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import APP_ROLE, PORT, ROOT, Server

sys.path.insert(0, str(ROOT / "tests"))
from reference_gateway import gateway_bin, http  # noqa: E402

# Below Linux's ephemeral range, like every port of the tests (scripts/test.sh checks them).
REPLICA_PORTS = (28171, 28172)
PASSWORD = f"test-{secrets.token_hex(8)}"
JWT_KEY = secrets.token_hex(32)
OTHER_PASSWORD = "a long passphrase for tests"


def database_url(server: Server, dbname: str) -> str:
    return f"host={server.socket} port={PORT} user={APP_ROLE} dbname={dbname}"


class Replica:
    def __init__(self, server: Server, dbname: str, port: int, directory: Path, *extra: str) -> None:
        self.server, self.dbname, self.port, self.dir, self.extra = server, dbname, port, directory, list(extra)
        self.api = f"http://127.0.0.1:{port}/api"
        self.process: subprocess.Popen | None = None
        self.log = directory / f"gateway-{port}.log"

    def command(self) -> list[str]:
        return [str(gateway_bin("db")), "--listen", f"127.0.0.1:{self.port}", "--password-hash-memory-kib", "1024",
                "--password-hash-iterations", "1", "--database-url", database_url(self.server, self.dbname), *self.extra]

    def env(self) -> dict[str, str]:
        # The bootstrap admin signs in with its password alone (no second factor required).
        env = {**os.environ, "GALAXY_ADMIN_USERNAME": "admin", "GALAXY_ADMIN_PASSWORD": PASSWORD, "JWT_SECRET_KEY": JWT_KEY,
               "SECOND_FACTOR_ROLES": "none", "CONFIRM_DANGEROUS_ACTIONS": "false"}
        env.pop("GALAXY_PROMETHEUS_URL", None)
        return env

    def start(self) -> "Replica":
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env())
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the gateway exited: {self.log.read_text()}")
            try:
                if http("GET", f"{self.api}/health/live", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not listen: {self.log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def login(self, username: str = "admin", password: str = PASSWORD) -> str:
        status, body = http("POST", f"{self.api}/admin/auth/login", {"username": username, "password": password})
        assert status == 200, (username, status, body)
        return body["access_token"]

    def call(self, token: str, method: str, path: str, body=None) -> tuple[int, object]:
        return http(method, f"{self.api}{path}", body, token)

    def create(self, token: str, username: str, role: str) -> str:
        status, body = self.call(token, "POST", "/admin/accounts", {"username": username, "role": role, "password": OTHER_PASSWORD})
        assert status == 201, body
        return body["account"]["id"]


def wait_for(condition, what: str, seconds: float = 10):
    """`condition()` once it is true, polled under a deadline; fails naming `what`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)


def seed_players(server: Server, dbname: str) -> None:
    """The players the replicas simulate (the gateway's default seed), in `players`, as Galaxy's
    players service would have created them."""
    owner = f"host={server.socket} port={PORT} user=galaxy dbname={dbname}"
    subprocess.run([str(gateway_bin("db")), "--seed-database-players", "--database-url", owner], check=True,
                   capture_output=True, timeout=60)


@pytest.fixture
def replicas(server: Server, db: str, tmp_path: Path):
    seed_players(server, db)
    # The dev controls stand in for a game client's connect and move each replica's ban clock.
    made = [Replica(server, db, port, tmp_path, "--dev-controls") for port in REPLICA_PORTS]
    try:
        for replica in made:
            replica.start()
        yield made
    finally:
        for replica in made:
            replica.stop()


def enabled_admins(server: Server, db: str) -> list[str]:
    with server.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT username FROM admins WHERE role = 'admin' AND NOT disabled ORDER BY username")]


def test_an_account_made_through_one_replica_signs_in_through_the_other(replicas, server, db):
    a, b = replicas
    admin = a.login()
    a.create(admin, "alice", "operator")
    alice = b.login("alice", OTHER_PASSWORD)
    status, me = b.call(alice, "GET", "/admin/auth/me")
    assert (status, me["username"], me["role"]) == (200, "alice", "operator")
    status, listed = b.call(b.login(), "GET", "/admin/accounts")
    assert status == 200 and [x["username"] for x in listed["items"]] == ["admin", "alice"]
    with server.connect(db) as conn:
        assert conn.execute("SELECT role, last_login_at IS NOT NULL FROM admins WHERE username = 'alice'").fetchone() == ("operator", True)
    # The name is taken on both: a second create through the other replica is a conflict.
    status, _ = b.call(admin, "POST", "/admin/accounts", {"username": "alice", "role": "viewer"})
    assert status == 409


def test_the_audit_log_says_whether_an_account_it_names_still_exists(replicas):
    a, _ = replicas
    admin = a.login()
    erin_id = a.create(admin, "erin", "viewer")

    def created_entry() -> dict:
        status, page = a.call(admin, "GET", "/admin/audit?action=account.create")
        assert status == 200, page
        [entry] = [e for e in page["items"] if e["target_id"] == erin_id]
        return entry

    assert created_entry()["target_exists"] is True
    assert a.call(admin, "DELETE", f"/admin/accounts/{erin_id}")[0] == 204
    assert created_entry()["target_exists"] is False


def test_a_role_change_or_a_disabled_account_through_one_replica_ends_sessions_on_the_other(replicas):
    a, b = replicas
    admin = a.login()
    alice_id = a.create(admin, "alice", "operator")
    bob_id = a.create(admin, "bob", "operator")
    alice, bob = b.login("alice", OTHER_PASSWORD), b.login("bob", OTHER_PASSWORD)
    assert b.call(alice, "GET", "/admin/auth/me")[0] == 200
    assert b.call(bob, "GET", "/admin/auth/me")[0] == 200

    assert a.call(admin, "PUT", f"/admin/accounts/{alice_id}/role", {"role": "viewer"})[0] == 200
    status, body = b.call(alice, "GET", "/admin/auth/me")
    assert status == 401 and "role or password changed" in body["detail"], body
    # Signed in again through either replica, alice is a viewer: an operator's action is refused.
    alice = b.login("alice", OTHER_PASSWORD)
    assert b.call(alice, "POST", "/admin/game/pause")[0] == 403

    assert a.call(admin, "PUT", f"/admin/accounts/{bob_id}/disabled", {"disabled": True})[0] == 200
    status, body = b.call(bob, "GET", "/admin/auth/me")
    assert (status, body["detail"]) == (401, "Account disabled"), body
    status, body = http("POST", f"{b.api}/admin/auth/login", {"username": "bob", "password": OTHER_PASSWORD})
    assert status == 401 and "disabled" in body["detail"], body

    # A password reset through one replica ends the session on the other, and the new one works there.
    status, body = a.call(admin, "POST", f"/admin/accounts/{alice_id}/password")
    assert status == 200, body
    assert b.call(alice, "GET", "/admin/auth/me")[0] == 401
    b.login("alice", body["one_time_password"])

    # Deleted through one replica: the other refuses its token at once.
    assert a.call(admin, "DELETE", f"/admin/accounts/{alice_id}")[0] == 204
    assert b.call(alice, "GET", "/admin/auth/me") == (401, {"detail": "Account deleted"})


def test_a_session_ended_or_signed_out_through_one_replica_is_refused_by_the_other(replicas):
    a, b = replicas
    admin = a.login()
    a.create(admin, "carla", "operator")
    laptop, phone = a.login("carla", OTHER_PASSWORD), b.login("carla", OTHER_PASSWORD)
    status, body = b.call(laptop, "GET", "/admin/auth/sessions")
    assert status == 200 and len(body["items"]) == 2, body
    phone_id = next(s["id"] for s in body["items"] if not s["current"])
    assert b.call(phone, "GET", "/admin/auth/me")[0] == 200

    # Ended through b, refused by a at its next request, and the other way round.
    assert b.call(laptop, "DELETE", f"/admin/auth/sessions/{phone_id}")[0] == 204
    assert a.call(phone, "GET", "/admin/auth/me") == (401, {"detail": "This session was ended; log in again"})
    assert a.call(laptop, "POST", "/admin/auth/logout")[0] == 204
    assert b.call(laptop, "GET", "/admin/auth/me") == (401, {"detail": "This session was ended; log in again"})


def test_an_api_key_made_on_one_replica_works_on_the_other_until_revoked_there(replicas, server, db):
    a, b = replicas
    admin = a.login()
    status, made = a.call(admin, "POST", "/admin/api-keys", {"name": "backup job", "role": "operator", "expires_in_days": 1})
    assert status == 201, made
    key = made["key"]
    assert b.call(key, "GET", "/admin/game/status")[0] == 200
    # Uses through both replicas within a minute are one recorded use.
    assert a.call(key, "GET", "/admin/game/status")[0] == 200
    with server.connect(db) as conn:
        stored = conn.execute("SELECT key_hash, last_used_at IS NOT NULL FROM admin_api_keys WHERE id = %s",
                              (made["id"],)).fetchone()
        uses = conn.execute("SELECT count(*) FROM admin_audit WHERE action = 'auth.api_key_use'").fetchone()[0]
    assert stored[0] == hashlib.sha256(key.encode()).hexdigest() and key not in stored[0], "only its hash is kept"
    assert stored[1] and uses == 1, (stored, uses)

    assert b.call(admin, "DELETE", f"/admin/api-keys/{made['id']}")[0] == 204
    assert a.call(key, "GET", "/admin/game/status") == (401, {"detail": "This API key was revoked"})

    # Address blocks go through PostgreSQL's inet[] and back: this host's key works, a /24 elsewhere's does not.
    status, here = a.call(admin, "POST", "/admin/api-keys", {"name": "here", "role": "viewer", "expires_in_days": 1,
                                                            "allowed_addresses": ["127.0.0.1", "::1"]})
    assert status == 201 and here["allowed_addresses"] == ["127.0.0.1/32", "::1/128"], here
    status, there = a.call(admin, "POST", "/admin/api-keys", {"name": "there", "role": "viewer", "expires_in_days": 1,
                                                             "allowed_addresses": ["192.0.2.0/24"]})
    assert status == 201, there
    listed = {k["name"]: k["allowed_addresses"] for k in b.call(admin, "GET", "/admin/api-keys")[1]["items"]}
    assert listed["here"] == ["127.0.0.1/32", "::1/128"] and listed["there"] == ["192.0.2.0/24"], listed
    assert b.call(here["key"], "GET", "/admin/game/status")[0] == 200
    assert b.call(there["key"], "GET", "/admin/game/status") == (401, {"detail": "This API key may not be used from this address"})


def test_two_admins_demoting_each_other_through_two_replicas_at_once_leave_one(replicas, server, db):
    a, b = replicas
    admin = a.login()
    survivor_name, survivor_id = "root0", a.create(admin, "root0", "admin")
    survivor = a.login(survivor_name, OTHER_PASSWORD)
    # The bootstrap admin steps aside, so the two of each round are the only enabled admins.
    assert a.call(survivor, "PUT", f"/admin/accounts/{a.call(admin, 'GET', '/admin/auth/me')[1]['id']}/disabled", {"disabled": True})[0] == 200
    outcomes = set()
    for round_ in range(1, 11):
        other_name = f"root{round_}"
        other_id = a.create(survivor, other_name, "admin")
        other = b.login(other_name, OTHER_PASSWORD)
        assert enabled_admins(server, db) == sorted([survivor_name, other_name])
        start = threading.Barrier(2)
        results: dict[str, int] = {}

        def demote(name: str, replica: Replica, token: str, target: str) -> None:
            start.wait()
            results[name] = replica.call(token, "PUT", f"/admin/accounts/{target}/role", {"role": "viewer"})[0]

        threads = [threading.Thread(target=demote, args=(survivor_name, a, survivor, other_id)),
                   threading.Thread(target=demote, args=(other_name, b, other, survivor_id))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        left = enabled_admins(server, db)
        assert len(left) == 1, (round_, results, left)
        winner = left[0]
        loser = other_name if winner == survivor_name else survivor_name
        # The winner's demotion went through; the loser's was refused as the last admin's (409),
        # or its session had already ended when its request came in (401).
        assert results[winner] == 200 and results[loser] in (401, 409), (round_, results)
        outcomes.add(results[loser])
        survivor_name = winner
        survivor_id = survivor_id if winner != other_name else other_id
        survivor = (a if winner != other_name else b).login(winner, OTHER_PASSWORD)
    assert outcomes <= {401, 409}


def test_a_lockout_made_through_both_replicas_holds_on_each_until_an_admin_resets_the_password(replicas, server, db):
    a, b = replicas
    admin = a.login()
    dave_id = a.create(admin, "dave", "viewer")
    # Five failures in a row, alternating replicas: each counts toward the same lockout.
    for attempt in range(5):
        replica = (a, b)[attempt % 2]
        status, _ = http("POST", f"{replica.api}/admin/auth/login", {"username": "dave", "password": f"wrong {attempt}"})
        assert status == 401, attempt
    for replica in (a, b):
        request = urllib.request.Request(f"{replica.api}/admin/auth/login", method="POST",
                                         data=json.dumps({"username": "dave", "password": OTHER_PASSWORD}).encode(),
                                         headers={"content-type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 429
        assert 1 <= int(refused.value.headers["retry-after"]) <= 60
    with server.connect(db) as conn:
        assert conn.execute("SELECT failures, lockouts FROM admin_login_lockouts WHERE username_key = %s",
                            (f"account:{dave_id}",)).fetchone() == (0, 1)
    # A reset through one replica lifts the lockout on the other.
    status, body = a.call(admin, "POST", f"/admin/accounts/{dave_id}/password")
    assert status == 200, body
    b.login("dave", body["one_time_password"])


def test_with_three_admins_two_demoting_each_other_at_once_cannot_both_succeed(replicas, server, db):
    """The bootstrap admin stays an admin, so neither demotion would leave none: only the check
    that the acting admin is still one, inside the locking transaction, stops the second."""
    a, b = replicas
    admin = a.login()
    outcomes = []
    for round_ in range(5):
        x_id, y_id = a.create(admin, f"xadm{round_}", "admin"), a.create(admin, f"yadm{round_}", "admin")
        x, y = a.login(f"xadm{round_}", OTHER_PASSWORD), b.login(f"yadm{round_}", OTHER_PASSWORD)
        start = threading.Barrier(2)
        results: dict[str, int] = {}

        def demote(name: str, replica: Replica, token: str, target: str) -> None:
            start.wait()
            results[name] = replica.call(token, "PUT", f"/admin/accounts/{target}/role", {"role": "viewer"})[0]

        threads = [threading.Thread(target=demote, args=("x", a, x, y_id)), threading.Thread(target=demote, args=("y", b, y, x_id))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(results.values()) == [200, 401], (round_, results)
        left = enabled_admins(server, db)
        assert "admin" in left and len({f"xadm{round_}", f"yadm{round_}"} & set(left)) == 1, (round_, left)
        outcomes.append(results)


def test_a_username_postgresql_cannot_store_is_an_ordinary_wrong_login(replicas):
    a, _ = replicas
    for _ in range(2):
        status, body = http("POST", f"{a.api}/admin/auth/login", {"username": "ad\u0000min", "password": PASSWORD})
        assert (status, body) == (401, {"detail": "Incorrect username or password"})


def test_accounts_outlive_a_restart_of_every_replica(replicas):
    a, b = replicas
    admin = a.login()
    carol_id = a.create(admin, "carol", "viewer")
    carol = a.login("carol", OTHER_PASSWORD)
    for replica in replicas:
        replica.stop()
    for replica in replicas:
        replica.start()
    # The same account, and the token issued before the restart is still in force.
    status, me = b.call(carol, "GET", "/admin/auth/me")
    assert (status, me["id"], me["role"]) == (200, carol_id, "viewer")
    # And the audit log with it.
    status, page = b.call(carol, "GET", "/admin/audit?action=account.create")
    assert status == 200 and [e["target_id"] for e in page["items"]] == [carol_id], page


def test_a_lost_database_is_a_503_with_a_message_and_the_gateway_keeps_serving(replicas, server, db):
    a, _ = replicas
    admin = a.login()
    assert http("GET", f"{a.api}/health/ready")[0] == 200
    with server.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
    status, body = a.call(admin, "GET", "/admin/accounts")
    assert status == 503, body
    assert body == {"detail": "The console's database is unavailable; try again in a moment"}
    # Alive, but not ready: Kubernetes takes the replica out of the Service, it does not restart it.
    assert http("GET", f"{a.api}/health/live")[0] == 200
    assert http("GET", f"{a.api}/health/ready") == (503, {"status": "not_ready", "reason": "the console's database is unreachable"})


def test_a_database_without_the_migrations_is_refused_at_start_up(server: Server, migrated_template: str, tmp_path: Path):
    # migrated_template: the cluster has the galaxy_admin_api role; this database lacks the rest.
    name = server.create_database("seed_only")
    server.seed(name)
    replica = Replica(server, name, REPLICA_PORTS[0], tmp_path)
    result = subprocess.run(replica.command(), env=replica.env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "apply api/migrations/apply.sh" in result.stderr, result.stderr


def audit_rows(server: Server, db: str, where: str = "TRUE") -> list[tuple]:
    with server.connect(db) as conn:
        return conn.execute(f"SELECT id, admin, action, target_id FROM admin_audit WHERE {where} ORDER BY id").fetchall()


def test_both_replicas_write_one_audit_log_in_order_and_each_reads_it_at_once(replicas, server, db):
    a, b = replicas
    admin_a, admin_b = a.login(), b.login()
    alice_id = a.create(admin_a, "alice", "viewer")
    bob_id = b.create(admin_b, "bob", "viewer")
    # Each replica simulates its own game, but the entries land in the one log.
    assert a.call(admin_a, "POST", "/admin/game/pause", {"reason": "through a"})[0] == 200
    assert b.call(admin_b, "POST", "/admin/game/pause", {"reason": "through b"})[0] == 200
    expected = [("game.pause", "through b"), ("game.pause", "through a"), ("account.create", bob_id), ("account.create", alice_id)]
    for replica, token in ((a, admin_a), (b, admin_b)):
        # Read straight after the last write, through either replica: no wait, no poll.
        status, page = replica.call(token, "GET", "/admin/audit?limit=4")
        assert status == 200, page
        got = [(e["action"], e["reason"] if e["action"] == "game.pause" else e["target_id"]) for e in page["items"]]
        assert got == expected, (replica.port, got)
        ids = [e["id"] for e in page["items"]]
        assert ids == sorted(ids, reverse=True) and page["until_id"] == ids[0]
    # Paged by cursor through one replica and continued through the other: no entry twice, none left out.
    status, first = a.call(admin_a, "GET", "/admin/audit?limit=3")
    status, rest = b.call(admin_b, "GET", f"/admin/audit?limit=200&cursor={first['next_cursor']}&until_id={first['until_id']}")
    assert status == 200, rest
    paged = [e["id"] for e in first["items"] + rest["items"]]
    assert paged == [row[0] for row in reversed(audit_rows(server, db))]
    assert rest["has_more"] is False and rest["prev_cursor"] is not None


def test_entries_recorded_while_the_database_is_unreachable_are_written_once_it_is_back(server, db, tmp_path):
    """The gateway's own observations (here a service's new version, through the dev controls)
    happen without the database; their entries wait in the outbox and are written, once each,
    when it answers again."""
    replica = Replica(server, db, REPLICA_PORTS[0], tmp_path, "--dev-controls").start()
    try:
        with server.connect(db) as conn:
            conn.execute(f"ALTER ROLE {APP_ROLE} NOLOGIN")
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (APP_ROLE,))
        try:
            for version in ("1.1.1", "1.1.2"):
                status, body = http("PUT", f"{replica.api}/__dev/services/players", {"version": version})
                assert status == 200, body
            assert http("GET", f"{replica.api}/health/ready")[0] == 503
            assert audit_rows(server, db, "action = 'service.deploy'") == []
        finally:
            with server.connect(db) as conn:
                conn.execute(f"ALTER ROLE {APP_ROLE} LOGIN")
        deadline = time.monotonic() + 20
        while not (rows := audit_rows(server, db, "action = 'service.deploy'")):
            assert time.monotonic() < deadline, replica.log.read_text()
            time.sleep(0.1)
        with server.connect(db) as conn:
            written = conn.execute("SELECT before, after, admin FROM admin_audit WHERE action = 'service.deploy' ORDER BY id").fetchall()
        assert written == [("1.1.0", "1.1.1", "(system)"), ("1.1.1", "1.1.2", "(system)")], written
        # Flushed again by later requests and the background task: still once each.
        for _ in range(3):
            assert http("GET", f"{replica.api}/health/ready")[0] == 200
        assert len(audit_rows(server, db, "action = 'service.deploy'")) == 2
    finally:
        replica.stop()


def test_an_account_change_and_its_audit_entry_are_written_together_or_not_at_all(replicas, server, db):
    """0002_accounts.sql: the entry is written in the change's transaction. With the audit log
    refusing inserts, the change is refused too (503) and nothing of it stays."""
    a, b = replicas
    admin = a.login()
    alice_id = a.create(admin, "alice", "operator")
    with server.connect(db) as conn:
        conn.execute(f"REVOKE INSERT ON admin_audit FROM {APP_ROLE}")
    try:
        for call in (("PUT", f"/admin/accounts/{alice_id}/role", {"role": "viewer"}),
                     ("PUT", f"/admin/accounts/{alice_id}/disabled", {"disabled": True}),
                     ("POST", f"/admin/accounts/{alice_id}/password", None),
                     ("DELETE", f"/admin/accounts/{alice_id}", None),
                     ("POST", "/admin/accounts", {"username": "mallory", "role": "admin", "password": OTHER_PASSWORD})):
            status, body = a.call(admin, *call)
            assert status == 503, (call, status, body)
        with server.connect(db) as conn:
            assert conn.execute("SELECT username, role, disabled, token_version FROM admins WHERE username <> 'admin' ORDER BY username").fetchall() == [("alice", "operator", False, 0)]
        # Her session and password are as they were.
        b.login("alice", OTHER_PASSWORD)
    finally:
        with server.connect(db) as conn:
            conn.execute(f"GRANT INSERT ON admin_audit TO {APP_ROLE}")
    assert a.call(admin, "PUT", f"/admin/accounts/{alice_id}/role", {"role": "viewer"})[0] == 200
    changes = audit_rows(server, db, f"target_id = '{alice_id}'")
    assert [row[2] for row in changes] == ["account.create", "account.role"], changes


def a_player(replica: Replica, token: str) -> str:
    status, page = replica.call(token, "GET", "/admin/players?limit=1&sort=username")
    assert status == 200, page
    return page["items"][0]["id"]


def test_a_ban_or_a_note_through_one_replica_holds_through_the_other_at_once(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    player = a_player(a, token_a)
    status, banned = a.call(token_a, "POST", f"/admin/players/{player}/ban", {"reason": "griefing", "duration_seconds": 3600})
    assert status == 200 and banned["ban"]["reason"] == "griefing", banned
    # Through the other replica, at once: the player's page, the banned filter, and the game's
    # own check at login and WebSocket connect.
    status, seen = b.call(token_b, "GET", f"/admin/players/{player}")
    assert status == 200 and seen["ban"] == banned["ban"], seen
    status, listed = b.call(token_b, "GET", "/admin/players?banned=true")
    assert [p["id"] for p in listed["items"]] == [player], listed
    status, refused = http("POST", f"{b.api}/__dev/players/{player}/sessions")
    assert (status, refused["code"], refused["reason"]) == (403, "player_banned", "griefing"), refused
    # A note through one replica is on the player's page through the other.
    assert a.call(token_a, "POST", f"/admin/players/{player}/notes", {"text": "warned twice"})[0] == 201
    status, notes = b.call(token_b, "GET", f"/admin/players/{player}/notes")
    assert [n["text"] for n in notes["items"]] == ["warned twice"], notes
    # Lifted through the second replica: the first lets the player in again, and the lift is
    # on the first's timeline of the player.
    assert b.call(token_b, "DELETE", f"/admin/players/{player}/ban")[0] == 200
    assert a.call(token_a, "GET", f"/admin/players/{player}")[1]["ban"] is None
    assert http("POST", f"{a.api}/__dev/players/{player}/sessions")[0] == 201
    status, timeline = a.call(token_a, "GET", f"/admin/players/{player}/timeline")
    assert [e["action"] for e in timeline["items"]] == ["player.unban", "player.note", "player.ban"], timeline
    with server.connect(db) as conn:
        assert conn.execute("SELECT end_reason, ended_by FROM player_bans WHERE player_id = %s", (player,)).fetchall() == [("lifted", "admin")]


def test_a_ban_expiry_both_replicas_notice_at_once_is_recorded_once(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    status, page = a.call(token_a, "GET", "/admin/players?limit=20&sort=username")
    players = [p["id"] for p in page["items"]]
    for player in players:
        status, body = a.call(token_a, "POST", f"/admin/players/{player}/ban", {"reason": "spam", "duration_seconds": 60})
        assert status == 200, body
    # Each replica's ban clock passes the bans' end at the same moment, and each then reads the
    # players over and over from several threads: every read sweeps the ended bans.
    start = threading.Barrier(6)
    errors: list[object] = []

    def notice(replica: Replica, token: str, advance: bool) -> None:
        start.wait()
        try:
            if advance:
                status, body = http("POST", f"{replica.api}/__dev/clock", {"advance_seconds": 61})
                assert status == 200, body
            for _ in range(5):
                status, body = replica.call(token, "GET", "/admin/players?banned=false&limit=5")
                assert status == 200, body
        except Exception as error:  # noqa: BLE001 - any failure of a thread fails the test
            errors.append(error)

    threads = [threading.Thread(target=notice, args=(replica, token, advance))
               for replica, token in ((a, token_a), (b, token_b)) for advance in (True, False, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    with server.connect(db) as conn:
        expired = conn.execute("SELECT target_id, count(*) FROM admin_audit WHERE action = 'player.ban_expired' GROUP BY target_id").fetchall()
        bans = conn.execute("SELECT DISTINCT end_reason FROM player_bans").fetchall()
    assert sorted(expired) == sorted((player, 1) for player in players), expired
    assert bans == [("expired",)]
    for replica, token in ((a, token_a), (b, token_b)):
        status, listed = replica.call(token, "GET", "/admin/players?banned=true")
        assert (status, listed["items"]) == (200, []), listed


def test_a_player_deleted_through_one_replica_is_gone_from_the_other_at_once(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    status, first = b.call(token_b, "GET", "/admin/players?limit=3")
    assert status == 200 and first["total"] == 250, first
    doomed = first["items"][1]["id"]
    assert a.call(token_a, "DELETE", f"/admin/players/{doomed}")[0] == 204
    # Through the other replica: the page, the list and its total, the search, a ban.
    assert b.call(token_b, "GET", f"/admin/players/{doomed}")[0] == 404
    status, after = b.call(token_b, "GET", "/admin/players?limit=3")
    assert after["total"] == 249 and doomed not in [p["id"] for p in after["items"]], after
    name = first["items"][1]["username"]
    assert b.call(token_b, "GET", f"/admin/players?search={name}")[1]["items"] == []
    status, body = b.call(token_b, "POST", f"/admin/players/{doomed}/ban", {"reason": "x", "duration_seconds": None})
    assert status == 404, body
    # Paged through both replicas by the same cursors: the same rows.
    status, page_a = a.call(token_a, "GET", "/admin/players?limit=50&sort=created_at&order=desc")
    status, next_b = b.call(token_b, "GET", f"/admin/players?limit=50&sort=created_at&order=desc&cursor={page_a['next_cursor']}")
    status, next_a = a.call(token_a, "GET", f"/admin/players?limit=50&sort=created_at&order=desc&cursor={page_a['next_cursor']}")
    assert next_b["items"] == next_a["items"] and len(next_b["items"]) == 50
    with server.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM players WHERE id = %s", (doomed,)).fetchone() == (0,)
