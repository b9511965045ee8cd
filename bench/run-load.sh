#!/usr/bin/env bash
# The server under load (issue 11), side by side with another build of buildhub (BASE_BIN, e.g.
# the commit before, built by hand or by bench/compare-commits.sh) on the same data:
#   1. heavy searches: a store of HEAVY_RECORDS demo records; 4 and then 8 heavy searches at once
#      while heartbeats and /api/records are asked one after another: their latency;
#   2. ingest: an empty server while another process ingests INGEST_RECORDS records: heartbeat and
#      term-search latency during the ingest, and when every record is searchable.
# Writes bench/out/load.md.
#
# Usage: bench/run-load.sh [BASE_BIN] [HEAVY_RECORDS] [INGEST_RECORDS]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_bin="${1:-}"
heavy_records="${2:-300000}"
ingest_records="${3:-1000000}"
head_bin="$repo_root/build/release/src/buildhub"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-load-XXXXXX")"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$repo_root/bench/out"
out="$repo_root/bench/out/load.md"
variants=(head)
[ -n "$base_bin" ] && variants=(base head)
declare -A bin=([head]="$head_bin" [base]="$base_bin")

start_server() {  # start_server BIN DIR
  rm -f "$2/port"
  "$1" serve --data-dir "$2" --listen 127.0.0.1:0 --port-file "$2/port" --no-access-log 2>"$2/server.log" &
  server_pid=$!
  for _ in $(seq 1 1200); do [ -s "$2/port" ] && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

"$head_bin" demo-data --records "$heavy_records" --seed 1 | "$head_bin" ingest --data-dir "$work/heavy" -q -
{
  echo "# Load: $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs), $(date -u +%Y-%m-%d)"
  echo
  echo "## Heavy searches (${heavy_records} records): latency in ms"
  echo
  echo "| build | searches at once | heavy search p50 / max | ops endpoints p50 / p99 / max |"
  echo "|---|---|---|---|"
} > "$out"
for v in "${variants[@]}"; do
  start_server "${bin[$v]}" "$work/heavy"
  for n in 4 8; do
    python3 "$repo_root/bench/load_latency.py" heavy "$(cat "$work/heavy/port")" "$n" > "$work/r.json"
    python3 - "$work/r.json" "$v" "$n" >> "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, o = r["searches"], r["ops_during_searches"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {s['p50']} / {s['max']} | {o['p50']} / {o['p99']} / {o['max']} |")
PY
  done
  stop_server
done
{
  echo
  echo "## While another process ingests ${ingest_records} records: latency in ms"
  echo
  echo "| build | heartbeats p50 / p99 / max | term search p50 / p99 / max | ingest s | all searchable s |"
  echo "|---|---|---|---|---|"
} >> "$out"
for v in "${variants[@]}"; do
  mkdir -p "$work/ingest-$v"
  start_server "${bin[$v]}" "$work/ingest-$v"
  python3 "$repo_root/bench/load_latency.py" ingest "${bin[$v]}" "$work/ingest-$v" "$ingest_records" > "$work/r.json"
  python3 - "$work/r.json" "$v" >> "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
h, s = r["heartbeats"], r["searches"]
print(f"| {sys.argv[2]} | {h['p50']} / {h['p99']} / {h['max']} | {s['p50']} / {s['p99']} / {s['max']} | "
      f"{r['ingest_seconds']} | {r['all_searchable_seconds']} |")
PY
  stop_server
done
cat "$out"
