#!/usr/bin/env bash
# Release build of the dashboard into dist/ (trunk, wasm-opt, version.json).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
say "Building the dashboard $(dashboard_version) (trunk release build)"
mkdir -p "$RUN_DIR"
log="$RUN_DIR/trunk-build.log"
# --offline: trunk must use the tools the bootstrap installed, never download its own.
if ! trunk build --release --offline >"$log" 2>&1; then
    cat "$log" >&2
    die "trunk build failed (log: $log)"
fi
grep -E '^(warning|error)' "$log" >&2 || true
# Hashed assets are immutable: compress them once, for nginx's gzip_static.
# index.html and version.json stay uncompressed: tiny, revalidated, and replaced in place.
find dist -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' -o -name '*.svg' \) ! -name config.js \
    -exec gzip -9 --keep --no-name --force {} +
note "dist/: $(find dist -type f | wc -l) files, wasm $(du -k dist/*.wasm | awk '{print $1}') KiB"
