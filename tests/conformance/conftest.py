"""The conformance kit's settings and shared fixtures. Run it through scripts/conformance.sh.

  --gateway URL   the API base URL (for example https://galaxy.example/api)
  --mutating      also run the checks that change state (a disposable environment only)
  --ca FILE       a CA bundle (PEM) to trust, for a self-signed development certificate

Accounts come from the environment: GALAXY_CONFORMANCE_USERNAME / _PASSWORD (an admin, required),
and optionally GALAXY_CONFORMANCE_OPERATOR_USERNAME / _PASSWORD and
GALAXY_CONFORMANCE_VIEWER_USERNAME / _PASSWORD. Without those, the mutating mode creates an
operator and a viewer and deletes them at the end; the read-only mode skips the checks that
need them.
"""

from __future__ import annotations

import os

import pytest

from gateway import Gateway, Session, sign_in, strong_password, unique


def pytest_addoption(parser):
    group = parser.getgroup("conformance")
    group.addoption("--gateway", help="API base URL of the gateway under test")
    group.addoption("--mutating", action="store_true", help="also run the checks that change state")
    group.addoption("--ca", help="CA bundle (PEM) to trust for TLS")


def pytest_configure(config):
    config.addinivalue_line("markers", "contract(section): the part of api/openapi.yaml a check checks")
    config.addinivalue_line("markers", "mutating: changes state; runs only with --mutating")
    config.addinivalue_line("markers", "first: runs before the other checks (it starts something that takes time)")
    config.addinivalue_line("markers", "last: runs after every other check (it waits for time to pass)")


def pytest_report_header(config):
    mode = "MUTATING (a disposable environment)" if config.getoption("--mutating") else "read-only"
    return f"gateway: {config.getoption('--gateway')}  mode: {mode}"


def pytest_collection_modifyitems(config, items):
    # Each check is reported with the contract section it checks (pytest_report_teststatus).
    for item in items:
        marker = item.get_closest_marker("contract")
        if marker:
            item.user_properties.append(("contract", marker.args[0]))
    if not config.getoption("--mutating"):
        skip = pytest.mark.skip(reason="changes state: only with --mutating")
        for item in items:
            if item.get_closest_marker("mutating"):
                item.add_marker(skip)
    items.sort(key=lambda item: 0 if item.get_closest_marker("first") else 2 if item.get_closest_marker("last") else 1)


def pytest_report_teststatus(report, config):
    section = dict(report.user_properties).get("contract")
    if section and report.when == "call" and not hasattr(report, "wasxfail"):
        letter = {"passed": ".", "failed": "F", "skipped": "s"}[report.outcome]
        color = {"passed": {"green": True}, "failed": {"red": True}, "skipped": {"yellow": True}}[report.outcome]
        return report.outcome, letter, (f"{report.outcome.upper()}  (contract: {section})", color)
    return None


@pytest.fixture(scope="session")
def mutating(pytestconfig) -> bool:
    return bool(pytestconfig.getoption("--mutating"))


@pytest.fixture(scope="session")
def gw(pytestconfig) -> Gateway:
    url = pytestconfig.getoption("--gateway")
    if not url:
        pytest.exit("no --gateway URL given", returncode=2)
    gateway = Gateway(url, pytestconfig.getoption("--ca"))
    try:
        gateway.request("GET", "/health/live")  # any HTTP answer will do; a network or TLS error will not
    except OSError as e:
        pytest.exit(f"cannot reach {url}: {e}", returncode=2)
    return gateway


def credentials(prefix: str) -> tuple[str, str] | None:
    user, password = os.environ.get(f"{prefix}_USERNAME"), os.environ.get(f"{prefix}_PASSWORD")
    return (user, password) if user and password else None


@pytest.fixture(scope="session")
def admin(gw) -> Session:
    given = credentials("GALAXY_CONFORMANCE")
    if not given:
        pytest.exit("set GALAXY_CONFORMANCE_USERNAME and GALAXY_CONFORMANCE_PASSWORD (an admin account)", returncode=2)
    session = sign_in(gw, *given)
    if session.role != "admin":
        pytest.exit(f"GALAXY_CONFORMANCE_USERNAME must be an admin; {session.username} is {session.role}", returncode=2)
    return session


@pytest.fixture(scope="session")
def accounts(gw, admin, mutating):
    """A session for each role: the admin, and an operator and a viewer when given or (mutating)
    created here, and deleted again at the end."""
    found: dict[str, Session] = {"admin": admin}
    for role in ("operator", "viewer"):
        given = credentials(f"GALAXY_CONFORMANCE_{role.upper()}")
        if given:
            session = sign_in(gw, *given)
            assert session.role == role, f"GALAXY_CONFORMANCE_{role.upper()}_USERNAME is {session.role}, not {role}"
            found[role] = session
        elif mutating:
            username, password = unique(f"cf_{role[:2]}"), strong_password()
            r = gw.request("POST", "/admin/accounts", admin.token,
                           {"username": username, "role": role, "password": password})
            assert r.status == 201, f"creating the kit's {role}: {r}"
            found[role] = sign_in(gw, username, password, created_by_kit=True)
    yield found
    for session in found.values():
        if session.created_by_kit:
            r = gw.request("DELETE", f"/admin/accounts/{session.id}", admin.token)
            assert r.status == 204, f"deleting the kit's account {session}: {r}"


def session_for(accounts, role: str) -> Session:
    if role not in accounts:
        pytest.skip(f"no {role} account: set GALAXY_CONFORMANCE_{role.upper()}_USERNAME/_PASSWORD, or use --mutating")
    return accounts[role]


@pytest.fixture(scope="session")
def operator(accounts) -> Session:
    return session_for(accounts, "operator")


@pytest.fixture(scope="session")
def viewer(accounts) -> Session:
    return session_for(accounts, "viewer")


@pytest.fixture(scope="session")
def players(gw, admin):
    """Hands out players found in the listing, each at most once per run, so that no two checks
    act on the same player. take(online=True) gives one connected now."""
    taken: set[str] = set()

    def take(online: bool = False) -> dict:
        r = gw.request("GET", "/admin/players", admin.token,
                       query={"banned": "false", "online": str(online).lower(), "limit": 200, "sort": "created_at",
                              "order": "desc"})
        assert r.status == 200, str(r)
        for p in r.json()["items"]:
            if p["id"] not in taken:
                taken.add(p["id"])
                return p
        pytest.skip(f"the gateway lists no unbanned player with online={online} left for this check")

    return take


@pytest.fixture(scope="session")
def audit(gw, admin):
    """The audit entries of `action` whose target_id is `target_id`, newest first."""

    def entries(action: str, target_id: str | None = None, after: int | None = None, **query) -> list[dict]:
        q = {"action": action, "limit": 200, **query}
        if target_id is not None:
            q["target"] = target_id
        r = gw.request("GET", "/admin/audit", admin.token, query=q)
        assert r.status == 200, str(r)
        items = r.json()["items"]
        return [e for e in items
                if (target_id is None or e["target_id"] == target_id) and (after is None or e["id"] > after)]

    def newest() -> int:
        """The id of the newest entry now (0 while the log is empty): entries after it are new."""
        r = gw.request("GET", "/admin/audit", admin.token, query={"limit": 1})
        assert r.status == 200, str(r)
        return r.json()["until_id"] or 0

    entries.newest = newest
    return entries
