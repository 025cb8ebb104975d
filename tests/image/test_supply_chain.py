"""The supply chain of `make test`: the dependency policy (deny.toml, run by cargo-deny in
the lint stage) refuses what it should, and the pinned toolchain (rust-toolchain.toml) is
the one the bootstrap installs and the Dockerfile builds with."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DENY = ROOT / "deny.toml"


def cargo_deny(config: Path) -> subprocess.CompletedProcess:
    assert shutil.which("cargo-deny"), "cargo-deny is missing: run scripts/bootstrap.sh"
    return subprocess.run(["cargo", "deny", "--workspace", "--locked", "--config", str(config), "check", "licenses", "bans", "sources"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_lint_stage_runs_the_policy():
    lint = re.search(r"stage_lint\(\) \{(.*?)\n\}", (ROOT / "scripts" / "test.sh").read_text(), re.S).group(1)
    assert "cargo deny --workspace --locked check licenses bans sources" in lint


def test_the_workspace_satisfies_the_policy():
    result = cargo_deny(DENY)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bans ok, licenses ok, sources ok" in result.stdout + result.stderr


def policy_problems(text: str) -> list[str]:
    policy = tomllib.loads(text)
    found = []
    sources = policy.get("sources", {})
    if sources.get("unknown-registry") != "deny" or sources.get("unknown-git") != "deny":
        found.append("unknown registries and git sources must be denied")
    if sources.get("allow-registry") != ["https://github.com/rust-lang/crates.io-index"] or sources.get("allow-git"):
        found.append("crates.io must be the only source")
    copyleft = {"GPL-2.0", "GPL-3.0", "AGPL-3.0", "LGPL-2.1", "LGPL-3.0", "SSPL-1.0", "MPL-2.0"}
    if copyleft & set(policy.get("licenses", {}).get("allow", [])):
        found.append("a copyleft license is allowed")
    return found


def test_the_policy_allows_crates_io_only_and_permissive_licenses():
    assert policy_problems(DENY.read_text()) == []


@pytest.mark.parametrize("old,new", [
    ('unknown-git = "deny"', 'unknown-git = "allow"'),
    ("allow-git = []", 'allow-git = ["https://github.com/example/fork"]'),
    ('    "MIT",\n', '    "MIT",\n    "GPL-3.0",\n'),
])
def test_a_loosened_policy_is_caught(old, new):
    assert old in DENY.read_text()
    assert policy_problems(DENY.read_text().replace(old, new))



@pytest.mark.parametrize("old,new,expected", [
    # A license no one decided to allow (leptos's server_fn brings xxhash-rust, BSL-1.0).
    ('    "BSL-1.0",\n', "", "licenses FAILED"),
    # A crate the workspace uses, banned: the bans check sees the whole graph.
    ('deny = [\n', 'deny = [\n    { crate = "ring", reason = "test" },\n', "bans FAILED"),
])
def test_a_broken_policy_or_dependency_is_caught(tmp_path, old, new, expected):
    text = DENY.read_text()
    assert old in text
    broken = tmp_path / "deny.toml"
    broken.write_text(text.replace(old, new))
    result = cargo_deny(broken)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr, result.stderr[-3000:]


def test_the_toolchain_is_pinned_with_what_the_build_needs():
    toolchain = tomllib.loads((ROOT / "rust-toolchain.toml").read_text())["toolchain"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", toolchain["channel"]), "a release, not stable or nightly"
    assert {"clippy", "rustfmt"} <= set(toolchain["components"])
    assert "wasm32-unknown-unknown" in toolchain["targets"]
    # The image's Rust is the same release, and the file is in the build context before the
    # bootstrap runs there.
    dockerfile = (ROOT / "Dockerfile").read_text()
    major_minor = toolchain["channel"].rsplit(".", 1)[0]
    assert re.search(rf"^FROM --platform=\$BUILDPLATFORM rust:{re.escape(major_minor)}-\S+ AS build$", dockerfile, re.M)
    copied = re.search(r"^COPY [^\n]*\brust-toolchain\.toml\b[^\n]* \./$", dockerfile, re.M)
    assert copied and copied.start() < dockerfile.index("scripts/bootstrap.sh --build-tools")
    assert "rust-toolchain.toml" not in (ROOT / ".dockerignore").read_text()


def test_rustc_runs_the_pinned_toolchain_offline():
    channel = tomllib.loads((ROOT / "rust-toolchain.toml").read_text())["toolchain"]["channel"]
    result = subprocess.run(["rustc", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"rustc {channel} "), result.stdout
    assert "downloading" not in result.stderr.lower(), result.stderr
