"""The dashboard's overlays applied over a namespace created from Galaxy's own manifests
(tests/k8s/galaxy/, transcribed from Galaxy's Kubernetes specification): same selectors,
one owner per object name, no second PodDisruptionBudget over the same pods, one owner of
the /admin route and of the certificate, and pods that Galaxy's LimitRange admits."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from manifest_checks import ROOT, SPEC_SELECTOR, pdb_overlaps, render

GALAXY = [doc for doc in yaml.safe_load_all((Path(__file__).parent / "galaxy" / "galaxy-prod.yaml").read_text()) if doc]
NAMESPACES = {"local-dev": "galaxy-dev", "staging": "galaxy-staging", "prod": "galaxy-prod"}
# Objects of Galaxy's manifests that this repository takes over, by the same name: an
# apply replaces them. Any other name shared with Galaxy's objects would be a conflict.
TAKEN_OVER = {
    ("ServiceAccount", "admin-dashboard"),
    ("Service", "admin-dashboard"),
    ("Deployment", "admin-dashboard"),
    ("PodDisruptionBudget", "admin-dashboard-pdb"),
    ("NetworkPolicy", "allow-ingress-admin-dashboard"),
}


def key(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def galaxy_in(namespace: str) -> list[dict]:
    """Galaxy's objects in a namespace. Outside prod the spec replaces the ingress
    controller's policies with node-port ones, and there is no Ingress or Certificate
    (services are reached on node ports, with mkcert certificates)."""
    objects = json.loads(json.dumps(GALAXY))
    if namespace != "galaxy-prod":
        objects = [o for o in objects if o["kind"] not in ("Ingress", "Certificate")
                   and not o["metadata"]["name"].startswith("allow-ingress-")]
    for obj in objects:
        obj["metadata"]["namespace"] = namespace
    return objects


def applied(ours: list[dict], theirs: list[dict]) -> list[dict]:
    """The namespace after `kubectl apply -k` of ours over theirs."""
    mine = {key(o) for o in ours}
    return [o for o in theirs if key(o) not in mine] + ours


def quantity(value: str) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    number, unit = re.fullmatch(r"([\d.]+)(m|Ki|Mi|Gi)?", str(value)).groups()
    return float(number) * units.get(unit, 1)


def ingress_paths(objects: list[dict]) -> set[tuple[str, str]]:
    return {(rule.get("host"), path["path"].rstrip("/") or "/")
            for o in objects if o["kind"] == "Ingress"
            for rule in o["spec"]["rules"] for path in rule.get("http", {}).get("paths", [])}


@pytest.fixture(scope="module", params=list(NAMESPACES))
def both(request):
    return request.param, render(ROOT / "k8s" / "overlays" / request.param), galaxy_in(NAMESPACES[request.param])


def test_one_owner_per_object_name(both):
    _, ours, theirs = both
    shared = {key(o) for o in ours} & {key(o) for o in theirs}
    assert shared <= TAKEN_OVER, f"would overwrite Galaxy's {sorted(shared - TAKEN_OVER)}"
    assert not [o for o in ours if o["metadata"]["name"] == "frontend-config"], "Galaxy's shared ConfigMap stays Galaxy's"


def test_the_selector_is_galaxys(both):
    _, ours, theirs = both
    mine = next(o for o in ours if o["kind"] == "Deployment")
    galaxys = next(o for o in theirs if o["kind"] == "Deployment")
    assert mine["spec"]["selector"] == galaxys["spec"]["selector"] == {"matchLabels": SPEC_SELECTOR}, "selectors are immutable"


def test_no_two_disruption_budgets_over_the_same_pods(both):
    _, ours, theirs = both
    assert pdb_overlaps(applied(ours, theirs)) == []


def test_pdb_overlap_is_detected():
    # The dashboard's PDB under its former name, beside Galaxy's: what this test prevents.
    ours = render(ROOT / "k8s" / "overlays" / "prod")
    renamed = [json.loads(json.dumps(o)) for o in ours]
    next(o for o in renamed if o["kind"] == "PodDisruptionBudget")["metadata"]["name"] = "admin-dashboard"
    assert pdb_overlaps(applied(renamed, galaxy_in("galaxy-prod")))


def test_every_policy_over_the_pods_limits_its_ports(both):
    # Galaxy's allow-ingress-admin-dashboard admits the controller on every port, the
    # metrics port included; the dashboard's policy of the same name replaces it.
    _, ours, theirs = both
    pod_labels = next(o for o in ours if o["kind"] == "Deployment")["spec"]["template"]["metadata"]["labels"]
    for policy in (o for o in applied(ours, theirs) if o["kind"] == "NetworkPolicy"):
        selector = policy["spec"].get("podSelector", {}).get("matchLabels", {})
        if all(pod_labels.get(k) == v for k, v in selector.items()):
            for rule in policy["spec"].get("ingress", []):
                assert rule.get("ports"), f"{policy['metadata']['name']} admits every port of the dashboard's pods"


def test_galaxys_limit_range_admits_every_container(both):
    _, ours, theirs = both
    limits = next(o for o in theirs if o["kind"] == "LimitRange")["spec"]["limits"][0]
    pod = next(o for o in ours if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    for container in pod["containers"]:
        for kind in ("requests", "limits"):
            for resource, value in container["resources"][kind].items():
                assert quantity(limits["min"][resource]) <= quantity(value) <= quantity(limits["max"][resource]), \
                    f"{container['name']} {kind}.{resource} {value} is outside Galaxy's LimitRange"


def test_one_owner_of_the_route_and_the_certificate(tmp_path):
    ours = render(ROOT / "k8s" / "overlays" / "prod")
    theirs = galaxy_in("galaxy-prod")
    certificate = next(o for o in theirs if o["kind"] == "Certificate")
    ingress = next(o for o in ours if o["kind"] == "Ingress")
    # The dashboard's own Certificates are for the pods (the Service's cluster names), never
    # for the public host, whose certificate stays Galaxy's.
    for cert in (o for o in ours if o["kind"] == "Certificate"):
        assert cert["spec"]["secretName"] != certificate["spec"]["secretName"]
        assert "galaxy.example.com" not in cert["spec"].get("dnsNames", [])
        assert key(cert) not in {key(o) for o in theirs}
    assert not [k for k in ingress["metadata"].get("annotations", {}) if k.startswith("cert-manager.io/")], \
        "cert-manager would create a second Certificate for the host"
    assert {t["secretName"] for t in ingress["spec"]["tls"]} == {certificate["spec"]["secretName"]}
    # Galaxy's /admin path is the only one both have, and the migration script removes it.
    assert ingress_paths(ours) & ingress_paths(theirs) == {("galaxy.example.com", "/admin")}
    migrated = adopt_admin_route(theirs, tmp_path)
    assert ingress_paths(ours) & ingress_paths(migrated) == set()
    assert ingress_paths(migrated) == ingress_paths(theirs) - {("galaxy.example.com", "/admin")}


def adopt_admin_route(theirs: list[dict], tmp: Path) -> list[dict]:
    """Runs scripts/adopt-admin-route.sh twice against a kubectl stand-in that serves
    Galaxy's galaxy-ingress (and renders with the real kubectl); returns Galaxy's objects as
    the script leaves them. Checks the order: the workload server-side with the field manager
    first, without the Ingress; then galaxy-ingress's /admin out, the dashboard's Ingress in."""
    galaxy_ingress = next(o for o in theirs if key(o) == ("Ingress", "galaxy-ingress"))
    (tmp / "ingress.json").write_text(json.dumps(galaxy_ingress))
    (tmp / "bin").mkdir()
    real = shutil.which("kubectl")
    fake = tmp / "bin" / "kubectl"
    fake.write_text(f"""#!/usr/bin/env bash
case "$*" in
    "kustomize "*) exec {real} "$@" ;;
esac
echo "$*" | sed 's#-f /[^ ]*/\\(.*\\)\\.yaml#-f \\1#' >>{tmp}/calls
case "$*" in
    "apply --server-side --field-manager=admin-dashboard --force-conflicts -f "*)
        n=$(ls {tmp}/applied-* 2>/dev/null | wc -l); cp "${{@: -1}}" {tmp}/applied-$n.yaml ;;
    "version --client -o json") echo '{{"clientVersion": {{"major": "1", "minor": "32"}}}}' ;;
    *"get deployment admin-dashboard -o jsonpath={{.spec.template.spec.containers[*].name}}") echo "${{FAKE_CONTAINERS:-nginx metrics}}" ;;
    *" annotate "*" kubectl.kubernetes.io/last-applied-configuration-") ;;
    *" rollout status deployment/admin-dashboard --timeout=300s") ;;
    *"get ingress galaxy-ingress -o json") cat {tmp}/ingress.json ;;
    *"replace -f -") cat >{tmp}/ingress.json ;;
    *"get ingress -o json")
        python3 -c 'import json,sys,yaml,glob
items={{d["metadata"]["name"]: d for f in sorted(glob.glob(sys.argv[2])) for d in yaml.safe_load_all(open(f)) if d and d["kind"]=="Ingress"}}
print(json.dumps({{"items": [json.load(open(sys.argv[1]))] + list(items.values())}}))' {tmp}/ingress.json "{tmp}/applied-*.yaml" ;;
    *) exit 3 ;;
esac
""")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp / 'bin'}:{os.environ['PATH']}"}
    apply = "apply --server-side --field-manager=admin-dashboard --force-conflicts"
    annotations = [f"-n galaxy-prod annotate {o} kubectl.kubernetes.io/last-applied-configuration-" for o in (
        "deployment/admin-dashboard", "service/admin-dashboard", "serviceaccount/admin-dashboard",
        "poddisruptionbudget/admin-dashboard-pdb", "networkpolicy/allow-ingress-admin-dashboard")]
    first = ["version --client -o json", f"{apply} -f workload",
             "-n galaxy-prod get deployment admin-dashboard -o jsonpath={.spec.template.spec.containers[*].name}", *annotations, "-n galaxy-prod rollout status deployment/admin-dashboard --timeout=300s",
             "-n galaxy-prod get ingress galaxy-ingress -o json", "-n galaxy-prod replace -f -", f"{apply} -f route",
             "-n galaxy-prod get ingress -o json"]
    for run in (1, 2):
        result = subprocess.run([str(ROOT / "scripts" / "adopt-admin-route.sh"), "galaxy-prod"], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        calls = (tmp / "calls").read_text().splitlines()
        if run == 1:
            assert calls == first, calls
    # The second run finds nothing to remove: it applies and checks again.
    assert calls[len(first):] == [c for c in first if "replace" not in c]
    # Galaxy's container left beside ours (a field manager kept it): refused before the route moves.
    result = subprocess.run([str(ROOT / "scripts" / "adopt-admin-route.sh"), "galaxy-prod"], capture_output=True, text=True,
                            env={**env, "FAKE_CONTAINERS": "admin-dashboard nginx metrics"})
    assert result.returncode != 0 and "has the containers 'admin-dashboard metrics nginx'" in result.stderr, result.stderr
    assert "replace -f -" not in (tmp / "calls").read_text().splitlines()[-1]
    workload = [d for d in yaml.safe_load_all((tmp / "applied-0.yaml").read_text()) if d]
    assert "Ingress" not in {d["kind"] for d in workload} and "Deployment" in {d["kind"] for d in workload}
    migrated = json.loads((tmp / "ingress.json").read_text())
    return [migrated if key(o) == ("Ingress", "galaxy-ingress") else o for o in theirs]
