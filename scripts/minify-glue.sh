#!/bin/sh
# Trunk post-build hook: minifies wasm-bindgen's JS glue in the staging dist with terser.
# Trunk minifies the HTML and the CSS but leaves this module as wasm-bindgen wrote it;
# minified, it is about a fifth smaller as served (brotli). The file keeps the name trunk
# gave it: the same sources still give the same bytes under the same name.
set -eu
[ "${TRUNK_PROFILE:-}" = release ] || exit 0
for js in "${TRUNK_STAGING_DIR:?run by trunk}"/galaxy-admin-dashboard-*.js; do
    terser "$js" --module --compress --mangle --output "$js.min"
    mv "$js.min" "$js"
done
