#!/usr/bin/env bash
# Builds and tags the image as ghcr.io/erikevenson/galaxy/admin-dashboard:<version>
# and :sha-<commit>, where a Docker engine exists. It refuses when <version> exists
# already, here or in the registry: a release tag names one image forever (the overlays,
# rollbacks and PREVIOUS_IMAGE rely on it); bump the version instead. Releases are
# published by .github/workflows/image.yml, which refuses the same way.
#   PREVIOUS_IMAGE=ghcr.io/erikevenson/galaxy/admin-dashboard:0.1.0 scripts/build-image.sh
# names the release this one replaces, whose hashed files the new image carries.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

IMAGE=ghcr.io/erikevenson/galaxy/admin-dashboard
if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
    die "no Docker engine on this machine: the image cannot be built here. Its nginx behaviour is proven by 'scripts/test.sh serving' (Debian's nginx under bubblewrap)."
fi
version=$(dashboard_version)
if docker image inspect "$IMAGE:$version" >/dev/null 2>&1; then
    die "$IMAGE:$version exists already on this machine; release tags are never re-used: bump the version (scripts/bump-version.sh)"
fi
if out=$(docker buildx imagetools inspect "$IMAGE:$version" 2>&1); then
    die "$IMAGE:$version is published already; release tags are never re-used: bump the version (scripts/bump-version.sh)"
elif ! grep -qiE 'not found|manifest unknown' <<<"$out"; then
    die "cannot tell whether $IMAGE:$version is published (is the registry reachable, are you logged in?): $out"
fi
revision=$(git rev-parse HEAD)
[ -z "$(git status --porcelain)" ] || note "the work tree has uncommitted changes; the revision label names HEAD"
args=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision"
      --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
if [ -n "${PREVIOUS_IMAGE:-}" ]; then
    args+=(--build-arg "PREVIOUS_IMAGE=$PREVIOUS_IMAGE")
    note "carrying the hashed files of $PREVIOUS_IMAGE"
else
    note "no PREVIOUS_IMAGE: the first release carries nothing"
fi
say "Building $IMAGE:$version and :sha-${revision:0:12}"
docker build "${args[@]}" -t "$IMAGE:$version" -t "$IMAGE:sha-${revision:0:12}" .
