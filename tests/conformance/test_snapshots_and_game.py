"""Snapshots (take, pin, delete) and pause/resume (mutating): each puts back what it changed."""

from __future__ import annotations

import pytest

from shapes import assert_error

pytestmark = pytest.mark.mutating

SNAPSHOT_FIELDS = {"id", "tick_number", "game_time", "created_at", "size_bytes", "pinned", "label", "created_by"}


def listed_ids(gw, session) -> list[int]:
    r = gw.request("GET", "/admin/snapshots", session.token, query={"limit": 200})
    assert r.status == 200, str(r)
    return [s["id"] for s in r.json()["items"]]


@pytest.mark.contract("createSnapshot, pin/unpin, deleteSnapshot: 409 snapshot_pinned, 204, 404; audited")
def test_a_snapshot_is_taken_pinned_refused_deletion_unpinned_and_deleted(gw, operator, admin, audit):
    r = gw.request("POST", "/admin/snapshots", operator.token)
    assert r.status == 201, str(r)
    snap = r.json()
    sid, path = snap["id"], f"/admin/snapshots/{snap['id']}"
    try:
        assert set(snap) == SNAPSHOT_FIELDS, snap
        assert (snap["created_by"], snap["pinned"]) == (operator.username, False), snap
        assert listed_ids(gw, admin)[0] == sid, "newest first"
        created = audit("snapshot.create", str(sid))
        assert created and created[0]["admin"] == operator.username, created

        assert_error(gw.request("PUT", f"{path}/pin", operator.token), 403)
        r = gw.request("PUT", f"{path}/pin", admin.token)
        assert r.status == 200 and r.json()["pinned"] is True, str(r)
        r = gw.request("PUT", f"{path}/pin", admin.token)
        assert r.status == 200 and r.json()["pinned"] is True, str(r)
        pins = audit("snapshot.pin", str(sid))
        assert len(pins) == 1 and (pins[0]["before"], pins[0]["after"]) == ("false", "true"), \
            f"pinning a pinned snapshot records nothing: {pins}"

        body = assert_error(gw.request("DELETE", path, admin.token), 409)
        assert body.get("code") == "snapshot_pinned", body
        assert sid in listed_ids(gw, admin)

        r = gw.request("DELETE", f"{path}/pin", admin.token)
        assert r.status == 200 and r.json()["pinned"] is False, str(r)
        unpins = audit("snapshot.unpin", str(sid))
        assert len(unpins) == 1 and (unpins[0]["before"], unpins[0]["after"]) == ("true", "false"), unpins
    finally:
        gw.request("DELETE", f"{path}/pin", admin.token)
        r = gw.request("DELETE", path, admin.token, {"reason": "conformance kit: delete flow"})
    assert r.status == 204, str(r)
    assert sid not in listed_ids(gw, admin)
    assert_error(gw.request("DELETE", path, admin.token), 404)
    deleted = audit("snapshot.delete", str(sid))
    assert deleted and (deleted[0]["admin"], deleted[0]["reason"], deleted[0]["target_exists"]) == \
        (admin.username, "conformance kit: delete flow", False), deleted


def status(gw, session) -> dict:
    r = gw.request("GET", "/admin/game/status", session.token)
    assert r.status == 200, str(r)
    return r.json()


@pytest.mark.contract("pauseGame/resumeGame: idempotent, the second records nothing; game.pause/resume audited")
def test_pause_and_resume_are_idempotent_and_audited(gw, operator, admin, audit):
    was_paused = status(gw, admin)["paused"]
    mark = audit.newest()
    try:
        if was_paused:
            r = gw.request("POST", "/admin/game/resume", operator.token, {"reason": "conformance kit: set-up"})
            assert r.status == 200 and r.json()["paused"] is False, str(r)
        for _ in range(2):
            r = gw.request("POST", "/admin/game/pause", operator.token, {"reason": "conformance kit"})
            assert r.status == 200 and r.json()["paused"] is True, str(r)
        paused_at = status(gw, admin)["tick"]
        assert status(gw, admin)["tick"] == paused_at, "a paused game does not tick"
        for _ in range(2):
            r = gw.request("POST", "/admin/game/resume", operator.token)
            assert r.status == 200 and r.json()["paused"] is False, str(r)
        pauses = audit("game.pause", after=mark)
        resumes = audit("game.resume", after=mark)
        assert len(pauses) == 1, f"the second pause recorded something: {pauses}"
        assert len(resumes) == 1 + was_paused, resumes
        assert (pauses[0]["admin"], pauses[0]["role"], pauses[0]["reason"], pauses[0]["target_type"]) == \
            (operator.username, "operator", "conformance kit", "game"), pauses[0]
    finally:
        if was_paused:
            r = gw.request("POST", "/admin/game/pause", operator.token, {"reason": "conformance kit: clean-up"})
            assert r.status == 200, str(r)
    assert status(gw, admin)["paused"] == was_paused
