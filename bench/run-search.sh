#!/usr/bin/env bash
# The issue-3 search benchmark, side by side in one run on the same RECORDS demo records:
#   1. buildhub in-process (build/release/bench/bench_search),
#   2. buildhub over HTTP (serve on 127.0.0.1; index build time from its log; wrk on a term query),
#   3. PostgreSQL 15 (JSONB + GIN + expression indexes) and SQLite (JSON expression indexes),
#      asked the same questions in SQL by bench/search_peers.py.
# PostgreSQL is initialised in a temporary directory, listens on 127.0.0.1 only, and is stopped
# by its postmaster PID. Writes bench/out/search.md.
#
# Usage: bench/run-search.sh [RECORDS] [REPETITIONS] [PEER_REPETITIONS]   (needs scripts/install-deps --bench)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records="${1:-1000000}"
reps="${2:-50}"
peer_reps="${3:-$reps}"   # the peers take seconds per query at 1M records
bin="$repo_root/build/release/src/buildhub"
queries="$repo_root/bench/search_queries.json"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-search-XXXXXX")"
chmod 755 "$work"
server_pid=""
pg_run="$work/pgrun"   # owned by postgres: data, socket, log
pg_data="$pg_run/data"
pg_port="${BH_BENCH_PG_PORT:-45432}"
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -f "$pg_data/postmaster.pid" ]; then kill -INT "$(head -1 "$pg_data/postmaster.pid")" 2>/dev/null || true; sleep 2; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$repo_root/bench/out"
out="$repo_root/bench/out/search.md"

"$bin" demo-data --records "$records" --seed 1 --out "$work/docs.ndjson"
build_id=$(head -1 "$work/docs.ndjson" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["build"]["id"])')
{
  echo "# Search benchmark: ${records} demo records, $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs)"
  echo
  echo "## buildhub, in-process (parse + execute + write the response)"
  echo
  "$repo_root/build/release/bench/bench_search" "$records" "$reps" "$queries" | tee "$work/ours-inprocess.md"
} | tee "$out"

"$bin" ingest --data-dir "$work/data" --quiet "$work/docs.ndjson"
"$bin" serve --data-dir "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" --no-access-log 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 600); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
cat > "$work/term.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"size":0,"query":{"term":{"build.id":"${build_id}"}}}'
wrk.headers["Content-Type"] = "application/json"
LUA
{
  echo
  echo "## buildhub over HTTP (one keep-alive client)"
  echo
  grep '"search index built"' "$work/server.log" | /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
print("index build from the store at start: %.2f s; index bytes beyond documents: %d (%.0f B/record)\n"
      % (d["seconds"], d["index_bytes"], d["index_bytes"] / d["records"]))'
  /usr/bin/python3 "$repo_root/bench/search_latency.py" "$port" "$build_id" "$queries" "$reps" | tee "$work/ours-http.md"
  echo
  echo "server RSS: $(( $(ps -o rss= -p "$server_pid") / 1024 )) MiB"
  echo
  echo "wrk -t1 -c20 -d10s, term query on build.id: $(wrk -t1 -c20 -d10s -s "$work/term.lua" "http://127.0.0.1:${port}/api/search" | awk '/Requests\/sec/{print $2}') requests/s"
} | tee -a "$out"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

mkdir -p "$pg_data" "$pg_run/sock"
chown -R postgres "$pg_run"
su postgres -c "/usr/lib/postgresql/15/bin/initdb -D '$pg_data' -U postgres -A trust --no-locale -E UTF8" >/dev/null
su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D '$pg_data' -l '$pg_run/pg.log' -w start -o \"-p $pg_port -k $pg_run/sock -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=2GB -c work_mem=256MB -c max_parallel_workers_per_gather=2\"" >/dev/null
chmod 644 "$work/docs.ndjson"
/usr/bin/python3 "$repo_root/bench/search_peers.py" "$work/docs.ndjson" "$pg_port" "$work/peer.sqlite3" "$peer_reps" "$build_id" \
  "$work/ours-inprocess.md" "$work/ours-http.md" | tee -a "$out"
