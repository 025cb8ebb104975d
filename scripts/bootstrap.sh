#!/usr/bin/env bash
# Installs what building and testing need, idempotently: each step checks first
# and installs only what is missing or at the wrong version. Only the package
# registries are used (Debian, crates.io, npm, PyPI); trunk never downloads tools.
#
#   scripts/bootstrap.sh                everything (build and test)
#   scripts/bootstrap.sh --build-tools  only what building the dashboard needs (the image's builder stage)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Debian's shellcheck lints the image workflow's shell steps (scripts/test.sh image).
# prometheus: its promtool tests the alert rules (scripts/test.sh k8s), and the history's tests
# start their own Prometheus scraping the gateway (scripts/test.sh prometheus).
# brotli and libnginx-mod-http-brotli-static: the build's .br files and nginx's brotli_static.
# postgresql, postgresql-contrib (pg_trgm): the server the migrations are tested on
# (scripts/test.sh db); the tests start their own in a temporary directory, not the packaged one.
DEBIAN_PACKAGES=(nginx-light libnginx-mod-http-brotli-static bubblewrap chromium mkcert openssl curl ca-certificates wrk
                 zopfli brotli shellcheck prometheus postgresql postgresql-contrib)
TRUNK_VERSION_REQ="~0.21"   # 0.22 needs a newer rustc than these machines have
# The Rust toolchain is rust-toolchain.toml's (1.95.0, with clippy, rustfmt and the wasm32
# target); rustup installs it where it is missing (from static.rust-lang.org). These machines
# had 1.95.0 with those components already: rustc in the repository runs it with no download.
RUST_CHANNEL=$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$ROOT/rust-toolchain.toml")
# cargo-deny: the dependency policy (deny.toml) in the lint stage. 0.20.2 needs rustc 1.88.
CARGO_DENY_VERSION="0.20.2"
# wasm-split-cli (crates.io wasm_split_cli_support, MIT/Apache): splits the release wasm
# into the main module and the lazily loaded chunks of #[wasm_split] pages
# (scripts/split-wasm.sh). It reads the link's relocations: release_rustflags adds
# --emit-relocs. Its version matches leptos's wasm_split_helpers runtime (Cargo.lock).
WASM_SPLIT_VERSION="0.2.4"

debian_packages() {
    local missing=() pkg
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        note "Debian packages: all present"
        return
    fi
    say "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

rust_toolchain() {
    [ -n "$RUST_CHANNEL" ] || die "no channel in rust-toolchain.toml"
    local stable
    stable=$(cd / && rustc +stable --version 2>/dev/null | awk '{print $2}') || true
    if rustup toolchain list | grep -q "^$RUST_CHANNEL-"; then
        note "Rust $RUST_CHANNEL (rust-toolchain.toml): present"
    elif [ "$stable" = "$RUST_CHANNEL" ]; then
        # The machine's stable toolchain is this very release: name it, with no download
        # (these machines reach no toolchain server).
        say "Linking Rust $RUST_CHANNEL (rust-toolchain.toml) to the installed stable $stable"
        rustup toolchain link "$RUST_CHANNEL" "$(cd / && rustc +stable --print sysroot)"
    else
        say "Installing Rust $RUST_CHANNEL (rust-toolchain.toml)"
        rustup toolchain install "$RUST_CHANNEL" --profile minimal --component clippy,rustfmt --target wasm32-unknown-unknown
    fi
}

wasm_target() {
    if rustup +"$RUST_CHANNEL" target list --installed | grep -qx wasm32-unknown-unknown; then
        note "Rust target wasm32-unknown-unknown: present"
    else
        say "Adding the Rust target wasm32-unknown-unknown"
        rustup +"$RUST_CHANNEL" target add wasm32-unknown-unknown
    fi
}

cargo_deny() {
    local have
    have=$(cargo-deny --version 2>/dev/null | awk '{print $2}') || true
    if [ "$have" = "$CARGO_DENY_VERSION" ]; then
        note "cargo-deny $have: present"
    else
        say "Installing cargo-deny $CARGO_DENY_VERSION (found: ${have:-none}); this takes a few minutes"
        cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
    fi
}

trunk_cli() {
    local have
    have=$(trunk --version 2>/dev/null | awk '{print $2}') || true
    if [[ "$have" == 0.21.* ]]; then
        note "trunk $have: present"
    else
        say "Installing trunk $TRUNK_VERSION_REQ (found: ${have:-none}); this takes about 10 minutes"
        cargo install trunk --version "$TRUNK_VERSION_REQ" --locked
    fi
}

wasm_bindgen_cli() {
    local want have
    want=$(locked_wasm_bindgen_version)
    [ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
    have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}') || true
    if [ "$have" = "$want" ]; then
        note "wasm-bindgen-cli $have: present"
    else
        say "Installing wasm-bindgen-cli $want (found: ${have:-none}); this takes about 6 minutes"
        # Not --locked: one of its locked dependencies is missing from the registry mirror.
        cargo install wasm-bindgen-cli --version "$want" --force
    fi
}

wasm_split_cli() {
    local have
    have=$(cat "${CARGO_HOME:-$HOME/.cargo}/.wasm-split-cli.version" 2>/dev/null) || true
    if [ "$have" = "$WASM_SPLIT_VERSION" ] && command -v wasm-split-cli >/dev/null; then
        note "wasm-split-cli $have: present"
    else
        say "Installing wasm-split-cli $WASM_SPLIT_VERSION (found: ${have:-none}); this takes about 2 minutes"
        cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked
        echo "$WASM_SPLIT_VERSION" >"${CARGO_HOME:-$HOME/.cargo}/.wasm-split-cli.version"
    fi
}

build_only=false
[ "${1:-}" = "--build-tools" ] && build_only=true

say "Bootstrap: checking $($build_only && echo "build tools" || echo "build and test tools")"
$build_only || debian_packages
rust_toolchain
wasm_target
trunk_cli
wasm_bindgen_cli
wasm_split_cli
npm_install "$ROOT/scripts/tools" "wasm-opt (npm binaryen) and terser (minifies the JS glue)"
if ! $build_only; then
    cargo_deny
    npm_install "$ROOT/tests/e2e" "browser test packages (playwright-core, axe-core, otpauth)"
    python_venv "$VENV" "$ROOT/tests/requirements.txt"
    python_venv "$ROOT/.venv-checkov" "$ROOT/tests/requirements-checkov.txt"
fi
# trunk must find both tools locally, or it would try to download them.
tools=$(cd "$ROOT" && trunk tools show 2>/dev/null)
grep -q "Location: .*/wasm-bindgen$" <<<"$tools" || die "trunk does not find wasm-bindgen $(locked_wasm_bindgen_version) on PATH"
grep -q "Location: .*/wasm-opt$" <<<"$tools" || die "trunk does not find wasm-opt (Trunk.toml's version) on PATH"
note "trunk finds wasm-bindgen and wasm-opt locally"
say "Bootstrap: done"
