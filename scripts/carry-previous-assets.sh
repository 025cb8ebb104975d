#!/usr/bin/env bash
# usage: carry-previous-assets.sh PREVIOUS_DIST NEW_DIST
# Copies the hashed files the previous release's index.html references, the page
# modules its glue loads (scripts/split-wasm.sh), and their .gz and .br, into the new dist, so that during a rolling update an old index.html served
# by an old pod can fetch its files from a new pod. Only the previous release's own
# files are carried, so they do not pile up from release to release.
set -euo pipefail
previous=$1 new=$2
if [ ! -f "$previous/index.html" ]; then
    echo "carry-previous-assets: no previous release in $previous; nothing to carry" >&2
    exit 0
fi
count=0
referenced=$(grep -oE '/admin/[A-Za-z0-9_.-]+-[0-9a-f]{1,16}(_bg)?\.(js|wasm|css|svg)' "$previous/index.html" | sed 's#^/admin/##' | sort -u)
pages=$(for name in $referenced; do
    case $name in *.js) grep -ohE '\./(split|chunk)_[A-Za-z0-9_]+-[0-9a-f]{16}\.wasm' "$previous/$name" 2>/dev/null || true ;; esac
done | sed 's#^\./##' | sort -u)
for name in $referenced $pages; do
    for file in "$name" "$name.gz" "$name.br"; do
        if [ -f "$previous/$file" ] && [ ! -e "$new/$file" ]; then
            cp -p "$previous/$file" "$new/$file"
            count=$((count + 1))
        fi
    done
done
echo "carry-previous-assets: carried $count files of the previous release" >&2
