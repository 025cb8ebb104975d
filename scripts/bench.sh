#!/usr/bin/env bash
# The benchmarks: prints figures, asserts nothing (these machines are noisy).
# Builds the dashboard, the Leptos floor (same release profile) and the react-admin peer
# (Vite, installed from the npm registry here), serves each with the project's nginx
# configuration (sandboxed as in the pod) next to the reference gateway seeded with
# 100000 players, and writes bench/results/latest.{md,json}. About 6 minutes once built.
#   BENCH_IDLE_SECONDS=300  how long the idle tabs stay open (visible and hidden at once)
#   BENCH_RUNS=5            cold loads per app and measure (medians are reported)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BENCH_DIR="$RUN_DIR/bench"
GATEWAY_PORT=28052
# The apps measured side by side: each one's build, the port its nginx listens on, and
# the options its nginx sandbox needs. emotion (MUI's CSS-in-JS) fills empty <style>
# elements through CSSOM, so the react-admin peer needs those allowed by hash, and it
# loads every script by URL (see scripts/csp-hashes.mjs).
APPS=(dashboard react-admin leptos-floor)
# The dashboard is served from a copy, so the update measure can put the next release in place.
declare -A DIST=([dashboard]=.dev/bench-served [react-admin]=bench/react-admin/dist [leptos-floor]=bench/leptos-floor/dist)
declare -A PORT=([dashboard]=28061 [leptos-floor]=28062 [react-admin]=28063)
declare -A SANDBOX_OPTIONS=([react-admin]="--csp-option --allow-no-script --csp-option --empty-style")

"$ROOT/scripts/bootstrap.sh"
command -v twiggy >/dev/null || { say "Installing twiggy (crates.io), to report what the wasm is made of"; cargo install twiggy --locked; }
"$ROOT/scripts/build-dashboard.sh"

say "Building the Leptos floor (bench/leptos-floor) with the same profile"
(
    cd bench/leptos-floor
    RUSTFLAGS="$(release_rustflags)" CARGO_TARGET_DIR="$ROOT/target/bench" \
        trunk build --release --offline >"$RUN_DIR/floor-build.log" 2>&1 || { cat "$RUN_DIR/floor-build.log"; exit 1; }
    precompress dist
)
npm_install "$ROOT/bench/react-admin" "the react-admin peer's packages"
say "Building the react-admin peer (bench/react-admin) with Vite"
(
    cd bench/react-admin
    npm run --silent build >"$RUN_DIR/peer-build.log" 2>&1 || { cat "$RUN_DIR/peer-build.log"; exit 1; }
    precompress dist
)
say "Building the dashboard's next release, for the update measure"
build_next_release "$RUN_DIR/bench-next"
say "Building the reference gateway"
cargo build --release --quiet -p galaxy-gateway

rm -rf "$BENCH_DIR" "$RUN_DIR/bench-served"
mkdir -p "$BENCH_DIR" bench/results
cp -r dist "$RUN_DIR/bench-served"
make_cert "$BENCH_DIR/tls"
write_config_js "$BENCH_DIR/config/config.js" "https://localhost:$GATEWAY_PORT/api" prod
export GALAXY_ADMIN_USERNAME=admin GALAXY_ADMIN_PASSWORD="bench-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export JWT_SECRET_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap stop_all EXIT
urls=() bench_apps=() bench_dists=()
for app in "${APPS[@]}"; do
    urls+=("https://localhost:${PORT[$app]}")
    bench_apps+=("$app=https://localhost:${PORT[$app]}")
    bench_dists+=("$app=$ROOT/${DIST[$app]}")
done
start_bg gateway "$BENCH_DIR/gateway.log" target/release/galaxy-gateway --listen "127.0.0.1:$GATEWAY_PORT" \
    --tls-cert "$BENCH_DIR/tls/tls.crt" --tls-key "$BENCH_DIR/tls/tls.key" --players 100000 --demo-history \
    --cors-origins "$(IFS=,; echo "${urls[*]}")"
for app in "${APPS[@]}"; do
    # shellcheck disable=SC2086 # the options are words
    start_bg "nginx ($app)" "$BENCH_DIR/nginx-$app.log" scripts/nginx-sandbox.sh --dist "${DIST[$app]}" \
        --tls "$BENCH_DIR/tls" --config "$BENCH_DIR/config" --work "$BENCH_DIR/nginx-$app" --port "${PORT[$app]}" \
        ${SANDBOX_OPTIONS[$app]:-}
done
for url in "https://localhost:$GATEWAY_PORT/api/health/live" "${urls[@]/%//health}"; do
    wait_for_url "$url" 60 || die "$url did not answer; see $BENCH_DIR/*.log"
done

twiggy top -n 1000000 -f csv target/wasm-bindgen/release/galaxy-admin-dashboard_bg.wasm >"$BENCH_DIR/twiggy.csv"
say "Measuring (about $(( ( ${BENCH_IDLE_SECONDS:-300} + 60 ) / 60 )) minutes: idle tabs while the timed measures run)"
BENCH_APPS="$(IFS=,; echo "${bench_apps[*]}")" BENCH_DISTS="$(IFS=,; echo "${bench_dists[*]}")" \
    BENCH_UPDATES="dashboard=$RUN_DIR/bench-served=$RUN_DIR/bench-next/dist" \
    ADMIN_USERNAME=admin ADMIN_PASSWORD="$GALAXY_ADMIN_PASSWORD" BENCH_WORK="$BENCH_DIR" \
    node bench/run.mjs
cat bench/results/latest.md
