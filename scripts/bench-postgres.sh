#!/usr/bin/env bash
# The paging queries of the contract on PostgreSQL at Galaxy's scale: 1,000,000 players and
# 10,000,000 audit entries (bench/postgres/bench_keyset.py), then the audit log's pages and a
# 1,000,000-entry export through the release reference gateway on that database. Prints figures and writes
# bench/results/postgres.md; asserts nothing. About 15 minutes on this project's 2-CPU machine,
# most of it generating the rows and their indexes; BENCH_PLAYERS, BENCH_AUDIT_ROWS and
# BENCH_RUNS (default 50) shrink it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/bootstrap.sh"
say "Building the release reference gateway (the audit log through it)"
cargo build --release --quiet -p galaxy-gateway
exec "$VENV/bin/python" bench/postgres/bench_keyset.py
