#!/usr/bin/env bash
# Ingest benchmark (issue: foundation). In one run, on the same 1,000,000 demo documents:
#   ours   buildhub ingest (parse + validate + hash + store) of NDJSON into a fresh store
#   floor  the sqlite3 CLI bulk-importing the same lines into a one-table JSON store
#          (CREATE TABLE docs(doc TEXT NOT NULL CHECK (json_valid(doc))), one transaction)
# Prints a Markdown report (also written to bench/out/ingest.md).
# Usage: bench/run-ingest.sh [RECORDS] [RUNS]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records="${1:-1000000}"
runs="${2:-3}"
bin="$repo_root/build/release/src/buildhub"
out="$repo_root/bench/out"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-bench-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

ndjson="$work/demo.ndjson"
"$bin" demo-data --records "$records" --seed 1 --out "$ndjson"
bytes=$(stat -c %s "$ndjson")

timed() {  # timed LABEL CMD... -> appends "LABEL seconds max_rss_kib" to $work/times
  local label="$1"; shift
  /usr/bin/time -f "$label %e %M" -a -o "$work/times" "$@" >/dev/null 2>"$work/last.err" || {
    cat "$work/last.err"; exit 1; }
}

for run in $(seq 1 "$runs"); do
  rm -rf "$work/store"
  timed ours "$bin" ingest --data-dir "$work/store" --quiet "$ndjson"
  count=$(sqlite3 "$work/store/buildhub.sqlite3" "SELECT COUNT(*) FROM builds")
  [ "$count" = "$records" ] || { echo "ours stored $count of $records"; exit 1; }

  rm -f "$work/floor.sqlite3"
  timed floor sqlite3 "$work/floor.sqlite3" \
    "CREATE TABLE docs (doc TEXT NOT NULL CHECK (json_valid(doc)));" \
    ".mode ascii" ".separator $(printf '\x1f') \\n" ".import $ndjson docs"
  count=$(sqlite3 "$work/floor.sqlite3" "SELECT COUNT(*) FROM docs")
  [ "$count" = "$records" ] || { echo "floor stored $count of $records"; exit 1; }
done

python3 - "$work/times" "$records" "$bytes" "$out/ingest.md" "$runs" <<'PY'
import statistics, sys, subprocess, platform, os
times, records, nbytes, dest, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = {}
for line in open(times):
    label, secs, rss = line.split()
    rows.setdefault(label, []).append((float(secs), int(rss)))
def cpu():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()
    return platform.processor()
mem = int(open("/proc/meminfo").readline().split()[1]) // (1024 * 1024)
sqlite_v = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
lines = [f"Ingest of {records:,} demo records ({nbytes/1e6:.0f} MB NDJSON), {runs} runs each, interleaved.",
         f"Machine: {cpu()}, {os.cpu_count()} cores, {mem + 1} GiB RAM; SQLite {sqlite_v}.", "",
         "| | median wall s | records/s (median) | best records/s | peak RSS MiB (max) |",
         "|---|---|---|---|---|"]
med = {}
for label in ("ours", "floor"):
    r = rows[label]
    m = statistics.median(s for s, _ in r)
    med[label] = m
    name = "buildhub ingest (parse+validate+hash+store)" if label == "ours" else "sqlite3 CLI .import (json_valid only)"
    lines.append(f"| {name} | {m:.2f} | {records/m:,.0f} | {records/min(s for s,_ in r):,.0f} | "
                 f"{max(k for _,k in r)/1024:.0f} |")
lines += ["", f"Ratio ours/floor (median wall time): {med['ours']/med['floor']:.2f}x "
              f"(ours takes {med['ours']/med['floor']:.2f} times as long as the bare import)."]
text = "\n".join(lines) + "\n"
open(dest, "w").write(text)
print(text)
PY
