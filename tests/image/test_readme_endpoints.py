"""The README's "Endpoints the console uses" lists exactly the contract's operations (the
/__dev/ controls are none of them), each with Galaxy's spec and the services that must change,
so the table cannot go stale when api/openapi.yaml gains or loses an operation."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "delete", "patch")
SERVICES = {"api-gateway", "players", "tick-engine", "physics", "galaxy", "none"}
ROW = re.compile(r"^\| `(GET|PUT|POST|DELETE|PATCH)` \| `([^`]+)` \| (.*?) \| (.*?) \|$")


def contract_operations() -> list[tuple[str, str]]:
    spec = yaml.safe_load((ROOT / "api" / "openapi.yaml").read_text())
    return [(m.upper(), path) for path, item in spec["paths"].items() if not path.startswith("/__dev")
            for m in METHODS if m in item]


def table(readme: str) -> list[tuple[str, str, str, str]]:
    section = re.search(r"^## Endpoints the console uses\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no section '## Endpoints the console uses'"
    return [m.groups() for line in section.group(1).splitlines() if (m := ROW.match(line))]


def problems(readme: str) -> list[str]:
    rows = table(readme)
    listed = [(method, path) for method, path, _, _ in rows]
    wanted = contract_operations()
    found = []
    if missing := [op for op in wanted if op not in listed]:
        found.append(f"operations of api/openapi.yaml missing from the table: {missing}")
    if extra := [op for op in listed if op not in wanted]:
        found.append(f"rows for no operation of api/openapi.yaml: {extra}")
    if len(set(listed)) != len(listed):
        found.append("a row twice")
    for method, path, spec, services in rows:
        if not re.match(r"(has it|new)\b", spec):
            found.append(f"{method} {path}: the spec column starts with neither 'has it' nor 'new': {spec!r}")
        named = set(re.findall(r"[a-z][a-z-]+", re.sub(r"\(.*?\)", "", services)))
        if not named or not named <= SERVICES:
            found.append(f"{method} {path}: services {services!r} (known: {sorted(SERVICES)})")
    return found


def test_the_table_lists_exactly_the_contracts_operations():
    assert problems((ROOT / "README.md").read_text()) == []


def test_a_stale_table_is_caught():
    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if ROW.match(line)]
    assert len(rows) == len(contract_operations()) > 30
    # A row missing, a row for an operation the contract does not have, a service Galaxy lacks.
    assert problems(readme.replace(rows[3] + "\n", "")), "a missing operation went unnoticed"
    extra = "| `GET` | `/admin/nothing` | new | api-gateway |\n"
    assert problems(readme.replace(rows[0] + "\n", rows[0] + "\n" + extra)), "an extra row went unnoticed"
    assert problems(readme.replace(rows[0], rows[0].replace("api-gateway |", "billing |"))), \
        "an unknown service went unnoticed"
