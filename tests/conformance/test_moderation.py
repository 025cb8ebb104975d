"""Bans that end by themselves, unban, kick, notes, bulk actions and deleting a player (mutating)."""

from __future__ import annotations

import time

import pytest

from gateway import parse_time, wait_until
from probes import NO_SUCH_UUID
from shapes import assert_error, assert_validation_error

pytestmark = pytest.mark.mutating

SHORTEST_BAN = 60  # BanDuration's minimum


def player(gw, session, pid):
    r = gw.request("GET", f"/admin/players/{pid}", session.token)
    assert r.status == 200, str(r)
    return r.json()


def assert_conflict(r, code: str):
    body = assert_error(r, 409)
    assert body.get("code") == code, f"409 without code {code!r}: {r}"


@pytest.fixture(scope="session")
def expiring_ban(gw, operator, players, audit):
    """A ban of the shortest duration, made as early in the run as possible (the check that it
    ends by itself runs last, so the run waits for it only once)."""
    p = players()
    mark = audit.newest()
    started = time.monotonic()
    r = gw.request("POST", f"/admin/players/{p['id']}/ban", operator.token,
                   {"reason": "conformance kit: a ban that ends by itself", "duration_seconds": SHORTEST_BAN})
    assert r.status == 200, str(r)
    return p, r.json(), started, mark


@pytest.mark.first
@pytest.mark.contract("banPlayer: a ban for duration_seconds; Player.ban; player.ban audited")
def test_a_ban_for_a_duration_holds_until_its_end(gw, operator, admin, expiring_ban, audit):
    p, banned, _, _ = expiring_ban
    ban = banned["ban"]
    assert set(ban) == {"reason", "banned_at", "until", "by", "by_id"}, ban
    assert (ban["reason"], ban["by"], ban["by_id"]) == \
        ("conformance kit: a ban that ends by itself", operator.username, operator.id), ban
    length = (parse_time(ban["until"]) - parse_time(ban["banned_at"])).total_seconds()
    assert abs(length - SHORTEST_BAN) <= 1, f"until - banned_at = {length} s"
    assert banned["online"] is False, "a banned player is not connected"
    assert player(gw, admin, p["id"])["ban"] == ban
    listed = gw.request("GET", "/admin/players", admin.token,
                        query={"banned": "true", "search": p["username"], "limit": 200}).json()["items"]
    assert p["id"] in [x["id"] for x in listed], "banned=true lists the player"
    entry = audit("player.ban", p["id"])[0]
    assert (entry["admin"], entry["admin_id"], entry["role"], entry["target_type"]) == \
        (operator.username, operator.id, "operator", "player"), entry
    assert entry["before"] is None and parse_time(entry["after"]) == parse_time(ban["until"]), entry
    assert entry["reason"] == ban["reason"], entry


@pytest.mark.last
@pytest.mark.contract("info.description: a ban ends by itself at its until; player.ban_expired once by (system)")
def test_the_ban_ends_by_itself_and_is_recorded_once(gw, admin, expiring_ban, audit):
    p, banned, started, mark = expiring_ban
    until = parse_time(banned["ban"]["until"])
    # The first read after the end must see it ended (allow the health sample's 10 s and a margin).
    remaining = SHORTEST_BAN - (time.monotonic() - started)
    wait_until(f"player {p['id']}'s ban ended", lambda: player(gw, admin, p["id"])["ban"] is None,
               timeout=max(remaining, 0) + 30, interval=2)
    elapsed = time.monotonic() - started
    assert elapsed >= SHORTEST_BAN - 2, f"the ban ended {elapsed:.0f} s after it began, before its until"
    listed = gw.request("GET", "/admin/players", admin.token,
                        query={"banned": "true", "search": p["username"], "limit": 200}).json()["items"]
    assert p["id"] not in [x["id"] for x in listed], "an ended ban is not reported anywhere"
    player(gw, admin, p["id"])
    gw.request("GET", "/admin/players", admin.token, query={"limit": 1})
    expired = audit("player.ban_expired", p["id"], after=mark)
    assert len(expired) == 1, f"player.ban_expired recorded {len(expired)} times: {expired}"
    e = expired[0]
    assert (e["admin"], e["admin_id"], e["role"], e["after"]) == ("(system)", None, None, "none"), e
    assert parse_time(e["before"]) == until, e
    assert_conflict(gw.request("DELETE", f"/admin/players/{p['id']}/ban", admin.token), "not_banned")


@pytest.mark.contract("banPlayer/unbanPlayer: permanent ban, replacing a ban, unban, 409 not_banned; audit")
def test_a_permanent_ban_holds_until_lifted(gw, operator, admin, players, audit):
    p = players()
    path = f"/admin/players/{p['id']}/ban"
    for bad in ({"duration_seconds": None}, {"reason": "   ", "duration_seconds": None},
                {"reason": "x", "duration_seconds": SHORTEST_BAN - 1}, {"reason": "x"}):
        assert_validation_error(gw.request("POST", path, operator.token, bad), "body")
    assert player(gw, admin, p["id"])["ban"] is None, "a refused ban changed the player"

    r = gw.request("POST", path, operator.token, {"reason": "  conformance kit  ", "duration_seconds": None})
    assert r.status == 200, str(r)
    ban = r.json()["ban"]
    assert (ban["reason"], ban["until"]) == ("conformance kit", None), "trimmed; null until: permanent"
    first = audit("player.ban", p["id"])[0]
    assert (first["before"], first["after"]) == (None, "permanent"), first

    r = gw.request("POST", path, operator.token, {"reason": "conformance kit: replaced", "duration_seconds": 3600})
    assert r.status == 200 and r.json()["ban"]["until"] is not None, str(r)
    until = r.json()["ban"]["until"]
    replaced = audit("player.ban", p["id"])[0]
    assert replaced["before"] == "permanent" and parse_time(replaced["after"]) == parse_time(until), replaced

    r = gw.request("DELETE", path, operator.token, {"reason": "conformance kit: lifted"})
    assert r.status == 200 and r.json()["ban"] is None, str(r)
    unban = audit("player.unban", p["id"])[0]
    assert parse_time(unban["before"]) == parse_time(until) and unban["after"] == "none", unban
    assert (unban["reason"], unban["admin"]) == ("conformance kit: lifted", operator.username), unban
    assert_conflict(gw.request("DELETE", path, operator.token), "not_banned")

    timeline = gw.request("GET", f"/admin/players/{p['id']}/timeline", admin.token).json()
    actions = [e["action"] for e in timeline["items"]]
    assert actions[:3] == ["player.unban", "player.ban", "player.ban"], f"the timeline, newest first: {actions}"
    assert all(e["target_id"] == p["id"] for e in timeline["items"])


@pytest.mark.contract("kickPlayer: ends the live session; 409 not_online; player.kick audited")
def test_kicking_ends_a_live_session_and_the_offline_cannot_be_kicked(gw, operator, admin, players, audit):
    offline = players()
    assert_conflict(gw.request("POST", f"/admin/players/{offline['id']}/kick", operator.token), "not_online")
    online = players(online=True)
    r = gw.request("POST", f"/admin/players/{online['id']}/kick", operator.token, {"reason": "conformance kit"})
    assert r.status == 200 and r.json()["online"] is False and r.json()["ban"] is None, str(r)
    entry = audit("player.kick", online["id"])[0]
    assert (entry["before"], entry["after"], entry["reason"]) == ("true", "false", "conformance kit"), entry
    # Unless the player came straight back, a second kick finds no session.
    again = gw.request("POST", f"/admin/players/{online['id']}/kick", operator.token)
    assert again.status in (200, 409), str(again)
    if again.status == 409:
        assert_conflict(again, "not_online")


@pytest.mark.contract("bulkPlayers: one result per id, in the order asked, with the single operation's status")
def test_a_bulk_kick_reports_each_player(gw, operator, players):
    offline = players()
    r = gw.request("POST", "/admin/players/bulk", operator.token,
                   {"action": "kick", "ids": [NO_SUCH_UUID, offline["id"]]})
    assert r.status == 200, str(r)
    results = r.json()["results"]
    assert [x["id"] for x in results] == [NO_SUCH_UUID, offline["id"]]
    for x in results:
        assert set(x) == {"id", "ok", "status", "error", "player"}, x
    assert (results[0]["ok"], results[0]["status"], results[0]["player"]) == (False, 404, None), results[0]
    assert (results[1]["ok"], results[1]["status"]) == (False, 409), results[1]
    assert results[1]["player"]["id"] == offline["id"] and isinstance(results[1]["error"], str), results[1]
    assert_validation_error(gw.request("POST", "/admin/players/bulk", operator.token,
                                       {"action": "kick", "ids": [offline["id"], offline["id"]]}))


@pytest.mark.contract("addPlayerNote/listPlayerNotes; listAudit: until_id keeps pages in place while entries arrive")
def test_a_note_is_kept_and_audited_and_pages_stay_put(gw, operator, admin, players, audit):
    p = players()
    before = gw.request("GET", "/admin/audit", admin.token, query={"limit": 5}).json()
    assert_validation_error(gw.request("POST", f"/admin/players/{p['id']}/notes", operator.token, {"text": "  "}))
    r = gw.request("POST", f"/admin/players/{p['id']}/notes", operator.token, {"text": "  conformance kit note  "})
    assert r.status == 201, str(r)
    note = r.json()
    assert set(note) == {"id", "text", "author", "author_id", "created_at"}, note
    assert (note["text"], note["author"], note["author_id"]) == \
        ("conformance kit note", operator.username, operator.id), note
    notes = gw.request("GET", f"/admin/players/{p['id']}/notes", admin.token).json()["items"]
    assert notes[0] == note, "newest first"
    entry = audit("player.note", p["id"])[0]
    assert entry["admin"] == operator.username and entry["detail"], entry

    # A new entry arrived; the pages up to the earlier until_id are as they were.
    same = gw.request("GET", "/admin/audit", admin.token, query={"limit": 5, "until_id": before["until_id"]}).json()
    assert (same["items"], same["total"], same["until_id"]) == (before["items"], before["total"], before["until_id"])
    newer = gw.request("GET", "/admin/audit", admin.token, query={"limit": 5}).json()
    assert newer["until_id"] > before["until_id"] and newer["total"] > before["total"], newer


@pytest.mark.contract("deletePlayer: 204, then 404; the timeline keeps the deletion; target_exists false")
def test_a_deleted_player_is_gone_but_its_timeline_stays(gw, admin, operator, players, audit):
    p = players()
    path = f"/admin/players/{p['id']}"
    assert_error(gw.request("DELETE", path, operator.token), 403)
    r = gw.request("DELETE", path, admin.token, {"reason": "conformance kit: delete flow"})
    assert r.status == 204, str(r)
    assert_error(gw.request("GET", path, admin.token), 404)
    assert_error(gw.request("DELETE", path, admin.token), 404)
    listed = gw.request("GET", "/admin/players", admin.token, query={"search": p["username"], "limit": 200}).json()
    assert p["id"] not in [x["id"] for x in listed["items"]]
    timeline = gw.request("GET", f"{path}/timeline", admin.token).json()["items"]
    assert timeline and timeline[0]["action"] == "player.delete", timeline
    entry = audit("player.delete", p["id"])[0]
    assert (entry["reason"], entry["admin"], entry["role"], entry["target_exists"]) == \
        ("conformance kit: delete flow", admin.username, "admin", False), entry
