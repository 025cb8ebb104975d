"""The image pipeline, checked offline: the GitHub Actions workflow against the workflow
schema (check-jsonschema's vendored SchemaStore schema), its shell steps with shellcheck,
its step references, and the promises it keeps (both platforms, PREVIOUS_IMAGE, SBOM,
provenance, the two tags, never overwriting a version); and scripts/build-image.sh's
refusal to re-tag a version, against a docker stand-in."""

from __future__ import annotations

import copy
import os
import re
import shutil
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
    builds = [s for s in using(doc, "docker/build-push-action") if s.get("id") == "build"]
    if len(builds) != 1:
        return found + [f"expected one docker/build-push-action step with id build (the release), found {len(builds)}"]
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
    return found + release_problems(doc)


def step_index(doc: dict, predicate) -> int:
    return next((i for i, s in enumerate(steps(doc)) if predicate(s)), -1)


def release_problems(doc: dict) -> list[str]:
    """What happens around the release build: the candidate is built, run read-only and
    smoke-tested, and scanned before the push; the pushed digest is signed, attested and
    written back after it."""
    found = []
    all_steps = steps(doc)
    env = doc.get("env", {})
    push = step_index(doc, lambda s: s.get("id") == "build")
    candidate = step_index(doc, lambda s: s.get("uses", "").startswith("docker/build-push-action@")
                           and s.get("with", {}).get("load") is True and str(s["with"].get("push")).lower() == "false")
    if candidate < 0:
        found.append("no candidate image built locally (load: true, push: false) before the push")
    elif candidate > push:
        found.append("the candidate is built after the push")
    elif all_steps[candidate]["with"].get("tags") != "${{ env.TEST_IMAGE }}" or not env.get("TEST_IMAGE"):
        found.append("the candidate is not tagged ${{ env.TEST_IMAGE }}")
    smoke = step_index(doc, lambda s: "docker run" in s.get("run", ""))
    if smoke < 0:
        found.append("the image is never run before it is pushed")
    else:
        script = all_steps[smoke]["run"]
        run_line = re.search(r"docker run .*?\$TEST_IMAGE\"", script, re.S)
        run_line = run_line.group(0) if run_line else ""
        for needed, what in (("--read-only", "a read-only root"), ("--tmpfs /tmp", "/tmp writable"),
                             ("--user 101:101", "UID 101"), ("--cap-drop ALL", "no capabilities")):
            if needed not in run_line:
                found.append(f"the smoke test does not run the image with {what} ({needed})")
        for mount in re.findall(r'-v "?([^" ]+)"?', run_line):
            if not re.search(r":(/etc/nginx/galaxy|/etc/nginx/tls):ro$", mount):
                found.append(f"the smoke test mounts something writable besides /tmp: {mount}")
        for needed, what in ((r"/health\b", "health"), (r"https://localhost:8443/admin/\s", "/admin/"),
                             ("content-security-policy", "headers"), ("strict-transport-security", "no HSTS")):
            if not re.search(needed, script):
                found.append(f"the smoke test does not check {what}")
        if smoke > push or smoke < candidate:
            found.append("the smoke test must run on the candidate, before the push")
    scans = [i for i, s in enumerate(all_steps) if s.get("uses", "").startswith("aquasecurity/trivy-action@")
             and s.get("with", {}).get("exit-code") == "1"]
    if not scans:
        found.append("no vulnerability scan fails the build")
    else:
        scan = all_steps[scans[0]]["with"]
        if scans[0] > push or scan.get("image-ref") != "${{ env.TEST_IMAGE }}":
            found.append("the scan must look at the candidate before the push")
        if scan.get("severity") != "CRITICAL" or scan.get("ignore-unfixed") is not True:
            found.append("the scan must fail on fixable critical findings (severity CRITICAL, ignore-unfixed)")
    digest = "${{ steps.build.outputs.digest }}"
    tagged = "github.ref_type == 'tag'"
    sign = step_index(doc, lambda s: "cosign sign --yes" in s.get("run", ""))
    if sign < 0 or not using(doc, "sigstore/cosign-installer"):
        found.append("the pushed image is not signed (cosign)")
    elif sign < push or all_steps[sign].get("env", {}).get("DIGEST") != digest or '"$IMAGE@$DIGEST"' not in all_steps[sign]["run"]:
        found.append("cosign must sign the pushed digest, after the push")
    if "cosign attest --yes --type spdxjson" not in "".join(s.get("run", "") for s in all_steps):
        found.append("no SBOM attestation of the pushed digest")
    provenance = using(doc, "actions/attest-build-provenance")
    if not provenance or provenance[0]["with"].get("subject-digest") != digest or provenance[0]["with"].get("push-to-registry") is not True:
        found.append("no provenance attestation of the pushed digest")
    perms = doc["jobs"]["image"].get("permissions", {})
    if perms.get("id-token") != "write" or perms.get("attestations") != "write":
        found.append("keyless signing and attestations need id-token: write and attestations: write")
    write_back = step_index(doc, lambda s: "scripts/pin-image-digest.sh" in s.get("run", ""))
    if write_back < 0:
        found.append("the pushed digest is not written back to the overlays")
    elif write_back < push or all_steps[write_back].get("env", {}).get("DIGEST") != digest:
        found.append("the write-back must use the pushed digest, after the push")
    for i in (sign, write_back):
        if i >= 0 and all_steps[i].get("if") != tagged:
            found.append(f"{all_steps[i].get('name')} must run on release tags only")
    if not any("nginx/nginx-prometheus-exporter" in s.get("run", "") and "imagetools inspect" in s.get("run", "") for s in all_steps):
        found.append("nothing checks the exporter's pinned digest against its registry")
    return found


PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40})  # (v\d+(?:\.\d+)*)$")


def pinning_problems(text: str) -> list[str]:
    """Every action by its full commit SHA, the release named in the comment."""
    return [f"not pinned by commit SHA with its version: {line.strip()}"
            for line in text.splitlines() if re.match(r"^\s*(?:- )?uses:", line) and not PINNED.match(line)]


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
            if step.get("uses", "").startswith("docker/build-push-action@"):
                written[step["id"]] |= {"digest", "imageid", "metadata"}  # the action's outputs
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


def test_every_action_is_pinned_by_commit_sha():
    assert pinning_problems(WORKFLOW.read_text()) == []
    assert len([line for line in WORKFLOW.read_text().splitlines() if PINNED.match(line)]) >= 8


@pytest.mark.parametrize("old,new", [
    ("uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262  # v4.4.0", "uses: actions/checkout@v4"),
    ("@10e90e3645eae34f1e60eeb005ba3a3d33f178e8  # v6.19.2", "@10e90e3  # v6.19.2"),
    ("@6f9f17788090df1f26f669e9d70d6ae9567deba6  # v4.1.2", "@6f9f17788090df1f26f669e9d70d6ae9567deba6"),
])
def test_an_action_pinned_by_tag_is_caught(old, new):
    assert old in WORKFLOW.read_text()
    assert pinning_problems(WORKFLOW.read_text().replace(old, new, 1))


def test_its_shell_steps_pass_shellcheck(tmp_path):
    assert shellcheck(load(WORKFLOW.read_text()), tmp_path) == []


def test_shellcheck_catches_a_broken_step(tmp_path):
    doc = load(WORKFLOW.read_text())
    next(s for s in reversed(steps(doc)) if "run" in s)["run"] += "\nfor f in $(ls $IMAGE); do echo $f; done\n"
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
    return next(s for s in using(doc, "docker/build-push-action") if s.get("id") == "build")


def named(doc: dict, prefix: str) -> dict:
    return next(s for s in steps(doc) if s.get("name", "").startswith(prefix))


def drop(doc: dict, prefix: str) -> None:
    doc["jobs"]["image"]["steps"].remove(named(doc, prefix))


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
    # Run before it ships.
    (lambda d: drop(d, "Smoke test"), "never run before it is pushed"),
    (lambda d: named(d, "Smoke test").update(run=named(d, "Smoke test")["run"].replace("--read-only ", "")), "read-only root"),
    (lambda d: named(d, "Smoke test").update(run=named(d, "Smoke test")["run"].replace("--tmpfs /tmp:rw,nosuid,nodev,size=4m", "")),
     "/tmp writable"),
    (lambda d: named(d, "Smoke test").update(run=named(d, "Smoke test")["run"].replace(
        '-v "$smoke/tls:/etc/nginx/tls:ro"', '-v "$smoke/tls:/etc/nginx/tls:ro" -v "$smoke:/var/cache/nginx"')), "writable besides /tmp"),
    (lambda d: d["jobs"]["image"]["steps"].insert(len(steps(d)), d["jobs"]["image"]["steps"].pop(
        d["jobs"]["image"]["steps"].index(named(d, "Smoke test")))), "before the push"),
    (lambda d: drop(d, "Build the candidate"), "no candidate image"),
    # Scanned, signed, attested, written back.
    (lambda d: drop(d, "Vulnerability scan"), "no vulnerability scan"),
    (lambda d: named(d, "Vulnerability scan")["with"].update(severity="HIGH"), "fixable critical"),
    (lambda d: named(d, "Vulnerability scan")["with"].update({"ignore-unfixed": False}), "fixable critical"),
    (lambda d: drop(d, "Sign the pushed"), "not signed"),
    (lambda d: named(d, "Sign the pushed")["env"].update(DIGEST="${{ steps.meta.outputs.version }}"), "sign the pushed digest"),
    (lambda d: named(d, "Sign the pushed").update(run="cosign sign --yes \"$IMAGE@$DIGEST\"\n"), "SBOM attestation"),
    (lambda d: drop(d, "Provenance attestation"), "no provenance attestation"),
    (lambda d: d["jobs"]["image"]["permissions"].pop("id-token"), "id-token: write"),
    (lambda d: drop(d, "Write the pushed digest"), "not written back"),
    (lambda d: named(d, "Write the pushed digest").pop("if"), "release tags only"),
    (lambda d: drop(d, "The exporter sidecar"), "exporter's pinned digest"),
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


# scripts/pin-image-digest.sh, on a copy of the manifests: the overlays then run the pushed
# digest, and bump-version.sh removes it again (it names the old version's image).

def repo_copy(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns("target", "node_modules", ".venv*", ".dev", "dist", ".git"))
    return repo


def rendered_images(repo: Path) -> set[str]:
    images = set()
    for overlay in (repo / "k8s" / "overlays").iterdir():
        out = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True).stdout
        images |= {m for m in re.findall(r"image: (\S+)", out) if m.startswith(IMAGE)}
    return images


def test_the_pushed_digest_is_written_back_to_every_overlay(tmp_path):
    repo = repo_copy(tmp_path)
    for digest in ("sha256:" + "a" * 64, "sha256:" + "b" * 64):  # a second release of the same version replaces it
        subprocess.run([str(repo / "scripts" / "pin-image-digest.sh"), digest], check=True, capture_output=True)
        assert rendered_images(repo) == {f"{IMAGE}:{version()}@{digest}"}
    subprocess.run([str(repo / "scripts" / "bump-version.sh"), "9.9.9"], check=True, capture_output=True, cwd=repo)
    assert rendered_images(repo) == {f"{IMAGE}:9.9.9"}, "a bump must drop the old version's digest"


@pytest.mark.parametrize("digest", ["", "latest", "sha256:1234", "sha256:" + "A" * 64])
def test_pin_image_digest_refuses_a_malformed_digest(tmp_path, digest):
    repo = repo_copy(tmp_path)
    result = subprocess.run([str(repo / "scripts" / "pin-image-digest.sh"), digest], capture_output=True, text=True)
    assert result.returncode != 0
    assert rendered_images(repo) == {f"{IMAGE}:{version()}"}
