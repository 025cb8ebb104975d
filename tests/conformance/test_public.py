"""The operations that need no session: health and versions."""

from __future__ import annotations

import pytest


@pytest.mark.contract("GET /health/live, GET /health/ready")
def test_health_answers_as_the_contract_says(gw):
    live = gw.request("GET", "/health/live")
    assert live.status == 200 and live.json().get("status") == "alive", str(live)
    ready = gw.request("GET", "/health/ready")
    if ready.status == 200:
        assert ready.json().get("status") == "ready" and isinstance(ready.json().get("version"), str), str(ready)
    else:
        assert ready.status == 503, str(ready)
        assert ready.json().get("status") == "not_ready" and isinstance(ready.json().get("reason"), str), str(ready)


@pytest.mark.contract("GET /versions: every backend service's version, no session needed")
def test_versions_name_every_backend_service(gw):
    r = gw.request("GET", "/versions")
    assert r.status == 200, str(r)
    versions = r.json()
    required = {"api_gateway", "physics", "tick_engine", "players", "galaxy", "web_client"}
    assert required <= set(versions), f"missing: {required - set(versions)}"
    assert all(isinstance(v, str) for v in versions.values()), versions
