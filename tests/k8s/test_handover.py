"""The hand-over to Galaxy's repository (handover/galaxy/): the patch applies to Galaxy's
manifests (tests/k8s/galaxy/: the prod objects and k8s/ingress.yaml as Galaxy's
specification gives them), and Galaxy's render with it, next to this repository's overlay,
has exactly one owner for every object and every route. Broken hand-overs must be caught."""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from manifest_checks import ROOT, render
from test_coexistence import galaxy_in

GALAXY = Path(__file__).parent / "galaxy"
PATCH = ROOT / "handover" / "galaxy" / "0001-hand-the-admin-dashboard-over.patch"
COMPONENT = "k8s/components/admin-dashboard-handover"


def galaxy_repo(tmp: Path, patch: str | None = None, with_component: bool = True, namespace: str = "galaxy-prod") -> Path:
    """Galaxy's repository as far as the dashboard is concerned: an overlay with its objects
    of the namespace (tests/k8s/test_coexistence.py's galaxy_in: no Ingress, Certificate or
    ingress policies outside prod), and k8s/ingress.yaml (applied on its own, prod only);
    then the patch applied with git, and the one line the procedure adds to each overlay."""
    repo = tmp / "galaxy"
    overlay = repo / "k8s" / "overlays" / "prod"
    overlay.mkdir(parents=True)
    ingress = "".join((GALAXY / "ingress.yaml").read_text().splitlines(keepends=True)[3:])  # without our header
    (repo / "k8s" / "ingress.yaml").write_text(ingress)
    objects = [o for o in galaxy_in(namespace) if o["kind"] != "Ingress"]
    (overlay / "galaxy-prod.yaml").write_text(yaml.safe_dump_all(objects))
    (overlay / "kustomization.yaml").write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                                "resources:\n  - galaxy-prod.yaml\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    if patch is not None:
        (tmp / "handover.patch").write_text(patch)
        subprocess.run(["git", "apply", str(tmp / "handover.patch")], cwd=repo, check=True, capture_output=True)
        if with_component:
            with (overlay / "kustomization.yaml").open("a") as f:
                f.write("components:\n  - ../../components/admin-dashboard-handover\n")
    return repo


def galaxy_objects(repo: Path, with_ingress: bool = True) -> list[dict]:
    """Galaxy's render, and in prod its k8s/ingress.yaml, applied beside it."""
    ingress = [yaml.safe_load((repo / "k8s" / "ingress.yaml").read_text())] if with_ingress else []
    return render(repo / "k8s" / "overlays" / "prod") + ingress


def routes(objects: list[dict]) -> list[tuple[str, str, str]]:
    """(host, path, owner) of every Ingress path and HTTPRoute match."""
    found = []
    for o in objects:
        if o["kind"] == "Ingress":
            for rule in o["spec"].get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    found.append((rule.get("host"), path["path"].rstrip("/") or "/", f"Ingress {o['metadata']['name']}"))
        elif o["kind"] == "HTTPRoute":
            for host in o["spec"].get("hostnames", []):
                for rule in o["spec"]["rules"]:
                    for match in rule.get("matches", []):
                        found.append((host, match["path"]["value"].rstrip("/") or "/", f"HTTPRoute {o['metadata']['name']}"))
    return found


def ownership_problems(ours: list[dict], theirs: list[dict], routed: bool = True) -> list[str]:
    found = []
    owners = collections.defaultdict(list)
    for who, objects in (("admin-dashboard", ours), ("Galaxy", theirs)):
        for o in objects:
            owners[(o["kind"], o["metadata"]["name"])].append(who)
        for host, path, obj in routes(objects):
            owners[("route", f"{host}{path}")].append(f"{who} ({obj})")
    for (kind, name), who in sorted(owners.items()):
        if len(who) > 1:
            found.append(f"{kind} {name} has {len(who)} owners: {who}")
    # The dashboard's objects and route are this repository's.
    ours_only = [("Deployment", "admin-dashboard"), ("Service", "admin-dashboard"), ("ServiceAccount", "admin-dashboard"),
                 ("PodDisruptionBudget", "admin-dashboard-pdb")]
    if routed:
        ours_only += [("NetworkPolicy", "allow-ingress-admin-dashboard"), ("route", "galaxy.example.com/admin")]
    for key in ours_only:
        if owners.get(key, [""])[0].split(" ")[0] != "admin-dashboard":
            found.append(f"{key[0]} {key[1]} is not owned by the admin-dashboard repository: {owners.get(key)}")
    frontend = next((o for o in theirs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "frontend-config"), None)
    if frontend and "admin-dashboard-config.js" in frontend.get("data", {}):
        found.append("frontend-config still carries admin-dashboard-config.js, which nothing reads")
    return found


@pytest.fixture(scope="module")
def ours():
    return render(ROOT / "k8s" / "overlays" / "prod")


def test_every_object_and_route_has_exactly_one_owner(ours, tmp_path):
    theirs = galaxy_objects(galaxy_repo(tmp_path, PATCH.read_text()))
    assert ownership_problems(ours, theirs) == []
    # Galaxy keeps everything else: its other routes, the web client's config, its Certificate.
    kept = {(h, p) for h, p, _ in routes(theirs)}
    assert kept == {("galaxy.example.com", "/api"), ("galaxy.example.com", "/ws"), ("galaxy.example.com", "/")}
    frontend = next(o for o in theirs if o["metadata"]["name"] == "frontend-config")
    assert "web-client-config.js" in frontend["data"]
    assert ("Certificate", "galaxy-tls") in {(o["kind"], o["metadata"]["name"]) for o in theirs}


@pytest.mark.parametrize("overlay,namespace", [("local-dev", "galaxy-dev"), ("staging", "galaxy-staging")])
def test_the_node_port_namespaces_have_one_owner_too(tmp_path, overlay, namespace):
    """The same patch in Galaxy's dev and staging overlays (no Ingress, no ingress policy
    there: the component's deletes match nothing and change nothing)."""
    mine = render(ROOT / "k8s" / "overlays" / overlay)
    theirs = galaxy_objects(galaxy_repo(tmp_path, PATCH.read_text(), namespace=namespace), with_ingress=False)
    assert ownership_problems(mine, theirs, routed=False) == []
    before = galaxy_objects(galaxy_repo(tmp_path / "before", namespace=namespace), with_ingress=False)
    assert ownership_problems(mine, before, routed=False)


def test_without_the_hand_over_every_taken_over_object_has_two_owners(ours, tmp_path):
    found = ownership_problems(ours, galaxy_objects(galaxy_repo(tmp_path)))
    for name in ("Deployment admin-dashboard", "PodDisruptionBudget admin-dashboard-pdb", "route galaxy.example.com/admin",
                 "frontend-config still carries"):
        assert any(name in p for p in found), (name, found)


def drop_block(patch: str, kind_line: str) -> str:
    """The patch without the component's entry that deletes that kind (the hunk's line
    count adjusted, so git still applies it)."""
    lines = patch.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line == f"+  - target:\n" and lines[i + 1] == f"+      {kind_line}\n")
    end = start + 1
    while not lines[end].startswith("+  - target:") and not lines[end].startswith("+  # "):
        end += 1
    removed = end - start
    text = "".join(lines[:start] + lines[end:])
    count = int(re.search(r"@@ -0,0 \+1,(\d+) @@", text).group(1))
    return text.replace(f"@@ -0,0 +1,{count} @@", f"@@ -0,0 +1,{count - removed} @@", 1)


@pytest.mark.parametrize("broken,expected", [
    # The Ingress hunk left out: ingress-nginx's webhook would refuse Galaxy's whole Ingress.
    (lambda p: p[: p.index("diff --git a/k8s/ingress.yaml")] + "-- \n", "route galaxy.example.com/admin has 2 owners"),
    # One object left in Galaxy's render: its next apply takes it back.
    (lambda p: drop_block(p, "kind: PodDisruptionBudget"), "PodDisruptionBudget admin-dashboard-pdb has 2 owners"),
])
def test_a_broken_hand_over_is_caught(ours, tmp_path, broken, expected):
    text = PATCH.read_text()
    patch = broken(text)
    assert patch != text
    theirs = galaxy_objects(galaxy_repo(tmp_path, patch))
    assert any(expected in p for p in ownership_problems(ours, theirs))


def test_the_overlay_line_is_needed(ours, tmp_path):
    theirs = galaxy_objects(galaxy_repo(tmp_path, PATCH.read_text(), with_component=False))
    assert any("Deployment admin-dashboard has 2 owners" in p for p in ownership_problems(ours, theirs))


def test_the_procedure_is_documented():
    readme = (ROOT / "handover" / "galaxy" / "README.md").read_text()
    for needed in ("--server-side", "--field-manager=admin-dashboard", "last-applied-configuration",
                   "scripts/adopt-admin-route.sh", "git am", "admin-dashboard-handover"):
        assert needed in readme, needed
