#!/usr/bin/env bash
# Release build of the dashboard into dist/ (trunk, wasm-opt, version.json).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
say "Building the dashboard $(dashboard_version) (trunk release build)"
mkdir -p "$RUN_DIR"
log="$RUN_DIR/trunk-build.log"
# Shorter panic-location paths: the registry's absolute path would otherwise be
# repeated in the bundle for every dependency file that can panic.
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
export RUSTFLAGS="--cfg erase_components --remap-path-prefix=$registry= --remap-path-prefix=$ROOT=."
# --offline: trunk must use the tools the bootstrap installed, never download its own.
if ! trunk build --release --offline >"$log" 2>&1; then
    cat "$log" >&2
    die "trunk build failed (log: $log)"
fi
grep -E '^(warning|error)' "$log" >&2 || true
# Compressed once at build time for nginx's gzip_static, with zopfli: gzip-compatible
# and about 4% smaller than gzip -9. The hashed assets, and index.html; version.json stays
# as it is (tiny, and replaced in place by the tests that simulate a deploy).
command -v zopfli >/dev/null || die "zopfli is missing: run scripts/bootstrap.sh"
find dist -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' -o -name '*.svg' -o -name 'index.html' \) \
    ! -name config.js -exec zopfli --i15 {} +
note "dist/: $(find dist -type f | wc -l) files, wasm $(du -k dist/*.wasm | awk '{print $1}') KiB"
