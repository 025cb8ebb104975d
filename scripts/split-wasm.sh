#!/bin/sh
# Trunk post-build hook: splits the app's wasm at its #[wasm_split] points
# (src/app/chunks.rs) into the main module and one module per lazily loaded page,
# in place of trunk's single module.
#
#   1. wasm-split-cli takes cargo's output (linked with --emit-relocs, see
#      release_rustflags) and writes the main module, the page modules and the JS
#      that loads them (the "link module");
#   2. wasm-bindgen binds the main module as trunk would, keeping the exports the
#      page modules link against (--keep-lld-exports);
#   3. in release builds, wasm-opt optimizes every module (trunk's own wasm-opt is off
#      in index.html: it would see only the unsplit module);
#   4. the page modules get content-hashed names (nginx caches them as immutable), and
#      the link module is inlined into the glue (scripts/inline-split-loader.mjs).
#
# The main module and the glue keep the names trunk gave them, which index.html refers to.
set -eu
staging=${TRUNK_STAGING_DIR:?run by trunk}
profile=debug
[ "${TRUNK_PROFILE:-}" = release ] && profile=release
input="${CARGO_TARGET_DIR:-${TRUNK_SOURCE_DIR:-.}/target}/wasm32-unknown-unknown/$profile/galaxy-admin-dashboard.wasm"
[ -f "$input" ] || { echo "split-wasm: no $input" >&2; exit 1; }
set -- "$staging"/galaxy-admin-dashboard-*.js
[ $# -eq 1 ] && [ -f "$1" ] || { echo "split-wasm: expected one glue in $staging, found: $*" >&2; exit 1; }
name=$(basename "$1" .js)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/split" "$work/bound"
wasm-split-cli "$input" "$work/split" --target web --out-name "$name"
# wasm-bindgen warns of every name subsection wasm-split-cli writes and it does not know.
wasm-bindgen --target web --no-typescript --keep-lld-exports \
    --out-dir "$work/bound" --out-name "$name" "$work/split/$name.wasm" 2>"$work/bindgen.log" \
    || { cat "$work/bindgen.log" >&2; exit 1; }
grep -v 'unknown name subsection' "$work/bindgen.log" >&2 || true

# The flags trunk's wasm-opt had before the split (features that every browser
# the console supports has).
if [ "$profile" = release ]; then
    for wasm in "$work/bound/${name}_bg.wasm" "$work/split"/split_*.wasm "$work/split"/chunk_*.wasm; do
        [ -f "$wasm" ] || continue
        wasm-opt -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int \
            --enable-sign-ext --enable-mutable-globals --ignore-implicit-traps \
            "$wasm" --output "$wasm"
    done
fi

node "$(dirname "$0")/inline-split-loader.mjs" "$work/bound/$name.js" "$work/split/__wasm_split.js" "$work/split" "$staging"
cp "$work/bound/${name}_bg.wasm" "$staging/${name}_bg.wasm"
cp "$work/bound/$name.js" "$staging/$name.js"
