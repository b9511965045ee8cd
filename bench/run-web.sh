#!/usr/bin/env bash
# The web page measured in Debian's Chromium (issue 15): RECORDS demo records (default 1,000,000)
# in an embedded store; keystroke → rendered and facet click → rendered (p50/p95, Performance API
# marks), the search request's share of it, and the page weight (compressed bytes on the wire).
# There is no peer page to run beside it offline (Buildhub2's page needs its Elasticsearch), so
# the numbers are set against the issue's targets: 100 ms and 100 kB. Writes bench/out/web.md.
#
# Usage: bench/run-web.sh [RECORDS]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records="${1:-1000000}"
bin="$repo_root/build/release/src/buildhub"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-web-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$repo_root/bench/out"
out="$repo_root/bench/out/web.md"
[ -d "$repo_root/tests/browser/node_modules/playwright-core" ] || (cd "$repo_root/tests/browser" && npm ci --no-audit --no-fund)

"$bin" demo-data --records "$records" --seed 1 | "$bin" ingest --data-dir "$work/data" -q -
node "$repo_root/bench/web_bench.mjs" "$work/data" > "$work/result.json"
python3 - "$work/result.json" "$records" > "$out" <<'PY'
import json, sys, os, subprocess
r = json.load(open(sys.argv[1]))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"# Web page: {os.cpu_count()} cores, {cpu}, Chromium {r['chromium']} headless, {int(sys.argv[2]):,} records")
print()
def row(name, s, target=None):
    ratio = f"{s['p95'] / target:.2f}× of target" if target else ""
    return f"| {name} | {s['n']} | {s['p50']} | {s['p95']} | {s['max']} | {ratio} |"
print("| measure (ms) | n | p50 | p95 | max | p95 vs 100 ms |")
print("|---|---|---|---|---|---|")
print(row("keystroke → rendered", r["keystroke_to_rendered_ms"], 100))
print(row("  of which the /api/search request", r["keystroke_search_request_ms"]))
print(row(f"end of a burst ({r['burst_key_interval_ms']} ms a key) → rendered", r["burst_end_to_rendered_ms"], 100))
print(row("facet click → rendered", r["facet_click_to_rendered_ms"], 100))
print(row("  of which the /api/search request", r["facet_search_request_ms"]))
fv = r["first_visit"]
print()
print(f"Page weight (first visit, compressed on the wire): {r['page_weight_bytes']:,} bytes "
      f"({r['page_weight_bytes'] / 1024:.1f} kB of the 100 kB target; document {fv['document_bytes']:,} B + "
      f"{fv['asset_count']} assets {fv['asset_bytes']:,} B). First visit to first rendered results: "
      f"{fv['first_results_ms']:.0f} ms.")
print()
print("Hits per typed query: " + ", ".join(f"`{q}` {n:,}" for q, n in r["query_hits"].items()))
PY
cat "$out"
