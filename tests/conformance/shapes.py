"""The answers' shapes the contract fixes: FastAPI's errors."""

from __future__ import annotations

from gateway import Response


def assert_error(r: Response, status: int):
    """The FastAPI error shape: {"detail": "message"} (contract: info.description, Error)."""
    assert r.status == status, str(r)
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"], str(r)
    return body


def assert_unauthorized(r: Response, detail: str):
    body = assert_error(r, 401)
    assert r.header("WWW-Authenticate") == "Bearer", f"WWW-Authenticate: {r.header('WWW-Authenticate')!r}; {r}"
    assert body["detail"] == detail, str(r)


def assert_validation_error(r: Response, *loc_start):
    """The FastAPI 422 shape: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]} (ValidationError)."""
    assert r.status == 422, str(r)
    detail = r.json().get("detail")
    assert isinstance(detail, list) and detail, str(r)
    for e in detail:
        assert isinstance(e, dict) and {"loc", "msg", "type"} <= set(e), str(r)
        assert isinstance(e["loc"], list) and all(isinstance(x, (str, int)) for x in e["loc"]), str(r)
        assert isinstance(e["msg"], str) and isinstance(e["type"], str), str(r)
    if loc_start:
        assert any(e["loc"][: len(loc_start)] == list(loc_start) for e in detail), \
            f"no error at {list(loc_start)}: {r}"
    return detail
