#!/usr/bin/env bash
# Command 2 of the README: every test of the repository.
#   lint      rustfmt, clippy (native and wasm32), yamllint, hadolint
#   unit      cargo test --workspace: unit tests and the gateway's integration tests over HTTP
#   contract  schemathesis against a live reference gateway and api/openapi.yaml
#   e2e       Chromium against the project's nginx config (sandboxed as in the pod) and the
#             reference gateway, all over TLS
#   k8s       every overlay rendered by kustomize, validated offline (kubernetes-validate,
#             yamllint, checkov) and cross-checked against nginx, the image and Galaxy's
#             own manifests (pytest)
#   image     the image workflow (.github/workflows): GitHub's workflow schema, shellcheck,
#             its promises; scripts/build-image.sh's refusal to re-tag a version
#   serving   the image's nginx proven under bubblewrap (TLS, headers, caching, CSP, reload,
#             read-only root), and a rolling update replayed with two real releases
#   dev       `make dev` started, used in Chromium (log in), stopped with Ctrl-C
# With no argument it runs all of them; name stages to run only those (e.g. `scripts/test.sh e2e`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# Ports of this run's servers; fixed so a failure can be reproduced by hand.
NGINX_PORT=38001 GATEWAY_TLS_PORT=38002 GATEWAY_PLAIN_PORT=38003
TEST_DIR="$RUN_DIR/test"
PASSED=0
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(lint unit k8s image contract e2e serving dev)

wants() { [[ " ${STAGES[*]} " == *" $1 "* ]]; }

stage_lint() {
    say "Lint: rustfmt, clippy (native and wasm32), yamllint, hadolint"
    cargo fmt --all -- --check
    cargo clippy --quiet --workspace --all-targets -- -D warnings
    cargo clippy --quiet -p galaxy-admin-dashboard --target wasm32-unknown-unknown -- -D warnings
    "$VENV/bin/yamllint" --strict api/openapi.yaml
    "$VENV/bin/hadolint" Dockerfile
}

stage_unit() {
    say "Unit and integration tests (cargo test --workspace)"
    cargo test --workspace 2>&1 | tee "$TEST_DIR/cargo-test.log"
    PASSED=$((PASSED + $(grep -Eo '^test result: ok\. [0-9]+ passed' "$TEST_DIR/cargo-test.log" | awk '{s += $4} END {print s + 0}')))
}

stage_k8s() {
    say "Kubernetes: render every overlay, validate offline, cross-check with nginx and the image"
    local dir="$TEST_DIR/k8s" overlay rendered=()
    rm -rf "$dir"
    mkdir -p "$dir"
    for overlay in k8s/overlays/*/; do
        overlay=$(basename "$overlay")
        kubectl kustomize "k8s/overlays/$overlay" >"$dir/$overlay.yaml"
        rendered+=("$dir/$overlay.yaml")
        note "rendered $overlay: $(grep -c '^kind:' "$dir/$overlay.yaml") objects"
    done
    # The oldest Kubernetes the manifests support (README: the preStop sleep action is on by
    # default from 1.30) and the newest schemas the validator has.
    "$VENV/bin/kubernetes-validate" --strict --quiet --kubernetes-version 1.30 "${rendered[@]}"
    "$VENV/bin/kubernetes-validate" --strict --quiet --kubernetes-version 1.37 "${rendered[@]}"
    "$VENV/bin/yamllint" --strict k8s
    "$ROOT/.venv-checkov/bin/checkov" --config-file .checkov.yaml --framework kubernetes $(printf -- '-f %s ' "${rendered[@]}")
    "$ROOT/.venv-checkov/bin/checkov" --config-file .checkov.yaml --framework dockerfile -f Dockerfile
    "$VENV/bin/pytest" -q tests/k8s 2>&1 | tee "$dir/pytest.log"
    PASSED=$((PASSED + $(grep -Eo '[0-9]+ passed' "$dir/pytest.log" | tail -n 1 | awk '{print $1}')))
}

stage_image() {
    say "Image pipeline: the workflow (schema, shellcheck, promises), build-image.sh's refusals"
    local dir="$TEST_DIR/image"
    mkdir -p "$dir"
    "$VENV/bin/yamllint" --strict .github/workflows
    "$VENV/bin/pytest" -q tests/image 2>&1 | tee "$dir/pytest.log"
    PASSED=$((PASSED + $(grep -Eo '[0-9]+ passed' "$dir/pytest.log" | tail -n 1 | awk '{print $1}')))
}

build_servers() {
    "$ROOT/scripts/build-dashboard.sh"
    say "Building the reference gateway"
    cargo build --release --quiet -p galaxy-gateway
    make_cert "$TEST_DIR/tls"
    export GALAXY_ADMIN_USERNAME=admin GALAXY_ADMIN_PASSWORD="test-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    export JWT_SECRET_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

stage_contract() {
    say "API contract: schemathesis against a live reference gateway"
    start_bg "gateway (plain HTTP, for schemathesis)" "$TEST_DIR/gateway-contract.log" \
        target/release/galaxy-gateway --listen "127.0.0.1:$GATEWAY_PLAIN_PORT"
    wait_for_url "http://127.0.0.1:$GATEWAY_PLAIN_PORT/api/health/live" || die "gateway did not start; see $TEST_DIR/gateway-contract.log"
    GALAXY_TOKEN=$(curl -sf "http://127.0.0.1:$GATEWAY_PLAIN_PORT/api/admin/auth/login" -H 'content-type: application/json' \
        -d "{\"username\":\"admin\",\"password\":\"$GALAXY_ADMIN_PASSWORD\"}" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    export GALAXY_TOKEN
    "$VENV/bin/schemathesis" --config-file api/schemathesis.toml run api/openapi.yaml \
        --url "http://127.0.0.1:$GATEWAY_PLAIN_PORT/api" --no-color 2>&1 | tee "$TEST_DIR/schemathesis.log" | tail -n 25
    PASSED=$((PASSED + $(grep -Eo '[0-9]+ passed' "$TEST_DIR/schemathesis.log" | tail -n 1 | awk '{print $1}')))
}

stage_e2e() {
    say "Browser tests: Chromium → nginx (sandboxed) → reference gateway, all over TLS"
    # Served copies, so tests can simulate a deploy (version.json) or a bad ConfigMap (config.js).
    rm -rf "$TEST_DIR/dist" "$TEST_DIR/config"
    cp -r dist "$TEST_DIR/dist"
    write_config_js "$TEST_DIR/config/config.js" "https://localhost:$GATEWAY_TLS_PORT/api" dev "VERSION_POLL_MS: 1000,"
    start_bg "gateway (TLS, dev controls)" "$TEST_DIR/gateway-e2e.log" \
        target/release/galaxy-gateway --listen "127.0.0.1:$GATEWAY_TLS_PORT" \
        --tls-cert "$TEST_DIR/tls/tls.crt" --tls-key "$TEST_DIR/tls/tls.key" --dev-controls \
        --cors-origins "https://localhost:$NGINX_PORT" --history-interval-secs 1
    start_bg nginx "$TEST_DIR/nginx.log" scripts/nginx-sandbox.sh \
        --dist "$TEST_DIR/dist" --tls "$TEST_DIR/tls" --config "$TEST_DIR/config" --work "$TEST_DIR/nginx" --port "$NGINX_PORT"
    wait_for_url "https://localhost:$GATEWAY_TLS_PORT/api/health/live" || die "gateway did not start; see $TEST_DIR/gateway-e2e.log"
    wait_for_url "https://localhost:$NGINX_PORT/health" || die "nginx did not start; see $TEST_DIR/nginx.log"
    local ca
    if command -v mkcert >/dev/null; then ca="$(mkcert -CAROOT)/rootCA.pem"; else ca="$TEST_DIR/tls/tls.crt"; fi
    rm -rf tests/e2e/artifacts
    (
        cd tests/e2e
        DASHBOARD_URL="https://localhost:$NGINX_PORT" GATEWAY_URL="https://localhost:$GATEWAY_TLS_PORT/api" \
            ADMIN_USERNAME=admin ADMIN_PASSWORD="$GALAXY_ADMIN_PASSWORD" NODE_EXTRA_CA_CERTS="$ca" \
            E2E_DIST="$TEST_DIR/dist" E2E_CONFIG_DIR="$TEST_DIR/config" \
            node --test --test-concurrency=1 --test-reporter=spec ${E2E_ONLY:+--test-name-pattern="$E2E_ONLY"} ./*.test.mjs
    ) 2>&1 | tee "$TEST_DIR/e2e.log"
    PASSED=$((PASSED + $(grep -E '^ℹ pass [0-9]+' "$TEST_DIR/e2e.log" | awk '{print $3}')))
    [ -z "$(ls tests/e2e/artifacts 2>/dev/null)" ] || note "screenshots of failures: tests/e2e/artifacts/"
}

# Release N+1 for the rolling-update test: the same sources with the patch version
# bumped, built by the same script into their own folder (sharing the cargo cache).
build_next_release() {
    local next="$TEST_DIR/next-release" version bumped
    version=$(dashboard_version)
    bumped=$(awk -F. '{print $1 "." $2 "." $3 + 1}' <<<"$version")
    say "Building release $bumped of the dashboard, for the rolling-update test"
    rm -rf "$next"
    mkdir -p "$next/gateway"
    cp -r Cargo.lock index.html Trunk.toml src style public scripts "$next/"
    cp -r gateway/Cargo.toml gateway/src "$next/gateway/"
    sed "0,/^version = \"$version\"/s//version = \"$bumped\"/" Cargo.toml >"$next/Cargo.toml"
    CARGO_TARGET_DIR="$ROOT/target" "$next/scripts/build-dashboard.sh"
    # What the image build does with the release it replaces.
    scripts/carry-previous-assets.sh dist "$next/dist"
}

stage_serving() {
    say "Serving: the image's nginx under bubblewrap, and a rolling update"
    local dir="$TEST_DIR/serving"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -r dist "$dir/dist"
    write_config_js "$dir/config/config.js" "https://localhost:$GATEWAY_TLS_PORT/api" prod
    build_next_release
    (
        cd tests/serving
        SERVING_DIST="$dir/dist" SERVING_CONFIG="$dir/config" SERVING_TLS="$TEST_DIR/tls" SERVING_WORK="$dir/work" \
            SERVING_API_ORIGIN="https://localhost:$GATEWAY_TLS_PORT" \
            ROLLOUT_OLD_DIST="$ROOT/dist" ROLLOUT_NEW_DIST="$TEST_DIR/next-release/dist" \
            node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
    ) 2>&1 | tee "$TEST_DIR/serving.log"
    PASSED=$((PASSED + $(grep -E '^ℹ pass [0-9]+' "$TEST_DIR/serving.log" | awk '{print $3}')))
}

stage_dev() {
    say "make dev: refuses busy ports, serves on 127.0.0.1, an admin logs in, Ctrl-C stops it all"
    # make dev builds what it serves; after the other stages it finds dist/ and the gateway
    # built from the same sources and reuses them (scripts/build-dashboard.sh's input hash).
    (cd tests/dev && node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs) 2>&1 | tee "$TEST_DIR/dev.log"
    PASSED=$((PASSED + $(grep -E '^ℹ pass [0-9]+' "$TEST_DIR/dev.log" | awk '{print $3}')))
}

"$ROOT/scripts/bootstrap.sh"
for port in $NGINX_PORT $GATEWAY_TLS_PORT $GATEWAY_PLAIN_PORT 8443 38030 38031 38032 38040 38041; do
    if curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$port/" || curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
        die "port $port is in use; stop whatever listens there (an earlier test run?) and retry"
    fi
done
mkdir -p "$TEST_DIR"
trap stop_all EXIT

wants lint && stage_lint
wants unit && stage_unit
wants k8s && stage_k8s
wants image && stage_image
if wants contract || wants e2e || wants serving; then build_servers; fi
wants contract && stage_contract
wants e2e && stage_e2e
wants serving && stage_serving
wants dev && stage_dev

say "All tests passed (${STAGES[*]})"
echo "total: $PASSED passed, 0 failed"
