"""API keys for scripts and the admin CLI: shown once, used as a bearer token, attributed, revoked."""

from __future__ import annotations

import re

import pytest

from gateway import unique
from shapes import assert_error, assert_validation_error

pytestmark = pytest.mark.mutating

KEY_RE = re.compile(r"^gak_[A-Za-z0-9_-]{43}$")


@pytest.fixture
def key(gw, admin):
    """A viewer key of the kit's admin for one check, revoked after it if still live."""
    made = []

    def make(**fields) -> dict:
        body = {"name": unique("cf_key"), "role": "viewer", "expires_in_days": 1, **fields}
        r = gw.request("POST", "/admin/api-keys", admin.token, body)
        assert r.status == 201, str(r)
        made.append(r.json()["id"])
        return r.json()

    yield make
    for key_id in made:
        gw.request("DELETE", f"/admin/api-keys/{key_id}", admin.token)


@pytest.mark.contract("POST /admin/api-keys 201 ApiKey with key; GET /admin/api-keys")
def test_a_key_is_shown_once_and_listed_without_it(gw, admin, key):
    made = key()
    assert KEY_RE.match(made["key"]), made["key"]
    assert made["key"].startswith(made["shown"]) and made["role"] == "viewer", made
    assert made["created_by"] == {"id": admin.id, "username": admin.username}, made
    listed = gw.request("GET", "/admin/api-keys", admin.token)
    assert listed.status == 200, str(listed)
    mine = [k for k in listed.json()["items"] if k["id"] == made["id"]]
    assert len(mine) == 1 and "key" not in mine[0], mine
    assert made["key"] not in listed.text


@pytest.mark.contract("createApiKey: a key is a bearer token acting with its own role")
def test_a_viewer_key_reads_and_may_not_act(gw, key):
    secret = key()["key"]
    assert gw.request("GET", "/admin/game/status", secret).status == 200
    me = gw.request("GET", "/admin/auth/me", secret)
    assert me.status == 200 and me.json()["role"] == "viewer", str(me)
    assert_error(gw.request("POST", "/admin/game/pause", secret, {"reason": "conformance"}), 403)


@pytest.mark.contract("createApiKey: 403 not_for_api_keys")
def test_a_key_cannot_make_keys(gw, key):
    secret = key()["key"]
    r = gw.request("POST", "/admin/api-keys", secret, {"name": "more", "role": "viewer", "expires_in_days": 1})
    assert assert_error(r, 403).get("code") == "not_for_api_keys", str(r)


@pytest.mark.contract("createApiKey 422")
def test_a_bad_key_request_is_422(gw, admin):
    r = gw.request("POST", "/admin/api-keys", admin.token, {"name": "x", "role": "viewer", "expires_in_days": 0})
    assert_validation_error(r, "body", "expires_in_days")


@pytest.mark.contract("DELETE /admin/api-keys/{key_id} 204, then 401 at use and 409 again")
def test_a_revoked_key_is_refused(gw, admin, key):
    made = key()
    assert gw.request("DELETE", f"/admin/api-keys/{made['id']}", admin.token, {"reason": "conformance"}).status == 204
    refused = gw.request("GET", "/admin/game/status", made["key"])
    assert assert_error(refused, 401)["detail"] == "This API key was revoked", str(refused)
    assert_error(gw.request("DELETE", f"/admin/api-keys/{made['id']}", admin.token), 409)


@pytest.mark.contract("createApiKey: allowed_addresses")
def test_a_key_limited_to_other_addresses_is_refused(gw, key):
    # A documentation block (RFC 5737) no client of the kit comes from.
    secret = key(allowed_addresses=["192.0.2.0/24"])["key"]
    refused = gw.request("GET", "/admin/game/status", secret)
    assert assert_error(refused, 401)["detail"] == "This API key may not be used from this address", str(refused)
