#!/usr/bin/env bash
# The issue-4 MAR benchmark, side by side in one run, on a complete MAR built from a real Firefox
# tree (the newest firefox-esr package Debian offers at run time, as ../shared/docs/mar-reference.md
# §7 describes; the version used is printed):
#   1. creating the complete MAR: `buildhub mar -c --compress xz --x86` (entries in parallel)
#      vs Mozilla's packaging command, `XZ_OPT="-T1 -7e" xz --compress --x86 --lzma2
#      --format=xz --check=crc64`, once per file, one after another; the entries are compared
#      byte for byte;
#   2. extracting and decompressing every entry: `buildhub mar -x --decompress` on all cores
#      (and with --jobs 1) vs `xz -d` of the same entries one after another;
#   3. listing a 100 MB MAR (index only) vs listing a 1 KB one, and vs reading the 100 MB once.
# Writes bench/out/mar.md. The .deb is cached in bench/out/cache.
#
# Usage: bench/run-mar.sh [RUNS]   (needs scripts/install-deps --bench)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-5}"
bin="$repo_root/build/release/src/buildhub"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-mar-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$repo_root/bench/out"
out="$repo_root/bench/out/mar.md"

# shellcheck source=bench/debian-packages.sh
source "$repo_root/bench/debian-packages.sh"
version="$(newest_version firefox-esr)"
short_version="${version%%-*}"
echo "run-mar: firefox-esr $version"
unpack_deb "$(fetch_deb "firefox-esr=$version")" "$work/pkg"
tree="$work/pkg/usr/lib/firefox-esr"
find "$tree" -type l -delete                 # symlinks into /usr/share are not part of an update
( cd "$tree" && find . -type f | sed 's|^\./||' | LC_ALL=C sort -r ) > "$work/files.txt"   # make_full_update.sh order
mapfile -t files < "$work/files.txt"
tree_bytes=$(cd "$tree" && cat "${files[@]}" | wc -c)

cpu="$(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs)"
{
  echo "# MAR benchmark: Debian firefox-esr $version tree (${#files[@]} files, $((tree_bytes / 1000000)) MB), $(nproc) cores, $cpu"
  echo
} > "$out"

# 1. Create.
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/create.rss" "$bin" mar --compress xz --x86 -H firefox-mozilla-esr -V "$short_version" \
  -C "$tree" -c "$work/complete.mar" "${files[@]}"
ours_create=$(echo "$(date +%s.%N) - $start" | bc)
mkdir -p "$work/peer-xz"
start=$(date +%s.%N)
for f in "${files[@]}"; do
  mkdir -p "$work/peer-xz/$(dirname "$f")"
  XZ_OPT="-T1 -7e" xz --compress --x86 --lzma2 --format=xz --check=crc64 --force --stdout "$tree/$f" > "$work/peer-xz/$f"
done
peer_create=$(echo "$(date +%s.%N) - $start" | bc)
mkdir -p "$work/raw"
"$bin" mar -C "$work/raw" -x "$work/complete.mar"
identical=0
for f in "${files[@]}"; do cmp -s "$work/raw/$f" "$work/peer-xz/$f" && identical=$((identical + 1)); done
mar_bytes=$(stat -c %s "$work/complete.mar")
{
  echo "## Creating the complete MAR (xz, x86 BCJ, Mozilla's settings)"
  echo
  echo "| | wall time | ratio |"
  echo "|---|---:|---:|"
  printf '| buildhub mar -c --compress xz --x86 (all cores) | %.1f s | %.2fx |\n' "$ours_create" "$(echo "$peer_create / $ours_create" | bc -l)"
  printf '| xz per file, one after another (Mozilla packaging command) | %.1f s | 1.00x |\n' "$peer_create"
  echo
  echo "MAR size $mar_bytes bytes; peak RSS of buildhub $(( $(cat "$work/create.rss") / 1024 )) MiB;" \
       "entries byte-identical to the xz tool's output: $identical of ${#files[@]}."
  echo
} >> "$out"

# 2. Extract + decompress. The peer gets the raw entries (what `mar -x` writes) and decodes them.
cat > "$work/peer-extract.sh" <<PEER
#!/usr/bin/env bash
set -e
rm -rf "$work/peer-out"
while IFS= read -r f; do
  mkdir -p "$work/peer-out/\$(dirname "\$f")"
  xz -d -c "$work/raw/\$f" > "$work/peer-out/\$f"
done < "$work/files.txt"
PEER
chmod +x "$work/peer-extract.sh"
hyperfine --warmup 1 --runs "$runs" --export-markdown "$work/extract.md" \
  -n "buildhub mar -x --decompress (all cores)" "rm -rf $work/ours-out && $bin mar -C $work/ours-out -x $work/complete.mar --decompress" \
  -n "buildhub mar -x --decompress --jobs 1" "rm -rf $work/ours-out && $bin mar -C $work/ours-out -x $work/complete.mar --decompress --jobs 1" \
  -n "xz -d of each entry, one after another" "$work/peer-extract.sh" >/dev/null
diff -r "$work/ours-out" "$tree" >/dev/null && same="yes" || same="NO"
/usr/bin/time -f "%M" -o "$work/extract.rss" "$bin" mar -C "$work/rss-out" -x "$work/complete.mar" --decompress
{
  echo "## Extracting and decompressing every entry"
  echo
  cat "$work/extract.md"
  echo
  echo "Extracted tree identical to the package's: $same. Peak RSS of buildhub: $(( $(cat "$work/extract.rss") / 1024 )) MiB" \
       "(the MAR is memory-mapped; pages count once touched)."
  echo
} >> "$out"

# 3. Listing: a 100 MB MAR of stored (uncompressed) entries.
big=()
total=0
for f in browser/omni.ja omni.ja libmozavcodec.so libgkcodecs.so libnss3.so libfreeblpriv3.so; do
  [ -f "$tree/$f" ] || continue
  big+=("$f"); total=$((total + $(stat -c %s "$tree/$f")))
  [ "$total" -ge 100000000 ] && break
done
"$bin" mar -H firefox-mozilla-esr -V "$short_version" -C "$tree" -c "$work/big.mar" "${big[@]}"
hyperfine --warmup 3 --runs 50 -N --export-markdown "$work/list.md" \
  -n "buildhub mar -t (100 MB MAR)" "$bin mar -t $work/big.mar" \
  -n "buildhub mar -t (1 KB MAR)" "$bin mar -t $repo_root/../shared/fixtures/mar/build-mar-tests/test-xz.mar" \
  -n "cat the 100 MB MAR (read once)" "cat $work/big.mar" >/dev/null
read -r big_p50 big_p90 _ < <("$repo_root/build/release/bench/bench_mar_list" "$work/big.mar" 2000)
read -r small_p50 small_p90 _ < <("$repo_root/build/release/bench/bench_mar_list" \
  "$repo_root/../shared/fixtures/mar/build-mar-tests/test-xz.mar" 2000)
read -r full_p50 full_p90 _ < <("$repo_root/build/release/bench/bench_mar_list" "$work/complete.mar" 2000)
{
  echo "## Listing a $(( $(stat -c %s "$work/big.mar") / 1000000 )) MB MAR (index only)"
  echo
  echo "Whole command (process start-up included):"
  echo
  cat "$work/list.md"
  echo
  echo "In-process (bench_mar_list: map, validate the index, walk the entries; 2,000 repetitions):"
  echo
  echo "| MAR | p50 | p90 |"
  echo "|---|---:|---:|"
  echo "| ${#big[@]} stored entries, $(( $(stat -c %s "$work/big.mar") / 1000000 )) MB | ${big_p50} µs | ${big_p90} µs |"
  echo "| complete MAR, ${#files[@]} xz entries, $((mar_bytes / 1000000)) MB | ${full_p50} µs | ${full_p90} µs |"
  echo "| test-xz.mar, 5 entries, 1 KB | ${small_p50} µs | ${small_p90} µs |"
  echo
} >> "$out"
cat "$out"
