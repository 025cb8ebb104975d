# Shared by the project's scripts: paths, logging, background processes.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
RUN_DIR="$ROOT/.dev"
export PATH="$ROOT/scripts/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# The reference gateway's sign-in policies are on by default, as Galaxy's gateway runs them:
# admins must have a second factor, and dangerous actions take a fresh proof. Local runs
# (make dev, the benchmarks) and the tests sign in without a phone: every gateway the scripts
# start runs with both off unless the caller set them (`SECOND_FACTOR_ROLES=admin
# CONFIRM_DANGEROUS_ACTIONS=true make dev` shows them); the tests of the policies turn them on
# per test (the dev controls).
export SECOND_FACTOR_ROLES=${SECOND_FACTOR_ROLES:-none}
export CONFIRM_DANGEROUS_ACTIONS=${CONFIRM_DANGEROUS_ACTIONS:-false}

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root for: $* (install sudo or run as root)"
    fi
}

# The wasm-bindgen version Cargo.lock pins (trunk needs the CLI at exactly this version).
locked_wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# The dashboard's version, from Cargo.toml: the single source of truth.
dashboard_version() {
    sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1
}

# The release build's RUSTFLAGS, shared by the dashboard and the benchmark's Leptos floor
# so that the floor shows the framework under the very same profile. Shorter panic-location
# paths: the registry's and the checkout's absolute paths would otherwise be repeated in the
# bundle for every file that can panic. --emit-relocs: wasm-split-cli reads the link's
# relocations to split the module (scripts/split-wasm.sh).
release_rustflags() {
    local registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
    printf '%s' "--cfg erase_components --remap-path-prefix=$registry= --remap-path-prefix=$ROOT=. -C link-args=--emit-relocs"
}

# precompress DIST: compressed once at build time for nginx's brotli_static and
# gzip_static: brotli at quality 11 (.br) and zopfli (.gz, gzip-compatible, about 4%
# smaller than gzip -9), the assets and index.html. config.js and version.json stay as
# they are (tiny, and replaced in place by the tests that simulate a deploy).
precompress() {
    command -v zopfli >/dev/null || die "zopfli is missing: run scripts/bootstrap.sh"
    command -v brotli >/dev/null || die "brotli is missing: run scripts/bootstrap.sh"
    find "$1" -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' -o -name '*.svg' -o -name 'index.html' \) \
        ! -name config.js -exec zopfli --i15 {} + -exec brotli --best --keep --force {} +
}

# npm_install DIR WHAT: npm ci in DIR unless its lock file is already installed.
npm_install() {
    local dir=$1 what=$2 want stamp="$1/node_modules/.lock.sha256"
    want=$(sha256sum "$dir/package-lock.json" | awk '{print $1}')
    if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        note "$what: present"
        return
    fi
    say "Installing $what (npm ci, ${dir#"$ROOT"/}/package-lock.json)"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
}

# python_venv VENV REQUIREMENTS: a project-local venv with exactly those pinned tools
# (the bootstrap's, and scripts/conformance.sh's own small one).
python_venv() {
    local venv=$1 requirements=$2 want stamp="$1/.requirements.sha256"
    want=$(sha256sum "$requirements" | awk '{print $1}')
    if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        note "Python tools (${requirements#"$ROOT"/}): present in ${venv#"$ROOT"/}"
        return
    fi
    say "Installing Python tools from ${requirements#"$ROOT"/} into ${venv#"$ROOT"/}"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$stamp"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

BACKGROUND_PIDS=()

# start_bg NAME LOGFILE CMD...: runs CMD in the background, remembering it for stop_all.
start_bg() {
    local name=$1 log=$2
    shift 2
    "$@" >"$log" 2>&1 &
    BACKGROUND_PIDS+=("$!")
    note "$name started (pid $!, log $log)"
}

stop_all() {
    local pid
    for pid in "${BACKGROUND_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${BACKGROUND_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    BACKGROUND_PIDS=()
}

# wait_for_url URL [SECONDS]: until the URL answers (any status, TLS not verified).
wait_for_url() {
    local url=$1 deadline=$((SECONDS + ${2:-30}))
    until curl -sk -o /dev/null "$url"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# make_cert DIR: a TLS certificate for localhost and 127.0.0.1 (mkcert when present, else openssl).
make_cert() {
    local dir=$1
    mkdir -p "$dir"
    if [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ] && openssl x509 -checkend 86400 -noout -in "$dir/tls.crt" >/dev/null; then
        return
    fi
    if command -v mkcert >/dev/null; then
        note "creating a certificate for localhost with mkcert in $dir"
        mkcert -cert-file "$dir/tls.crt" -key-file "$dir/tls.key" localhost 127.0.0.1 ::1 >/dev/null 2>&1
    else
        note "creating a self-signed certificate for localhost with openssl in $dir"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
            -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
            -keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1
    fi
}

# api_origin URL: the origin of an absolute URL, nothing for a same-origin path.
api_origin() {
    sed -n 's#^\(https://[^/]*\).*#\1#p' <<<"$1"
}

# write_config_js FILE API_BASE_URL ENVIRONMENT [EXTRA_JS_PROPERTIES]: the ConfigMap's
# files, config.js and beside it csp.conf allowing that API origin in connect-src, and
# edge.conf of the local-dev overlay: a local nginx is the edge, like the dev node port.
write_config_js() {
    mkdir -p "$(dirname "$1")"
    cp "$ROOT/k8s/overlays/local-dev/edge.conf" "$(dirname "$1")/edge.conf"
    printf 'set $csp_connect_src "%s";\n' "$(api_origin "$2")" >"$(dirname "$1")/csp.conf"
    cat >"$1" <<JS
window.GALAXY_CONFIG = {
  API_BASE_URL: "$2",
  ENVIRONMENT: "$3",${4:+
  $4}
};
JS
}

# build_next_release DIR: release N+1 (the same sources with the patch version bumped),
# built by the same script into DIR/dist (sharing the cargo cache), with what the image
# build does with the release it replaces: its hashed files carried over. For the
# rolling-update test and the benchmark's update.
build_next_release() {
    local next=$1 version bumped
    version=$(dashboard_version)
    bumped=$(awk -F. '{print $1 "." $2 "." $3 + 1}' <<<"$version")
    note "release $bumped into ${next#"$ROOT"/}/dist"
    rm -rf "$next"
    mkdir -p "$next/gateway"
    (cd "$ROOT" && cp -r Cargo.lock rust-toolchain.toml index.html Trunk.toml src style public scripts "$next/")
    (cd "$ROOT" && cp -r gateway/Cargo.toml gateway/src "$next/gateway/")
    sed "0,/^version = \"$version\"/s//version = \"$bumped\"/" "$ROOT/Cargo.toml" >"$next/Cargo.toml"
    CARGO_TARGET_DIR="$ROOT/target" "$next/scripts/build-dashboard.sh"
    "$ROOT/scripts/carry-previous-assets.sh" "$ROOT/dist" "$next/dist"
}
