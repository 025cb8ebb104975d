"""What the manifests must agree on with the nginx configuration and the image.

`problems(objects, facts)` lists every disagreement in one rendered overlay, so the
tests can require none, and can prove that a deliberately broken manifest is caught.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


# Galaxy's manifests select the dashboard's pods on this alone; selectors are immutable.
SPEC_SELECTOR = {"app.kubernetes.io/name": "admin-dashboard"}
RELOADER_SECRET = "secret.reloader.stakater.com/reload"


@dataclass(frozen=True)
class NginxFacts:
    listen_port: int
    health_path: str
    written_paths: tuple[str, ...]
    tls_files: tuple[str, ...]
    galaxy_files: tuple[str, ...]
    status_address: str
    status_port: int
    status_path: str


def nginx_facts(root: Path = ROOT) -> NginxFacts:
    main = (root / "nginx" / "nginx.conf").read_text()
    server = (root / "nginx" / "admin.conf").read_text()
    status = (root / "nginx" / "status.conf").read_text()
    both = main + server
    status_listen = re.search(r"^\s*listen (?:([\d.]+|\[[\da-f:]+\]):)?(\d+)\b", status, re.M)
    included = re.findall(r"^\s*include /etc/nginx/conf\.d/(\S+);", main, re.M)
    return NginxFacts(
        listen_port=int(re.search(r"^\s*listen (\d+) ssl", server, re.M).group(1)),
        health_path=re.search(r"location = (/health)\b", server).group(1),
        written_paths=tuple(re.findall(r"^\s*(?:pid|\w+_temp_path)\s+(\S+);", main, re.M)),
        tls_files=tuple(re.findall(r"^\s*ssl_certificate(?:_key)?\s+(\S+);", server, re.M)),
        galaxy_files=tuple(sorted(set(re.findall(r"(/etc/nginx/galaxy/[\w.]+)", both)))),
        status_address=(status_listen.group(1) or "*") if "status.conf" in included else "",
        status_port=int(status_listen.group(2)),
        status_path=re.search(r"location = (\S+) \{\s*stub_status;", status).group(1),
    )


def render(kustomization_dir: Path) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(kustomization_dir)], check=True, capture_output=True, text=True)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def one(objects: list[dict], kind: str) -> dict:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def app_configmap(objects: list[dict]) -> dict:
    """The ConfigMap nginx mounts (config.js, csp.conf, edge.conf); the monitoring component
    adds the alert rules' and the Grafana dashboard's beside it."""
    found = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("admin-dashboard-config")]
    assert len(found) == 1, f"expected one admin-dashboard-config ConfigMap, found {len(found)}"
    return found[0]


def under(path: str, mount: str) -> bool:
    return path == mount or path.startswith(mount.rstrip("/") + "/")


def selector_matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def restricted_problems(pod: dict, where: str) -> list[str]:
    """Pod Security Standards "restricted" (v1.30+), for one pod spec."""
    found = []
    spec_ctx = pod.get("securityContext", {})
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            found.append(f"{where}: {field} is forbidden")
    for volume in pod.get("volumes", []):
        allowed = {"name", "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
        if set(volume) - allowed:
            found.append(f"{where}: volume {volume['name']} has a forbidden type {sorted(set(volume) - allowed)}")
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        ctx = container.get("securityContext", {})
        name = f"{where} container {container['name']}"
        if not (ctx.get("runAsNonRoot", spec_ctx.get("runAsNonRoot")) is True):
            found.append(f"{name}: runAsNonRoot must be true (explicitly)")
        if ctx.get("runAsUser", spec_ctx.get("runAsUser")) == 0:
            found.append(f"{name}: runAsUser 0")
        if ctx.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation must be false")
        if ctx.get("privileged"):
            found.append(f"{name}: privileged")
        if "ALL" not in ctx.get("capabilities", {}).get("drop", []):
            found.append(f"{name}: capabilities must drop ALL")
        if set(ctx.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: adds capabilities")
        seccomp = ctx.get("seccompProfile", spec_ctx.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile must be RuntimeDefault")
        for port in container.get("ports", []):
            if port.get("hostPort"):
                found.append(f"{name}: hostPort")
    return found


def nginx_container(pod: dict) -> dict:
    return next(c for c in pod["containers"] if c["name"] == "nginx")


def pdb_overlaps(objects: list[dict]) -> list[str]:
    """Pairs of PodDisruptionBudgets selecting the same pods: the eviction API then refuses
    every eviction of those pods, and node drains hang."""
    pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    templates = [o["spec"]["template"]["metadata"].get("labels", {}) for o in objects if o["kind"] == "Deployment"]
    found = []
    for i, a in enumerate(pdbs):
        for b in pdbs[i + 1:]:
            for labels in templates:
                if all(selector_matches(p["spec"].get("selector", {}).get("matchLabels", {}), labels) for p in (a, b)):
                    found.append(f"PodDisruptionBudgets {a['metadata']['name']} and {b['metadata']['name']} select the same pods")
    return found


def admitted(policy: dict, port: str) -> list[dict | None]:
    """The sources a NetworkPolicy admits to a named port: a peer, or None for anyone."""
    sources: list[dict | None] = []
    for rule in policy["spec"].get("ingress", []):
        if not any(p.get("port") == port for p in rule.get("ports", [])):
            continue
        sources += rule.get("from") or [None]
    return sources


def edge_settings(conf: str) -> tuple[str, list[str]]:
    """($hsts, trusted proxy ranges) of an edge.conf."""
    hsts = re.search(r'^\s*set \$hsts "([^"]*)";', conf, re.M)
    return (hsts.group(1) if hsts else None), re.findall(r"^\s*set_real_ip_from\s+(\S+);", conf, re.M)


def problems(objects: list[dict], facts: NginxFacts) -> list[str]:
    found: list[str] = []
    deployment = one(objects, "Deployment")
    service = one(objects, "Service")
    pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    configmap = app_configmap(objects)
    pod = deployment["spec"]["template"]["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    container = nginx_container(pod)
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}

    # The container port, the probes and the Service all point at nginx's listen port.
    if ports.get("https") != facts.listen_port:
        found.append(f"container port 'https' is {ports.get('https')}, nginx listens on {facts.listen_port}")
    for probe_name in ("readinessProbe", "livenessProbe"):
        probe = container.get(probe_name, {}).get("httpGet")
        if not probe:
            found.append(f"{probe_name} is missing")
            continue
        port = ports.get(probe["port"], probe["port"])
        if port != facts.listen_port:
            found.append(f"{probe_name} port {probe['port']} is not nginx's {facts.listen_port}")
        if probe.get("scheme") != "HTTPS":
            found.append(f"{probe_name} scheme must be HTTPS (nginx serves TLS only)")
        if probe.get("path") != facts.health_path:
            found.append(f"{probe_name} path {probe.get('path')} is not nginx's {facts.health_path}")
    for port in service["spec"]["ports"]:
        if port.get("targetPort") not in ports:
            found.append(f"Service targetPort {port.get('targetPort')} is not a named container port")

    # Selectors select the pods, and the Deployment's is Galaxy's (immutable once created).
    if not selector_matches(deployment["spec"]["selector"].get("matchLabels", {}), pod_labels):
        found.append("Deployment selector does not match its pod labels")
    if deployment["spec"]["selector"] != {"matchLabels": SPEC_SELECTOR}:
        found.append(f"Deployment selector {deployment['spec']['selector']} is not Galaxy's {SPEC_SELECTOR}")
    for name, selector in (
        ("Service", service["spec"].get("selector", {})),
        *((f"PodDisruptionBudget {p['metadata']['name']}", p["spec"].get("selector", {}).get("matchLabels", {})) for p in pdbs),
        *((f"NetworkPolicy {p['metadata']['name']}", p["spec"].get("podSelector", {}).get("matchLabels", {})) for p in policies),
    ):
        if not selector_matches(selector, pod_labels):
            found.append(f"{name} selector {selector} does not match the pod labels")
    found += pdb_overlaps(objects)
    if not pdbs:
        found.append("no PodDisruptionBudget")
    for p in pdbs:
        if p["spec"].get("unhealthyPodEvictionPolicy") != "AlwaysAllow":
            found.append(f"PodDisruptionBudget {p['metadata']['name']} must set unhealthyPodEvictionPolicy: AlwaysAllow")

    # The HPA owns the replica count where there is one.
    has_hpa = any(o["kind"] == "HorizontalPodAutoscaler" for o in objects)
    if has_hpa and "replicas" in deployment["spec"]:
        found.append("Deployment sets replicas although a HorizontalPodAutoscaler owns them")
    if not has_hpa and deployment["spec"].get("replicas", 1) < 2:
        found.append("Deployment without an HPA needs at least 2 replicas")

    # Replicas spread over nodes (hard) and zones (soft), counting only these pods.
    spread = {c["topologyKey"]: c for c in pod.get("topologySpreadConstraints", [])}
    for key, when in (("kubernetes.io/hostname", "DoNotSchedule"), ("topology.kubernetes.io/zone", "ScheduleAnyway")):
        c = spread.get(key)
        if not c:
            found.append(f"no topology spread over {key}")
        elif c.get("whenUnsatisfiable") != when or c.get("maxSkew") != 1:
            found.append(f"topology spread over {key} must be maxSkew 1, {when}")
        elif not selector_matches(c.get("labelSelector", {}).get("matchLabels", {}), pod_labels):
            found.append(f"topology spread over {key} does not select the pods")
        elif when == "DoNotSchedule" and c.get("nodeTaintsPolicy") != "Honor":
            # Otherwise an untolerated tainted node counts as an empty domain and, with
            # two replicas on the workers, a third one could never be placed.
            found.append(f"topology spread over {key} must honor node taints")

    # Only the https port is published; stub_status stays on the pod's loopback.
    if [p.get("targetPort") for p in service["spec"]["ports"]] != ["https"]:
        found.append(f"Service must publish only the https port, not {[p.get('targetPort') for p in service['spec']['ports']]}")
    if facts.status_address not in ("127.0.0.1", "[::1]"):
        found.append(f"stub_status listens on {facts.status_address or 'nothing'}:{facts.status_port}, not on the loopback only")

    # Every way in comes with the NetworkPolicy that admits it, to the https port only.
    peers = [src for p in policies for src in admitted(p, "https")]
    namespaces = {(src or {}).get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") for src in peers}
    routes = []
    if service["spec"].get("type") == "NodePort":
        routes.append(("the node port", None in peers))
    for ingress in (o for o in objects if o["kind"] == "Ingress"):
        routes.append((f"Ingress {ingress['metadata']['name']}", "ingress-nginx" in namespaces))
    for route in (o for o in objects if o["kind"] == "HTTPRoute"):
        for parent in route["spec"]["parentRefs"]:
            ns = parent.get("namespace", route["metadata"].get("namespace"))
            routes.append((f"HTTPRoute {route['metadata']['name']} (Gateway in {ns})", ns in namespaces))
    if not routes:
        found.append("no way in: no node port, Ingress or HTTPRoute")
    for what, let_in in routes:
        if not let_in:
            found.append(f"no NetworkPolicy admits the traffic of {what} to the https port")
    if None in peers and service["spec"].get("type") != "NodePort":
        found.append("a NetworkPolicy admits anyone, but the dashboard is behind a route")
    for p in policies:
        for rule in p["spec"].get("ingress", []):
            if not rule.get("ports"):
                found.append(f"NetworkPolicy {p['metadata']['name']} admits every port")

    # Metrics: the exporter reads the loopback stub_status, its port is scraped and admitted.
    exporter = next((c for c in pod["containers"] if c["name"] == "metrics"), None)
    if exporter:
        uri = next((a.split("=", 1)[1] for a in exporter.get("args", []) if a.startswith("--nginx.scrape-uri=")), "")
        if uri != f"http://127.0.0.1:{facts.status_port}{facts.status_path}":
            found.append(f"the exporter scrapes {uri!r}, nginx's stub_status is http://127.0.0.1:{facts.status_port}{facts.status_path}")
        metrics_port = {p.get("name"): p["containerPort"] for p in exporter.get("ports", [])}.get("metrics")
        notes = deployment["spec"]["template"]["metadata"].get("annotations", {})
        if notes.get("prometheus.io/scrape") != "true" or notes.get("prometheus.io/port") != str(metrics_port):
            found.append(f"scrape annotations {notes} do not name the exporter's metrics port {metrics_port}")
        if not [src for p in policies for src in admitted(p, "metrics") if src]:
            found.append("no NetworkPolicy admits Prometheus to the metrics port")
        if None in [src for p in policies for src in admitted(p, "metrics")]:
            found.append("a NetworkPolicy admits anyone to the metrics port")

    # A renewed certificate rolls the pods (nginx reads it only at start).
    tls_secrets = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    reloaded = set(deployment["metadata"].get("annotations", {}).get(RELOADER_SECRET, "").split(","))
    if not tls_secrets <= reloaded:
        found.append(f"the pods do not roll when {sorted(tls_secrets - reloaded)} changes ({RELOADER_SECRET})")

    # No HSTS from the pods: on the node ports they are the edge of localhost, where HSTS
    # would upgrade every http://localhost:<port> for its max-age; behind a route the public
    # edge that owns the host sends it. Behind a route, trust the route's proxies only.
    hsts, trusted = edge_settings(configmap.get("data", {}).get("edge.conf", ""))
    if hsts is None:
        found.append("edge.conf does not set $hsts")
    elif service["spec"].get("type") == "NodePort":
        if hsts:
            found.append("the node port is localhost: the dashboard must not send HSTS there")
        if trusted:
            found.append(f"nothing stands in front of the node port, yet edge.conf trusts {trusted}")
    else:
        if hsts:
            found.append("behind a route the dashboard must not send HSTS: the edge that owns the host does")
        if not trusted:
            found.append("behind a route edge.conf must name the proxies whose X-Forwarded-For is believed")
    for cidr in trusted:
        if cidr.endswith("/0"):
            found.append(f"set_real_ip_from {cidr} believes any client's X-Forwarded-For")

    # Writable: exactly what nginx writes, as memory-backed, size-limited emptyDirs.
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = container.get("volumeMounts", [])
    writable = [m for m in mounts if not m.get("readOnly")]
    if container.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
        found.append("readOnlyRootFilesystem must be true")
    for m in writable:
        v = volumes.get(m["name"], {})
        if "emptyDir" not in v:
            found.append(f"writable mount {m['mountPath']} is not an emptyDir")
        elif v["emptyDir"].get("medium") != "Memory" or not v["emptyDir"].get("sizeLimit"):
            found.append(f"emptyDir {m['name']} must be memory-backed with a sizeLimit")
        if not any(under(p, m["mountPath"]) for p in facts.written_paths):
            found.append(f"writable mount {m['mountPath']} is not needed by nginx")
    for path in facts.written_paths:
        if not any(under(path, m["mountPath"]) for m in writable):
            found.append(f"nginx writes {path}, which is not on a writable emptyDir")

    # The ConfigMap (config.js, csp.conf) and the TLS secret are where nginx reads them.
    def mount_for(path: str) -> dict | None:
        return next((m for m in mounts if under(path, m["mountPath"])), None)

    for path in facts.galaxy_files:
        m = mount_for(path)
        v = volumes.get(m["name"], {}) if m else {}
        key = path.rsplit("/", 1)[1]
        if not m or not m.get("readOnly") or "configMap" not in v:
            found.append(f"{path} is not on a read-only ConfigMap mount")
        elif v["configMap"]["name"] != configmap["metadata"]["name"]:
            found.append(f"the mounted ConfigMap {v['configMap']['name']} is not the generated {configmap['metadata']['name']}")
        elif key not in configmap.get("data", {}):
            found.append(f"the ConfigMap has no {key}")
    tls_secret = None
    for path in facts.tls_files:
        m = mount_for(path)
        v = volumes.get(m["name"], {}) if m else {}
        if not m or not m.get("readOnly") or not v.get("secret", {}).get("secretName"):
            found.append(f"{path} is not on a read-only mount of a TLS secret")
        else:
            tls_secret = v["secret"]["secretName"]
    found += backend_tls_problems(objects, service, tls_secret)

    # The HPA scales on nginx's CPU alone, not on the pod's (the exporter sidecar's included).
    for hpa in (o for o in objects if o["kind"] == "HorizontalPodAutoscaler"):
        for metric in hpa["spec"].get("metrics", []):
            source = metric.get("containerResource", {})
            if metric.get("type") != "ContainerResource" or source.get("container") != "nginx" or source.get("name") != "cpu":
                found.append(f"HorizontalPodAutoscaler {hpa['metadata']['name']} must scale on the nginx container's CPU "
                             f"(ContainerResource), not {metric.get('type')}")

    # Sidecars can never make the pod unready, and images not built here are pinned by digest.
    for c in pod["containers"]:
        if c["name"] == "nginx":
            continue
        for probe in ("readinessProbe", "startupProbe"):
            if probe in c:
                found.append(f"sidecar {c['name']} has a {probe}: it could take the dashboard out of its Service")
        if not re.search(r"@sha256:[0-9a-f]{64}$", c.get("image", "")):
            found.append(f"sidecar {c['name']} image {c.get('image')} is not pinned by digest")

    found += restricted_problems(pod, "Deployment")
    for c in pod["containers"]:
        if not c.get("resources", {}).get("requests") or not c.get("resources", {}).get("limits"):
            found.append(f"container {c['name']} needs requests and limits")
    return found


def backend_tls_problems(objects: list[dict], service: dict, tls_secret: str | None) -> list[str]:
    """Behind a route, the pods' certificate comes from cert-manager's internal CA for the
    Service's cluster name, and the route's backend verification trusts that CA and checks
    that name. On the node ports (dev, staging) Galaxy's scripts/setup-tls.sh makes it."""
    found: list[str] = []
    ingresses = [o for o in objects if o["kind"] == "Ingress"]
    policies = [o for o in objects if o["kind"] == "BackendTLSPolicy"]
    routes = [o for o in objects if o["kind"] == "HTTPRoute"]
    if not ingresses and not routes:
        return found
    namespace = service["metadata"].get("namespace", "")
    cluster_name = f"{service['metadata']['name']}.{namespace}.svc"
    certificates = {c["spec"]["secretName"]: c for c in objects if c["kind"] == "Certificate"}
    issuers = {i["metadata"]["name"]: i for i in objects if i["kind"] == "Issuer"}
    certificate = certificates.get(tls_secret)
    if not certificate:
        return [f"behind a route the pods' secret {tls_secret} must be issued by a cert-manager Certificate of the overlay"]
    names = certificate["spec"].get("dnsNames", [])
    if cluster_name not in names:
        found.append(f"Certificate {certificate['metadata']['name']} is for {names}, not the Service's cluster name {cluster_name}")
    issuer = issuers.get(certificate["spec"].get("issuerRef", {}).get("name"))
    if not issuer or "ca" not in issuer["spec"] or certificate["spec"]["issuerRef"].get("kind", "Issuer") != "Issuer":
        found.append(f"Certificate {certificate['metadata']['name']} is not issued by the namespace's CA Issuer")
        return found
    ca_secret = issuer["spec"]["ca"]["secretName"]
    ca = certificates.get(ca_secret)
    if not ca or not ca["spec"].get("isCA"):
        found.append(f"the CA Issuer's secret {ca_secret} is not issued by a CA Certificate of the overlay")
    for ingress in ingresses:
        notes = ingress["metadata"].get("annotations", {})
        prefix = "nginx.ingress.kubernetes.io/"
        if notes.get(prefix + "proxy-ssl-verify") != "on":
            found.append(f"Ingress {ingress['metadata']['name']} does not verify the pods' certificate (proxy-ssl-verify)")
        if notes.get(prefix + "proxy-ssl-secret") not in (f"{namespace}/{tls_secret}", f"{namespace}/{ca_secret}"):
            found.append(f"Ingress {ingress['metadata']['name']} proxy-ssl-secret {notes.get(prefix + 'proxy-ssl-secret')!r} "
                         f"does not hold the CA that issues the pods' certificate ({namespace}/{tls_secret})")
        if notes.get(prefix + "proxy-ssl-name") not in names:
            found.append(f"Ingress {ingress['metadata']['name']} proxy-ssl-name {notes.get(prefix + 'proxy-ssl-name')!r} "
                         f"is not a name of the pods' certificate")
    for route in routes:
        covering = [p for p in policies if any(r.get("kind") == "Service" and r.get("name") == service["metadata"]["name"]
                                                for r in p["spec"].get("targetRefs", []))]
        if not covering:
            found.append(f"no BackendTLSPolicy verifies the pods behind HTTPRoute {route['metadata']['name']}")
        for policy in covering:
            validation = policy["spec"].get("validation", {})
            if validation.get("hostname") not in names:
                found.append(f"BackendTLSPolicy {policy['metadata']['name']} checks {validation.get('hostname')!r}, "
                             "not a name of the pods' certificate")
            if validation.get("wellKnownCACertificates") or not validation.get("caCertificateRefs"):
                found.append(f"BackendTLSPolicy {policy['metadata']['name']} must trust the internal CA "
                             "(caCertificateRefs), not public CAs")
    return found
