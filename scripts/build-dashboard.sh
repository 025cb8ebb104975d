#!/usr/bin/env bash
# Release build of the dashboard into dist/ (trunk, wasm-opt, version.json).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
say "Building the dashboard $(dashboard_version) (trunk release build)"
mkdir -p "$RUN_DIR"
log="$RUN_DIR/trunk-build.log"
export RUSTFLAGS="$(release_rustflags)"
# --offline: trunk must use the tools the bootstrap installed, never download its own.
if ! trunk build --release --offline >"$log" 2>&1; then
    cat "$log" >&2
    die "trunk build failed (log: $log)"
fi
grep -E '^(warning|error)' "$log" >&2 || true
precompress dist
note "dist/: $(find dist -type f | wc -l) files, wasm $(du -k dist/*.wasm | awk '{print $1}') KiB"
