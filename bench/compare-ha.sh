#!/usr/bin/env bash
# DORA through a hot-standby HA pair (Kea's libdhcp_ha.so protocol): the
# rate perfdhcp gets from the primary while every lease also goes to the
# standby, for Kea+Kea, ruru+ruru, ruru primary + Kea standby and Kea
# primary + ruru standby, in one run.
#   sudo bench/compare-ha.sh [PAIR ...]   (default: all four)
# PAIR is PRIMARY-STANDBY with kea or ruru for each (kea-kea, ruru-ruru,
# ruru-kea, kea-ruru). Both partners run inside kbench-srv on the same
# Kea-format files (configs/kea4-dora-ha-primary.json / -standby.json);
# the standby's CPU is reported as db_cpu_pct (kbench's SERVER_PARTNER).
# The standby listens on lo with DHCP port 6767 (-p), out of the primary's
# way (ruru binds the wildcard address on its interface). Needs what
# compare-ruru-kea.sh needs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then set -- kea-kea ruru-ruru ruru-kea kea-ruru; fi
ruru=${RURU_BIN:-$here/../target/release/ruru}
[ -x "$ruru" ] || { echo "build ruru first: cargo build --release" >&2; exit 1; }
cd "$here"
mkdir -p results
export RESULTS_FILE=${RESULTS_FILE:-$here/results/ha-$(date +%Y%m%d-%H%M%S).jsonl}
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
threads=${KEA_THREADS:-2}

server() { # KIND CONFIG [ARGS]
    case "$1" in
    kea) echo "kea-dhcp4 -c $2 ${3:-}" ;;
    ruru) echo "$ruru serve -c $2 ${3:-}" ;;
    *) echo "unknown server kind $1" >&2; exit 2 ;;
    esac
}

for pair in "$@"; do
    p=${pair%-*}
    s=${pair#*-}
    standby="sed -e 's|@WORKDIR@|{workdir}|g' -e 's|@THREADS@|$threads|g' $here/configs/kea4-dora-ha-standby.json > {workdir}/standby.json; $(server "$s" "{workdir}/standby.json" "-p 6767") > {workdir}/standby.out 2>&1 &"
    cmd="env KEA_PIDFILE_DIR={workdir} KEA_LOCKFILE_DIR={workdir} sh -c \"$standby exec $(server "$p" "{config}")\""
    SERVER_NAME="ha-$pair" SERVER_VERSION="$("$ruru" --version | awk '{print $2}')" \
    SERVER_FAMILY=4 SERVER_PARTNER=1 SERVER_READY_TIMEOUT=60 \
    SERVER_CMD="$cmd" SERVER_CONFIG="configs/kea4-dora-ha-primary.json" \
    SERVER_SCENARIO=dora-ha ./run-perfdhcp.sh custom | tee -a "$lines" || true
done
echo
grep '^RESULT' "$lines" || true
echo
python3 kbench.py summarize "$RESULTS_FILE"
