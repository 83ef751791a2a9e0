#!/usr/bin/env bash
# Runs scenarios against ISC Kea 2.2 and against ruru in the same run, with
# the same Kea-format config, and prints one RESULT line per server and
# scenario, then the summary table of every run.
#   sudo bench/compare-ruru-kea.sh [SCENARIO ...]   (default dora-memfile)
#   sudo bench/compare-ruru-kea.sh all              (every scenario, ~2 h)
# dora-*/renew-* scenarios are DHCPv4 (kea-dhcp4), sarr-* DHCPv6 (kea-dhcp6).
# Needs: root, iproute2, perfdhcp (Debian kea-admin), kea-dhcp4-server,
# kea-dhcp6-server, a release build of ruru (cargo build --release), and for
# the SQL scenarios the PostgreSQL server binaries / mariadb-server.
# Every individual run is kept as JSON lines in RESULTS_FILE
# (default results/compare-<timestamp>.jsonl).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ALL="dora-memfile dora-memfile-mt renew-memfile sarr-memfile sarr-memfile-mt
     dora-pgsql dora-pgsql-mt sarr-pgsql sarr-pgsql-mt dora-mysql dora-mysql-mt"
if [ $# -eq 0 ]; then set -- dora-memfile; fi
if [ "$1" = all ]; then set -- $ALL; fi
ruru=${RURU_BIN:-$here/../target/release/ruru}
[ -x "$ruru" ] || { echo "build ruru first: cargo build --release" >&2; exit 1; }
cd "$here"
mkdir -p results
export RESULTS_FILE=${RESULTS_FILE:-$here/results/compare-$(date +%Y%m%d-%H%M%S).jsonl}
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
version="$("$ruru" --version | awk '{print $2}')"

for scenario in "$@"; do
    case "$scenario" in
    sarr-*) fam=6 ;;
    *) fam=4 ;;
    esac
    ./run-perfdhcp.sh "kea$fam" "$scenario" | tee -a "$lines" || true
    # ruru runs on Kea's config, except where configs/ruruN-SCENARIO.json
    # exists (the PostgreSQL and MySQL scenarios: ruru's leases go to a
    # database of their own, created and given ruru's schema before the
    # server starts).
    config="configs/kea$fam-$scenario.json"
    if [ -f "configs/ruru$fam-$scenario.json" ]; then
        config="configs/ruru$fam-$scenario.json"
    fi
    cmd="$ruru serve -c {config}"
    # The SQL scenarios: ruru on Kea 2.2's schema (`--schema 2.2`), the one
    # the Kea 2.2 it is compared with runs on.
    case "$scenario" in
    *pgsql*)
        pgport=${PGPORT:-54329}
        cmd="sh -c 'psql -X -q -h 127.0.0.1 -p $pgport -U postgres -c \"CREATE DATABASE ruru OWNER kea\" >/dev/null 2>&1; $ruru db init -c {config} --schema 2.2 >/dev/null 2>&1; exec $ruru serve -c {config}'"
        ;;
    *mysql*)
        # kbench.py's throw-away MariaDB (127.0.0.1:MYSQL_PORT inside
        # kbench-srv) already has an empty database "ruru" for user kea;
        # create it if not.
        myport=${MYSQL_PORT:-33069}
        cmd="sh -c 'mariadb --no-defaults -h 127.0.0.1 -P $myport -u kea -pkea -e \"CREATE DATABASE IF NOT EXISTS ruru\" >/dev/null 2>&1; $ruru db init -c {config} --schema 2.2 >/dev/null 2>&1; exec $ruru serve -c {config}'"
        ;;
    esac
    SERVER_NAME=ruru SERVER_VERSION="$version" SERVER_FAMILY="$fam" \
    SERVER_CMD="$cmd" SERVER_CONFIG="$config" \
    SERVER_SCENARIO="$scenario" ./run-perfdhcp.sh custom | tee -a "$lines" || true
done
echo
grep '^RESULT' "$lines" || true
echo
python3 kbench.py summarize "$RESULTS_FILE"
