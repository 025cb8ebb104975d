#!/usr/bin/env bash
# Command 1 of the README: the whole system locally, with TLS.
#   dashboard  https://localhost:30001/admin/  (the project's nginx config, sandboxed as in the pod)
#   gateway    https://localhost:30002/api      (the reference gateway, dev controls on)
# Ctrl-C stops both. Everything listens on 127.0.0.1 only: the dev admin password and the
# gateway's dev controls are for this machine, not for the network it is on.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The dashboard, the gateway and nginx's stub_status (the sandbox puts it at the dashboard's
# port + 1000). Checked first, so that a second `make dev` or a leftover process is named
# at once instead of after the build, as a bind error in a log.
DEV_PORTS=(30001 30002 31001)
for port in "${DEV_PORTS[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port on 127.0.0.1 is in use (another 'make dev'?); stop whatever listens there: ss -ltnp 'sport = :$port'"
    fi
done

"$ROOT/scripts/bootstrap.sh"
"$ROOT/scripts/build-dashboard.sh"
say "Building the reference gateway"
cargo build --release --quiet -p galaxy-gateway

say "Preparing local TLS, secrets and config.js in .dev/ (kept out of git)"
make_cert "$RUN_DIR/tls"
secrets="$RUN_DIR/secrets"
mkdir -p "$secrets"
chmod 700 "$secrets"
[ -s "$secrets/jwt_secret_key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secrets/jwt_secret_key"
[ -s "$secrets/galaxy_admin_username" ] || echo admin >"$secrets/galaxy_admin_username"
[ -s "$secrets/galaxy_admin_password" ] || head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secrets/galaxy_admin_password"
write_config_js "$RUN_DIR/config/config.js" "https://localhost:30002/api" dev

trap 'echo; say "Stopping"; stop_all; exit 0' INT TERM
trap stop_all EXIT

# --demo-history: the overview's charts show a made-up past day at once instead of filling up
# over hours; the gateway samples the real (simulated) game from then on.
say "Starting the reference gateway and nginx"
start_bg gateway "$RUN_DIR/gateway.log" "$ROOT/target/release/galaxy-gateway" \
    --listen 127.0.0.1:30002 --tls-cert "$RUN_DIR/tls/tls.crt" --tls-key "$RUN_DIR/tls/tls.key" \
    --secrets-dir "$secrets" --dev-controls --demo-history
start_bg nginx "$RUN_DIR/nginx.log" "$ROOT/scripts/nginx-sandbox.sh" \
    --dist "$ROOT/dist" --tls "$RUN_DIR/tls" --config "$RUN_DIR/config" --work "$RUN_DIR/nginx" --port 30001 --status-port 31001
wait_for_url https://localhost:30002/api/health/live || die "the gateway did not start; see $RUN_DIR/gateway.log"
wait_for_url https://localhost:30001/health || die "nginx did not start; see $RUN_DIR/nginx.log"

cat >&2 <<MSG

  Galaxy admin dashboard   https://localhost:30001/admin/
  Reference gateway        https://localhost:30002/api
  Log in as                $(cat "$secrets/galaxy_admin_username") / $(cat "$secrets/galaxy_admin_password")
  Second factor required   for: $SECOND_FACTOR_ROLES; dangerous actions confirmed: $CONFIRM_DANGEROUS_ACTIONS
                           (SECOND_FACTOR_ROLES=admin CONFIRM_DANGEROUS_ACTIONS=true make dev: as in production)

  Logs in .dev/ (gateway.log, nginx.log). Press Ctrl-C to stop.

MSG
wait -n || true
say "A process stopped unexpectedly; see the logs in .dev/"
exit 1
