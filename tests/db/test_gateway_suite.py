"""The reference gateway's own integration tests (gateway/tests, the ones `cargo test` runs in
memory in the unit stage) again with its accounts, login limit, audit log, bans and notes on
this PostgreSQL: every gateway a test starts gets a fresh copy of the migrated database, with
the players it simulates written into `players`, and connects to it as `galaxy_admin_api`
(gateway/tests/common/mod.rs, `postgres_state`). The same assertions must
hold whichever store the gateway uses."""

from __future__ import annotations

import os
import re
import subprocess

from conftest import PORT, ROOT, Server


def test_the_gateway_integration_tests_pass_with_accounts_on_postgresql(server: Server, migrated_template: str):
    env = {**os.environ, "GATEWAY_TEST_POSTGRES": f"host={server.socket} port={PORT}", "GATEWAY_TEST_TEMPLATE": migrated_template}
    # As the unit stage runs them: the tests of where secrets come from must see no secrets.
    for name in ("GALAXY_ADMIN_USERNAME", "GALAXY_ADMIN_PASSWORD", "JWT_SECRET_KEY"):
        env.pop(name, None)
    result = subprocess.run(["cargo", "test", "--quiet", "-p", "galaxy-gateway", "--test", "*"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=1200)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    passed = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", output))
    assert passed > 100, output[-4000:]
    with server.connect("postgres") as conn:
        copies = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'gw\\_%'").fetchone()[0]
    # Each gateway had its own database: the suite really ran on PostgreSQL.
    assert copies > 50, copies
    print(f"{passed} gateway tests passed on PostgreSQL, {copies} databases")
