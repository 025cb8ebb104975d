"""Signing in, and what every operation that needs a session answers without a good one."""

from __future__ import annotations

import re
import uuid

import pytest

from gateway import now, operations, parse_time, unique
from probes import probe_request
from shapes import assert_error, assert_unauthorized, assert_validation_error

SECURED = [op for op in operations() if op.minimum is not None]
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)




@pytest.mark.contract("POST /admin/auth/login 200 Token; GET /admin/auth/me")
def test_the_admin_logs_in_and_me_describes_the_session(gw, admin):
    r = gw.login(admin.username, admin.password)
    assert r.status == 200, str(r)
    token = r.json()
    # An admin with a second factor answers a challenge instead (loginSecondFactor): the kit
    # signs in with a password alone, so its admin has none.
    assert set(token) == {"access_token", "token_type", "expires_in", "must_enrol"}, token
    assert token["token_type"] == "bearer"
    assert isinstance(token["expires_in"], int) and token["expires_in"] >= 1, token
    me = gw.request("GET", "/admin/auth/me", token["access_token"])
    assert me.status == 200, str(me)
    body = me.json()
    assert set(body) == {"id", "username", "role", "expires_at", "idle_timeout_secs", "idle_expires_in", "must_enrol",
                         "second_factor"}, body
    idle, left = body["idle_timeout_secs"], body["idle_expires_in"]
    assert (idle is None and left is None) or (isinstance(idle, int) and idle >= 1 and 0 <= left <= idle), body
    assert set(body["second_factor"]) == {"totp", "passkeys", "recovery_codes_left", "required"}, body
    assert UUID_RE.match(body["id"]), body
    assert (body["username"], body["role"]) == (admin.username, "admin"), body
    left = (parse_time(body["expires_at"]) - now()).total_seconds()
    assert abs(left - token["expires_in"]) < 120, f"expires_at is {left:.0f} s away, expires_in {token['expires_in']}"


COOKIE = "__Host-galaxy_admin_session"
COOKIE_MODE = {"X-Galaxy-Session": "cookie"}


def cookie_sign_in(gw, admin) -> tuple[str, dict]:
    """Signs in as a browser does; the `name=value` to send back, and the answer's body."""
    r = gw.request("POST", "/admin/auth/login", body={"username": admin.username, "password": admin.password},
                   headers=COOKIE_MODE)
    assert r.status == 200, str(r)
    set_cookie = r.header("set-cookie") or ""
    assert set_cookie.startswith(f"{COOKIE}="), f"no session cookie: {set_cookie!r}"
    attributes = {a.strip().split("=")[0].lower() for a in set_cookie.split(";")[1:]}
    assert {"path", "max-age", "secure", "httponly", "samesite"} <= attributes, set_cookie
    assert "domain" not in attributes, f"a __Host- cookie has no Domain: {set_cookie}"
    assert "samesite=strict" in set_cookie.lower().replace(" ", ""), set_cookie
    return set_cookie.split(";")[0], r.json()


@pytest.mark.contract("sessionCookie; parameters.SessionMode; Token (token_type cookie)")
def test_a_browser_session_is_an_http_only_cookie_and_never_in_the_body(gw, admin):
    cookie, body = cookie_sign_in(gw, admin)
    assert body["token_type"] == "cookie" and "access_token" not in body, body
    me = gw.request("GET", "/admin/auth/me", headers={"Cookie": cookie, **COOKIE_MODE})
    assert me.status == 200 and me.json()["username"] == admin.username, str(me)


@pytest.mark.contract("sessionCookie: without X-Galaxy-Session, or from another origin, 403 cross_site_request")
def test_the_cookie_without_its_header_or_from_another_origin_is_refused(gw, admin):
    cookie, _ = cookie_sign_in(gw, admin)
    for headers in ({"Cookie": cookie},
                    {"Cookie": cookie, **COOKIE_MODE, "Origin": "https://conformance-kit.invalid"}):
        r = gw.request("GET", "/admin/auth/me", headers=headers)
        assert assert_error(r, 403).get("code") == "cross_site_request", str(r)


@pytest.mark.contract("POST /admin/auth/logout 204 Set-Cookie; sessionCookie")
def test_logout_clears_the_cookie_and_the_cookie_is_refused_after_it(gw, admin):
    cookie, _ = cookie_sign_in(gw, admin)
    out = gw.request("POST", "/admin/auth/logout", headers={"Cookie": cookie, **COOKIE_MODE})
    assert out.status == 204, str(out)
    cleared = out.header("set-cookie") or ""
    assert cleared.startswith(f"{COOKIE}=;") and "max-age=0" in cleared.lower(), cleared
    replayed = gw.request("GET", "/admin/auth/me", headers={"Cookie": cookie, **COOKIE_MODE})
    assert_unauthorized(replayed, "This session was ended; log in again")


@pytest.mark.contract("POST /admin/auth/login 401: `Incorrect username or password`")
def test_bad_credentials_are_401_with_the_contracts_message(gw):
    # A username no account has (one failed login, far below any limit).
    r = gw.login(unique("cf_nobody"), "not-the-password-" + uuid.uuid4().hex)
    assert assert_error(r, 401)["detail"] == "Incorrect username or password"


@pytest.mark.contract("POST /admin/auth/login 422 ValidationFailed")
@pytest.mark.parametrize("raw", [b'{"username": "someone"}', b"not json", b""], ids=["no password", "not JSON", "empty"])
def test_a_malformed_login_body_is_422(gw, raw):
    r = gw.request("POST", "/admin/auth/login", raw=raw, headers={"Content-Type": "application/json"})
    assert_validation_error(r, "body")



@pytest.mark.contract("info.description: every /admin/* path needs a token; responses.Unauthorized")
@pytest.mark.parametrize("op", SECURED, ids=str)
def test_without_a_token_every_operation_is_401(gw, op):
    method, path, body, headers, query = probe_request(op)
    r = gw.request(method, path, None, body, headers=headers, query=query)
    assert_unauthorized(r, "Not authenticated")


@pytest.mark.contract("responses.Unauthorized: `Invalid token`")
@pytest.mark.parametrize("op", SECURED, ids=str)
def test_a_bad_token_is_401_for_every_operation(gw, admin, op):
    method, path, body, headers, query = probe_request(op)
    # The admin's own token with its signature altered, and something that is no JWT at all.
    head, payload, signature = admin.token.split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]  # the first character: 6 whole bits
    for token in (f"{head}.{payload}.{flipped}", "not-a-jwt"):
        r = gw.request(method, path, token, body, headers=headers, query=query)
        assert_unauthorized(r, "Invalid token")
