#!/usr/bin/env bash
# One-time migration of a namespace deployed from Galaxy's own manifests: this
# repository takes over the /admin route. Galaxy's galaxy-ingress routes /admin to
# port 80 of admin-dashboard, which the Service does not have, and could not speak TLS
# to the pods anyway (ingress-nginx sets the backend protocol per Ingress, and the same
# Ingress routes the plain-HTTP api-gateway). The dashboard's own Ingress
# (k8s/components/ingress-nginx) replaces that path; ingress-nginx refuses two Ingresses
# with the same host and path, so the old path goes first. Requests to /admin in the
# seconds between the two steps reach the web-client's catch-all.
#
# usage: scripts/adopt-admin-route.sh NAMESPACE [OVERLAY]    (OVERLAY: k8s/overlays/prod)
# Everything else of Galaxy's objects is taken over by the apply itself: the Deployment,
# Service, PDB and NetworkPolicy share their names and selectors with Galaxy's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

namespace=${1:?usage: adopt-admin-route.sh NAMESPACE [OVERLAY]}
overlay=${2:-k8s/overlays/prod}
current=$(kubectl -n "$namespace" get ingress galaxy-ingress -o json)
# Every /admin path of galaxy-ingress that leads to admin-dashboard, and nothing else.
updated=$(python3 -c '
import json, sys
ingress = json.load(sys.stdin)
removed = 0
for rule in ingress["spec"].get("rules", []):
    paths = rule.get("http", {}).get("paths", [])
    kept = [p for p in paths if not (p.get("path", "").rstrip("/") == "/admin"
            and p.get("backend", {}).get("service", {}).get("name") == "admin-dashboard")]
    removed += len(paths) - len(kept)
    rule["http"]["paths"] = kept
print(json.dumps(ingress) if removed else "")
' <<<"$current")
if [ -z "$updated" ]; then
    note "galaxy-ingress in $namespace has no /admin path any more"
else
    say "Removing /admin from galaxy-ingress in $namespace"
    # replace, not apply: the resourceVersion read above makes it fail if someone else
    # changed the Ingress meanwhile.
    kubectl -n "$namespace" replace -f - <<<"$updated"
fi
say "Applying $overlay"
kubectl apply -k "$overlay"
