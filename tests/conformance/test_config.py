"""Runtime configuration: entity tags, If-Match and 412 with the current item."""

from __future__ import annotations

import json
import re

import pytest

from probes import STALE_ETAG
from shapes import assert_error

KEYS = {"tick_rate", "snapshot_interval", "max_players", "motd", "snapshot_retention"}
ITEM_FIELDS = {"key", "value", "default", "description", "updated_at", "etag"}
ETAG = re.compile(r'^"[\x21\x23-\x7e]*"$')
KEY = "motd"  # a string of at most 200 characters: the key whose change disturbs a game least


def items(gw, session) -> dict[str, dict]:
    r = gw.request("GET", "/admin/config", session.token)
    assert r.status == 200, str(r)
    return {item["key"]: item for item in r.json()["items"]}


def write(gw, session, method, if_match=None, value=None, reason=None):
    headers = {} if if_match is None else {"If-Match": if_match}
    body = None
    if method == "PUT":
        body = {"value": value}
    if reason is not None:
        body = {**(body or {}), "reason": reason}
    return gw.request(method, f"/admin/config/{KEY}", session.token, body, headers=headers)


def assert_changed_meanwhile(r, current: dict):
    """responses.ChangedMeanwhile: 412, ETag the current tag, {detail, current} and nothing else."""
    assert r.status == 412, str(r)
    body = r.json()
    assert set(body) == {"detail", "current"}, body
    assert body["detail"] == f"{KEY} was changed by someone else since you loaded it", body
    assert body["current"] == current, body
    assert r.header("ETag") == current["etag"], f"ETag {r.header('ETag')!r}, current {current['etag']!r}"


@pytest.mark.contract("GET /admin/config: ConfigItem with a strong etag")
def test_every_key_is_listed_with_an_entity_tag(gw, admin):
    listed = items(gw, admin)
    assert KEYS <= set(listed), f"missing keys: {KEYS - set(listed)}"
    for item in listed.values():
        assert set(item) == ITEM_FIELDS, item
        assert ETAG.match(item["etag"]), item
        assert isinstance(item["value"], (int, float, str)) and not isinstance(item["value"], bool), item


@pytest.mark.contract("PUT/DELETE /admin/config/{key}: a stale If-Match is 412 ChangedMeanwhile, nothing changes")
def test_a_stale_or_weak_if_match_is_412_and_changes_nothing(gw, admin):
    before = items(gw, admin)[KEY]
    for tag in (STALE_ETAG, f"W/{before['etag']}"):  # strong comparison: a weak tag never matches
        assert_changed_meanwhile(write(gw, admin, "PUT", tag, before["value"]), before)
        assert_changed_meanwhile(write(gw, admin, "DELETE", tag), before)
    # The precondition comes before the value's range for its key (motd: a string).
    assert_changed_meanwhile(write(gw, admin, "PUT", STALE_ETAG, 5), before)
    assert items(gw, admin)[KEY] == before, "a refused change changed the key"


@pytest.mark.contract("PUT /admin/config/{key}: a malformed value is 422 before the precondition")
def test_a_value_of_the_wrong_type_is_422_first(gw, admin):
    before = items(gw, admin)[KEY]
    r = write(gw, admin, "PUT", STALE_ETAG, {"not": "a number or a string"})
    assert r.status == 422, str(r)
    assert items(gw, admin)[KEY] == before


@pytest.mark.contract("PUT /admin/config/{key}: unknown key 404")
def test_an_unknown_key_is_404(gw, admin):
    r = gw.request("PUT", "/admin/config/no_such_key_conformance", admin.token, {"value": 1}, headers={"If-Match": "*"})
    assert_error(r, 404)


@pytest.mark.mutating
@pytest.mark.contract("setConfig/resetConfig: If-Match, ETag, 412 with current; config.update/config.reset audited")
def test_a_change_moves_the_tag_on_and_the_old_tag_is_refused(gw, admin, operator, audit):
    original = items(gw, operator)[KEY]
    mark = audit.newest()
    by_reset = original["updated_at"] is None and original["value"] == original["default"]
    first, second = "conformance kit: first", "conformance kit: second"
    try:
        r = write(gw, operator, "PUT", original["etag"], first, reason="  conformance kit  ")
        assert r.status == 200, str(r)
        changed = r.json()
        assert set(changed) == ITEM_FIELDS and changed["value"] == first, changed
        assert changed["etag"] != original["etag"] and r.header("ETag") == changed["etag"], (r.headers, changed)
        assert changed["updated_at"] is not None
        assert items(gw, admin)[KEY] == changed

        # Someone who loaded the page before that change is refused, with what is there now.
        assert_changed_meanwhile(write(gw, operator, "PUT", original["etag"], second), changed)
        assert_changed_meanwhile(write(gw, operator, "DELETE", original["etag"]), changed)
        # A list matches if any member does; * matches whatever is there; no If-Match at all is
        # allowed (clients should send one).
        r = write(gw, operator, "PUT", f'{STALE_ETAG}, {changed["etag"]}', second)
        assert r.status == 200 and r.json()["value"] == second, str(r)
        r = write(gw, operator, "PUT", "*", first)
        assert r.status == 200 and r.json()["value"] == first, str(r)
        r = write(gw, operator, "PUT", None, second)
        assert r.status == 200 and r.json()["value"] == second, str(r)

        entries = audit("config.update", KEY, after=mark)
        mine = [e for e in entries if e["admin"] == operator.username]
        assert len(mine) == 4, f"one config.update per accepted change, none for the refused ones: {entries}"
        newest, first_change = mine[0], mine[-1]
        assert (json.loads(newest["before"]), json.loads(newest["after"])) == (first, second), newest
        assert (json.loads(first_change["before"]), json.loads(first_change["after"])) == (original["value"], first)
        assert first_change["reason"] == "conformance kit", "the reason is trimmed and kept"
        assert (newest["admin_id"], newest["role"], newest["target_type"]) == (operator.id, "operator", "config")
    finally:
        now = items(gw, admin)[KEY]
        if by_reset:
            r = write(gw, operator, "DELETE", now["etag"], reason="conformance kit: clean-up")
        else:
            r = write(gw, operator, "PUT", now["etag"], original["value"], reason="conformance kit: clean-up")
        assert r.status == 200, f"putting {KEY} back: {r}"
    assert items(gw, admin)[KEY]["value"] == original["value"]
    if by_reset:
        reset = audit("config.reset", KEY, after=mark)
        assert reset and reset[0]["admin"] == operator.username, reset
        assert (json.loads(reset[0]["before"]), json.loads(reset[0]["after"])) == (second, original["default"])
