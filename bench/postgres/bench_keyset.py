"""The contract's paging queries on Galaxy's PostgreSQL at scale: prints figures, asserts nothing
(these machines are noisy). Started by scripts/bench-postgres.sh.

A PostgreSQL started as tests/db starts it (Debian's 15, unprivileged, socket only), Galaxy's
seed schema and api/migrations, then PLAYERS players and AUDIT_ROWS audit entries generated in
the database (the audit ids through the migrations' own trigger). Each query below is the one
`api/migrations/` documents for the console's pages, run as `galaxy_admin_api` over the
socket; for the 1000th page the cursor is the last row of the 999th, as the dashboard would
hold it. Each is timed RUNS times (client-side, one round trip each) and reported as p50/p95.

Then the same log through the release reference gateway (`--database-url`, as
`galaxy_admin_api`): audit pages over HTTP, first and 1000th by the cursors the gateway hands
out (page 1000 reached by following `next_cursor` 999 times, as the dashboard would), and a
streamed CSV export of 1,000,000 entries with the gateway's peak resident memory (VmHWM) before
and after. Then the players list through the gateway (served from `players`), first page, page 1000 by
cursor, and a search.

Writes bench/results/postgres.md and prints it."""

from __future__ import annotations

import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "db"))

from conftest import APP_ROLE, OWNER, PORT, Server  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from reference_gateway import gateway_bin, http  # noqa: E402

PLAYERS = int(os.environ.get("BENCH_PLAYERS", "1000000"))
AUDIT_ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", "10000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "50"))
PAGE = 50
DEEP = 1000  # the page number the issue asks about
EXPORT_ROWS = min(1_000_000, AUDIT_ROWS)  # the gateway's default export cap


def say(text: str) -> None:
    print(f"==> {text}", file=sys.stderr, flush=True)


def timed(conn, sql: str, params=()) -> tuple[list[float], list]:
    conn.execute(sql, params).fetchall()  # warm: plans and pages cached, as on a live server
    times = []
    rows = []
    for _ in range(RUNS):
        start = time.perf_counter()
        rows = conn.execute(sql, params).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    return times, rows


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def generate(server: Server, db: str) -> dict[str, float]:
    spent = {}
    with server.connect(db) as conn:
        start = time.monotonic()
        say(f"Generating {PLAYERS:,} players")
        conn.execute("""INSERT INTO players (username, password_hash, created_at)
                        SELECT 'pilot_' || g, 'x', TIMESTAMPTZ '2026-01-01' + g * INTERVAL '1 second'
                        FROM generate_series(1, %s) g""", (PLAYERS,))
        spent["players"] = time.monotonic() - start
        start = time.monotonic()
        say(f"Generating {AUDIT_ROWS:,} audit entries (ids by the migrations' trigger)")
        step = 1_000_000
        for first in range(1, AUDIT_ROWS + 1, step):
            last = min(AUDIT_ROWS, first + step - 1)
            conn.execute("""INSERT INTO admin_audit (at, tick, admin, admin_id, role, action, target_type, target_id, target, detail)
                            SELECT TIMESTAMPTZ '2026-01-01' + g * INTERVAL '1 second', g,
                                   (ARRAY['alice', 'bob', 'carol', 'dave'])[1 + g %% 4],
                                   '00000000-0000-4000-8000-000000000001', 'operator',
                                   (ARRAY['player.ban', 'player.kick', 'config.update', 'game.pause', 'player.note'])[1 + g %% 5],
                                   'player', gen_random_uuid()::text, 'pilot_' || (g %% %s + 1), 'generated'
                            FROM generate_series(%s, %s) g""", (PLAYERS, first, last))
            say(f"  {last:,} entries")
        spent["audit"] = time.monotonic() - start
        say("ANALYZE")
        conn.execute("ANALYZE")
    return spent


def measure(server: Server, db: str) -> list[tuple[str, str, list[float], int]]:
    results = []
    with server.connect(db, user=APP_ROLE) as conn:
        def run(name: str, query: str, sql: str, params=()):
            times, rows = timed(conn, sql, params)
            results.append((name, query, times, len(rows)))
            say(f"{name}: p50 {p(times, 0.5):.2f} ms, p95 {p(times, 0.95):.2f} ms ({len(rows)} rows)")
            return rows

        players = "SELECT id, username, created_at FROM players"
        run("players, first page", "ORDER BY username, id", f"{players} ORDER BY username, id LIMIT {PAGE}")
        cursor = conn.execute(f"SELECT username, id FROM players ORDER BY username, id OFFSET {(DEEP - 1) * PAGE - 1} LIMIT 1").fetchone()
        run(f"players, page {DEEP} by cursor", "WHERE (username, id) > (…) ORDER BY username, id",
            f"{players} WHERE (username, id) > (%s, %s) ORDER BY username, id LIMIT {PAGE}", cursor)
        run("players, newest first, first page", "ORDER BY created_at DESC, id DESC",
            f"{players} ORDER BY created_at DESC, id DESC LIMIT {PAGE}")
        search = "%ot_12%"
        run("players search 'ot_12', first page", "WHERE username ILIKE '%ot\\_12%' ORDER BY username, id",
            f"{players} WHERE username ILIKE %s ORDER BY username, id LIMIT {PAGE}", (search.replace("_", "\\_"),))
        run("players, total capped at 10 000", "count(*) of LIMIT 10001",
            "SELECT count(*) FROM (SELECT 1 FROM players LIMIT 10001) t")

        until = conn.execute("SELECT max(id) FROM admin_audit").fetchone()[0]
        audit = "SELECT id, at, admin, role, action, target_type, target_id, target, detail FROM admin_audit"
        run("audit, first page", "WHERE id <= until ORDER BY id DESC",
            f"{audit} WHERE id <= %s ORDER BY id DESC LIMIT {PAGE}", (until,))
        deep = conn.execute(f"SELECT id FROM admin_audit WHERE id <= %s ORDER BY id DESC OFFSET {(DEEP - 1) * PAGE - 1} LIMIT 1", (until,)).fetchone()[0]
        run(f"audit, page {DEEP} by cursor", "WHERE id <= until AND id < cursor ORDER BY id DESC",
            f"{audit} WHERE id <= %s AND id < %s ORDER BY id DESC LIMIT {PAGE}", (until, deep))
        run("audit, action family 'config', first page", "WHERE action_family = 'config' …",
            f"{audit} WHERE id <= %s AND action_family = 'config' ORDER BY id DESC LIMIT {PAGE}", (until,))
        deep_family = conn.execute(f"SELECT id FROM admin_audit WHERE id <= %s AND action_family = 'config' ORDER BY id DESC OFFSET {(DEEP - 1) * PAGE - 1} LIMIT 1", (until,)).fetchone()
        if deep_family:  # a fifth of the entries: page 1000 exists from 250,000 entries on
            run(f"audit, action family 'config', page {DEEP} by cursor", "… AND id < cursor",
                f"{audit} WHERE id <= %s AND id < %s AND action_family = 'config' ORDER BY id DESC LIMIT {PAGE}", (until, deep_family[0]))
        run("audit, actor 'carol', first page", "WHERE lower(admin) = 'carol' …",
            f"{audit} WHERE id <= %s AND lower(admin) = 'carol' ORDER BY id DESC LIMIT {PAGE}", (until,))
        run("audit, target contains 'pilot_4242', first page", "WHERE target ILIKE … OR target_id ILIKE …",
            f"{audit} WHERE id <= %s AND (target ILIKE %s OR target_id ILIKE %s) ORDER BY id DESC LIMIT {PAGE}",
            (until, "%pilot\\_4242%", "%pilot\\_4242%"))
        run("audit, total capped at 10 000", "count(*) of LIMIT 10001",
            "SELECT count(*) FROM (SELECT 1 FROM admin_audit WHERE id <= %s LIMIT 10001) t", (until,))
    return results


def stream_export(api: str, path: str, token: str, pid: int):
    """Reads one CSV export to its end: its bytes, its lines, the seconds it took, and the
    gateway's (resident, peak) memory in KiB before and after."""
    before = rss_peak_kib(pid)
    request = urllib.request.Request(f"{api}{path}", headers={"authorization": f"Bearer {token}"})
    start = time.perf_counter()
    size = lines = 0
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(1 << 20):
            size += len(chunk)
            lines += chunk.count(b"\n")
    return size, lines, time.perf_counter() - start, before, rss_peak_kib(pid)


GATEWAY_PORT = 28064  # below the ephemeral range, like the other bench ports
ADMIN_PASSWORD = "bench-" + os.urandom(6).hex()


def rss_peak_kib(pid: int) -> tuple[int, int]:
    """The process's resident memory now and at its peak, in KiB (/proc/PID/status)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def measure_gateway(server: Server, db: str, tmp: Path) -> tuple[list[tuple[str, str, list[float], int]], list[str]]:
    """Audit pages and an export through the release gateway on the bench's database."""
    import subprocess

    results: list[tuple[str, str, list[float], int]] = []
    notes: list[str] = []
    api = f"http://127.0.0.1:{GATEWAY_PORT}/api"
    env = {**os.environ, "GALAXY_ADMIN_USERNAME": "admin", "GALAXY_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "JWT_SECRET_KEY": os.urandom(32).hex(), "RUST_LOG": "warn", "SECOND_FACTOR_ROLES": "none",
           "CONFIRM_DANGEROUS_ACTIONS": "false"}
    url = f"host={server.socket} port={PORT} user={APP_ROLE} dbname={db}"
    log = open(tmp / "gateway.log", "w")
    gateway = subprocess.Popen([str(gateway_bin("bench")), "--listen", f"127.0.0.1:{GATEWAY_PORT}", "--database-url", url,
                                "--password-hash-memory-kib", "1024", "--password-hash-iterations", "1"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if http("GET", f"{api}/health/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if gateway.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not start: {(tmp / 'gateway.log').read_text()}")
            time.sleep(0.2)
        status, body = http("POST", f"{api}/admin/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        assert status == 200, body
        token = body["access_token"]

        def get(path: str) -> dict:
            status, body = http("GET", f"{api}{path}", token=token, timeout=30)
            assert status == 200, (path, status, body)
            return body

        def run(name: str, query: str, path: str) -> dict:
            get(path)  # warm
            times, body = [], {}
            for _ in range(RUNS):
                start = time.perf_counter()
                body = get(path)
                times.append((time.perf_counter() - start) * 1000)
            results.append((name, query, times, len(body["items"])))
            say(f"gateway {name}: p50 {p(times, 0.5):.2f} ms, p95 {p(times, 0.95):.2f} ms")
            return body

        first = run("audit, first page", f"GET /admin/audit?limit={PAGE}", f"/admin/audit?limit={PAGE}")
        say(f"Following next_cursor to page {DEEP}")
        page, until = first, first["until_id"]
        for _ in range(DEEP - 1):
            page = get(f"/admin/audit?limit={PAGE}&until_id={until}&cursor={urllib.parse.quote(page['next_cursor'])}")
        cursor = urllib.parse.quote(page["prev_cursor"])  # page 1000 again, from page 999's side
        previous = get(f"/admin/audit?limit={PAGE}&until_id={until}&cursor={cursor}")
        cursor = urllib.parse.quote(previous["next_cursor"])
        deep = run(f"audit, page {DEEP} by cursor", "GET …&cursor=<next_cursor of page 999>",
                   f"/admin/audit?limit={PAGE}&until_id={until}&cursor={cursor}")
        assert [e["id"] for e in deep["items"]] == [e["id"] for e in page["items"]]
        run("audit, action family 'config', first page", "GET …&action=config", f"/admin/audit?limit={PAGE}&action=config")
        run("audit, actor 'carol', first page", "GET …&actor=carol", f"/admin/audit?limit={PAGE}&actor=carol")
        run("players banned now (bans from player_bans)", "GET /admin/players?banned=true", "/admin/players?banned=true")
        players = run("players, first page", f"GET /admin/players?limit={PAGE}", f"/admin/players?limit={PAGE}")
        say(f"Following the players' next_cursor to page {DEEP}")
        page = players
        for _ in range(DEEP - 2):
            page = get(f"/admin/players?limit={PAGE}&cursor={urllib.parse.quote(page['next_cursor'])}")
        run(f"players, page {DEEP} by cursor", "GET …&cursor=<next_cursor of page 999>",
            f"/admin/players?limit={PAGE}&cursor={urllib.parse.quote(page['next_cursor'])}")
        run("players search 'ot_12', first page", "GET …&search=ot_12", f"/admin/players?limit={PAGE}&search=ot_12")

        # The newest EXPORT_ROWS entries: ids and times rise together, so the export's chunks (by
        # id, newest first) are index range scans on the primary key.
        with server.connect(db) as conn:
            since = conn.execute("SELECT at FROM admin_audit WHERE id <= %s ORDER BY id DESC OFFSET %s LIMIT 1",
                                 (until, EXPORT_ROWS - 1)).fetchone()[0]
        query = urllib.parse.urlencode({"from": since.isoformat().replace("+00:00", "Z"), "until_id": until})
        size, lines, spent, before, after = stream_export(api, f"/admin/audit/export?{query}", token, gateway.pid)
        notes.append(f"Export of {lines - 1:,} audit entries through the gateway (`GET /admin/audit/export?from=…`): "
                     f"{size / 1e6:.0f} MB of CSV in {spent:.1f} s; the gateway's resident memory {before[0] / 1024:.1f} MiB before "
                     f"(peak {before[1] / 1024:.1f} MiB) and {after[0] / 1024:.1f} MiB after (peak {after[1] / 1024:.1f} MiB).")
        say(notes[-1])
        if PLAYERS <= 1_000_000:  # the gateway's default export cap
            size, lines, spent, before, after = stream_export(api, "/admin/players/export", token, gateway.pid)
            notes.append(f"Export of all {lines - 1:,} players through the gateway (`GET /admin/players/export`, keyset "
                         f"chunks of 1000 from `players`): {size / 1e6:.0f} MB of CSV in {spent:.1f} s; the gateway's resident "
                         f"memory {before[0] / 1024:.1f} MiB before and {after[0] / 1024:.1f} MiB after (peak {after[1] / 1024:.1f} MiB).")
            say(notes[-1])
    finally:
        gateway.terminate()
        gateway.wait(15)
        log.close()
    return results, notes


def main() -> int:
    server = Server()
    try:
        say("Starting PostgreSQL (Debian's, in a temporary directory)")
        server.start()
        db = server.create_database("galaxy")
        server.seed(db)
        migrated = server.migrate(db)
        assert migrated.returncode == 0, migrated.stderr
        spent = generate(server, db)
        with server.connect(db) as conn:
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        results = measure(server, db)
        import tempfile
        with tempfile.TemporaryDirectory(prefix="galaxy-bench-") as tmp:
            gateway_results, gateway_notes = measure_gateway(server, db, Path(tmp))
    finally:
        server.stop()
    lines = [
        "# Paging queries on PostgreSQL at scale",
        "",
        f"{PLAYERS:,} players and {AUDIT_ROWS:,} audit entries on Debian's PostgreSQL 15 (fsync off), "
        f"Galaxy's seed schema and api/migrations, {size} in all; generated in {spent['players']:.0f} s "
        f"(players) and {spent['audit']:.0f} s (audit, ids through the migrations' trigger, with every index "
        f"in place). Each query as `galaxy_admin_api` over the socket, {RUNS} runs after one warm-up, "
        f"{PAGE} rows a page; the cursor of page {DEEP} is the last row of page {DEEP - 1}.",
        "",
        "| Page | Query | p50 (ms) | p95 (ms) | Rows |",
        "|---|---|---:|---:|---:|",
    ]
    for name, query, times, rows in results:
        lines.append(f"| {name} | `{query}` | {p(times, 0.5):.2f} | {p(times, 0.95):.2f} | {rows} |")
    lines += [
        "",
        "## Through the reference gateway",
        "",
        f"The release gateway with `--database-url` as `galaxy_admin_api`, over plain HTTP on loopback; {RUNS} requests "
        "after one warm-up, timed by the client (the whole request: the token check against `admins`, the capped total, "
        "the page and its probe for the other side).",
        "",
        "| Page | Request | p50 (ms) | p95 (ms) | Rows |",
        "|---|---|---:|---:|---:|",
    ]
    for name, query, times, rows in gateway_results:
        lines.append(f"| {name} | `{query}` | {p(times, 0.5):.2f} | {p(times, 0.95):.2f} | {rows} |")
    lines += [""] + gateway_notes
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / "postgres.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
