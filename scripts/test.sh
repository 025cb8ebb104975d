#!/usr/bin/env bash
# Command 2 of the README: every test of the repository.
#   lint      rustfmt, clippy (native and wasm32), cargo-deny (deny.toml), yamllint, hadolint
#   unit      cargo test --workspace: unit tests and the gateway's integration tests over HTTP
#   contract  schemathesis against a live reference gateway and api/openapi.yaml, in memory and
#             then with its accounts on a real PostgreSQL (tests/db/serve.py)
#   conformance  scripts/conformance.sh (tests/conformance), read-only and then mutating, against
#             a fresh reference gateway in memory and one on a real PostgreSQL
#   e2e       Chromium against the project's nginx config (sandboxed as in the pod) and the
#             reference gateway, all over TLS
#   k8s       every overlay rendered by kustomize, validated offline (kubernetes-validate,
#             yamllint, checkov) and cross-checked against nginx, the image and Galaxy's
#             own manifests (pytest)
#   db        api/migrations on a real PostgreSQL (Debian's server, started by the tests as an
#             unprivileged user in a temporary directory) on top of Galaxy's seed schema; two
#             release gateways on it as replicas agreeing on the console's accounts; the
#             gateway's integration tests again with accounts on it (pytest)
#   prometheus the history read from a real Prometheus (Debian's, started by the tests as an
#             unprivileged user in a temporary directory) scraping the release gateway (pytest)
#   image     the image workflow (.github/workflows): GitHub's workflow schema, shellcheck,
#             its promises; scripts/build-image.sh's refusal to re-tag a version
#   serving   the image's nginx proven under bubblewrap (TLS, headers, caching, CSP, reload,
#             read-only root), and a rolling update replayed with two real releases
#   dev       `make dev` started, used in Chromium (log in), stopped with Ctrl-C
# With no argument it runs all of them; name stages to run only those (e.g. `scripts/test.sh e2e`).
# Each stage runs in its own process under a time limit (STAGE_LIMITS below; TEST_TIMEOUT_<STAGE>
# in seconds overrides one, e.g. TEST_TIMEOUT_E2E=3600), and prints its own time; the end
# prints every stage's time and the total.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# Ports of this run's servers; fixed so a failure can be reproduced by hand. All of them lie
# below Linux's ephemeral range (32768-60999): a port in it can be the source port of any
# outgoing connection (wrk's thousands in the serving stage leave them in TIME_WAIT), and a
# server started later cannot bind it. tests/serving, tests/prometheus and scripts/bench.sh
# use their own ports of 28xxx (and their stub_status ports, 1000 above).
NGINX_PORT=28001 GATEWAY_TLS_PORT=28002 GATEWAY_PLAIN_PORT=28003
SERVER_PORTS=("$NGINX_PORT" "$GATEWAY_TLS_PORT" "$GATEWAY_PLAIN_PORT" 8443 28030 28031 28032 28040 28041 28042 28043 28160 28161 28162 28171 28172)
TEST_DIR="$RUN_DIR/test"
PASSED=0
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(lint unit k8s db image contract conformance prometheus e2e serving dev)

wants() { [[ " ${STAGES[*]} " == *" $1 "* ]]; }

# Time limits in seconds, about three times what each stage takes on this project's 2-CPU
# machine with the tools installed (README, Quick start), so a hung browser, server or build
# fails the run with the stage's name instead of stalling CI. "build" is the release build of
# the dashboard and the gateway that contract, e2e and serving share.
# prometheus builds the release gateway itself when it runs without the build stage.
declare -A STAGE_LIMITS=([lint]=1200 [unit]=1800 [k8s]=600 [db]=1500 [image]=300 [build]=2400
                         [contract]=900 [conformance]=600 [prometheus]=900 [e2e]=1800 [serving]=2400 [dev]=900)

stage_lint() {
    say "Lint: rustfmt, clippy (native and wasm32), the dependency policy (cargo-deny), yamllint, hadolint"
    # deny.toml: licenses, banned crates, crates.io as the only source.
    cargo deny --workspace --locked check licenses bans sources
    cargo fmt --all -- --check
    cargo clippy --quiet --workspace --all-targets -- -D warnings
    cargo clippy --quiet -p galaxy-admin-dashboard --target wasm32-unknown-unknown -- -D warnings
    "$VENV/bin/yamllint" --strict api/openapi.yaml
    "$VENV/bin/hadolint" Dockerfile
}

stage_unit() {
    say "Unit and integration tests (cargo test --workspace)"
    # Without the servers' secrets this run exports for the later stages: the gateway's own
    # tests of where secrets come from must see the environment a developer has.
    env -u GALAXY_ADMIN_USERNAME -u GALAXY_ADMIN_PASSWORD -u JWT_SECRET_KEY \
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
    "$VENV/bin/pytest" -q tests/k8s tests/monitoring 2>&1 | tee "$dir/pytest.log"
    PASSED=$((PASSED + $(grep -Eo '[0-9]+ passed' "$dir/pytest.log" | tail -n 1 | awk '{print $1}')))
}

stage_db() {
    say "Database: api/migrations on Galaxy's seed schema, on a real PostgreSQL"
    local dir="$TEST_DIR/db"
    mkdir -p "$dir"
    # test_replicas.py runs two release gateways on one database (built here; the build
    # stage and the others reuse it).
    say "Building the release gateway, for two replicas on one PostgreSQL"
    cargo build --release --quiet -p galaxy-gateway
    # tests/db/conftest.py starts the server (as the postgres user when run as root) and
    # always stops it; it listens only on a socket in its own temporary directory.
    "$VENV/bin/pytest" -q -p no:cacheprovider tests/db 2>&1 | tee "$dir/pytest.log"
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

stage_prometheus() {
    say "History from Prometheus: a real Prometheus scraping the reference gateway"
    local dir="$TEST_DIR/prometheus"
    mkdir -p "$dir"
    # The build stage's release gateway: nothing to do after it, built here when run alone.
    cargo build --release --quiet -p galaxy-gateway
    # tests/prometheus/conftest.py starts Prometheus (as nobody when run as root) on 127.0.0.1
    # and always stops it; each test starts the gateways it scrapes.
    GATEWAY_BIN="${CARGO_TARGET_DIR:-target}/release/galaxy-gateway" \
        "$VENV/bin/pytest" -q -p no:cacheprovider tests/prometheus 2>&1 | tee "$dir/pytest.log"
    PASSED=$((PASSED + $(grep -Eo '[0-9]+ passed' "$dir/pytest.log" | tail -n 1 | awk '{print $1}')))
}

build_servers() {
    "$ROOT/scripts/build-dashboard.sh"
    say "Building the reference gateway"
    cargo build --release --quiet -p galaxy-gateway
    make_cert "$TEST_DIR/tls"
}

# start_postgres NAME: a PostgreSQL with Galaxy's seed and api/migrations applied, in the
# background until the stage ends (tests/db/serve.py); sets POSTGRES_URL to the libpq settings a
# gateway connects with (as galaxy_admin_api).
start_postgres() {
    local ready="$TEST_DIR/postgres-$1.ready"
    rm -f "$ready"
    start_bg "PostgreSQL ($1)" "$TEST_DIR/postgres-$1.log" "$VENV/bin/python" tests/db/serve.py "$ready"
    local deadline=$((SECONDS + 60))
    until [ -s "$ready" ]; do
        kill -0 "${BACKGROUND_PIDS[-1]}" 2>/dev/null || die "PostgreSQL ($1) did not start; see $TEST_DIR/postgres-$1.log"
        [ $SECONDS -lt $deadline ] || die "PostgreSQL ($1) did not start within 60 s; see $TEST_DIR/postgres-$1.log"
        sleep 0.2
    done
    POSTGRES_URL=$(cat "$ready")
}

# schemathesis_against NAME PORT [GATEWAY_ARGS...]: the contract's schemathesis run against a
# fresh plain-HTTP reference gateway on PORT started with those arguments.
schemathesis_against() {
    local name=$1 port=$2 log="$TEST_DIR/schemathesis-$1.log"
    shift 2
    say "API contract: schemathesis against a live reference gateway ($name)"
    start_bg "gateway ($name, plain HTTP, for schemathesis)" "$TEST_DIR/gateway-contract-$name.log" \
        target/release/galaxy-gateway --listen "127.0.0.1:$port" "$@"
    wait_for_url "http://127.0.0.1:$port/api/health/live" || die "gateway ($name) did not start; see $TEST_DIR/gateway-contract-$name.log"
    GALAXY_TOKEN=$(curl -sf "http://127.0.0.1:$port/api/admin/auth/login" -H 'content-type: application/json' \
        -d "{\"username\":\"admin\",\"password\":\"$GALAXY_ADMIN_PASSWORD\"}" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    export GALAXY_TOKEN
    "$VENV/bin/schemathesis" --config-file api/schemathesis.toml run api/openapi.yaml \
        --url "http://127.0.0.1:$port/api" --no-color 2>&1 | tee "$log" | tail -n 25
    PASSED=$((PASSED + $(grep -Eo '[0-9]+ passed' "$log" | tail -n 1 | awk '{print $1}')))
}

stage_contract() {
    schemathesis_against in-memory "$GATEWAY_PLAIN_PORT"
    start_postgres contract
    schemathesis_against postgresql "$(free_port)" --database-url "$POSTGRES_URL"
}

# The reference gateway the stages run: the build's, or GATEWAY_BIN (for example one built into
# another CARGO_TARGET_DIR).
GATEWAY_BIN=${GATEWAY_BIN:-target/release/galaxy-gateway}

# conformance_against NAME [GATEWAY_ARGS...]: a fresh reference gateway started with those
# arguments (plain HTTP, on a free port of its own), the conformance kit against it read-only
# and then mutating, and the gateway stopped. One line per gateway configuration.
conformance_against() {
    local name=$1 port pid log mode
    shift
    port=$(free_port)
    log="$TEST_DIR/conformance/gateway-$name.log"
    start_bg "gateway ($name, plain HTTP on $port)" "$log" "$GATEWAY_BIN" --listen "127.0.0.1:$port" "$@"
    pid=${BACKGROUND_PIDS[-1]}
    wait_for_url "http://127.0.0.1:$port/api/health/live" || die "gateway ($name) did not start; see $log"
    for mode in read-only mutating; do
        say "Conformance kit, $mode, against the reference gateway ($name)"
        local flags=() out="$TEST_DIR/conformance/$name-$mode.log"
        # --mutating: this gateway is this run's own, started a moment ago and stopped below.
        [ "$mode" = read-only ] || flags=(--mutating --i-understand-this-changes-state)
        # The log has every check; the terminal what is not a pass or a skip (failures, the summary).
        if ! GALAXY_CONFORMANCE_USERNAME=admin GALAXY_CONFORMANCE_PASSWORD="$GALAXY_ADMIN_PASSWORD" \
            scripts/conformance.sh "${flags[@]}" "http://127.0.0.1:$port/api" 2>&1 | tee "$out" |
            { grep -Ev ' (PASSED|SKIPPED) ' || true; }; then
            die "the conformance kit ($mode) failed against the reference gateway ($name); every check is in $out"
        fi
        PASSED=$((PASSED + $(grep -Eo '[0-9]+ passed' "$out" | tail -n 1 | awk '{print $1}')))
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stage_conformance() {
    say "Conformance kit: scripts/conformance.sh against fresh reference gateways, read-only and mutating"
    mkdir -p "$TEST_DIR/conformance"
    conformance_against in-memory
    start_postgres conformance
    conformance_against postgresql --database-url "$POSTGRES_URL"
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
    # layout.test.mjs leaves every page's screenshots there (layout-*.png), failures their own.
    [ -z "$(ls tests/e2e/artifacts 2>/dev/null)" ] || note "screenshots (each page's layout, and any failure's): tests/e2e/artifacts/"
}

stage_serving() {
    say "Serving: the image's nginx under bubblewrap, and a rolling update"
    local dir="$TEST_DIR/serving"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -r dist "$dir/dist"
    write_config_js "$dir/config/config.js" "https://localhost:$GATEWAY_TLS_PORT/api" prod
    say "Building the next release of the dashboard, for the rolling-update test"
    build_next_release "$TEST_DIR/next-release"
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

# run_stage NAME: runs stage_NAME (or build_servers for "build") in a child process of this
# script under its time limit; records its time and the tests it counted.
TIMES=()
run_stage() {
    local name=$1 var limit start rc=0
    var="TEST_TIMEOUT_${name^^}"
    limit=${!var:-${STAGE_LIMITS[$name]}}
    start=$SECONDS
    # timeout signals the whole process group of the stage (servers and browsers included),
    # then kills what is left 30 s later.
    # In the background, so that Ctrl-C here reaches it (timeout forwards the signal to the
    # stage's process group, which is not the terminal's).
    timeout --kill-after=30 "$limit" "$ROOT/scripts/test.sh" --one-stage "$name" &
    STAGE_PID=$!
    wait "$STAGE_PID" || rc=$?
    STAGE_PID=""
    TIMES+=("$name $(elapsed $((SECONDS - start)))")
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        die "stage $name timed out after $(elapsed "$limit") (limit: ${var}=$limit)"
    elif [ "$rc" -ne 0 ]; then
        die "stage $name failed after $(elapsed $((SECONDS - start)))"
    fi
    say "stage $name passed in $(elapsed $((SECONDS - start)))"
    PASSED=$((PASSED + $(cat "$TEST_DIR/$name.passed" 2>/dev/null || echo 0)))
}

elapsed() {
    if [ "$1" -ge 60 ]; then printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); else printf '%d s' "$1"; fi
}

# The child: one stage, its own background processes stopped when it ends.
if [ "${STAGES[0]:-}" = --one-stage ]; then
    trap stop_all EXIT
    trap 'exit 143' TERM
    case ${STAGES[1]} in
        build) build_servers ;;
        *) "stage_${STAGES[1]}" ;;
    esac
    echo "$PASSED" >"$TEST_DIR/${STAGES[1]}.passed"
    exit 0
fi

STAGE_PID=""
trap 'if [ -n "$STAGE_PID" ]; then kill -TERM "$STAGE_PID" 2>/dev/null; wait "$STAGE_PID"; fi; exit 130' INT TERM

"$ROOT/scripts/bootstrap.sh"
# A machine whose ephemeral range was widened over the tests' ports can still pass, unless an
# outgoing connection happens to hold one: say so, so that a bind() failure explains itself.
read -r EPHEMERAL_LOW EPHEMERAL_HIGH </proc/sys/net/ipv4/ip_local_port_range
for port in "${SERVER_PORTS[@]}"; do
    for p in $port $((port + 1000)); do
        if [ "$p" -ge "$EPHEMERAL_LOW" ] && [ "$p" -le "$EPHEMERAL_HIGH" ]; then
            warn "port $p lies in this machine's ephemeral range ($EPHEMERAL_LOW-$EPHEMERAL_HIGH): a test server may fail to bind it while an outgoing connection holds it"
        fi
    done
done
# Only the stages that start servers need their ports (k8s, image and lint start none).
for port in "${SERVER_PORTS[@]}"; do
    wants db || wants contract || wants prometheus || wants e2e || wants serving || wants dev || break
    if curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$port/" || curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
        die "port $port is in use; stop whatever listens there (an earlier test run?) and retry"
    fi
done
for stage in "${STAGES[@]}"; do
    if [ -z "${STAGE_LIMITS[$stage]:-}" ] || [ "$stage" = build ]; then
        die "unknown stage '$stage'; stages: lint unit k8s db image contract conformance prometheus e2e serving dev"
    fi
done
mkdir -p "$TEST_DIR"
rm -f "$TEST_DIR"/*.passed
# A full run from a clean clone writes about 11 GB (cargo's debug and release targets,
# PostgreSQL clusters, Chromium profiles); running out shows up much later as some server's
# cryptic ENOSPC.
for dir in "$ROOT" "${TMPDIR:-/tmp}"; do
    free_kb=$(df -Pk "$dir" 2>/dev/null | awk 'NR == 2 {print $4}' || true)
    if [ "${free_kb:-0}" -lt $((12 * 1024 * 1024)) ]; then
        warn "only $((free_kb / 1024 / 1024)) GB free on $dir; a full run needs about 11 GB (cargo clean frees target/)"
    fi
done
TOTAL_START=$SECONDS
# The secrets of the servers the build stage prepares, shared by contract, e2e and serving.
GALAXY_ADMIN_PASSWORD="test-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
JWT_SECRET_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GALAXY_ADMIN_USERNAME=admin GALAXY_ADMIN_PASSWORD JWT_SECRET_KEY

for stage in lint unit k8s db image; do
    wants "$stage" && run_stage "$stage"
done
if wants contract || wants conformance || wants e2e || wants serving; then run_stage build; fi
for stage in contract conformance prometheus e2e serving dev; do
    wants "$stage" && run_stage "$stage"
done

say "All tests passed (${STAGES[*]})"
printf '    %s\n' "${TIMES[@]}" >&2
echo "total: $PASSED passed, 0 failed, in $(elapsed $((SECONDS - TOTAL_START)))"
