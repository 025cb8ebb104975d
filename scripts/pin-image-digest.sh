#!/usr/bin/env bash
# usage: pin-image-digest.sh sha256:<64 hex>
# Writes the digest the image workflow pushed for the current version (Cargo.toml) into every
# overlay's images entry, beside its newTag: the clusters then run exactly the image that was
# built, scanned, smoke-tested and signed, whatever later happens to the tag. Run by
# .github/workflows/image.yml after the push (it opens a pull request with the change);
# scripts/bump-version.sh removes the digests again, since they belong to the old version.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
digest=${1:-}
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "usage: pin-image-digest.sh sha256:<64 hex digits> (got '$digest')"
version=$(dashboard_version)
for overlay in k8s/overlays/*/kustomization.yaml; do
    grep -q "^    newTag: \"$version\"$" "$overlay" || die "$overlay is not on version $version: bump it first"
    sed -i -e '/^    digest: sha256:[0-9a-f]*$/d' -e "s/^\(    newTag: \"$version\"\)$/\1\n    digest: $digest/" "$overlay"
    [ "$(grep -c "^    digest: $digest$" "$overlay")" = 1 ] || die "could not pin $overlay"
done
note "pinned $digest (version $version) in $(ls k8s/overlays | tr '\n' ' ')"
