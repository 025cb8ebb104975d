"""Console accounts and the login lockout (mutating), on throwaway accounts the kit deletes."""

from __future__ import annotations

import re
import uuid

import pytest

from gateway import sign_in, strong_password, unique
from shapes import assert_error, assert_unauthorized

pytestmark = pytest.mark.mutating

ACCOUNT_FIELDS = {"id", "username", "role", "disabled", "created_at", "last_login_at", "second_factor"}


@pytest.fixture
def throwaway(gw, admin):
    """A viewer account of its own for one check, deleted after it."""
    made = []

    def make(password: str | None = None) -> dict:
        username = unique("cf_tmp")
        r = gw.request("POST", "/admin/accounts", admin.token, {"username": username, "role": "viewer",
                                                                  "password": password})
        assert r.status == 201, str(r)
        made.append(r.json()["account"]["id"])
        return r.json()

    yield make
    for account_id in made:
        r = gw.request("DELETE", f"/admin/accounts/{account_id}", admin.token)
        assert r.status in (204, 404), f"deleting the kit's account {account_id}: {r}"


@pytest.mark.contract("createAccount, setAccountRole, setAccountDisabled, deleteAccount: sessions end; audited")
def test_an_account_lives_and_its_sessions_end_with_each_change(gw, admin, throwaway, audit):
    created = throwaway()
    account, otp = created["account"], created["one_time_password"]
    assert set(created) == {"account", "one_time_password"} and set(account) == ACCOUNT_FIELDS, created
    assert isinstance(otp, str) and len(otp) == 20, "a generated one-time password of 20 characters"
    assert (account["role"], account["disabled"], account["last_login_at"]) == ("viewer", False, None), account
    aid, path = account["id"], f"/admin/accounts/{account['id']}"
    taken = gw.request("POST", "/admin/accounts", admin.token, {"username": account["username"], "role": "viewer"})
    assert_error(taken, 409)

    session = sign_in(gw, account["username"], otp)
    assert (session.id, session.role) == (aid, "viewer")
    assert gw.request("GET", path, admin.token).json()["last_login_at"] is not None

    r = gw.request("PUT", f"{path}/role", admin.token, {"role": "operator"})
    assert r.status == 200 and r.json()["role"] == "operator", str(r)
    assert_unauthorized(gw.request("GET", "/admin/auth/me", session.token),
                        "Session ended: the account's role or password changed; log in again")
    session = sign_in(gw, account["username"], otp)
    assert session.role == "operator"

    r = gw.request("PUT", f"{path}/disabled", admin.token, {"disabled": True})
    assert r.status == 200 and r.json()["disabled"] is True, str(r)
    assert_unauthorized(gw.request("GET", "/admin/auth/me", session.token), "Account disabled")
    refused = gw.login(account["username"], otp)
    assert assert_error(refused, 401)["detail"] == "This account is disabled; ask an admin to enable it"
    r = gw.request("PUT", f"{path}/disabled", admin.token, {"disabled": False})
    assert r.status == 200 and r.json()["disabled"] is False, str(r)
    assert_error(gw.request("GET", "/admin/auth/me", session.token), 401)  # enabling revives no old session
    session = sign_in(gw, account["username"], otp)

    r = gw.request("DELETE", path, admin.token)
    assert r.status == 204, str(r)
    assert_unauthorized(gw.request("GET", "/admin/auth/me", session.token), "Account deleted")
    assert_error(gw.request("GET", path, admin.token), 404)
    assert_error(gw.request("DELETE", path, admin.token), 404)

    for action, before, after in [("account.create", None, None), ("account.role", "viewer", "operator"),
                                  ("account.disable", "false", "true"), ("account.enable", "true", "false"),
                                  ("account.delete", None, None)]:
        entries = audit(action, aid)
        assert entries, f"no {action} entry for account {aid}"
        e = entries[0]
        assert (e["admin"], e["admin_id"], e["role"], e["target_type"]) == \
            (admin.username, admin.id, "admin", "account"), e
        if before is not None:
            assert (e["before"], e["after"]) == (before, after), e


@pytest.mark.contract("login: five failures lock the account, 429 with Retry-After; a password reset lifts it")
def test_five_failed_logins_lock_the_account_with_retry_after(gw, admin, throwaway, audit):
    password = strong_password()
    account = throwaway(password)["account"]
    mark = audit.newest()
    wrong = [f"wrong-{uuid.uuid4().hex}" for _ in range(5)]
    for attempt in wrong:
        r = gw.login(account["username"], attempt)
        assert assert_error(r, 401)["detail"] == "Incorrect username or password", str(r)
    r = gw.login(account["username"], password)  # even the right password waits
    body = assert_error(r, 429)
    retry_after = r.header("Retry-After")
    assert retry_after is not None and re.fullmatch(r"\d+", retry_after), f"Retry-After: {retry_after!r}"
    assert 1 <= int(retry_after) <= 60, f"the first lockout lasts a minute: Retry-After {retry_after}"
    assert re.fullmatch(r"Too many failed logins for this username; try again in \d+ seconds?", body["detail"]), body

    failed = [e for e in audit("auth.login_failed", after=mark) if account["username"] in (e["target"] or "")]
    assert len(failed) >= 5, f"every failure is an auth.login_failed entry: {failed}"
    for e in failed:
        assert (e["admin"], e["admin_id"], e["role"]) == ("(anonymous)", None, None), e
    text = repr(audit("auth", after=mark))
    assert not any(secret in text for secret in [password, *wrong]), "a password reached the audit log"

    # An admin's password reset lifts the lockout.
    r = gw.request("POST", f"/admin/accounts/{account['id']}/password", admin.token)
    assert r.status == 200, str(r)
    otp = r.json()["one_time_password"]
    assert isinstance(otp, str) and len(otp) == 20, r.json()
    assert sign_in(gw, account["username"], otp).role == "viewer"
