"""The contract's paging queries on Galaxy's PostgreSQL at scale: prints figures, asserts nothing
(these machines are noisy). Started by scripts/bench-postgres.sh.

A PostgreSQL started as tests/db starts it (Debian's 15, unprivileged, socket only), Galaxy's
seed schema and api/migrations, then PLAYERS players and AUDIT_ROWS audit entries generated in
the database (the audit ids through the migrations' own trigger). Each query below is the one
`api/migrations/` documents for the console's pages, run as `galaxy_admin_api` over the
socket; for the 1000th page the cursor is the last row of the 999th, as the dashboard would
hold it. Each is timed RUNS times (client-side, one round trip each) and reported as p50/p95.

Writes bench/results/postgres.md and prints it."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "db"))

from conftest import APP_ROLE, Server  # noqa: E402

PLAYERS = int(os.environ.get("BENCH_PLAYERS", "1000000"))
AUDIT_ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", "10000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "50"))
PAGE = 50
DEEP = 1000  # the page number the issue asks about


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
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / "postgres.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
