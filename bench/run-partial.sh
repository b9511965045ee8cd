#!/usr/bin/env bash
# The issue-13 partial benchmark, side by side in one run on real Firefox trees:
#   complete MARs of Debian's firefox-esr, the oldest 140.x and the newest version the registry
#   offers (resolved at run time and printed; made by tests/support/firefox_mars.py and cached),
#   1. `buildhub partial` cold (empty patch cache): wall time, peak RSS, partial size;
#   2. the same again, warm (the cache from run 1): must give the identical MAR;
#   3. a second "locale": the same pair with a few small files changed in both trees, with the
#      cache from run 1;
#   4. `--verify` (the partial applied to FROM's files in a scratch directory and compared);
#   5. the peer, bench/peer-partial.sh: the same rules done file by file with Debian's bsdiff and
#      xz, as Mozilla's shell pipeline does with mbsdiff (skip with PEER=0);
# and the per-file decisions next to Mozilla's own run on these packages
# (../shared/fixtures/mar/samples/ff140-to-ff153.partial.per-file-decisions.tsv).
# Writes bench/out/partial.md.
#
# Usage: bench/run-partial.sh   (needs scripts/install-deps --bench for bsdiff)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$repo_root/build/release/src/buildhub"
shared="$repo_root/../shared"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-partial-XXXXXX")"
trap 'rm -rf "$work"' EXIT
out="$repo_root/bench/out/partial.md"
mkdir -p "$repo_root/bench/out"

mapfile -t mars < <(python3 "$repo_root/tests/support/firefox_mars.py" "$work/trees" "$bin")
versions="${mars[0]}"; from="${mars[1]}"; to="${mars[2]}"
echo "run-partial: $versions"
channel="$("$bin" mar -T "$to" | awk -F': ' '/MAR channel name/{print $2}')"
version="$("$bin" mar -T "$to" | awk -F': ' '/Product version/{print $2}')"

# measure LABEL COMMAND...: runs it under /usr/bin/time, records "seconds rss_kib".
declare -A secs rss
measure() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/$label.out" 2> "$work/$label.err" ||
    { cat "$work/$label.err"; echo "run-partial: $label failed" >&2; exit 1; }
  read -r "secs[$label]" "rss[$label]" < "$work/time"
  echo "run-partial: $label ${secs[$label]} s, peak $((${rss[$label]} / 1024)) MiB"
}

measure cold "$bin" partial "$from" "$to" -o "$work/cold.mar" --cache-dir "$work/cache" --json
measure warm "$bin" partial "$from" "$to" -o "$work/warm.mar" --cache-dir "$work/cache" --json
cmp "$work/cold.mar" "$work/warm.mar" || { echo "run-partial: the warm MAR differs from the cold one" >&2; exit 1; }
cp -r "$work/cache" "$work/cache-for-locale"

# A second locale: the same pair with small files changed in both trees (a locale's strings).
relocale() {  # MAR OUT
  local dir="$work/relocale"; rm -rf "$dir"; mkdir -p "$dir"
  "$bin" mar -C "$dir" -x "$1" --decompress
  printf '\n[Locale]\nName=de\n' >> "$dir/application.ini"
  printf 'pref("intl.locale.requested", "de");\n' >> "$dir/defaults/pref/channel-prefs.js"
  printf 'Sprachpaket\n' > "$dir/browser/locale.txt"
  mapfile -t names < <(cd "$dir" && find . -type f ! -name updatev3.manifest | sed 's|^\./||' | LC_ALL=C sort -r)
  local pib_channel pib_version
  pib_channel="$("$bin" mar -T "$1" | awk -F': ' '/MAR channel name/{print $2}')"
  pib_version="$("$bin" mar -T "$1" | awk -F': ' '/Product version/{print $2}')"
  "$bin" mar --compress xz --x86 -H "$pib_channel" -V "$pib_version" -C "$dir" -c "$2" updatev3.manifest "${names[@]}"
}
relocale "$from" "$work/from-de.mar"
relocale "$to" "$work/to-de.mar"
measure locale "$bin" partial "$work/from-de.mar" "$work/to-de.mar" -o "$work/de.mar" --cache-dir "$work/cache-for-locale" --json
measure verify "$bin" partial "$from" "$to" -o "$work/verified.mar" --cache-dir "$work/cache" --verify

# Apply the cold partial to FROM's files and compare every file with TO's (the test does this
# too; here it proves the measured MAR is a good one).
mkdir -p "$work/apply" "$work/want"
"$bin" mar -C "$work/apply" -x "$from" --decompress
"$bin" mar -C "$work/want" -x "$to" --decompress
measure apply "$bin" apply "$work/cold.mar" "$work/apply"
rm -f "$work/apply/updatev3.manifest" "$work/want/updatev3.manifest"
diff -r "$work/apply" "$work/want" > /dev/null || { echo "run-partial: applying the partial did not give TO's tree" >&2; exit 1; }

peer_row="| peer: bsdiff 4.3 + xz, file by file (PEER=0: not run) | | | | |"
if [ "${PEER:-1}" != 0 ]; then
  mkdir -p "$work/from-tree" "$work/to-tree"
  "$bin" mar -C "$work/from-tree" -x "$from" --decompress
  "$bin" mar -C "$work/to-tree" -x "$to" --decompress
  measure peer "$repo_root/bench/peer-partial.sh" "$work/from-tree" "$work/to-tree" "$work/peer.mar" "$channel" "$version" "$bin"
  peer_bytes=$(stat -c %s "$work/peer.mar")
  peer_row="| peer: bsdiff 4.3 + xz, file by file | ${secs[peer]} s | $((${rss[peer]} / 1024)) MiB | $peer_bytes | $(echo "${secs[peer]} / ${secs[cold]}" | bc -l | xargs printf '%.1f')x |"
fi

cold_bytes=$(stat -c %s "$work/cold.mar")
locale_bytes=$(stat -c %s "$work/de.mar")
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.3f'; }
{
  echo "# Partial benchmark: $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs), $(date -u +%Y-%m-%d)"
  echo
  echo "$versions; complete MARs $(stat -c %s "$from") and $(stat -c %s "$to") bytes (xz, x86 BCJ)."
  echo
  echo "| run | wall time | peak RSS | partial bytes | time / cold |"
  echo "|---|---:|---:|---:|---:|"
  echo "| buildhub partial, cold (empty cache) | ${secs[cold]} s | $((${rss[cold]} / 1024)) MiB | $cold_bytes | 1.00 |"
  echo "| buildhub partial, warm (same MAR, byte-identical) | ${secs[warm]} s | $((${rss[warm]} / 1024)) MiB | $(stat -c %s "$work/warm.mar") | $(ratio "${secs[warm]}" "${secs[cold]}") |"
  echo "| buildhub partial, second locale (cache from the cold run) | ${secs[locale]} s | $((${rss[locale]} / 1024)) MiB | $locale_bytes | $(ratio "${secs[locale]}" "${secs[cold]}") |"
  echo "| buildhub partial --verify (warm cache) | ${secs[verify]} s | $((${rss[verify]} / 1024)) MiB | $(stat -c %s "$work/verified.mar") | $(ratio "${secs[verify]}" "${secs[cold]}") |"
  echo "| buildhub apply (the cold partial onto FROM's files) | ${secs[apply]} s | $((${rss[apply]} / 1024)) MiB | | |"
  echo "$peer_row"
  echo
  echo "Cold run, per file (ours), next to Mozilla's run on 140.12 -> 153.7 (mar-reference §8.3):"
  echo
  echo "| file | ours | patch xz | full xz | Mozilla | mbsdiff patch xz | full xz |"
  echo "|---|---|---:|---:|---|---:|---:|"
  python3 - "$work/cold.out" "$shared/fixtures/mar/samples/ff140-to-ff153.partial.per-file-decisions.tsv" <<'EOF'
import csv, json, sys
ours = {f["path"]: f for f in json.load(open(sys.argv[1]))["files"]}
theirs = {r["path"]: r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t")}
for path in sorted(set(theirs) | {p for p, f in ours.items() if f.get("reason", "").startswith("changed")}):
    o = ours.get(path, {})
    t = theirs.get(path, {})
    print(f"| {path} | {o.get('decision', '-')} | {o.get('patch_bytes', '')} | {o.get('full_bytes', '')} | "
          f"{t.get('decision', '-')} | {t.get('patch_xz_bytes', '')} | {t.get('full_xz_bytes', '')} |")
EOF
} > "$out"
cat "$out"
