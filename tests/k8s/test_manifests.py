"""The Kustomize overlays, rendered for real and checked against the nginx
configuration, the image and the Galaxy spec, so that drift fails CI."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from manifest_checks import ROOT, nginx_facts, one, problems, render

OVERLAYS = {
    "local-dev": {"namespace": "galaxy-dev", "node_port": 30001, "api": "https://localhost:30002/api", "env": "dev"},
    "staging": {"namespace": "galaxy-staging", "node_port": 31001, "api": "https://localhost:31002/api", "env": "staging"},
    "prod": {"namespace": "galaxy-prod", "node_port": None, "api": "https://galaxy.example.com/api", "env": "prod"},
}
LABELS = {"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
          "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"}
IMAGE = "ghcr.io/erikevenson/galaxy/admin-dashboard"


def cargo_version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


@pytest.fixture(scope="module", params=list(OVERLAYS))
def overlay(request):
    return request.param, OVERLAYS[request.param], render(ROOT / "k8s" / "overlays" / request.param)


def test_no_drift_between_manifests_nginx_and_image(overlay):
    name, _, objects = overlay
    assert problems(objects, nginx_facts()) == [], name


def test_namespace_labels_and_version(overlay):
    name, expected, objects = overlay
    for obj in objects:
        assert obj["metadata"]["namespace"] == expected["namespace"], obj["kind"]
        assert LABELS <= set(obj["metadata"].get("labels", {})), f"{obj['kind']} lacks recommended labels"
        assert obj["metadata"]["labels"]["app.kubernetes.io/version"] == cargo_version()
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"{IMAGE}:{cargo_version()}"
    assert "app.kubernetes.io/version" not in deployment["spec"]["selector"]["matchLabels"], "a selector must survive upgrades"


def test_deployment_follows_the_galaxy_spec(overlay):
    _, _, objects = overlay
    deployment = one(objects, "Deployment")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert spec["replicas"] == 2
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    assert container["resources"] == {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
    assert container["imagePullPolicy"] == "IfNotPresent"
    ctx = container["securityContext"]
    assert (ctx["runAsUser"], ctx["runAsGroup"], pod["securityContext"]["runAsUser"]) == (101, 101, 101)
    timings = lambda p: (p["initialDelaySeconds"], p["periodSeconds"], p["timeoutSeconds"], p["failureThreshold"])  # noqa: E731
    assert timings(container["readinessProbe"]) == (5, 5, 3, 3)
    assert timings(container["livenessProbe"]) == (10, 10, 3, 3)
    assert container["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    assert pod["terminationGracePeriodSeconds"] > container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == one(objects, "ServiceAccount")["metadata"]["name"] == "admin-dashboard"
    assert one(objects, "ServiceAccount")["automountServiceAccountToken"] is False
    spread = pod["topologySpreadConstraints"][0]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert one(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_service_and_traffic_per_overlay(overlay):
    name, expected, objects = overlay
    service = one(objects, "Service")
    port = service["spec"]["ports"][0]
    assert (port["name"], port["port"], port["targetPort"]) == ("https", 443, "https")
    policy = one(objects, "NetworkPolicy")
    from_ingress = policy["spec"]["ingress"][0]
    assert from_ingress["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    if expected["node_port"]:
        assert service["spec"]["type"] == "NodePort"
        assert port["nodePort"] == expected["node_port"]
        assert any("from" not in rule for rule in policy["spec"]["ingress"]), "NodePort traffic is let in"
        assert not [o for o in objects if o["kind"] in ("Ingress", "HorizontalPodAutoscaler")]
    else:
        assert service["spec"]["type"] == "ClusterIP"
        assert len(policy["spec"]["ingress"]) == 1, "prod admits only the ingress controller"
        hpa = one(objects, "HorizontalPodAutoscaler")
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
        assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
        ingress = one(objects, "Ingress")
        notes = ingress["metadata"]["annotations"]
        assert notes["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"
        assert "http_404" in notes["nginx.ingress.kubernetes.io/proxy-next-upstream"]
        assert "cert-manager.io/cluster-issuer" in notes
        rule = ingress["spec"]["rules"][0]
        path = rule["http"]["paths"][0]
        assert (rule["host"], path["path"], path["pathType"]) == ("galaxy.example.com", "/admin", "Prefix")
        assert path["backend"]["service"] == {"name": "admin-dashboard", "port": {"name": "https"}}
        assert ingress["spec"]["tls"][0]["secretName"] == "galaxy-tls"


def test_config_js_and_csp_agree(overlay):
    name, expected, objects = overlay
    data = one(objects, "ConfigMap")["data"]
    settings = dict(re.findall(r'^\s*([A-Z_]+): "([^"]*)",?$', data["config.js"], re.M))
    assert settings == {"API_BASE_URL": expected["api"], "ENVIRONMENT": expected["env"]}
    origin = re.match(r"https://[^/]+", expected["api"]).group(0)
    assert re.search(r'set \$csp_connect_src "([^"]*)";', data["csp.conf"]).group(1) == origin, "connect-src must allow the API"
    assert re.search(r"-[a-z0-9]{10}$", one(objects, "ConfigMap")["metadata"]["name"]), "a content hash rolls the pods"


def test_gateway_api_component_offers_the_same_route(tmp_path):
    # prod, with the component switched on as its kustomization's comment says.
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    prod = tmp_path / "k8s" / "overlays" / "prod" / "kustomization.yaml"
    text = prod.read_text().replace("  # - ../../components/gateway-api", "  - ../../components/gateway-api")
    assert "  - ../../components/gateway-api" in text
    prod.write_text(text)
    objects = render(prod.parent)
    for obj in objects:
        assert LABELS <= set(obj["metadata"].get("labels", {})), obj["kind"]
    route = one(objects, "HTTPRoute")
    rule = route["spec"]["rules"][0]
    assert route["spec"]["hostnames"] == ["galaxy.example.com"]
    assert rule["matches"][0]["path"] == {"type": "PathPrefix", "value": "/admin"}
    assert rule["backendRefs"][0] == {"name": "admin-dashboard", "port": 443}
    assert one(objects, "BackendTLSPolicy")["spec"]["targetRefs"][0]["name"] == "admin-dashboard"
    assert route["metadata"]["namespace"] == "galaxy-prod"


def broken_copy(tmp_path: Path, file: str, old: str, new: str) -> list[dict]:
    """Renders prod from a copy of k8s/ in which every match of the regex `old` became `new`."""
    k8s = tmp_path / "k8s"
    shutil.copytree(ROOT / "k8s", k8s)
    target = k8s / "base" / file
    text, count = re.subn(old, new, target.read_text(), flags=re.M)
    assert count, f"{old!r} not in {file}"
    target.write_text(text)
    return render(k8s / "overlays" / "prod")


@pytest.mark.parametrize("file,old,new,expected", [
    ("deployment.yaml", r"^(\s+port:) https$", r"\1 8080", "readinessProbe port 8080"),
    # checkov does not notice this one; Pod Security "restricted" rejects the pod.
    ("deployment.yaml", r"^\s+runAsNonRoot: true\n", "", "runAsNonRoot must be true"),
    ("deployment.yaml", r"^(\s+)allowPrivilegeEscalation: false", r"\1allowPrivilegeEscalation: true", "allowPrivilegeEscalation"),
    ("deployment.yaml", r"mountPath: /tmp$", "mountPath: /var/cache/nginx", "nginx writes /tmp/nginx.pid"),
    ("deployment.yaml", r"mountPath: /etc/nginx/tls$", "mountPath: /etc/tls", "/etc/nginx/tls/tls.crt"),
    ("deployment.yaml", r"mountPath: /etc/nginx/galaxy$", "mountPath: /etc/galaxy", "/etc/nginx/galaxy/config.js"),
    ("deployment.yaml", r"^\s+readOnlyRootFilesystem: true\n", "", "readOnlyRootFilesystem"),
    ("deployment.yaml", r"^(\s+)scheme: HTTPS$", r"\1scheme: HTTP", "scheme must be HTTPS"),
    ("service.yaml", r"targetPort: https$", "targetPort: http", "targetPort http"),
    ("poddisruptionbudget.yaml", r"^(\s+)app.kubernetes.io/instance: admin-dashboard$",
     r"\1app.kubernetes.io/instance: admin-dashboard\n\1tier: web", "PodDisruptionBudget selector"),
])
def test_a_broken_manifest_is_caught(tmp_path, file, old, new, expected):
    found = problems(broken_copy(tmp_path, file, old, new), nginx_facts())
    assert any(expected in p for p in found), found


def test_version_bump_script_moves_everything(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns("target", "node_modules", ".venv*", ".dev", "dist", ".git"))
    import subprocess
    subprocess.run([str(repo / "scripts" / "bump-version.sh"), "9.8.7"], check=True, capture_output=True, cwd=repo)
    assert re.search(r'^version = "9\.8\.7"', (repo / "Cargo.toml").read_text(), re.M)
    lock = (repo / "Cargo.lock").read_text()
    assert re.search(r'name = "galaxy-admin-dashboard"\nversion = "9\.8\.7"', lock)
    for name in OVERLAYS:
        rendered = render(repo / "k8s" / "overlays" / name)
        deployment = one(rendered, "Deployment")
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":9.8.7"), name
        assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "9.8.7"
