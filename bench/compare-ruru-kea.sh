#!/usr/bin/env bash
# Runs one DHCPv4 scenario against ISC Kea 2.2 and against ruru in the same
# run, with the same Kea-format config, and prints one RESULT line per server.
#   sudo bench/compare-ruru-kea.sh [SCENARIO]      (default dora-memfile)
# Needs: root, iproute2, perfdhcp (Debian kea-admin), kea-dhcp4-server, and
# a release build of ruru (cargo build --release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scenario=${1:-dora-memfile}
ruru=${RURU_BIN:-$here/../target/release/ruru}
[ -x "$ruru" ] || { echo "build ruru first: cargo build --release" >&2; exit 1; }
cd "$here"
./run-perfdhcp.sh kea4 "$scenario" | tee /dev/stderr | grep '^RESULT' > /tmp/ruru-bench-kea.$$ || true
# ruru runs on Kea's config, except where configs/ruru4-SCENARIO.json exists
# (the PostgreSQL and MySQL scenarios: ruru's leases go to a database of
# their own, created and given ruru's schema before the server starts).
config="configs/kea4-$scenario.json"
cmd="$ruru serve -c {config}"
if [ -f "configs/ruru4-$scenario.json" ]; then
    config="configs/ruru4-$scenario.json"
fi
case "$scenario" in
*pgsql*)
    pgport=${PGPORT:-54329}
    cmd="sh -c 'psql -X -q -h 127.0.0.1 -p $pgport -U postgres -c \"CREATE DATABASE ruru OWNER kea\" >/dev/null 2>&1; $ruru db init -c {config} >/dev/null 2>&1; exec $ruru serve -c {config}'"
    ;;
*mysql*)
    # kbench.py's throw-away MariaDB (127.0.0.1:MYSQL_PORT inside kbench-srv)
    # already has an empty database "ruru" for user kea; create it if not.
    myport=${MYSQL_PORT:-33069}
    cmd="sh -c 'mariadb --no-defaults -h 127.0.0.1 -P $myport -u kea -pkea -e \"CREATE DATABASE IF NOT EXISTS ruru\" >/dev/null 2>&1; $ruru db init -c {config} >/dev/null 2>&1; exec $ruru serve -c {config}'"
    ;;
esac
SERVER_NAME=ruru SERVER_VERSION="$("$ruru" --version | awk '{print $2}')" \
SERVER_CMD="$cmd" SERVER_CONFIG="$config" \
SERVER_SCENARIO="$scenario" ./run-perfdhcp.sh custom | tee /dev/stderr | grep '^RESULT' > /tmp/ruru-bench-ruru.$$ || true
echo
cat /tmp/ruru-bench-kea.$$ /tmp/ruru-bench-ruru.$$
rm -f /tmp/ruru-bench-kea.$$ /tmp/ruru-bench-ruru.$$
