#!/usr/bin/env bash
# Same-run comparison of two commits: was anything made slower? Builds BASE's release binaries in a
# temporary worktree, then measures BASE and the working tree's build/release side by side,
# interleaved, on the same data and machine:
#   ingest  `buildhub ingest` of RECORDS demo records into a fresh store (RUNS each)
#   search  bench_search in-process on RECORDS records: p50 per query of bench/search_queries.json
#           (RUNS each)
#   serve   index build at start on the same store; wrk (-t1 -c20 -d10s) on a term search,
#           /__lbheartbeat__ and /api/records (RUNS each)
#   diff    `buildhub diff` on libmergedlo.so, omni.ja and libxul.so (the oldest and newest
#           libreoffice-core / firefox-esr Debian offers): wall time, peak RSS, patch bytes (which
#           must be equal: the engine did not change)
#   mar     `buildhub mar -c --compress xz --x86` of the newest firefox-esr tree and `-x
#           --decompress` of the result (entries must be equal)
# Writes bench/out/compare.md with both numbers and the ratio HEAD/BASE for each.
#
# Usage: bench/compare-commits.sh BASE [RECORDS] [RUNS]   (SECTIONS="search serve" runs only those:
#        ingest search serve diff mar; all by default)   (needs scripts/install-deps --bench and
#        a built build/release)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:?usage: bench/compare-commits.sh BASE [RECORDS] [RUNS]}"
records="${2:-1000000}"
runs="${3:-3}"
sections="${SECTIONS:-ingest search serve diff mar}"
wanted() { [[ " $sections " == *" $1 "* ]]; }
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-compare-XXXXXX")"
chmod 755 "$work"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  git -C "$repo_root" worktree remove --force "$work/base-src" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$repo_root/bench/out"
out="$repo_root/bench/out/compare.md"
results="$repo_root/bench/out/compare-results.tsv"   # section, label, variant, value (kept if a step fails)
: > "$results"

# shellcheck source=bench/debian-packages.sh
source "$repo_root/bench/debian-packages.sh"

base_sha="$(git -C "$repo_root" rev-parse --short "$base")"
head_sha="$(git -C "$repo_root" rev-parse --short HEAD)$(git -C "$repo_root" diff --quiet HEAD -- src || echo +changes)"
echo "compare: building $base_sha in a worktree"
git -C "$repo_root" worktree add --detach "$work/base-src" "$base" >/dev/null
cmake -S "$work/base-src" -B "$work/base-build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBH_BUILD_TESTS=OFF \
  -DBH_DEPS_DIR="$repo_root/.deps" >/dev/null
cmake --build "$work/base-build" --target buildhub bench_search >/dev/null
declare -A bin=([base]="$work/base-build/src/buildhub" [head]="$repo_root/build/release/src/buildhub")
declare -A bench_search=([base]="$work/base-build/bench/bench_search" [head]="$repo_root/build/release/bench/bench_search")
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$results"; }

# Runs a command; prints "seconds peak_rss_kib".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time.log" "$@" >/dev/null 2>"$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
  cat "$work/time.log"
}

# --- ingest ---
"${bin[head]}" demo-data --records "$records" --seed 1 --out "$work/docs.ndjson"
if wanted ingest || wanted serve; then  # serve reads the stores ingest writes
for run in $(seq 1 "$runs"); do
  for v in base head; do
    rm -rf "$work/store-$v"
    read -r secs _ < <(measure "${bin[$v]}" ingest --data-dir "$work/store-$v" --quiet "$work/docs.ndjson")
    record ingest "records/s" "$v" "$(echo "$records / $secs" | bc)"
  done
done
fi

# --- search, in-process ---
if wanted search; then
for run in $(seq 1 "$runs"); do for v in base head; do
  "${bench_search[$v]}" "$records" 30 "$repo_root/bench/search_queries.json" > "$work/search-$v.md"
  # | name | p50 ms | p90 ms | ... : the first numeric column after the name is p50
  awk -F'|' 'NR > 2 && NF > 3 { gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3); if ($3 ~ /^[0-9.]+$/) print $2 "\t" $3 }' \
    "$work/search-$v.md" | while IFS=$'\t' read -r name p50; do record search "$name (p50 ms)" "$v" "$p50"; done
  record search "in-process index build (s)" "$v" "$(sed -n 's/^index build: \([0-9.]*\) s.*/\1/p' "$work/search-$v.md")"
done; done
fi

# --- serve: index build, wrk ---
if wanted serve; then
build_id=$(head -1 "$work/docs.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["build"]["id"])')
cat > "$work/term.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"size":0,"query":{"term":{"build.id":"${build_id}"}}}'
wrk.headers["Content-Type"] = "application/json"
LUA
for run in $(seq 1 "$runs"); do for v in base head; do
  rm -f "$work/port"
  "${bin[$v]}" serve --data-dir "$work/store-$v" --listen 127.0.0.1:0 --port-file "$work/port" --no-access-log \
    2>"$work/serve-$v.log" &
  server_pid=$!
  for _ in $(seq 1 1200); do [ -s "$work/port" ] && break; sleep 0.1; done
  port=$(cat "$work/port")
  secs=$(grep -m1 '"search index built"' "$work/serve-$v.log" | python3 -c 'import json,sys; print(round(json.loads(sys.stdin.readline())["seconds"], 2))')
  record serve "index build at start (s)" "$v" "$secs"
  rps=$(wrk -t1 -c20 -d10s -s "$work/term.lua" "http://127.0.0.1:$port/api/search" | awk '/Requests\/sec/{print $2}')
  record serve "term search (req/s)" "$v" "$rps"
  for path in /__lbheartbeat__ /api/records; do
    rps=$(wrk -t1 -c20 -d10s "http://127.0.0.1:$port$path" | awk '/Requests\/sec/{print $2}')
    record serve "GET $path (req/s)" "$v" "$rps"
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
done; done
fi

# --- diff ---
lo_old="-"; lo_new="-"; ff_old="-"; ff_new="-"
if wanted diff || wanted mar; then  # mar uses the unpacked firefox-esr
lo_old="$(oldest_version libreoffice-core)"; lo_new="$(newest_version libreoffice-core)"
ff_old="$(oldest_version firefox-esr)"; ff_new="$(newest_version firefox-esr)"
unpack_deb "$(fetch_deb "libreoffice-core=$lo_old")" "$work/lo_old"
unpack_deb "$(fetch_deb "libreoffice-core=$lo_new")" "$work/lo_new"
unpack_deb "$(fetch_deb "firefox-esr=$ff_old")" "$work/ff_old"
unpack_deb "$(fetch_deb "firefox-esr=$ff_new")" "$work/ff_new"
declare -A old_file=([libmergedlo.so]="$(find "$work/lo_old" -name libmergedlo.so -print -quit)"
                     [omni.ja]="$work/ff_old/usr/lib/firefox-esr/browser/omni.ja"
                     [libxul.so]="$work/ff_old/usr/lib/firefox-esr/libxul.so")
declare -A new_file=([libmergedlo.so]="$(find "$work/lo_new" -name libmergedlo.so -print -quit)"
                     [omni.ja]="$work/ff_new/usr/lib/firefox-esr/browser/omni.ja"
                     [libxul.so]="$work/ff_new/usr/lib/firefox-esr/libxul.so")
for name in libmergedlo.so omni.ja libxul.so; do
  for run in $(seq 1 2); do
    for v in base head; do
      read -r secs rss < <(measure "${bin[$v]}" diff "${old_file[$name]}" "${new_file[$name]}" "$work/$name.$v.patch")
      record diff "$name (s)" "$v" "$secs"
      record diff "$name (peak MiB)" "$v" "$((rss / 1024))"
    done
  done
  cmp -s "$work/$name.base.patch" "$work/$name.head.patch" || { echo "compare: $name patches differ" >&2; exit 1; }
  record diff "$name (patch bytes, equal)" head "$(stat -c %s "$work/$name.head.patch")"
  record diff "$name (patch bytes, equal)" base "$(stat -c %s "$work/$name.base.patch")"
done
fi

# --- mar ---
if wanted mar; then
tree="$work/ff_new/usr/lib/firefox-esr"
find "$tree" -type l -delete
mapfile -t files < <(cd "$tree" && find . -type f | sed 's|^\./||' | LC_ALL=C sort -r)
for v in base head; do
  read -r secs _ < <(measure "${bin[$v]}" mar --compress xz --x86 -H firefox-mozilla-esr -V "${ff_new%%-*}" -C "$tree" \
    -c "$work/complete.$v.mar" "${files[@]}")
  record mar "create, xz --x86 (s)" "$v" "$secs"
  rm -rf "$work/x-$v"
  read -r secs _ < <(measure "${bin[$v]}" mar -C "$work/x-$v" -x "$work/complete.$v.mar" --decompress)
  record mar "extract --decompress (s)" "$v" "$secs"
done
cmp -s "$work/complete.base.mar" "$work/complete.head.mar" || { echo "compare: the MARs differ" >&2; exit 1; }
fi

python3 - "$results" "$out" "$base_sha" "$head_sha" "$records" "$runs" \
  "libreoffice-core $lo_old -> $lo_new; firefox-esr $ff_old -> $ff_new" <<'PY'
import os, statistics, sys
results, dest, base, head, records, runs, packages = sys.argv[1:]
rows = {}
order = []
for line in open(results):
    section, label, variant, value = line.rstrip("\n").split("\t")
    key = (section, label)
    if key not in rows:
        rows[key] = {"base": [], "head": []}
        order.append(key)
    rows[key][variant].append(float(value))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = [f"# Same-run comparison: {head} against {base}", "",
         f"{os.cpu_count()} cores, {cpu}; {int(records):,} demo records; ingest, search and serve {runs} runs each, "
         f"diffs 2 runs each, MAR 1 run (medians shown), everything interleaved base/head. Packages: {packages}.", "",
         "| section | measure | base | head | head / base |", "|---|---|---|---|---|"]
for section, label in order:
    r = rows[(section, label)]
    b, h = statistics.median(r["base"]), statistics.median(r["head"])
    ratio = f"{h / b:.2f}" if b else "-"
    fmt = (lambda x: f"{x:,.0f}") if max(b, h) >= 100 else (lambda x: f"{x:.3g}")
    lines.append(f"| {section} | {label} | {fmt(b)} | {fmt(h)} | {ratio} |")
open(dest, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
