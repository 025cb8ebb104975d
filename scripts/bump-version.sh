#!/usr/bin/env bash
# usage: bump-version.sh X.Y.Z
# Moves the dashboard to a new version everywhere at once: Cargo.toml (the source of
# truth), Cargo.lock, the version label and every overlay's image tag.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
new=${1:-}
[[ "$new" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] || die "usage: bump-version.sh X.Y.Z (semantic version)"
old=$(dashboard_version)
say "Bumping the dashboard from $old to $new"
sed -i "0,/^version = \"$old\"/s//version = \"$new\"/" Cargo.toml
cargo update --workspace --offline --quiet
sed -i "s/^\(      app.kubernetes.io\/version: \)\"$old\"$/\1\"$new\"/" k8s/components/recommended-labels/kustomization.yaml
for overlay in k8s/overlays/*/kustomization.yaml; do
    # The pinned digest (scripts/pin-image-digest.sh) is the old version's image: it goes, and
    # the image workflow pins the new one after its push.
    sed -i -e "s/^\(    newTag: \)\"$old\"$/\1\"$new\"/" -e '/^    digest: sha256:[0-9a-f]*$/d' "$overlay"
done
grep -q "version = \"$new\"" Cargo.toml || die "Cargo.toml was not updated"
note "updated: Cargo.toml, Cargo.lock, the version label, $(ls k8s/overlays | tr '\n' ' ')"
