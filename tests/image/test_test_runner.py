"""scripts/test.sh's runner: every stage has a time limit, a stage over its limit fails the
run with its name (and its processes are stopped), and each stage's time and the total are
printed. Run against a copy of scripts/ whose k8s stage only sleeps and whose bootstrap
does nothing, so no tool or build is involved."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_SH = ROOT / "scripts" / "test.sh"


def default_stages() -> list[str]:
    return re.search(r"STAGES=\(([a-z0-9 ]+)\) *$", TEST_SH.read_text(), re.M).group(1).split()


def limits(text: str) -> dict[str, int]:
    block = re.search(r"declare -A STAGE_LIMITS=\((.*?)\)\n", text, re.S).group(1)
    return {k: int(v) for k, v in re.findall(r"\[(\w+)\]=(\d+)", block)}


def test_every_stage_has_a_time_limit():
    found = limits(TEST_SH.read_text())
    assert set(default_stages()) | {"build"} <= set(found), f"stages without a limit: {set(default_stages()) - set(found)}"
    assert all(0 < v <= 3600 for v in found.values()), found


def fake_repo(tmp_path: Path, text: str | None = None) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "lib.sh", repo / "scripts" / "lib.sh")
    (repo / "scripts" / "bootstrap.sh").write_text("#!/usr/bin/env bash\n")
    script = (text or TEST_SH.read_text()).replace(
        "stage_k8s() {\n",
        'stage_k8s() {\n    echo "k8s stand-in: sleeping $FAKE_SLEEP s"; sleep "$FAKE_SLEEP"; PASSED=3; return\n', 1)
    assert "k8s stand-in" in script
    (repo / "scripts" / "test.sh").write_text(script)
    for f in ("bootstrap.sh", "test.sh"):
        (repo / "scripts" / f).chmod(0o755)
    return repo


def run(repo: Path, sleep: int, limit: int, deadline: int = 30) -> subprocess.CompletedProcess:
    """Runs the copy in its own session; whatever it leaves behind is killed at the end."""
    env = {**os.environ, "FAKE_SLEEP": str(sleep), "TEST_TIMEOUT_K8S": str(limit)}
    child = subprocess.Popen([str(repo / "scripts" / "test.sh"), "k8s"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = child.communicate(timeout=deadline)
        return subprocess.CompletedProcess(child.args, child.returncode, out, err)
    finally:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()


def test_a_stage_prints_its_time_and_the_total(tmp_path):
    result = run(fake_repo(tmp_path), sleep=1, limit=30)
    assert result.returncode == 0, result.stderr
    assert re.search(r"stage k8s passed in \d+ s", result.stderr), result.stderr
    assert re.search(r"^total: 3 passed, 0 failed, in \d+ s$", result.stdout, re.M), result.stdout


def test_a_stage_over_its_limit_fails_the_run_and_is_stopped(tmp_path):
    started = time.monotonic()
    result = run(fake_repo(tmp_path), sleep=60, limit=2)
    assert result.returncode != 0
    assert "stage k8s timed out" in result.stderr, result.stderr
    assert time.monotonic() - started < 20
    left = subprocess.run(["pgrep", "-f", f"{tmp_path}/repo/scripts/test.sh"], capture_output=True, text=True).stdout
    assert left == "", "the stage's processes must be stopped"


def test_a_runner_without_the_limit_is_caught(tmp_path):
    broken = TEST_SH.read_text().replace('timeout --kill-after=30 "$limit" ', "")
    assert broken != TEST_SH.read_text()
    with pytest.raises(subprocess.TimeoutExpired):
        run(fake_repo(tmp_path, broken), sleep=60, limit=2, deadline=8)
