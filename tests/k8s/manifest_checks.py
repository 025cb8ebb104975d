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


@dataclass(frozen=True)
class NginxFacts:
    listen_port: int
    health_path: str
    written_paths: tuple[str, ...]
    tls_files: tuple[str, ...]
    galaxy_files: tuple[str, ...]


def nginx_facts(root: Path = ROOT) -> NginxFacts:
    main = (root / "nginx" / "nginx.conf").read_text()
    server = (root / "nginx" / "admin.conf").read_text()
    both = main + server
    return NginxFacts(
        listen_port=int(re.search(r"^\s*listen (\d+) ssl", server, re.M).group(1)),
        health_path=re.search(r"location = (/health)\b", server).group(1),
        written_paths=tuple(re.findall(r"^\s*(?:pid|\w+_temp_path)\s+(\S+);", main, re.M)),
        tls_files=tuple(re.findall(r"^\s*ssl_certificate(?:_key)?\s+(\S+);", server, re.M)),
        galaxy_files=tuple(sorted(set(re.findall(r"(/etc/nginx/galaxy/[\w.]+)", both)))),
    )


def render(kustomization_dir: Path) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(kustomization_dir)], check=True, capture_output=True, text=True)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def one(objects: list[dict], kind: str) -> dict:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
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


def problems(objects: list[dict], facts: NginxFacts) -> list[str]:
    found: list[str] = []
    deployment = one(objects, "Deployment")
    service = one(objects, "Service")
    pdb = one(objects, "PodDisruptionBudget")
    policy = one(objects, "NetworkPolicy")
    configmap = one(objects, "ConfigMap")
    pod = deployment["spec"]["template"]["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    container = pod["containers"][0]
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

    # Selectors select the pods.
    if not selector_matches(deployment["spec"]["selector"].get("matchLabels", {}), pod_labels):
        found.append("Deployment selector does not match its pod labels")
    for name, selector in (
        ("Service", service["spec"].get("selector", {})),
        ("PodDisruptionBudget", pdb["spec"].get("selector", {}).get("matchLabels", {})),
        ("NetworkPolicy", policy["spec"].get("podSelector", {}).get("matchLabels", {})),
    ):
        if not selector_matches(selector, pod_labels):
            found.append(f"{name} selector {selector} does not match the pod labels")

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
    for path in facts.tls_files:
        m = mount_for(path)
        v = volumes.get(m["name"], {}) if m else {}
        if not m or not m.get("readOnly") or v.get("secret", {}).get("secretName") != "galaxy-tls":
            found.append(f"{path} is not on a read-only mount of the galaxy-tls secret")

    found += restricted_problems(pod, "Deployment")
    return found
