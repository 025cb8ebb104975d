"""A small HTTP client for the conformance kit (standard library only), and the contract.

Everything the kit knows about the gateway comes from its answers and from api/openapi.yaml;
nothing here knows the reference gateway's seed data or its /__dev/ controls.
"""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "api" / "openapi.yaml"
ROLES = ("viewer", "operator", "admin")
METHODS = ("get", "put", "post", "delete", "patch")


@dataclass
class Response:
    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    _json: object = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.body)
            except ValueError as e:
                raise AssertionError(f"{self.method} {self.url}: {self.status}, not JSON: {self.text[:300]!r}") from e
        return self._json

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.status} {self.text[:400]}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to check, not to follow (a login page is no API answer)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Gateway:
    """The API base URL (for example https://galaxy.example/api) and how to reach it."""

    def __init__(self, base_url: str, ca_file: str | None = None, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect())

    def request(self, method: str, path: str, token: str | None = None, body=None, *,
                headers: dict[str, str] | None = None, query: dict | None = None, raw: bytes | None = None,
                authorization: str | None = None) -> Response:
        url = self.base_url + path
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        all_headers = {"Accept": "application/json", "User-Agent": "galaxy-conformance-kit"}
        data = raw
        if method == "DELETE" and body is not None:
            # parameters.AuditReason: a DELETE carries no body; its reason travels in a
            # percent-encoded header (unreserved characters and %XX only).
            assert set(body) <= {"reason"}, f"a DELETE has no body but its reason: {body}"
            all_headers["X-Audit-Log-Reason"] = urllib.parse.quote(body["reason"], safe="")
            body = None
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if authorization is not None:
            all_headers["Authorization"] = authorization
        all_headers.update(headers or {})
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with self.opener.open(request, timeout=self.timeout) as r:
                return Response(method, url, r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            return Response(method, url, e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())

    def login(self, username: str, password: str) -> Response:
        return self.request("POST", "/admin/auth/login", body={"username": username, "password": password})


@dataclass
class Session:
    """A signed-in console account."""

    username: str
    password: str
    token: str
    id: str
    role: str
    created_by_kit: bool = False

    def __str__(self) -> str:
        return f"{self.username} ({self.role})"


def sign_in(gw: Gateway, username: str, password: str, created_by_kit: bool = False) -> Session:
    r = gw.login(username, password)
    assert r.status == 200, f"cannot log in as {username}: {r}"
    token = r.json()["access_token"]
    me = gw.request("GET", "/admin/auth/me", token)
    assert me.status == 200, str(me)
    return Session(username, password, token, me.json()["id"], me.json()["role"], created_by_kit)


def contract() -> dict:
    return yaml.safe_load(CONTRACT_PATH.read_text())


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    minimum: str | None  # None: no session needed

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.id})"


def operations(spec: dict | None = None) -> list[Operation]:
    """Every operation of the contract, in its order; dev-only paths (/__dev/) are none of it."""
    spec = spec or contract()
    found = []
    for path, item in spec["paths"].items():
        if path.startswith("/__dev"):
            continue
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            public = op.get("security") == []
            found.append(Operation(op["operationId"], method.upper(), path, None if public else op["x-minimum-role"]))
    return found


def parse_time(text: str) -> datetime:
    """An RFC 3339 date-time (Z or an offset, any number of fractional digits)."""
    m = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text)
    assert m, f"not an RFC 3339 date-time: {text!r}"
    frac = (m.group(2) or "")[:7]
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(m.group(1) + frac + zone)


def now() -> datetime:
    return datetime.now(timezone.utc)


def unique(prefix: str) -> str:
    """A username no one has: the contract's pattern is ^[a-zA-Z0-9_]{3,20}$."""
    return (prefix + "_" + uuid.uuid4().hex)[:20]


def strong_password() -> str:
    return "Cf-" + uuid.uuid4().hex  # 35 characters, never containing a kit username


def wait_until(what: str, condition, timeout: float, interval: float = 1.0):
    """Polls condition() until it returns something true, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {timeout:.0f} s")
        time.sleep(interval)
