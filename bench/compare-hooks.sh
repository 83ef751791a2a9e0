#!/usr/bin/env bash
# Measures what hooks cost: ruru on kea4-dora-memfile.json, then the same
# with a library that has an empty callout at every DHCPv4 hook point, in
# one run. Prints one RESULT line per variant.
#   sudo bench/compare-hooks.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ruru=${RURU_BIN:-$here/../target/release/ruru}
[ -x "$ruru" ] || { echo "build ruru first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -I"$here/../crates/ruru-hooks-sdk/include" -o "$work/empty.so" "$here/hooks/empty.c"
# ruru loads libraries only from its hooks directory: $work is that here.
export RURU_HOOKS_PATH="$work"
sed "s#@HOOKLIB@#empty.so#" "$here/configs/ruru4-dora-memfile-hooks.json" > "$work/hooks.json"
cd "$here"
v=$("$ruru" --version | awk '{print $2}')
SERVER_NAME=ruru SERVER_VERSION="$v" SERVER_CMD="$ruru serve -c {config}" \
  SERVER_CONFIG=configs/kea4-dora-memfile.json SERVER_SCENARIO=dora-memfile \
  ./run-perfdhcp.sh custom | grep '^RESULT' > "$work/plain" || true
SERVER_NAME=ruru SERVER_VERSION="$v" SERVER_CMD="$ruru serve -c {config}" \
  SERVER_CONFIG="$work/hooks.json" SERVER_SCENARIO=dora-memfile-empty-hooks \
  ./run-perfdhcp.sh custom | grep '^RESULT' > "$work/hooks" || true
cat "$work/plain" "$work/hooks"
