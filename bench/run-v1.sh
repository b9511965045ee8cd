#!/usr/bin/env bash
# The issue-17 benchmark: inventory rows per second through Buildhub v1's path rules, side by
# side in one run on the same rows: `buildhub inventory-to-records --no-metadata` against
# bench/v1_rules_peer.py (the same rules in Python, as v1 ran them). The rows are a synthetic
# inventory made from the shapes of v1's fixture keys (bench/v1_inventory_gen.py; ROWS of them,
# default 10 million, cached in bench/out/). Both outputs are compared record by record before any
# number is written. Writes bench/out/v1.md.
#
# Usage: bench/run-v1.sh   (ROWS=N for another size; PEER_ROWS=N rows for the slower peer, default
#                           all of them)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$repo_root/build/release/src/buildhub"
rows="${ROWS:-10000000}"
out_dir="$repo_root/bench/out"
mkdir -p "$out_dir"
inventory="$out_dir/v1-inventory-$rows.csv"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-v1-XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ ! -s "$inventory" ]; then
  echo "run-v1: making $rows rows"
  python3 "$repo_root/bench/v1_inventory_gen.py" "$rows" "$inventory.tmp"
  mv "$inventory.tmp" "$inventory"
fi
bytes=$(stat -c %s "$inventory")
peer_rows="${PEER_ROWS:-$rows}"
head -n "$peer_rows" "$inventory" > "$work/peer.csv"
cat "$inventory" > /dev/null  # both read from the page cache

# measure COMMAND...: wall seconds of one run, stdin from $in, stdout to /dev/null (writing a
# gigabyte of records to disk would measure the disk).
measure() {
  local start end
  start=$(date +%s.%N)
  "$@" < "$in" > /dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l | xargs printf '%.3f'
}
in="$inventory"
ours_s=$(measure "$bin" inventory-to-records --no-metadata --v1-format -q)
ours_again_s=$(measure "$bin" inventory-to-records --no-metadata --v1-format -q)
in="$work/peer.csv"
cat "$in" > /dev/null
ours_peer_rows_first=$(measure "$bin" inventory-to-records --no-metadata --v1-format -q)
ours_peer_rows_again=$(measure "$bin" inventory-to-records --no-metadata --v1-format -q)
ours_peer_rows_s=$(printf '%s\n%s\n' "$ours_peer_rows_first" "$ours_peer_rows_again" | sort -n | head -1)
peer_s=$(measure python3 "$repo_root/bench/v1_rules_peer.py")
# Not timed: both outputs for the comparison below.
"$bin" inventory-to-records --no-metadata --v1-format -q < "$in" > "$work/ours-peer-rows.jsonl"
python3 "$repo_root/bench/v1_rules_peer.py" < "$in" > "$work/peer.jsonl"
records=$(wc -l < "$work/ours-peer-rows.jsonl")

# The same records, field by field, from both.
python3 - "$work/ours-peer-rows.jsonl" "$work/peer.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as a, open(sys.argv[2]) as b:
    n = 0
    for x, y in zip(a, b):
        if json.loads(x) != json.loads(y):
            sys.exit(f"run-v1: records differ at line {n + 1}:\n{x}{y}")
        n += 1
    if a.readline() or b.readline():
        sys.exit("run-v1: the two outputs have different lengths")
print(f"run-v1: {n} records identical")
PY

best=$(printf '%s\n%s\n' "$ours_s" "$ours_again_s" | sort -n | head -1)
rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }
ours_rate=$(rate "$rows" "$best")
ours_peer_rate=$(rate "$peer_rows" "$ours_peer_rows_s")
peer_rate=$(rate "$peer_rows" "$peer_s")
{
  echo "# v1 inventory benchmark: $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs), $(date -u +%Y-%m-%d)"
  echo
  echo "$rows rows ($((bytes / 1000000)) MB of CSV); $records builds among the peer's $peer_rows rows; Python $(python3 -c 'import platform; print(platform.python_version())')."
  echo
  echo "| run | rows | seconds | rows/s | ours / peer |"
  echo "|---|---:|---:|---:|---:|"
  echo "| buildhub inventory-to-records --no-metadata (best of 2) | $rows | $best | $ours_rate | |"
  echo "| buildhub, the peer's rows (best of 2) | $peer_rows | $ours_peer_rows_s | $ours_peer_rate | $(echo "$ours_peer_rate / $peer_rate" | bc -l | xargs printf '%.1f')x |"
  echo "| peer: bench/v1_rules_peer.py (v1's rules in Python) | $peer_rows | $peer_s | $peer_rate | 1.0x |"
} > "$out_dir/v1.md"
cat "$out_dir/v1.md"
