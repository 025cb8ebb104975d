"""The Kustomize overlays, rendered for real and checked against the nginx
configuration, the image and the Galaxy spec, so that drift fails CI."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from manifest_checks import ROOT, app_configmap, edge_settings, nginx_container, nginx_facts, one, problems, render

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
    # The release tag, and once the image workflow wrote it back, the pushed digest too.
    assert re.fullmatch(re.escape(f"{IMAGE}:{cargo_version()}") + r"(@sha256:[0-9a-f]{64})?",
                        nginx_container(deployment["spec"]["template"]["spec"])["image"])
    assert "app.kubernetes.io/version" not in deployment["spec"]["selector"]["matchLabels"], "a selector must survive upgrades"


def test_deployment_follows_the_galaxy_spec(overlay):
    _, _, objects = overlay
    deployment = one(objects, "Deployment")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    container = nginx_container(pod)
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    # Requests from measurement (README, Kubernetes), limits as in the Galaxy spec.
    assert container["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
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
    pdb = one(objects, "PodDisruptionBudget")
    assert (pdb["metadata"]["name"], pdb["spec"]["maxUnavailable"]) == ("admin-dashboard-pdb", 1)
    assert pod["terminationGracePeriodSeconds"] >= 30


def test_service_and_traffic_per_overlay(overlay):
    name, expected, objects = overlay
    service = one(objects, "Service")
    port = service["spec"]["ports"][0]
    assert (port["name"], port["port"], port["targetPort"]) == ("https", 443, "https")
    policies = {p["metadata"]["name"] for p in objects if p["kind"] == "NetworkPolicy"}
    assert {"default-deny-admin-dashboard", "allow-metrics-admin-dashboard"} <= policies
    if expected["node_port"]:
        assert service["spec"]["type"] == "NodePort"
        assert port["nodePort"] == expected["node_port"]
        assert "allow-nodeport-admin-dashboard" in policies
        assert not [o for o in objects if o["kind"] in ("Ingress", "HorizontalPodAutoscaler")]
        assert one(objects, "Deployment")["spec"]["replicas"] == 2
    else:
        assert service["spec"]["type"] == "ClusterIP"
        assert "allow-ingress-admin-dashboard" in policies, "the name in Galaxy's manifests"
        hpa = one(objects, "HorizontalPodAutoscaler")
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
        assert hpa["spec"]["metrics"] == [{"type": "ContainerResource", "containerResource": {
            "name": "cpu", "container": "nginx", "target": {"type": "Utilization", "averageUtilization": 70}}}]
        assert "replicas" not in one(objects, "Deployment")["spec"], "the HPA owns the replica count"
        ingress = one(objects, "Ingress")
        notes = ingress["metadata"]["annotations"]
        assert notes["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"
        assert "http_404" in notes["nginx.ingress.kubernetes.io/proxy-next-upstream"]
        assert not [k for k in notes if k.startswith("cert-manager.io/")], "Galaxy's Certificate galaxy-tls owns the certificate"
        rule = ingress["spec"]["rules"][0]
        path = rule["http"]["paths"][0]
        assert (rule["host"], path["path"], path["pathType"]) == ("galaxy.example.com", "/admin", "Prefix")
        assert path["backend"]["service"] == {"name": "admin-dashboard", "port": {"name": "https"}}
        assert ingress["spec"]["tls"][0]["secretName"] == "galaxy-tls-secret"
        # The pods' own certificate is cert-manager's, for the Service's cluster name, and the
        # controller verifies it; a renewal of that secret rolls the pods.
        deployment = one(objects, "Deployment")
        assert deployment["metadata"]["annotations"]["secret.reloader.stakater.com/reload"] == "admin-dashboard-tls"
        certificate = next(o for o in objects if o["kind"] == "Certificate" and o["spec"]["secretName"] == "admin-dashboard-tls")
        assert certificate["spec"]["dnsNames"][0] == "admin-dashboard.galaxy-prod.svc"
        assert notes["nginx.ingress.kubernetes.io/proxy-ssl-verify"] == "on"


def test_config_js_and_csp_agree(overlay):
    name, expected, objects = overlay
    data = app_configmap(objects)["data"]
    settings = dict(re.findall(r'^\s*([A-Z_]+): "([^"]*)",?$', data["config.js"], re.M))
    assert settings == {"API_BASE_URL": expected["api"], "ENVIRONMENT": expected["env"]}
    assert set(data) == {"config.js", "csp.conf", "edge.conf"}
    origin = re.match(r"https://[^/]+", expected["api"]).group(0)
    assert re.search(r'set \$csp_connect_src "([^"]*)";', data["csp.conf"]).group(1) == origin, "connect-src must allow the API"
    assert re.search(r"-[a-z0-9]{10}$", app_configmap(objects)["metadata"]["name"]), "a content hash rolls the pods"


def with_gateway_api(k8s: Path) -> Path:
    """prod, with the Gateway API instead of ingress-nginx, as its kustomization's comment says."""
    prod = k8s / "overlays" / "prod" / "kustomization.yaml"
    text = prod.read_text().replace("  - ../../components/ingress-nginx\n", "")
    text = text.replace("  # - ../../components/gateway-api", "  - ../../components/gateway-api")
    assert "  - ../../components/gateway-api" in text and "ingress-nginx\n" not in text
    prod.write_text(text)
    return prod.parent


def test_gateway_api_component_offers_the_same_route(tmp_path):
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    objects = render(with_gateway_api(tmp_path / "k8s"))
    assert problems(objects, nginx_facts()) == []
    assert not [o for o in objects if o["kind"] == "Ingress"]
    assert "allow-ingress-admin-dashboard" not in {o["metadata"]["name"] for o in objects}, "no door left open for a retired controller"
    for obj in objects:
        assert LABELS <= set(obj["metadata"].get("labels", {})), obj["kind"]
    route = one(objects, "HTTPRoute")
    rule = route["spec"]["rules"][0]
    assert route["spec"]["hostnames"] == ["galaxy.example.com"]
    assert rule["matches"][0]["path"] == {"type": "PathPrefix", "value": "/admin"}
    assert rule["backendRefs"][0] == {"name": "admin-dashboard", "port": 443}
    policy = one(objects, "BackendTLSPolicy")
    assert policy["spec"]["targetRefs"][0]["name"] == "admin-dashboard"
    assert policy["spec"]["validation"] == {"hostname": "admin-dashboard.galaxy-prod.svc",
                                            "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "admin-dashboard-ca"}]}
    # The Gateway is the public edge: HSTS is its to send.
    headers = rule["filters"][0]["responseHeaderModifier"]["set"]
    assert {"name": "Strict-Transport-Security", "value": "max-age=63072000"} in headers
    assert route["metadata"]["namespace"] == "galaxy-prod"


def broken_copy(tmp_path: Path, file: str, old: str, new: str, overlay: str = "prod") -> list[dict]:
    """Renders an overlay from a copy of k8s/ in which every match of the regex `old` in
    `file` (relative to k8s/base, or to k8s/ when it has a slash) became `new`."""
    k8s = tmp_path / "k8s"
    shutil.copytree(ROOT / "k8s", k8s)
    target = k8s / file if "/" in file else k8s / "base" / file
    text, count = re.subn(old, new, target.read_text(), flags=re.M)
    assert count, f"{old!r} not in {file}"
    target.write_text(text)
    return render(k8s / "overlays" / overlay)


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
    ("poddisruptionbudget.yaml", r"^(\s+)app.kubernetes.io/name: admin-dashboard$",
     r"\1app.kubernetes.io/name: admin-dashboard\n\1tier: web", "PodDisruptionBudget admin-dashboard-pdb selector"),
    # Coexistence with Galaxy's manifests.
    ("deployment.yaml", r"^(  selector:\n    matchLabels:\n)", r"\1      app.kubernetes.io/instance: admin-dashboard\n", "is not Galaxy's"),
    ("poddisruptionbudget.yaml", r"\Z", "---\n" + (ROOT / "k8s/base/poddisruptionbudget.yaml").read_text().replace(
        "name: admin-dashboard-pdb", "name: admin-dashboard"), "select the same pods"),
    ("poddisruptionbudget.yaml", r"^\s+unhealthyPodEvictionPolicy: AlwaysAllow\n", "", "unhealthyPodEvictionPolicy"),
    # Correctness.
    ("components/hpa/kustomization.yaml", r"^patches:\n(.*\n)*", "", "replicas although a HorizontalPodAutoscaler"),
    ("deployment.yaml", r"whenUnsatisfiable: DoNotSchedule", "whenUnsatisfiable: ScheduleAnyway", "kubernetes.io/hostname must be"),
    ("deployment.yaml", r"^\s+- maxSkew: 1\n\s+topologyKey: topology.kubernetes.io/zone\n", "        - maxSkew: 1\n          topologyKey: example.com/rack\n",
     "no topology spread over topology.kubernetes.io/zone"),
    ("components/internal-tls/kustomization.yaml", r"value: admin-dashboard-tls\n(\s+- op: test)", r"value: galaxy-tls\n\1", "do not roll"),
    ("deployment.yaml", r"^\s+nodeTaintsPolicy: Honor\n", "", "must honor node taints"),
    ("components/ingress-nginx/networkpolicy.yaml", r"kubernetes.io/metadata.name: ingress-nginx", "kubernetes.io/metadata.name: kube-system",
     "no NetworkPolicy admits the traffic of Ingress"),
    ("components/ingress-nginx/networkpolicy.yaml", r"^      ports:\n        - port: https\n          protocol: TCP\n", "", "admits every port"),
    ("overlays/prod/edge.conf", r'^set \$hsts "";', 'set $hsts "max-age=63072000";', "must not send HSTS"),
    ("overlays/prod/edge.conf", r"10\.42\.0\.0/16", "0.0.0.0/0", "believes any client"),
    ("overlays/prod/edge.conf", r"^set_real_ip_from .*\n", "", "must name the proxies"),
    # The pods' certificate and the route's verification of it (prod).
    ("overlays/prod/kustomization.yaml", r"^  - \.\./\.\./components/internal-tls\n", "", "must be issued by a cert-manager Certificate"),
    ("components/internal-tls/certificates.yaml", r"admin-dashboard\.galaxy-prod\.svc$", "admin-dashboard.galaxy-dev.svc",
     "not the Service's cluster name"),
    ("components/internal-tls/issuers.yaml", r"^  ca:\n    secretName: admin-dashboard-ca", "  selfSigned: {}", "not issued by the namespace's CA"),
    ("components/ingress-nginx/ingress.yaml", r'proxy-ssl-verify: "on"', 'proxy-ssl-verify: "off"', "does not verify the pods"),
    ("components/ingress-nginx/ingress.yaml", r"proxy-ssl-secret: galaxy-prod/admin-dashboard-tls", "proxy-ssl-secret: galaxy-prod/galaxy-tls-secret",
     "does not hold the CA"),
    ("components/ingress-nginx/ingress.yaml", r"proxy-ssl-name: admin-dashboard\.galaxy-prod\.svc", "proxy-ssl-name: galaxy.example.com",
     "is not a name of the pods' certificate"),
    # Scaling and sidecars.
    ("components/hpa/horizontalpodautoscaler.yaml", r"^    - type: ContainerResource\n      containerResource:\n        name: cpu\n        container: nginx\n",
     "    - type: Resource\n      resource:\n        name: cpu\n", "must scale on the nginx container's CPU"),
    ("components/metrics/exporter.yaml", r"^(\s+)livenessProbe:", r"\1readinessProbe:\n\1  httpGet: {path: /metrics, port: metrics}\n\1livenessProbe:",
     "sidecar metrics has a readinessProbe"),
    ("components/metrics/kustomization.yaml", r"^    digest: sha256:[0-9a-f]{64}\n", "", "not pinned by digest"),
    # Observability.
    ("service.yaml", r"^(  ports:\n)", r"\1    - name: metrics\n      port: 9113\n      targetPort: metrics\n", "only the https port"),
    ("components/metrics/exporter.yaml", r"127\.0\.0\.1:8081", "127.0.0.1:8080", "the exporter scrapes"),
    ("components/metrics/exporter.yaml", r'prometheus.io/port: "9113"', 'prometheus.io/port: "8443"', "scrape annotations"),
    ("components/metrics/networkpolicy.yaml", r"^    - from:\n(.*\n){3}      ports:", "    - ports:", "admits anyone to the metrics port"),
])
def test_a_broken_manifest_is_caught(tmp_path, file, old, new, expected):
    found = problems(broken_copy(tmp_path, file, old, new), nginx_facts())
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("overlay", ["local-dev", "staging"])
def test_no_hsts_on_the_localhost_node_ports(tmp_path, overlay):
    found = problems(broken_copy(tmp_path, f"overlays/{overlay}/edge.conf", r"^set \$hsts .*",
                                 'set $hsts "max-age=63072000; includeSubDomains";', overlay), nginx_facts())
    assert any("must not send HSTS" in p for p in found), found


def test_make_dev_and_the_local_tests_serve_the_local_dev_edge():
    """make dev (scripts/dev.sh) and the e2e and serving tests write their ConfigMap with
    write_config_js, which copies local-dev's edge.conf: no HSTS there either."""
    lib = (ROOT / "scripts" / "lib.sh").read_text()
    assert 'cp "$ROOT/k8s/overlays/local-dev/edge.conf"' in lib
    assert "write_config_js" in (ROOT / "scripts" / "dev.sh").read_text()
    hsts, _ = edge_settings((ROOT / "k8s" / "overlays" / "local-dev" / "edge.conf").read_text())
    assert hsts == ""


def test_nginx_never_sends_hsts_for_localhost():
    """The guard behind the overlays: nginx.conf maps loopback hosts to no HSTS, and the
    header sent is that mapped value, not edge.conf's $hsts."""
    main = (ROOT / "nginx" / "nginx.conf").read_text()
    headers = (ROOT / "nginx" / "security-headers.conf").read_text()
    guard = re.search(r"map \$host \$hsts_header \{\n\s*\"([^\"]+)\" \"\";\n\s*default \$hsts;", main)
    assert guard, "nginx.conf must map loopback hosts to an empty $hsts_header"
    for host in ("localhost", "127.0.0.1", "[::1]", "admin.localhost"):
        assert re.fullmatch(guard.group(1)[1:], host), host
    assert not re.fullmatch(guard.group(1)[1:], "galaxy.example.com")
    assert re.search(r"^add_header Strict-Transport-Security \$hsts_header always;$", headers, re.M)


def test_the_gateway_api_route_without_its_policy_is_caught(tmp_path):
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    component = tmp_path / "k8s" / "components" / "gateway-api" / "kustomization.yaml"
    component.write_text(component.read_text().replace("  - networkpolicy.yaml\n", ""))
    found = problems(render(with_gateway_api(tmp_path / "k8s")), nginx_facts())
    assert any("no NetworkPolicy admits the traffic of HTTPRoute" in p for p in found), found


def test_stub_status_listening_beyond_the_loopback_is_caught(tmp_path):
    nginx = tmp_path / "nginx"
    shutil.copytree(ROOT / "nginx", nginx)
    status = nginx / "status.conf"
    status.write_text(status.read_text().replace("listen 127.0.0.1:8081;", "listen 8081;"))
    found = problems(render(ROOT / "k8s" / "overlays" / "prod"), nginx_facts(tmp_path))
    assert any("not on the loopback only" in p for p in found), found


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
        assert nginx_container(deployment["spec"]["template"]["spec"])["image"].endswith(":9.8.7"), name
        assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "9.8.7"


def test_the_minimum_kubernetes_version_is_stated_and_validated():
    stated = re.search(r"\*\*Kubernetes (\d+)\.(\d+) or newer\*\*", (ROOT / "README.md").read_text())
    assert stated, "README must state the minimum Kubernetes version"
    validated = re.findall(r"kubernetes-validate.*--kubernetes-version (\d+)\.(\d+)", (ROOT / "scripts" / "test.sh").read_text())
    assert min((int(a), int(b)) for a, b in validated) == (int(stated[1]), int(stated[2])), "test.sh validates the stated minimum"
    # The features that set the floor: the preStop sleep action is on by default from 1.30.
    pod = one(render(ROOT / "k8s" / "overlays" / "prod"), "Deployment")["spec"]["template"]["spec"]
    if "sleep" in nginx_container(pod).get("lifecycle", {}).get("preStop", {}):
        assert (int(stated[1]), int(stated[2])) >= (1, 30)
