"""What the Python suites that start the release reference gateway as a process share
(tests/db's replicas, tests/prometheus): where its binary is, and one HTTP call to it."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gateway_bin(stage: str) -> Path:
    """The release build scripts/test.sh makes (GATEWAY_BIN names another); `stage` is the
    test.sh stage that builds it, for the message when it is missing."""
    import pytest

    if os.environ.get("GATEWAY_BIN"):
        return Path(os.environ["GATEWAY_BIN"])
    path = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "galaxy-gateway"
    if not path.exists():
        pytest.fail(f"{path} is missing: cargo build --release -p galaxy-gateway (scripts/test.sh {stage} does)")
    return path


def http(method: str, url: str, body=None, token: str | None = None, timeout: float = 10,
         headers: dict[str, str] | None = None) -> tuple[int, object]:
    """Status and decoded JSON (or text) of one request; connection errors raise."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")
