#!/usr/bin/env bash
# HTTP smoke benchmark of the server skeleton: a store of RECORDS demo records, then wrk against
# the ops endpoints on 127.0.0.1 (bounded: DURATION seconds per endpoint, 20 connections).
# The server is started here and stopped by its PID. Usage: bench/run-http.sh [RECORDS] [DURATION]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records="${1:-1000000}"
duration="${2:-10}"
bin="$repo_root/build/release/src/buildhub"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-http-XXXXXX")"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$repo_root/bench/out"

"$bin" demo-data --records "$records" --seed 1 | "$bin" ingest --data-dir "$work/data" --quiet -
"$bin" serve --data-dir "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" --no-access-log \
  --log-level warn 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

{
  echo "wrk -t1 -c20 -d${duration}s against buildhub serve (${records} records), $(nproc) cores"
  echo
  echo "| endpoint | requests/s | latency avg | latency max |"
  echo "|---|---|---|---|"
  for path in /__lbheartbeat__ /api/records /__heartbeat__; do
    out=$(wrk -t1 -c20 -d"${duration}s" "http://127.0.0.1:${port}${path}")
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    lat=$(echo "$out" | awk '/Latency/{print $2" | "$4}')
    echo "| \`GET ${path}\` | ${rps} | ${lat} |"
  done
} | tee "$repo_root/bench/out/http.md"
