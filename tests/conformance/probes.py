"""One harmless request per operation of the contract, for the role, 401 and 403 checks.

The contract checks a session's role "after the token and before the request's parameters and
body", so a probe needs no real target: it names a player, account or snapshot that does not
exist, or sends a body that fails validation, or a stale If-Match. A role allowed to call the
operation then gets the answer in `allowed` (404, 412, 422...) and nothing changes; a role
below the operation's `x-minimum-role` gets 403 first. Only createSnapshot has no harmless
form: a role allowed to call it takes a snapshot, so that probe runs only in the mutating mode.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from gateway import Operation

# Ids that name nothing: a random UUID (version 4), and the largest SERIAL, which no snapshot
# reaches in practice.
NO_SUCH_UUID = str(uuid.uuid4())
NO_SUCH_SNAPSHOT = 2147483647
STALE_ETAG = '"conformance-kit-stale-tag"'
TOO_LONG_REASON = {"reason": "x" * 501}


@dataclass(frozen=True)
class Probe:
    allowed: frozenset[int]
    body: object = None
    headers: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    harmless: bool = True  # False: allowed, it changes state


def probe(*allowed: int, body=None, headers=None, query=None, harmless=True) -> Probe:
    return Probe(frozenset(allowed), body, headers or {}, query or {}, harmless)


PROBES: dict[str, Probe] = {
    "me": probe(200),
    # The new password is checked first (too short), so no failed login is counted.
    "changePassword": probe(422, body={"current_password": "not-the-password", "new_password": "short"}),
    "gameStatus": probe(200),
    "pauseGame": probe(422, body=TOO_LONG_REASON),
    "resumeGame": probe(422, body=TOO_LONG_REASON),
    "listConfig": probe(200),
    "setConfig": probe(412, body={"value": "conformance"}, headers={"If-Match": STALE_ETAG}),
    "resetConfig": probe(412, headers={"If-Match": STALE_ETAG}),
    "listSnapshots": probe(200, query={"limit": 1}),
    "createSnapshot": probe(201, harmless=False),
    "deleteSnapshot": probe(404),
    # Not found, or (the order is not stated) refused because the game is running.
    "restoreSnapshot": probe(404, 409),
    "pinSnapshot": probe(404),
    "unpinSnapshot": probe(404),
    "listPlayers": probe(200, query={"limit": 1}),
    "getPlayer": probe(404),
    "deletePlayer": probe(404),
    "exportPlayers": probe(200, query={"search": "cf" + uuid.uuid4().hex[:12]}),
    "bulkPlayers": probe(422, body={"action": "kick", "ids": []}),
    "banPlayer": probe(404, body={"reason": "conformance kit probe", "duration_seconds": 60}),
    "unbanPlayer": probe(404),
    "kickPlayer": probe(404),
    "listPlayerNotes": probe(404),
    "addPlayerNote": probe(404, body={"text": "conformance kit probe"}),
    "playerTimeline": probe(200),
    "listServices": probe(200),
    "listAudit": probe(200, query={"limit": 1}),
    "exportAudit": probe(200, query={"action": "conformance.nothing"}),
    "metricsHistory": probe(200, query={"range": "10m"}),
    "listAccounts": probe(200),
    "createAccount": probe(422, body={"username": "no such name!", "role": "viewer"}),
    "getAccount": probe(404),
    "deleteAccount": probe(404),
    "setAccountRole": probe(404, body={"role": "viewer"}),
    "setAccountDisabled": probe(404, body={"disabled": False}),
    "resetAccountPassword": probe(404),
    "resetAccountSecondFactor": probe(404),
    "listAccountSessions": probe(404),
    "endAccountSessions": probe(404),
    "verifyAudit": probe(200),
    # Nothing is stored until an app's code confirms it.
    "newTotpSecret": probe(200),
    # Not a secret of 20 bytes: refused before anything is checked.
    "enrolTotp": probe(422, body={"secret": "AAAA", "code": "000000"}),
    # An action that takes no proof: refused before anything is checked.
    "confirmAction": probe(422, body={"action": "gameStatus", "target": "x"}),
    "listOwnSessions": probe(200),
    # The kit's account has no passkey.
    "confirmWithPasskeyOptions": probe(409),
    # Begins a ceremony that nothing finishes; it expires.
    "startPasskeyRegistration": probe(200),
    # A blank name: refused before the proof or the ceremony is looked at.
    "addPasskey": probe(422, body={"name": " ", "credential": {}}),
    "listPasskeys": probe(200),
    "deletePasskey": probe(404),
    # A name that is empty: refused before anything is made.
    "createApiKey": probe(422, body={"name": "", "role": "viewer", "expires_in_days": 1}),
    "listApiKeys": probe(200),
    "revokeApiKey": probe(404),
    "endOwnSession": probe(404),
    "listSchedules": probe(200),
    # Fields missing: refused before anything is stored.
    "createSchedule": probe(422, body={"name": "conformance kit probe"}),
    # A schedule that names nothing, with a valid draft: not found.
    "updateSchedule": probe(404, body={"name": "probe", "time_zone": "UTC",
                                       "when": {"type": "cron", "expression": "0 4 * * *"},
                                       "steps": [{"offset_seconds": 0, "action": {"type": "pause"}}]}),
    "cancelSchedule": probe(404),
    "setScheduleEnabled": probe(404, body={"enabled": False}),
    "runScheduleNow": probe(404),
    "listScheduleRuns": probe(200, query={"limit": 1}),
    # Only blanks: refused before anything is sent to a player.
    "sendPlayerMessage": probe(422, body={"text": "   "}),
    "listPlayerMessages": probe(200),
    # These end sessions: run in a session of their own (see test_roles), only with --mutating.
    "endOtherSessions": probe(200, harmless=False),
    "logout": probe(204, harmless=False),
}

# Operations that end sessions of the caller's account: the role check calls them in a session
# signed in for the purpose, so the kit's own sessions go on.
ENDS_SESSIONS = {"endOtherSessions", "logout"}

PATH_PARAMETERS = {
    "{player_id}": NO_SUCH_UUID,
    "{account_id}": NO_SUCH_UUID,
    "{session_id}": NO_SUCH_UUID,
    "{key_id}": NO_SUCH_UUID,
    "{passkey_id}": NO_SUCH_UUID,
    "{schedule_id}": NO_SUCH_UUID,
    "{snapshot_id}": str(NO_SUCH_SNAPSHOT),
    "{key}": "motd",
}


def probe_path(op: Operation) -> str:
    path = op.path
    for name, value in PATH_PARAMETERS.items():
        path = path.replace(name, value)
    assert "{" not in path, f"{op}: no value for a path parameter; add it to PATH_PARAMETERS"
    return path


def probe_request(op: Operation):
    """(method, path, body, headers, query) of the operation's probe."""
    p = PROBES[op.id]
    return op.method, probe_path(op), p.body, p.headers, p.query
