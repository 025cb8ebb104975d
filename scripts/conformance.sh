#!/usr/bin/env bash
# The conformance kit: the behavioural checks of api/openapi.yaml (roles per operation, If-Match
# and 412, Retry-After, paging, bans that end by themselves, error shapes...) against any
# gateway that implements it, the reference one or Galaxy's own.
#
#   scripts/conformance.sh [--ca FILE] URL
#   scripts/conformance.sh --mutating --i-understand-this-changes-state [--ca FILE] URL
#   scripts/conformance.sh URL -- -k roles          (anything after -- goes to pytest)
#
# URL is the API base URL, for example https://galaxy.example/api or http://127.0.0.1:8000/api.
# An admin account to test with: GALAXY_CONFORMANCE_USERNAME, GALAXY_CONFORMANCE_PASSWORD.
# Optional: GALAXY_CONFORMANCE_OPERATOR_USERNAME/_PASSWORD and GALAXY_CONFORMANCE_VIEWER_USERNAME/
# _PASSWORD, an operator and a viewer (read-only mode: the role checks need them; mutating mode
# creates them when absent and deletes them at the end).
#
# Read-only by default: GETs and logins, and requests the contract refuses without a change
# (a stale If-Match, a malformed id, a missing or bad token, a role too low, an unknown id).
# --mutating also bans, kicks, deletes a player, takes and deletes snapshots, pauses and
# resumes, changes the motd, creates and deletes accounts and locks one out: only for a
# disposable environment. It needs --i-understand-this-changes-state too (or
# GALAXY_CONFORMANCE_CONFIRM=changes-state). It waits about a minute for a ban to end.
#
# --ca FILE trusts that CA bundle (PEM) for TLS, for a self-signed development certificate.
# Exit status: 0 when every check passed, 1 when one failed, 2 for a usage error.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

url="" ca="" mutating=false confirmed=false pytest_args=()
[ "${GALAXY_CONFORMANCE_CONFIRM:-}" = changes-state ] && confirmed=true
while [ $# -gt 0 ]; do
    case $1 in
        --mutating) mutating=true ;;
        --i-understand-this-changes-state) confirmed=true ;;
        --ca) [ $# -ge 2 ] || usage; ca=$2; shift ;;
        --ca=*) ca=${1#--ca=} ;;
        -h | --help) usage 0 ;;
        --) shift; pytest_args=("$@"); break ;;
        -*) printf 'conformance.sh: unknown option %s\n' "$1" >&2; usage ;;
        *) [ -z "$url" ] || usage; url=$1 ;;
    esac
    shift
done
[ -n "$url" ] || usage
[[ $url =~ ^https?:// ]] || die "the URL must start with http:// or https:// (got $url)"
[ -z "$ca" ] || [ -r "$ca" ] || die "--ca $ca: no such readable file"
if [ -z "${GALAXY_CONFORMANCE_USERNAME:-}" ] || [ -z "${GALAXY_CONFORMANCE_PASSWORD:-}" ]; then
    die "set GALAXY_CONFORMANCE_USERNAME and GALAXY_CONFORMANCE_PASSWORD to an admin account of the gateway"
fi

if $mutating; then
    if ! $confirmed; then
        printf '\033[1;31m%s\033[0m\n' \
            "conformance.sh --mutating changes the gateway's state: it bans, kicks and deletes players," \
            "takes and deletes snapshots, pauses the game, changes the configuration and creates accounts." \
            "Run it only against a disposable environment, and confirm with --i-understand-this-changes-state" \
            "(or GALAXY_CONFORMANCE_CONFIRM=changes-state)." >&2
        exit 2
    fi
    printf '\033[1;31m%s\033[0m\n' \
        "!!! MUTATING MODE against $url: this changes the environment's state (players banned, kicked" \
        "!!! and deleted, snapshots, pause/resume, configuration, accounts). Disposable environments only." >&2
fi

CONFORMANCE_VENV=${CONFORMANCE_VENV:-$ROOT/.venv-conformance}
python_venv "$CONFORMANCE_VENV" "$ROOT/tests/conformance/requirements.txt"

say "Conformance kit against $url ($($mutating && echo mutating || echo read-only))"
args=(--gateway "$url")
$mutating && args+=(--mutating)
[ -z "$ca" ] || args+=(--ca "$ca")
# -rfEs: the summary names every failure, error and skip with its reason.
exec "$CONFORMANCE_VENV/bin/pytest" -p no:cacheprovider --rootdir "$ROOT/tests/conformance" -v -rfEs \
    "$ROOT/tests/conformance" "${args[@]}" "${pytest_args[@]}"
