"""The image pipeline, checked offline: the GitHub Actions workflow against the workflow
schema (check-jsonschema's vendored SchemaStore schema), its shell steps with shellcheck,
its step references, and the promises it keeps (both platforms, PREVIOUS_IMAGE, SBOM,
provenance, the two tags, never overwriting a version); and scripts/build-image.sh's
refusal to re-tag a version, against a docker stand-in."""

from __future__ import annotations

import copy
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "bin"
WORKFLOW = ROOT / ".github" / "workflows" / "image.yml"
IMAGE = "ghcr.io/erikevenson/galaxy/admin-dashboard"
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(text: str) -> dict:
    # YAML 1.1 reads the key "on" as True; GitHub reads it as "on".
    doc = yaml.safe_load(text)
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job["steps"]]


def using(doc: dict, action: str) -> list[dict]:
    return [s for s in steps(doc) if s.get("uses", "").split("@")[0] == action]


def workflow_problems(doc: dict) -> list[str]:
    found = []
    tags_pushed = doc["on"].get("push", {}).get("tags", [])
    if "v*" not in tags_pushed:
        found.append("a release tag push (v*) must trigger the workflow")
    for action in ("docker/setup-qemu-action", "docker/setup-buildx-action", "docker/login-action"):
        if not using(doc, action):
            found.append(f"no {action} step")
    builds = using(doc, "docker/build-push-action")
    if len(builds) != 1:
        return found + [f"expected one docker/build-push-action step, found {len(builds)}"]
    build = builds[0]
    options = build.get("with", {})
    platforms = {p.strip() for p in str(options.get("platforms", "")).split(",")}
    for platform in ("linux/amd64", "linux/arm64"):
        if platform not in platforms:
            found.append(f"{platform} is not built")
    args = dict(line.split("=", 1) for line in str(options.get("build-args", "")).splitlines() if "=" in line)
    for arg in ("PREVIOUS_IMAGE", "VERSION", "REVISION"):
        if not args.get(arg):
            found.append(f"build-arg {arg} is not passed")
    if str(options.get("sbom")).lower() != "true":
        found.append("no SBOM attestation (sbom: true)")
    if not str(options.get("provenance", "")).startswith("mode=max"):
        found.append("no full provenance attestation (provenance: mode=max)")
    tags = [t.strip() for t in str(options.get("tags", "")).splitlines() if t.strip()]
    image = doc.get("env", {}).get("IMAGE")
    if image != IMAGE:
        found.append(f"IMAGE is {image}, not {IMAGE}")
    if sorted(tags) != sorted(["${{ env.IMAGE }}:${{ steps.meta.outputs.version }}", "${{ env.IMAGE }}:${{ steps.meta.outputs.sha_tag }}"]):
        found.append(f"tags {tags} are not :<version> and :sha-<commit>")
    push = str(options.get("push", ""))
    if push not in ("${{ github.ref_type == 'tag' }}",):
        found.append(f"push: {push!r} must be the release tag pushes only")
    # Before the build, on every run that pushes: a step that fails when the version exists.
    before = steps(doc)[: steps(doc).index(build)]
    guards = [s for s in before if "imagetools inspect \"$IMAGE:$VERSION\"" in s.get("run", "") and "exit 1" in s.get("run", "")]
    if not guards:
        found.append("nothing refuses to overwrite an existing version tag before the build")
    elif guards[0].get("if", "github.ref_type == 'tag'") != "github.ref_type == 'tag'":
        found.append(f"the version check runs only if {guards[0]['if']}, the push on every release tag")
    if doc.get("permissions") != {"contents": "read"}:
        found.append("the workflow's default permissions must be contents: read")
    return found


def reference_problems(doc: dict) -> list[str]:
    """Every steps.<id>.outputs.<name> used is written by an earlier step with that id."""
    found, written = [], {}
    for step in steps(doc):
        text = yaml.safe_dump(step)
        for ref in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
            if ref[1] not in written.get(ref[0], set()):
                found.append(f"steps.{ref[0]}.outputs.{ref[1]} is used before any step writes it")
        if "id" in step:
            written[step["id"]] = set(re.findall(r'echo "([\w-]+)=', step.get("run", "")))
    return found


def shellcheck(doc: dict, tmp_path: Path) -> list[str]:
    found = []
    for i, step in enumerate(s for s in steps(doc) if "run" in s):
        # GitHub substitutes expressions before bash runs; a quoted word stands in for them.
        script = tmp_path / f"step-{i}.sh"
        script.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + EXPR.sub("expression", step["run"]))
        result = subprocess.run(["shellcheck", "-s", "bash", "-S", "warning", str(script)], capture_output=True, text=True)
        if result.returncode:
            found.append(f"{step.get('name')}: {result.stdout}")
    return found


def schema_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True)


def test_the_workflow_is_valid_for_github_actions():
    result = schema_check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "image.yml"
    broken.write_text(WORKFLOW.read_text().replace("    runs-on: ubuntu-24.04\n", "    runs_on: ubuntu-24.04\n"))
    assert schema_check(broken).returncode != 0


def test_the_workflow_keeps_its_promises():
    assert workflow_problems(load(WORKFLOW.read_text())) == []


def test_its_shell_steps_pass_shellcheck(tmp_path):
    assert shellcheck(load(WORKFLOW.read_text()), tmp_path) == []


def test_shellcheck_catches_a_broken_step(tmp_path):
    doc = load(WORKFLOW.read_text())
    steps(doc)[-2]["run"] += "\nfor f in $(ls $IMAGE); do echo $f; done\n"
    assert shellcheck(doc, tmp_path)


def test_every_step_output_used_is_written():
    assert reference_problems(load(WORKFLOW.read_text())) == []
    broken = load(WORKFLOW.read_text().replace('echo "sha_tag=', 'echo "commit_tag='))
    assert reference_problems(broken)


def test_the_dockerfile_takes_the_previous_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG PREVIOUS_IMAGE=no-previous-release$", dockerfile, re.M)
    assert re.search(r"^FROM \$\{PREVIOUS_IMAGE\} AS previous$", dockerfile, re.M)
    assert re.search(r"^FROM .* AS no-previous-release$", dockerfile, re.M), "the default names a stage"
    # The heavy stage builds once, natively, for both platforms.
    assert re.search(r"^FROM --platform=\$BUILDPLATFORM rust:\S+ AS build$", dockerfile, re.M)


def mutate(change) -> dict:
    doc = load(WORKFLOW.read_text())
    change(doc)
    return doc


def build_step(doc: dict) -> dict:
    return using(doc, "docker/build-push-action")[0]


@pytest.mark.parametrize("change,expected", [
    (lambda d: build_step(d)["with"].update(platforms="linux/amd64"), "linux/arm64 is not built"),
    (lambda d: build_step(d)["with"].update({"build-args": "VERSION=1\nREVISION=2"}), "PREVIOUS_IMAGE"),
    (lambda d: build_step(d)["with"].pop("sbom"), "SBOM"),
    (lambda d: build_step(d)["with"].pop("provenance"), "provenance"),
    (lambda d: build_step(d)["with"].update(tags="${{ env.IMAGE }}:latest"), "are not :<version>"),
    (lambda d: build_step(d)["with"].update(push="true"), "release tag pushes only"),
    (lambda d: d["jobs"]["image"]["steps"].remove(next(s for s in steps(d) if s.get("name", "").startswith("Refuse"))),
     "refuses to overwrite"),
    (lambda d: next(s for s in steps(d) if s.get("name", "").startswith("Refuse")).update({"if": "github.event_name == 'schedule'"}),
     "the version check runs only if"),
    (lambda d: d.update(permissions={"contents": "write", "packages": "write"}), "default permissions"),
])
def test_a_broken_workflow_is_caught(change, expected):
    found = workflow_problems(mutate(change))
    assert any(expected in p for p in found), found


# scripts/build-image.sh against a docker stand-in: which image exists where is set per case.
FAKE_DOCKER = """#!/usr/bin/env bash
echo "$*" >>"$FAKE_DIR/calls"
case "$1 $2" in
    "info "*) exit 0 ;;
    "image inspect") [ "$FAKE_LOCAL" = exists ] && exit 0; echo "Error: No such image: $3" >&2; exit 1 ;;
    "buildx imagetools")
        case "$FAKE_REMOTE" in
            exists) echo "Name: $4"; exit 0 ;;
            missing) echo "ERROR: $4: not found" >&2; exit 1 ;;
            *) echo "ERROR: dial tcp: lookup ghcr.io: no such host" >&2; exit 1 ;;
        esac ;;
    "build "*) exit 0 ;;
esac
exit 3
"""


def build_image(tmp_path: Path, local: str, remote: str, previous: str = "") -> tuple[int, str, list[str]]:
    (tmp_path / "bin").mkdir(exist_ok=True)
    docker = tmp_path / "bin" / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(0o755)
    (tmp_path / "calls").write_text("")
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "FAKE_DIR": str(tmp_path),
           "FAKE_LOCAL": local, "FAKE_REMOTE": remote, "PREVIOUS_IMAGE": previous}
    result = subprocess.run([str(ROOT / "scripts" / "build-image.sh")], env=env, capture_output=True, text=True)
    return result.returncode, result.stderr, (tmp_path / "calls").read_text().splitlines()


def version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


@pytest.mark.parametrize("local,remote,message", [
    ("exists", "missing", "exists already on this machine"),
    ("absent", "exists", "is published already"),
    ("absent", "unreachable", "cannot tell whether"),
])
def test_build_image_refuses_to_retag_a_version(tmp_path, local, remote, message):
    code, stderr, calls = build_image(tmp_path, local, remote)
    assert code != 0
    assert message in stderr
    assert not [c for c in calls if c.startswith("build ")], "nothing may be built or tagged"


def test_build_image_builds_a_new_version_with_both_tags(tmp_path):
    code, stderr, calls = build_image(tmp_path, "absent", "missing", previous=f"{IMAGE}:0.0.9")
    assert code == 0, stderr
    build = next(c for c in calls if c.startswith("build "))
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert f"-t {IMAGE}:{version()} " in build
    assert f"-t {IMAGE}:sha-{revision[:12]} " in build
    assert f"--build-arg PREVIOUS_IMAGE={IMAGE}:0.0.9 " in build
    assert f"buildx imagetools inspect {IMAGE}:{version()}" in calls, "the registry was asked first"
