"""A real PostgreSQL for the migrations' tests: Debian's server (postgresql-15 and its contrib
for pg_trgm, installed by scripts/bootstrap.sh), started in a temporary directory for the test
session and stopped at its end, always.

PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user that
Debian's package creates (or `galaxy-test`, created when neither exists), in a directory it
owns. It listens on no TCP address, only on a Unix socket inside that directory, so it can
neither clash with nor be reached by anything else on the machine. It is a child of pytest in
pytest's process group (started directly, not through pg_ctl, which detaches it): when the
stage's time limit or Ctrl-C signals the group, the server gets the signal too and shuts down. The cluster's superuser is
`galaxy` and the database `galaxy`, as the postgres StatefulSet of Galaxy's spec creates them
(POSTGRES_USER, POSTGRES_DB)."""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "api" / "migrations"
sys.path.insert(0, str(ROOT / "tests"))
from teardown import sigterm_as_interrupt  # noqa: E402
SEED = Path(__file__).resolve().parent / "galaxy-seed-01-schema.sql"
OWNER = "galaxy"
APP_ROLE = "galaxy_admin_api"
# Only names the socket file (.s.PGSQL.28150) inside the private directory: no TCP listener.
PORT = 28150


def bindir() -> Path:
    """Debian keeps the server's programs out of PATH, under /usr/lib/postgresql/<major>/bin."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    pytest.fail("PostgreSQL's server is not installed: run scripts/bootstrap.sh (Debian's postgresql, postgresql-contrib)")


def server_user() -> str | None:
    """The unprivileged user to run the server as, when we are root; None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "galaxy-test"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "galaxy-test"], check=True)
    return "galaxy-test"


class Server:
    def __init__(self) -> None:
        self.bin = bindir()
        self.user = server_user()
        self.dir = Path(tempfile.mkdtemp(prefix="galaxy-db-"))
        self.data = self.dir / "data"
        self.socket = self.dir / "socket"
        self.log = self.dir / "server.log"
        self.socket.mkdir()
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in (self.dir, self.socket):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.process: subprocess.Popen | None = None

    def as_server(self, *args: str) -> list[str]:
        """The command, run as the server's user when we are root (setpriv execs: no extra process)."""
        if not self.user:
            return list(args)
        return ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups", "--", *args]

    def start(self) -> None:
        subprocess.run(self.as_server(str(self.bin / "initdb"), "-D", str(self.data), "-U", OWNER, "--auth=trust",
                                      "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"),
                       check=True, capture_output=True, text=True, cwd=self.dir)
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                self.as_server(str(self.bin / "postgres"), "-D", str(self.data), "-k", str(self.socket), "-p", str(PORT),
                               "-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off"),
                stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(host=str(self.socket), port=PORT, user=OWNER, dbname="postgres", connect_timeout=5).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start:\n{self.log.read_text()}")
                time.sleep(0.1)

    def stop(self) -> None:
        try:
            if self.process and self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)  # fast shutdown: ends sessions, then stops
                try:
                    self.process.wait(30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def env(self, user: str = OWNER, dbname: str = "galaxy") -> dict[str, str]:
        """psql's environment for this server."""
        return {**os.environ, "PGHOST": str(self.socket), "PGPORT": str(PORT), "PGUSER": user, "PGDATABASE": dbname}

    def connect(self, dbname: str, user: str = OWNER, autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(host=str(self.socket), port=PORT, user=user, dbname=dbname, autocommit=autocommit)

    def psql(self, dbname: str, *args: str, user: str = OWNER) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", *args],
                              env=self.env(user, dbname), capture_output=True, text=True)

    def create_database(self, name: str, template: str = "template1") -> str:
        with self.connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" OWNER {OWNER} TEMPLATE "{template}"')
        return name

    def seed(self, dbname: str) -> None:
        result = self.psql(dbname, "-f", str(SEED))
        assert result.returncode == 0, result.stderr

    def migrate(self, dbname: str) -> subprocess.CompletedProcess:
        """api/migrations/apply.sh, as Galaxy's migration job would run it."""
        return subprocess.run([str(MIGRATIONS / "apply.sh")], env={**self.env(OWNER, dbname), "PATH": f"{self.bin}:{os.environ['PATH']}"},
                              capture_output=True, text=True)


@pytest.fixture(scope="session")
def server():
    with sigterm_as_interrupt():
        srv = Server()
        try:
            srv.start()
            yield srv
        finally:
            srv.stop()


@pytest.fixture(scope="session")
def migrated_template(server: Server) -> str:
    """A database with the seed and every migration applied, copied by each test that writes."""
    name = server.create_database("galaxy_migrated")
    server.seed(name)
    result = server.migrate(name)
    assert result.returncode == 0, result.stderr
    return name


@pytest.fixture
def db(server: Server, migrated_template: str, request) -> str:
    """A fresh copy of the migrated database for one test."""
    return server.create_database(re.sub(r"[^a-z0-9_]", "_", f"t_{request.node.name}".lower())[:60], template=migrated_template)
