"""The admin dashboard's monitoring for Galaxy's Prometheus and Grafana: the alert rules
(promtool check and promtool test rules, and broken copies that the tests must catch), the
Grafana dashboard JSON (structure, Galaxy's conventions, every query valid PromQL on series
that exist), the ConfigMaps every overlay ships them in, and the Prometheus and Grafana
settings handed over to Galaxy (handover/galaxy/monitoring)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "k8s"))
from manifest_checks import render  # noqa: E402

COMPONENT = ROOT / "k8s" / "components" / "monitoring"
RULES = COMPONENT / "admin-dashboard.rules.yaml"
DASHBOARD = COMPONENT / "admin-dashboard.grafana.json"
RULE_TESTS = Path(__file__).parent / "admin-dashboard.rules.test.yaml"
HANDOVER = ROOT / "handover" / "galaxy" / "monitoring"
REQUIRED_ALERTS = {"AdminDashboardDown", "AdminDashboardBelowTwoReplicas", "AdminDashboardHigh5xxRate",
                   "AdminDashboardCertificateExpiring"}
# What the sources export: the exporter sidecar (nginx-prometheus-exporter, stub_status),
# ingress-nginx's controller, cert-manager's controller.
KNOWN_METRICS = {"nginx_up", "nginx_http_requests_total", "nginx_connections_active", "nginx_connections_accepted",
                 "nginx_connections_handled", "nginx_connections_reading", "nginx_connections_writing",
                 "nginx_connections_waiting", "nginx_ingress_controller_requests",
                 "certmanager_certificate_expiration_timestamp_seconds", "certmanager_certificate_ready_status"}


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    assert shutil.which("promtool"), "promtool is missing: run scripts/bootstrap.sh (Debian's prometheus)"
    return subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


# Alert rules.

def rule_test_copy(tmp_path: Path, rules_text: str) -> Path:
    """The rule tests, pointed at a copy of the rules."""
    (tmp_path / "rules.yaml").write_text(rules_text)
    tests = RULE_TESTS.read_text().replace("../../k8s/components/monitoring/admin-dashboard.rules.yaml", "rules.yaml")
    (tmp_path / "tests.yaml").write_text(tests)
    return tmp_path / "tests.yaml"


def test_the_rules_are_valid():
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_pass_their_unit_tests():
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_asked_for_is_there_with_severity_and_runbook():
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    alerts = {r["alert"]: r for r in rules if "alert" in r}
    assert REQUIRED_ALERTS <= set(alerts)
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert set(alerts) <= tested, f"alerts without a promtool test: {set(alerts) - tested}"
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), name
        assert rule["annotations"]["runbook_url"].endswith("README.md#when-an-alert-fires"), name
    readme = (ROOT / "README.md").read_text()
    assert "### When an alert fires" in readme
    for name in alerts:
        assert name in readme, f"{name} is not in the README's runbook"


@pytest.mark.parametrize("old,new", [
    ("> 0.05\n          and", "> 0.5\n          and"),          # 5xx threshold ten times too high
    ("< 2\n", "< 1\n"),                                         # "below two" that never fires
    ("for: 2m", "for: 30m"),                                    # down for half an hour before paging
    ("- time() < 14 * 86400", "- time() < 1 * 86400"),             # certificate warning a day before
    ('ingress="admin-dashboard", status=~"5.."', 'status=~"5.."'),  # every Ingress's errors
])
def test_a_broken_rule_fails_its_tests(tmp_path, old, new):
    text = RULES.read_text()
    assert old in text
    result = promtool("test", "rules", str(rule_test_copy(tmp_path, text.replace(old, new, 1))))
    assert result.returncode != 0, result.stdout


# The Grafana dashboard.

def dashboard_problems(board: dict, tmp_path: Path) -> list[str]:
    found = []
    for key in ("uid", "title", "panels", "schemaVersion"):
        if not board.get(key):
            found.append(f"no {key}")
    # Galaxy's Grafana conventions (its spec): refresh 10 s, 30 minutes shown.
    if board.get("refresh") != "10s" or board.get("time", {}).get("from") != "now-30m":
        found.append("refresh 10s and a 30 minute range, as Galaxy's dashboards")
    variables = {v["name"]: v for v in board.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource" or variables["datasource"].get("query") != "prometheus":
        found.append("no datasource variable of type prometheus: a provisioned dashboard cannot use __inputs")
    if "__inputs" in board:
        found.append("__inputs works only when importing by hand, not with file provisioning")
    ids = [p.get("id") for p in board.get("panels", [])]
    if len(ids) != len(set(ids)) or None in ids:
        found.append(f"panel ids must be unique: {ids}")
    exprs = []
    for panel in board.get("panels", []):
        if not panel.get("gridPos"):
            found.append(f"panel {panel.get('title')} has no gridPos")
        if not panel.get("targets"):
            found.append(f"panel {panel.get('title')} has no query")
        for t in panel.get("targets", []):
            if t.get("datasource", panel.get("datasource", {})).get("uid") != "${datasource}":
                found.append(f"panel {panel.get('title')} does not use the datasource variable")
            exprs.append((panel.get("title"), t.get("expr", "")))
    for title, expr in exprs:
        for metric in set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\{", expr)):
            if metric not in KNOWN_METRICS:
                found.append(f"panel {title} queries {metric}, which nothing exports")
    # Every query is valid PromQL: promtool parses them as recording rules.
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": e.replace("$__rate_interval", "5m")} for i, (_, e) in enumerate(exprs)]}]}
    (tmp_path / "queries.yaml").write_text(yaml.safe_dump(rules))
    result = promtool("check", "rules", str(tmp_path / "queries.yaml"))
    if result.returncode:
        found.append(f"invalid PromQL: {result.stdout}{result.stderr}")
    return found


def test_the_grafana_dashboard_is_valid(tmp_path):
    assert dashboard_problems(json.loads(DASHBOARD.read_text()), tmp_path) == []


@pytest.mark.parametrize("change,expected", [
    (lambda b: b["panels"][0]["targets"][0].update(expr="count(nginx_up{) == 1"), "invalid PromQL"),
    (lambda b: b["panels"][1]["targets"][0].update(expr="sum(rate(nginx_requests_5xx_total{}[5m]))"), "nothing exports"),
    (lambda b: b["panels"][2]["targets"][0].update(datasource={"type": "prometheus", "uid": "PBFA97CFB590B2093"}),
     "datasource variable"),
    (lambda b: b["panels"][3].update(id=1), "unique"),
    (lambda b: b.update(refresh="1m"), "refresh 10s"),
    (lambda b: b["templating"].update(list=[]), "no datasource variable"),
])
def test_a_broken_dashboard_is_caught(tmp_path, change, expected):
    board = json.loads(DASHBOARD.read_text())
    change(board)
    assert any(expected in p for p in dashboard_problems(board, tmp_path))


def test_the_dashboard_shows_what_the_alerts_watch():
    board = DASHBOARD.read_text()
    for metric in ("nginx_up", "nginx_ingress_controller_requests", "certmanager_certificate_expiration_timestamp_seconds"):
        assert metric in board and metric in RULES.read_text(), metric


# The ConfigMaps, in every overlay, with fixed names Galaxy's monitoring can mount.

@pytest.mark.parametrize("overlay", ["local-dev", "staging", "prod"])
def test_every_overlay_ships_the_rules_and_the_dashboard(overlay):
    objects = {o["metadata"]["name"]: o for o in render(ROOT / "k8s" / "overlays" / overlay) if o["kind"] == "ConfigMap"}
    rules = objects["admin-dashboard-prometheus-rules"]["data"]
    assert rules == {"admin-dashboard.rules.yaml": RULES.read_text()}
    grafana = objects["admin-dashboard-grafana-dashboard"]
    assert grafana["data"] == {"admin-dashboard.grafana.json": DASHBOARD.read_text()}
    assert grafana["metadata"]["labels"]["grafana_dashboard"] == "1"


# What Galaxy's Prometheus and Grafana are handed (handover/galaxy/monitoring).

def prometheus_config(tmp_path: Path, fragment: str) -> Path:
    """A whole prometheus.yml from the fragment, with the rules where the mount puts them.
    Debian's promtool is built without Kubernetes discovery, so each job's
    kubernetes_sd_configs becomes a static target; the relabelings are checked as written."""
    doc = yaml.safe_load(fragment)
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    shutil.copy(RULES, rules_dir / "admin-dashboard.yaml")
    doc["rule_files"] = [str(rules_dir / Path(doc["rule_files"][0]).name)]
    for job in doc["scrape_configs"]:
        job.pop("kubernetes_sd_configs")
        job["static_configs"] = [{"targets": ["pod.example:9113"]}]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump({"global": {"scrape_interval": "15s"}, **doc}))
    return path


def test_the_prometheus_settings_load_the_rules(tmp_path):
    fragment = (HANDOVER / "prometheus.yml.fragment").read_text()
    doc = yaml.safe_load(fragment)
    assert doc["rule_files"] == ["/etc/prometheus/rules/admin-dashboard/*.yaml"]
    pods = next(j for j in doc["scrape_configs"] if j["job_name"] == "kubernetes-pods")
    assert pods["kubernetes_sd_configs"][0]["role"] == "pod"
    # The labels the rules select on come from this relabeling.
    assert {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"} in pods["relabel_configs"]
    assert {"ingress-nginx", "cert-manager"} <= {j["job_name"] for j in doc["scrape_configs"]}
    result = promtool("check", "config", str(prometheus_config(tmp_path, fragment)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout


def test_a_broken_prometheus_setting_is_caught(tmp_path):
    fragment = (HANDOVER / "prometheus.yml.fragment").read_text().replace("action: labelmap", "action: labelmapp")
    result = promtool("check", "config", str(prometheus_config(tmp_path, fragment)))
    assert result.returncode != 0


def test_the_grafana_provider_reads_the_mounted_dashboard():
    provider = yaml.safe_load((HANDOVER / "grafana-dashboards-provider.yaml").read_text())
    assert provider["apiVersion"] == 1
    entry = provider["providers"][0]
    assert entry["type"] == "file" and entry["options"]["path"] == "/var/lib/grafana/dashboards/admin-dashboard"
    readme = (HANDOVER.parent / "README.md").read_text()
    assert "/var/lib/grafana/dashboards/admin-dashboard" in readme and "/etc/prometheus/rules/admin-dashboard" in readme
