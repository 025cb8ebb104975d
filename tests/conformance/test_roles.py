"""Roles per operation: every operation called as every role, as `x-minimum-role` says."""

from __future__ import annotations

import pytest

from gateway import ROLES, operations, sign_in
from probes import ENDS_SESSIONS, PROBES, probe_request
from shapes import assert_error

SECURED = [op for op in operations() if op.minimum is not None]


@pytest.mark.contract("x-minimum-role on every operation")
def test_the_kit_has_a_probe_for_every_operation_that_needs_a_session():
    assert {op.id for op in SECURED} == set(PROBES), "api/openapi.yaml and tests/conformance/probes.py differ"
    for op in SECURED:
        assert op.minimum in ROLES, f"{op}: x-minimum-role {op.minimum!r}"


@pytest.mark.contract("info.description: roles; x-minimum-role; responses.Forbidden")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", SECURED, ids=str)
def test_each_role_is_allowed_or_refused_as_the_contract_says(gw, accounts, mutating, request, op, role):
    session = request.getfixturevalue(role) if role != "admin" else accounts["admin"]
    method, path, body, headers, query = probe_request(op)
    p = PROBES[op.id]
    below = ROLES.index(role) < ROLES.index(op.minimum)
    if not below and not p.harmless and not mutating:
        pytest.skip(f"{op.id} as {role} would change state: only with --mutating")
    if op.id == "endOtherSessions" and not below:
        pytest.skip("it would end the kit's own sessions: the reference's tests check it")
    if op.id in ENDS_SESSIONS and not below:
        session = sign_in(gw, session.username, session.password)
    r = gw.request(method, path, session.token, body, headers=headers, query=query)
    if below:
        detail = assert_error(r, 403)["detail"]
        assert detail == f"This action needs the {op.minimum} role; you are signed in as {role}", str(r)
        return
    assert r.status in p.allowed, f"{op} as {role}: expected {sorted(p.allowed)}; {r}"
    if op.id == "createSnapshot":
        created = r.json()
        assert created["created_by"] == session.username, created
        gone = gw.request("DELETE", f"/admin/snapshots/{created['id']}", accounts["admin"].token,
                          {"reason": "conformance kit: clean-up of the role check"})
        assert gone.status == 204, f"cleaning up snapshot {created['id']}: {gone}"
