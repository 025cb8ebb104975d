#!/usr/bin/env bash
# The hand-over (handover/galaxy/README.md), this repository's side, once per namespace
# deployed from Galaxy's own manifests; safe to run again (then it only applies).
#
#   1. Applies the overlay, all but its Ingress, server-side with the field manager
#      "admin-dashboard" (--force-conflicts: it takes over the fields Galaxy's client-side
#      `kubectl apply` set on the Deployment, Service, ServiceAccount, PDB and policy, which
#      share their names and selectors). kubectl 1.26 or newer first moves the fields of
#      that client-side apply to this field manager, so what Galaxy set and this overlay does
#      not (Galaxy's container "admin-dashboard", its frontend-config mount) is removed, not
#      merged: checked below. Then removes kubectl's last-applied annotation from them, so
#      that a `kubectl apply --prune` of Galaxy's manifests never takes them for its own;
#      waits until the new pods are Ready.
#   2. The route: removes the /admin path from galaxy-ingress (it names port 80, which the
#      Service does not have, and could not speak TLS to the pods) and at once applies the
#      Ingress admin-dashboard (ingress-nginx's webhook refuses a second Ingress for the same
#      host and path, so this order). ingress-nginx batches the two changes into its next
#      reload; /admin is served by the pods that step 1 made Ready.
#   3. Checks that /admin of the host has exactly one Ingress.
#
# usage: scripts/adopt-admin-route.sh NAMESPACE [OVERLAY]    (OVERLAY: k8s/overlays/prod)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

namespace=${1:?usage: adopt-admin-route.sh NAMESPACE [OVERLAY]}
overlay=${2:-k8s/overlays/prod}
MANAGER=admin-dashboard
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python=python3
[ -x "$VENV/bin/python" ] && python="$VENV/bin/python"   # PyYAML, from scripts/bootstrap.sh
kubectl kustomize "$overlay" >"$work/all.yaml"
# The overlay split in two: its Ingress admin-dashboard, and everything else.
"$python" - "$work" <<'PY'
import sys, yaml
work = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(f"{work}/all.yaml")) if d]
route = [d for d in docs if d["kind"] == "Ingress"]
rest = [d for d in docs if d["kind"] != "Ingress"]
yaml.safe_dump_all(rest, open(f"{work}/workload.yaml", "w"))
yaml.safe_dump_all(route, open(f"{work}/route.yaml", "w"))
PY

minor=$(kubectl version --client -o json | "$python" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["minor"].rstrip("+"))')
[ "$minor" -ge 26 ] || die "kubectl 1.26 or newer is needed (it moves client-side apply's fields to the field manager); this one is 1.$minor"

say "1/3 Applying $overlay without its Ingress (server-side, field manager $MANAGER)"
kubectl apply --server-side --field-manager="$MANAGER" --force-conflicts -f "$work/workload.yaml"
# The pods run exactly the overlay's containers: none of Galaxy's was left behind.
want=$("$python" -c '
import sys, yaml
d = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Deployment")
print(" ".join(sorted(c["name"] for c in d["spec"]["template"]["spec"]["containers"])))' "$work/workload.yaml")
have=$(kubectl -n "$namespace" get deployment admin-dashboard -o jsonpath='{.spec.template.spec.containers[*].name}' |
    tr ' ' '\n' | sort | paste -sd ' ')
[ "$have" = "$want" ] || die "deployment/admin-dashboard has the containers '$have', the overlay '$want': a field manager other than $MANAGER still owns some (kubectl -n $namespace get deployment admin-dashboard --show-managed-fields -o yaml)"
for object in deployment/admin-dashboard service/admin-dashboard serviceaccount/admin-dashboard \
    poddisruptionbudget/admin-dashboard-pdb networkpolicy/allow-ingress-admin-dashboard; do
    kubectl -n "$namespace" annotate "$object" kubectl.kubernetes.io/last-applied-configuration- >/dev/null 2>&1 || true
done
kubectl -n "$namespace" rollout status deployment/admin-dashboard --timeout=300s

if [ -s "$work/route.yaml" ] && grep -q "kind: Ingress" "$work/route.yaml"; then
    current=$(kubectl -n "$namespace" get ingress galaxy-ingress -o json 2>/dev/null || echo '{}')
    # Every /admin path of galaxy-ingress that leads to admin-dashboard, and nothing else.
    updated=$(python3 -c '
import json, sys
ingress = json.load(sys.stdin)
removed = 0
for rule in ingress.get("spec", {}).get("rules", []):
    paths = rule.get("http", {}).get("paths", [])
    kept = [p for p in paths if not (p.get("path", "").rstrip("/") == "/admin"
            and p.get("backend", {}).get("service", {}).get("name") == "admin-dashboard")]
    removed += len(paths) - len(kept)
    rule["http"]["paths"] = kept
print(json.dumps(ingress) if removed else "")
' <<<"$current")
    say "2/3 The /admin route: galaxy-ingress's path out, the Ingress admin-dashboard in"
    if [ -z "$updated" ]; then
        note "galaxy-ingress in $namespace has no /admin path (any more)"
    else
        # replace, not apply: the resourceVersion read above makes it fail if someone else
        # changed the Ingress meanwhile.
        kubectl -n "$namespace" replace -f - <<<"$updated"
    fi
    kubectl apply --server-side --field-manager="$MANAGER" --force-conflicts -f "$work/route.yaml"

    say "3/3 Checking that /admin has one owner"
    owners=$(kubectl -n "$namespace" get ingress -o json | python3 -c '
import json, sys
print(sum(1 for i in json.load(sys.stdin)["items"] for r in i["spec"].get("rules", [])
          for p in r.get("http", {}).get("paths", []) if p["path"].rstrip("/") == "/admin"))')
    [ "$owners" = 1 ] || die "/admin has $owners Ingress paths in $namespace, expected 1"
fi
say "Done: $namespace is served from $overlay, field manager $MANAGER"
