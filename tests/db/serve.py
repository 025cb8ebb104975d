"""A PostgreSQL for the stages that run a gateway on it (scripts/test.sh contract and
conformance): Debian's server started as tests/db/conftest.py starts it (unprivileged, on a
socket in a temporary directory, never on TCP), a database `galaxy` with Galaxy's seed schema and
api/migrations applied and the gateway's default seeded players in `players` (written by the
release gateway's --seed-database-players), and the gateway's libpq connection settings (as
`galaxy_admin_api`) written to READY_FILE. Runs until SIGTERM or SIGINT, then stops the server and removes its
directory.

    .venv/bin/python tests/db/serve.py READY_FILE"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from conftest import APP_ROLE, OWNER, PORT, ROOT, Server

sys.path.insert(0, str(ROOT / "tests"))
from reference_gateway import gateway_bin  # noqa: E402


def main(ready_file: Path) -> int:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = Server()
    try:
        server.start()
        server.create_database("galaxy")
        server.seed("galaxy")
        migrated = server.migrate("galaxy")
        if migrated.returncode != 0:
            print(migrated.stderr, file=sys.stderr)
            return 1
        owner = f"host={server.socket} port={PORT} user={OWNER} dbname=galaxy"
        subprocess.run([str(gateway_bin("build")), "--seed-database-players", "--database-url", owner], check=True)
        print(f"PostgreSQL on {server.socket} (port {PORT}), database galaxy migrated", file=sys.stderr, flush=True)
        ready_file.write_text(f"host={server.socket} port={PORT} user={APP_ROLE} dbname=galaxy\n")
        stop.wait()
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
