#!/usr/bin/env bash
# The issue-5 diff benchmark, side by side in one run on real binaries from Debian packages:
#   libreoffice  libmergedlo.so, libreoffice-core: the oldest -> the newest version Debian offers
#                (at the time of writing 4:7.4.7-1+deb12u13 -> +deb12u14, a security rebuild)
#   libxul       libxul.so, firefox-esr: the oldest -> the newest version Debian offers (at the
#                time of writing 140.12.0esr -> 153.8.0esr, a year apart)
#   omni         browser/omni.ja, the same firefox-esr pair
# The versions are resolved at run time (registries replace security versions) and printed.
# For each pair: `buildhub diff` (MBDIFF10; its size after `xz -T1 -7e` as the issue and the
# reference measure it, and after Mozilla's xz command, which is what a partial carries), Debian's
# bsdiff 4.3 (BSDIFF40, bzip2 inside; stopped after BSDIFF_TIMEOUT seconds), `xdelta3 -e -9 -S lzma` and `zstd --patch-from --ultra -19 --long=31`: wall time, peak
# RSS, patch size; every patch is applied back and compared. Writes bench/out/diff.md.
#
# Usage: bench/run-diff.sh [PAIR...]   (default: all three; needs scripts/install-deps --bench)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$repo_root/build/release/src/buildhub"
bsdiff_timeout="${BSDIFF_TIMEOUT:-1800}"
pairs=("$@")
[ "${#pairs[@]}" -gt 0 ] || pairs=(libreoffice libxul omni)
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-diff-XXXXXX")"
trap 'rm -rf "$work"' EXIT
out="$repo_root/bench/out/diff.md"

# shellcheck source=bench/debian-packages.sh
source "$repo_root/bench/debian-packages.sh"

# Runs a command under /usr/bin/time; prints "seconds rss_kib" or "timeout".
measure() {
  local log="$work/time.log"
  if timeout "$1" /usr/bin/time -f "%e %M" -o "$log" "${@:2}" >/dev/null 2>"$work/err.log"; then
    cat "$log"
  else
    echo "timeout"
  fi
}

{
  echo "# Diff benchmark: $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs), $(date -u +%Y-%m-%d)"
  echo
} > "$out"

for pair in "${pairs[@]}"; do
  case "$pair" in
    libreoffice)
      lo_old="$(oldest_version libreoffice-core)"; lo_new="$(newest_version libreoffice-core)"
      echo "run-diff: libreoffice-core $lo_old -> $lo_new" | tee -a "$out"
      unpack_deb "$(fetch_deb "libreoffice-core=$lo_old")" "$work/lo_old"
      unpack_deb "$(fetch_deb "libreoffice-core=$lo_new")" "$work/lo_new"
      old="$(find "$work/lo_old" -name libmergedlo.so -print -quit)"; new="$(find "$work/lo_new" -name libmergedlo.so -print -quit)" ;;
    libxul|omni)
      ff_old="$(oldest_version firefox-esr)"; ff_new="$(newest_version firefox-esr)"
      echo "run-diff: firefox-esr $ff_old -> $ff_new" | tee -a "$out"
      unpack_deb "$(fetch_deb "firefox-esr=$ff_old")" "$work/ff_old"
      unpack_deb "$(fetch_deb "firefox-esr=$ff_new")" "$work/ff_new"
      file=libxul.so; [ "$pair" = omni ] && file=browser/omni.ja
      old="$work/ff_old/usr/lib/firefox-esr/$file"; new="$work/ff_new/usr/lib/firefox-esr/$file" ;;
    *) echo "unknown pair $pair" >&2; exit 2 ;;
  esac
  p="$work/$pair"
  mkdir -p "$p"
  full_xz=$(XZ_OPT="-T1 -7e" xz --compress --x86 --lzma2 --format=xz --check=crc64 --stdout "$new" | wc -c)
  rows=()
  # ours
  read -r t m < <(measure 3600 "$bin" diff "$old" "$new" "$p/ours.patch")
  "$bin" patch "$old" "$p/ours.patch" "$p/ours.out" && cmp -s "$p/ours.out" "$new" && ok=yes || ok=NO
  ours_raw=$(stat -c %s "$p/ours.patch")
  # The issue's measure (and mar-reference §6.4's): plain xz -7e. Mozilla's partial script names a
  # custom filter chain, which makes xz drop -7e for preset 6: that is what a partial carries.
  ours_xz=$(xz -T1 -7e --stdout "$p/ours.patch" | wc -c)
  ours_mozilla_xz=$(XZ_OPT="-T1 -7e" xz --compress --lzma2 --format=xz --check=crc64 --stdout "$p/ours.patch" | wc -c)
  ours_t=$t; ours_m=$m
  rows+=("| buildhub diff (MBDIFF10, xz -T1 -7e) | $t s | $((m / 1024)) MiB | $ours_xz | 1.00x | $ok |")
  # bsdiff
  r=$(measure "$bsdiff_timeout" bsdiff "$old" "$new" "$p/bsdiff.patch")
  if [ "$r" = timeout ]; then
    rows+=("| bsdiff 4.3 (BSDIFF40, bzip2) | > ${bsdiff_timeout} s (stopped) | | | > $(echo "$bsdiff_timeout / $ours_t" | bc -l | xargs printf '%.1f')x | |")
  else
    read -r t m <<< "$r"
    bspatch "$old" "$p/bsdiff.out" "$p/bsdiff.patch" && cmp -s "$p/bsdiff.out" "$new" && ok=yes || ok=NO
    rows+=("| bsdiff 4.3 (BSDIFF40, bzip2) | $t s | $((m / 1024)) MiB | $(stat -c %s "$p/bsdiff.patch") | $(echo "$t / $ours_t" | bc -l | xargs printf '%.1f')x | $ok |")
  fi
  # xdelta3
  read -r t m < <(measure 3600 xdelta3 -e -9 -S lzma -f -s "$old" "$new" "$p/xdelta.patch")
  xdelta3 -d -f -s "$old" "$p/xdelta.patch" "$p/xdelta.out" && cmp -s "$p/xdelta.out" "$new" && ok=yes || ok=NO
  rows+=("| xdelta3 -e -9 -S lzma | $t s | $((m / 1024)) MiB | $(stat -c %s "$p/xdelta.patch") | $(echo "$t / $ours_t" | bc -l | xargs printf '%.1f')x | $ok |")
  # zstd
  read -r t m < <(measure 3600 zstd -q -f --patch-from="$old" --ultra -19 --long=31 "$new" -o "$p/zstd.patch")
  zstd -q -d -f --patch-from="$old" --long=31 "$p/zstd.patch" -o "$p/zstd.out" && cmp -s "$p/zstd.out" "$new" && ok=yes || ok=NO
  rows+=("| zstd --patch-from --ultra -19 --long=31 | $t s | $((m / 1024)) MiB | $(stat -c %s "$p/zstd.patch") | $(echo "$t / $ours_t" | bc -l | xargs printf '%.1f')x | $ok |")
  {
    echo "## $pair: $(basename "$old") $(stat -c %s "$old") -> $(stat -c %s "$new") bytes (new file xz'd as a partial would: $full_xz)"
    echo
    echo "| tool | wall time | peak RSS | patch bytes | time / ours | applies back |"
    echo "|---|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "ours: MBDIFF10 $ours_raw bytes raw, $ours_xz after \`xz -T1 -7e\`, $ours_mozilla_xz after Mozilla's \`XZ_OPT=-7e xz --lzma2\` command (preset 6 in effect)."
    echo
  } >> "$out"
  rm -rf "$p"
done
cat "$out"
