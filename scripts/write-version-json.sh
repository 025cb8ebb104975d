#!/bin/sh
# Trunk post-build hook: writes version.json, from the version in Cargo.toml, into the staging dist.
set -eu
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || { echo "write-version-json: no version in Cargo.toml" >&2; exit 1; }
printf '{"version":"%s"}\n' "$version" > "${TRUNK_STAGING_DIR:?run by trunk}/version.json"
