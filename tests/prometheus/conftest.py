"""A real Prometheus (Debian's package, installed by scripts/bootstrap.sh) scraping a real
reference gateway every second, for the history read from Prometheus (gateway/src/store/prometheus.rs).

Prometheus runs in a temporary directory for the test session and is stopped at its end,
always. As root it runs as `nobody` (setpriv, no extra process), in a directory that user
owns. It listens on 127.0.0.1 only, on PROMETHEUS_PORT, and scrapes `/metrics` of the gateway
on GATEWAY_PORT: each test starts (and restarts) its gateway there. Both are children of
pytest in its process group: when the stage's time limit or Ctrl-C signals the group, they
get the signal too.

The gateway is the release build scripts/test.sh makes (GATEWAY_BIN names another).
Every wait polls a condition under a deadline; none sleeps for a fixed time to let
something happen."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from reference_gateway import gateway_bin, http  # noqa: E402
from teardown import sigterm_as_interrupt  # noqa: E402

PROMETHEUS_PORT = int(os.environ.get("PROMETHEUS_TEST_PORT", "28160"))
GATEWAY_PORT = int(os.environ.get("PROMETHEUS_TEST_GATEWAY_PORT", "28161"))
# Nothing listens here: the gateway's Prometheus when Prometheus is down.
CLOSED_PORT = int(os.environ.get("PROMETHEUS_TEST_CLOSED_PORT", "28162"))
SCRAPE_SECONDS = 1
JOB = "api-gateway"


def wait_until(what: str, check, timeout: float = 60, every: float = 0.2):
    """Polls `check` until it returns something truthy, which it returns; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def unprivileged() -> str | None:
    """The user to run Prometheus as when we are root; None otherwise."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam("nobody")
    return "nobody"


class Prometheus:
    def __init__(self) -> None:
        self.bin = os.environ.get("PROMETHEUS_BIN") or shutil.which("prometheus") or "/usr/bin/prometheus"
        if not Path(self.bin).exists():
            pytest.fail("Prometheus is not installed: run scripts/bootstrap.sh (Debian's prometheus)")
        self.user = unprivileged()
        self.dir = Path(tempfile.mkdtemp(prefix="galaxy-prometheus-"))
        self.url = f"http://127.0.0.1:{PROMETHEUS_PORT}"
        self.log = self.dir / "prometheus.log"
        (self.dir / "prometheus.yml").write_text(
            "global:\n"
            f"  scrape_interval: {SCRAPE_SECONDS}s\n"
            f"  scrape_timeout: {SCRAPE_SECONDS}s\n"
            "scrape_configs:\n"
            f"  - job_name: {JOB}\n"
            "    metrics_path: /metrics\n"
            "    static_configs:\n"
            f"      - targets: ['127.0.0.1:{GATEWAY_PORT}']\n")
        (self.dir / "data").mkdir()
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in (self.dir, self.dir / "data", self.dir / "prometheus.yml"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [self.bin, f"--config.file={self.dir / 'prometheus.yml'}", f"--storage.tsdb.path={self.dir / 'data'}",
                   f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}", "--log.level=warn"]
        if self.user:
            command = ["setpriv", f"--reuid={self.user}", "--regid=nogroup", "--clear-groups", "--", *command]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)

        def ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"Prometheus exited:\n{self.log.read_text()}")
            try:
                return http("GET", f"{self.url}/-/ready", timeout=2)[0] == 200
            except OSError:
                return False

        wait_until("Prometheus to be ready", ready, timeout=60)

    def stop(self) -> None:
        try:
            if self.process and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def query(self, expression: str, at: float | None = None) -> list:
        """The result of an instant query (a vector, or a matrix for a range selector)."""
        params = {"query": expression}
        if at is not None:
            params["time"] = f"{at:.3f}"
        status, body = http("GET", f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}")
        assert status == 200 and body["status"] == "success", body
        return body["data"]["result"]

    def samples(self, metric: str, seconds: int, at: float) -> list[tuple[float, float]]:
        """Every raw sample of `metric` (all its series) in the `seconds` before `at`, by time."""
        found = [(float(t), float(v)) for series in self.query(f"{metric}[{seconds}s]", at) for t, v in series["values"]]
        return sorted(found)


class Gateway:
    """A reference gateway process on GATEWAY_PORT, its history read from `prometheus_url`."""

    password = f"test-{secrets.token_hex(8)}"
    jwt_key = secrets.token_hex(32)

    def __init__(self, directory: Path, prometheus_url: str, *extra: str) -> None:
        self.base = f"http://127.0.0.1:{GATEWAY_PORT}"
        self.api = f"{self.base}/api"
        self.args = [str(gateway_bin("prometheus")), "--listen", f"127.0.0.1:{GATEWAY_PORT}", "--dev-controls",
                     "--prometheus-url", prometheus_url, "--prometheus-scrape-secs", str(SCRAPE_SECONDS),
                     "--password-hash-memory-kib", "1024", *extra]
        self.dir = directory
        self.starts = 0
        self.process: subprocess.Popen | None = None
        self.token: str | None = None

    def start(self) -> None:
        self.starts += 1
        log = open(self.dir / f"gateway-{GATEWAY_PORT}-{self.starts}.log", "w")
        # The bootstrap admin signs in with its password alone (no second factor required).
        env = {**os.environ, "GALAXY_ADMIN_USERNAME": "admin", "GALAXY_ADMIN_PASSWORD": self.password,
               "JWT_SECRET_KEY": self.jwt_key, "SECOND_FACTOR_ROLES": "none",
               "CONFIRM_DANGEROUS_ACTIONS": "false"}
        env.pop("GALAXY_PROMETHEUS_URL", None)
        with log:
            self.process = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, env=env)

        def live():
            if self.process.poll() is not None:
                raise RuntimeError(f"the gateway exited: {(self.dir / f'gateway-{GATEWAY_PORT}-{self.starts}.log').read_text()}")
            try:
                return http("GET", f"{self.api}/health/live", timeout=2)[0] == 200
            except OSError:
                return False

        wait_until("the gateway to listen", live, timeout=30)
        status, body = http("POST", f"{self.api}/admin/auth/login", {"username": "admin", "password": self.password})
        assert status == 200, body
        self.token = body["access_token"]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        return http(method, f"{self.api}{path}", body, self.token)

    def history(self, query: str) -> dict:
        status, body = self.call("GET", f"/admin/metrics/history?{query}")
        assert status == 200, body
        return body


@pytest.fixture(scope="session")
def prometheus():
    with sigterm_as_interrupt():
        server = Prometheus()
        try:
            server.start()
            yield server
        finally:
            server.stop()


@pytest.fixture
def gateway_factory(tmp_path):
    """Makes gateways on GATEWAY_PORT (one at a time) and always stops them."""
    made: list[Gateway] = []

    def make(prometheus_url: str, *extra: str) -> Gateway:
        gateway = Gateway(tmp_path, prometheus_url, *extra)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.stop()
