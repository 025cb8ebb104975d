#!/usr/bin/env bash
# Release build of the dashboard into dist/ (trunk, wasm-opt, version.json).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p "$RUN_DIR"
export RUSTFLAGS="$(release_rustflags)"

# What the build reads, hashed: when nothing changed since the last build, dist/ is that
# build's output and is reused (a second `make dev` starts at once; the tests that start
# `make dev` do not rebuild what the test run just built). The stamp is written only
# after a successful build, and any edit, even uncommitted, changes the hash.
inputs_hash() {
    {
        find src style public -type f -print0 | sort -z | xargs -0 sha256sum
        sha256sum index.html Trunk.toml Cargo.toml Cargo.lock scripts/build-dashboard.sh scripts/lib.sh scripts/minify-glue.sh scripts/split-wasm.sh scripts/inline-split-loader.mjs scripts/write-version-json.sh
        echo "$RUSTFLAGS"
        trunk --version
        wasm-bindgen --version
        wasm-opt --version
        # wasm-split-cli prints no version; the bootstrap notes the one it installed.
        cat "${CARGO_HOME:-$HOME/.cargo}/.wasm-split-cli.version" 2>/dev/null || true
        terser --version
        dpkg-query -W -f='${Version}' zopfli brotli 2>/dev/null || true
    } | sha256sum | awk '{print $1}'
}
stamp="$RUN_DIR/dist.inputs.sha256"
want=$(inputs_hash)
if [ -f dist/index.html ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    note "dist/ is the build of these very sources; reused (delete $stamp to force a build)"
    exit 0
fi
rm -f "$stamp"
say "Building the dashboard $(dashboard_version) (trunk release build)"
log="$RUN_DIR/trunk-build.log"
# --offline: trunk must use the tools the bootstrap installed, never download its own.
if ! trunk build --release --offline >"$log" 2>&1; then
    cat "$log" >&2
    die "trunk build failed (log: $log)"
fi
grep -E '^(warning|error)' "$log" >&2 || true
precompress dist
echo "$want" >"$stamp"
note "dist/: $(find dist -type f | wc -l) files, main wasm $(du -k dist/*_bg.wasm | awk '{print $1}') KiB, $(find dist -name '*.wasm' ! -name '*_bg.wasm' | wc -l) page modules"
