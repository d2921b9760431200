#!/usr/bin/env bash
# Measures the release binary on loopback: time from start to the first 200
# on /healthz in an empty folder (5 runs), idle resident memory, then wrk on
# /healthz for 10 s at 64 connections. Bounded in time; stops by itself.
# Usage: bash tests/load/healthz.sh   (builds the release binary if needed;
# needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quorate-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/quorate"
port="${PORT:-18181}"
url="http://127.0.0.1:$port/healthz"

work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start_server() {
  rm -rf "$work/run" && mkdir -p "$work/run"
  (cd "$work/run" && QUORATE_BIND="127.0.0.1:$port" QUORATE_LOG=warn exec "$bin" >/dev/null 2>&1) &
  pid=$!
}

echo "start-up to first 200 on /healthz, empty folder (SQLite created and migrated):"
for run in 1 2 3 4 5; do
  start_server
  t0=$(date +%s%N)
  until curl -fs -o /dev/null "$url"; do
    if [ $(( $(date +%s%N) - t0 )) -gt 10000000000 ]; then echo "no answer in 10 s" >&2; exit 1; fi
    sleep 0.002
  done
  t1=$(date +%s%N)
  echo "  run $run: $(( (t1 - t0) / 1000000 )) ms"
  if [ "$run" -lt 5 ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; fi
done

sleep 2
echo "idle resident memory: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")"

if command -v wrk >/dev/null; then
  echo "wrk, 10 s, 64 connections, 2 threads, GET /healthz:"
  wrk -t2 -c64 -d10s --latency "$url" | sed 's/^/  /'
  echo "resident memory after load: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")"
else
  echo "wrk is not installed: apt-get install wrk" >&2
fi
