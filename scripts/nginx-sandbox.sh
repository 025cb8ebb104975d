#!/usr/bin/env bash
# Runs the project's nginx configuration the way the image runs it in Kubernetes:
# Debian's nginx under bubblewrap, read-only root filesystem, UID/GID 101, only
# /tmp writable (the emptyDir; here WORK/tmp, so tests can see what nginx wrote),
# and the dist, TLS secret and ConfigMap mounted read-only where the manifests mount them.
#
# usage: nginx-sandbox.sh --dist DIR --tls DIR --config DIR --work DIR [--port PORT] [--status-port PORT] [--csp-option OPT]... [--nginx DIR]
#   --config DIR holds config.js, csp.conf and edge.conf (the ConfigMap); --tls DIR holds tls.crt and tls.key.
#   --port rewrites the listen port (8443 in the pod), for a NodePort-like local address. The
#   sandbox shares the host's network, so it listens on 127.0.0.1 only, never on every interface.
#   --status-port rewrites stub_status's loopback port (8081 in the pod); by default it is
#   --port + 1000, so that sandboxes side by side (the rollout test, the benchmark) never collide.
#   --csp-option passes an option to scripts/csp-hashes.mjs, for the benchmark's react-admin peer.
#   --nginx DIR serves the configuration files of DIR instead of the repository's nginx/ (tests
#   prove that a broken copy is caught).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=8443 status_port="" dist="" tls="" config="" work="" hash_args=() conf_dir="$ROOT/nginx"
while [ $# -gt 0 ]; do
    case $1 in
        --dist) dist=$2; shift 2 ;;
        --tls) tls=$2; shift 2 ;;
        --config) config=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --status-port) status_port=$2; shift 2 ;;
        --csp-option) hash_args+=("$2"); shift 2 ;;
        --nginx) conf_dir=$2; shift 2 ;;
        *) die "unknown argument $1" ;;
    esac
done
[ -f "$dist/index.html" ] || die "--dist must be a built dashboard (no index.html in '$dist')"
[ -f "$tls/tls.crt" ] && [ -f "$tls/tls.key" ] || die "--tls must hold tls.crt and tls.key"
[ -f "$config/config.js" ] && [ -f "$config/csp.conf" ] && [ -f "$config/edge.conf" ] || die "--config must hold config.js, csp.conf and edge.conf (the ConfigMap)"
[ -n "$work" ] || die "--work is required"
[ -n "$status_port" ] || status_port=$((port + 1000))

# Assemble /etc/nginx and /usr/share/nginx/html as the image has them; every
# mount point exists beforehand so bubblewrap never writes to the host.
rm -rf "$work"
mkdir -p "$work/etc-nginx/conf.d" "$work/etc-nginx/tls" "$work/etc-nginx/galaxy" "$work/html/admin" "$work/tmp"
cp /etc/nginx/mime.types "$work/etc-nginx/mime.types"
cp "$conf_dir/nginx.conf" "$conf_dir/security-headers.conf" "$work/etc-nginx/"
# As the image build does: allow the inline loader of the index.html being served.
node "$ROOT/scripts/csp-hashes.mjs" "${hash_args[@]}" "$dist/index.html" >"$work/etc-nginx/csp-hashes.conf"
sed "s/^\(    listen \)8443 /\1127.0.0.1:$port /" "$conf_dir/admin.conf" >"$work/etc-nginx/conf.d/admin.conf"
sed "s/^\(    listen 127\.0\.0\.1:\)8081;/\1$status_port;/" "$conf_dir/status.conf" >"$work/etc-nginx/conf.d/status.conf"
grep -q "listen 127.0.0.1:$port " "$work/etc-nginx/conf.d/admin.conf" || die "nginx/admin.conf no longer has 'listen 8443 '"
grep -q "listen 127.0.0.1:$status_port;" "$work/etc-nginx/conf.d/status.conf" || die "nginx/status.conf no longer has 'listen 127.0.0.1:8081;'"

exec bwrap \
    --ro-bind / / \
    --dev /dev \
    --proc /proc \
    --bind "$work/tmp" /tmp \
    --ro-bind "$work/etc-nginx" /etc/nginx \
    --ro-bind "$(realpath "$tls")" /etc/nginx/tls \
    --ro-bind "$(realpath "$config")" /etc/nginx/galaxy \
    --ro-bind "$work/html" /usr/share/nginx/html \
    --ro-bind "$(realpath "$dist")" /usr/share/nginx/html/admin \
    --unshare-user --uid 101 --gid 101 \
    --unshare-pid --unshare-ipc --unshare-uts \
    --die-with-parent \
    --new-session \
    /usr/sbin/nginx -e stderr -c /etc/nginx/nginx.conf -g "daemon off;"
