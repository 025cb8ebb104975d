"""Path parameters, error shapes and paging: read-only checks."""

from __future__ import annotations

import pytest

from gateway import operations
from probes import NO_SUCH_UUID, PROBES, probe_path
from shapes import assert_error, assert_validation_error

MAX_SAFE_INTEGER = 9007199254740991
OPS = {op.id: op for op in operations()}


def with_parameter(op_id: str, name: str, value: str) -> str:
    op = OPS[op_id]
    return probe_path(type(op)(op.id, op.method, op.path.replace("{" + name + "}", value), op.minimum))


UUID_OPS = [(op.id, name) for op in OPS.values() for name in ("player_id", "account_id") if "{" + name + "}" in op.path]
SNAPSHOT_OPS = [op.id for op in OPS.values() if "{snapshot_id}" in op.path]


@pytest.mark.contract("components.parameters PlayerId/AccountId: anything but a UUID is 422")
@pytest.mark.parametrize("op_id,name", UUID_OPS, ids=lambda v: str(v))
@pytest.mark.parametrize("bad", ["not-a-uuid", "42", NO_SUCH_UUID[:-1], NO_SUCH_UUID + "0"])
def test_a_malformed_uuid_in_the_path_is_422(gw, admin, op_id, name, bad):
    op, p = OPS[op_id], PROBES[op_id]
    r = gw.request(op.method, with_parameter(op_id, name, bad), admin.token, p.body, headers=p.headers, query=p.query)
    assert_validation_error(r, "path", name)


@pytest.mark.contract("components.parameters.SnapshotId: a SERIAL, 1 to 2147483647")
@pytest.mark.parametrize("op_id", SNAPSHOT_OPS)
@pytest.mark.parametrize("bad", ["abc", "0", "2147483648", "1.5"])
def test_a_snapshot_id_out_of_the_serial_is_422(gw, admin, op_id, bad):
    op, p = OPS[op_id], PROBES[op_id]
    r = gw.request(op.method, with_parameter(op_id, "snapshot_id", bad), admin.token, p.body, headers=p.headers,
                   query=p.query)
    assert_validation_error(r, "path", "snapshot_id")


@pytest.mark.contract("responses.NotFound: {\"detail\": ...}")
@pytest.mark.parametrize("path", [f"/admin/players/{NO_SUCH_UUID}", f"/admin/accounts/{NO_SUCH_UUID}",
                                  f"/admin/players/{NO_SUCH_UUID}/notes"])
def test_an_unknown_resource_is_404_in_the_error_shape(gw, admin, path):
    assert_error(gw.request("GET", path, admin.token), 404)


def first_player_timeline(gw, admin) -> str:
    r = gw.request("GET", "/admin/players", admin.token, query={"limit": 1})
    items = r.json()["items"]
    return f"/admin/players/{items[0]['id'] if items else NO_SUCH_UUID}/timeline"


LISTS = ["/admin/players", "/admin/snapshots", "/admin/audit", "timeline"]


@pytest.fixture
def list_path(gw, admin, request):
    return first_player_timeline(gw, admin) if request.param == "timeline" else request.param


@pytest.mark.contract("components.parameters Limit (1 to 200) and Offset (0 to 2^53 - 1): else 422")
@pytest.mark.parametrize("list_path", LISTS, indirect=True)
@pytest.mark.parametrize("name,value", [("limit", "0"), ("limit", "201"), ("limit", "ten"), ("limit", "1.5"),
                                        ("offset", "-1"), ("offset", str(MAX_SAFE_INTEGER + 1)), ("offset", "x")])
def test_a_limit_or_offset_out_of_range_is_422(gw, admin, list_path, name, value):
    r = gw.request("GET", list_path, admin.token, query={name: value})
    assert_validation_error(r, "query", name)


def page(gw, admin, path, **query) -> dict:
    r = gw.request("GET", path, admin.token, query=query)
    assert r.status == 200, str(r)
    body = r.json()
    assert isinstance(body["items"], list) and isinstance(body["total"], int) and body["total"] >= 0, body
    return body


def ids(body) -> list:
    return [item["id"] for item in body["items"]]


def pinned(gw, admin, path) -> dict:
    """The audit log is paged against a fixed until_id (listAudit); the other lists need none."""
    if path != "/admin/audit":
        return {}
    until = page(gw, admin, path, limit=1)["until_id"]
    return {} if until is None else {"until_id": until}


@pytest.mark.contract("Limit default 50, maximum 200; a page past the end is empty with the same total")
@pytest.mark.parametrize("list_path", LISTS, indirect=True)
def test_pages_hold_what_limit_and_offset_select(gw, admin, list_path):
    for attempt in range(3):  # a scheduled snapshot or a new audit entry may land between two calls
        fixed = pinned(gw, admin, list_path)
        default = page(gw, admin, list_path, **fixed)
        total = default["total"]
        largest = page(gw, admin, list_path, limit=200, **fixed)
        one = page(gw, admin, list_path, limit=1, **fixed)
        end = page(gw, admin, list_path, offset=total, **fixed)
        far = page(gw, admin, list_path, offset=MAX_SAFE_INTEGER, **fixed)
        last = page(gw, admin, list_path, limit=200, offset=max(total - 1, 0), **fixed)
        if len({b["total"] for b in (default, largest, one, end, far, last)}) == 1:
            break
    else:
        pytest.fail(f"{list_path}: the total kept changing between calls")
    assert len(default["items"]) == min(50, total), f"default limit 50: {len(default['items'])} of {total}"
    assert len(largest["items"]) == min(200, total)
    assert len(one["items"]) == min(1, total)
    assert ids(default) == ids(largest)[:50] and ids(one) == ids(largest)[:1]
    assert end["items"] == [] and far["items"] == [], "past the end: no items"
    assert len(last["items"]) == min(1, total), "offset total - 1: the last item"


@pytest.mark.contract("listPlayers: ties broken by id, so paging is stable; listAudit: until_id")
@pytest.mark.parametrize("list_path", LISTS, indirect=True)
def test_consecutive_pages_are_slices_of_one_order(gw, admin, list_path):
    for attempt in range(3):
        fixed = pinned(gw, admin, list_path)
        whole = page(gw, admin, list_path, limit=21, **fixed)
        pages = [page(gw, admin, list_path, limit=7, offset=o, **fixed) for o in (0, 7, 14)]
        if all(p["total"] == whole["total"] for p in pages):
            break
    else:
        pytest.fail(f"{list_path}: the total kept changing between calls")
    assert [i for p in pages for i in ids(p)] == ids(whole)
    assert len(set(ids(whole))) == len(ids(whole)), "an item twice in one page"


@pytest.mark.contract("listPlayers: search, sort and order")
def test_players_come_in_the_order_asked_and_search_selects(gw, admin):
    by_date = page(gw, admin, "/admin/players", sort="created_at", order="desc", limit=50)["items"]
    dates = [p["created_at"] for p in by_date]
    assert dates == sorted(dates, reverse=True), "sort=created_at&order=desc"
    asc = page(gw, admin, "/admin/players", sort="username", order="asc", limit=50)["items"]
    desc = page(gw, admin, "/admin/players", sort="username", order="desc", limit=50)["items"]
    if not asc:
        pytest.skip("the gateway lists no players")
    assert asc[0]["username"].lower() <= asc[-1]["username"].lower()
    assert desc[0]["username"].lower() >= desc[-1]["username"].lower()
    name = asc[0]["username"]
    needle = name[1:4].upper()  # a case-insensitive substring
    found = page(gw, admin, "/admin/players", search=needle, limit=200)
    assert name in [p["username"] for p in found["items"]] or found["total"] > 200
    assert all(needle.lower() in p["username"].lower() for p in found["items"])
    none = page(gw, admin, "/admin/players", search="cf" + NO_SUCH_UUID.replace("-", "")[:16])
    assert (none["total"], none["items"]) == (0, [])


@pytest.mark.contract("listAudit: newest first, until_id, `from` later than `to` is 422")
def test_the_audit_log_is_newest_first_up_to_until_id(gw, admin):
    body = page(gw, admin, "/admin/audit", limit=200)
    assert set(body) == {"items", "total", "total_exact", "has_more", "next_cursor", "prev_cursor",
                         "until_id"}, set(body)
    entry_ids = ids(body)
    assert entry_ids == sorted(entry_ids, reverse=True) and len(set(entry_ids)) == len(entry_ids), "newest first"
    if body["until_id"] is None:
        assert body["total"] == 0
        return
    assert all(i <= body["until_id"] for i in entry_ids)
    older = page(gw, admin, "/admin/audit", until_id=entry_ids[-1], limit=5)
    assert older["until_id"] == entry_ids[-1], "the until_id given is the answer's"
    assert all(i <= entry_ids[-1] for i in ids(older))
    r = gw.request("GET", "/admin/audit", admin.token,
                   query={"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"})
    assert_validation_error(r)


CURSOR_LISTS = ["/admin/players", "/admin/snapshots", "/admin/audit"]


@pytest.mark.contract("parameters.Cursor: next_cursor/prev_cursor walk one order, `last` is the last page")
@pytest.mark.parametrize("path", CURSOR_LISTS)
def test_cursor_pages_walk_the_order_both_ways(gw, admin, path):
    for attempt in range(3):  # a new audit entry may land between two calls
        fixed = pinned(gw, admin, path)
        whole = page(gw, admin, path, limit=200, **fixed)
        forward, body = [], page(gw, admin, path, limit=9, **fixed)
        assert body["prev_cursor"] is None, "the first page has no page before it"
        while True:
            forward.append(ids(body))
            assert body["has_more"] == (body["next_cursor"] is not None), body
            if not body["has_more"] or len(forward) == 5:
                break
            body = page(gw, admin, path, limit=9, cursor=body["next_cursor"], **fixed)
            assert body["prev_cursor"] is not None
        if body["total"] == whole["total"]:
            break
    else:
        pytest.fail(f"{path}: the total kept changing between calls")
    walked = [i for p in forward for i in p]
    assert walked == ids(whole)[:len(walked)], "cursor pages are slices of the one order"
    if len(forward) > 1:  # body is the last page walked
        back = page(gw, admin, path, limit=9, cursor=body["prev_cursor"], **fixed)
        assert ids(back) == forward[-2], "prev_cursor leads to the page before"
    assert isinstance(whole["total_exact"], bool) and whole["total"] <= 10_000
    if not whole["total_exact"]:
        assert whole["total"] == 10_000, "a total stops counting at 10 000"
    elif whole["total"] <= 200:
        last = page(gw, admin, path, limit=9, cursor="last", **fixed)
        assert ids(last) == ids(whole)[-9:] and last["has_more"] is False and last["next_cursor"] is None


@pytest.mark.contract("parameters.Cursor: a cursor of another order, a forged one, or with an offset is 422")
def test_foreign_and_forged_cursors_are_refused(gw, admin):
    first = page(gw, admin, "/admin/players", limit=2, sort="username", order="asc")
    if first["next_cursor"] is None:
        pytest.skip("fewer than three players: no cursor to misuse")
    cursor = first["next_cursor"]
    for query in ({"order": "desc", "cursor": cursor}, {"sort": "created_at", "cursor": cursor},
                  {"cursor": "bm90LWEtY3Vyc29y"}):
        assert_validation_error(gw.request("GET", "/admin/players", admin.token, query=query), "query", "cursor")
    assert_validation_error(gw.request("GET", "/admin/audit", admin.token, query={"cursor": cursor}),
                            "query", "cursor")
    assert_validation_error(gw.request("GET", "/admin/players", admin.token,
                                       query={"cursor": cursor, "offset": 5}), "query", "offset")
