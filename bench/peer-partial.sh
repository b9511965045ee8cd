#!/usr/bin/env bash
# The peer of `buildhub partial` in bench/run-partial.sh: the partial-update rules done file by
# file with stock tools, one file after another, as Mozilla's shell pipeline works. It stands in
# for make_incremental_update.sh + mbsdiff, which Debian does not package: Debian's bsdiff 4.3
# (the same matcher family as mbsdiff) makes each patch, xz compresses the patch (LZMA2 preset 6,
# CRC64, no BCJ) and the full file (with --x86), the smaller one is kept (ties go to the full
# file), and `buildhub mar -c` packs the result. The patches are BSDIFF40, which the updater does
# not apply: this measures the time and the sizes of the pipeline, not a usable partial. The
# removed-files and vanished-directory lines cost nothing to write and are left out.
#
# Usage: bench/peer-partial.sh FROM_DIR TO_DIR OUT.mar CHANNEL VERSION BUILDHUB
# Prints one "path<TAB>patch|add<TAB>patch_xz<TAB>full_xz" line per changed file on stderr.
set -euo pipefail
from="$1" to="$2" out="$3" channel="$4" version="$5" buildhub="$6"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-peer-XXXXXX")"
trap 'rm -rf "$work"' EXIT
xz_patch() { xz -T1 --compress --lzma2 --format=xz --check=crc64 --stdout "$1"; }
xz_full() { xz -T1 --compress --x86 --lzma2 --format=xz --check=crc64 --stdout "$1"; }

list() { (cd "$1" && find . -type f ! -name update.manifest ! -name updatev2.manifest ! -name updatev3.manifest | sed 's|^\./||' | LC_ALL=C sort -r); }
mapfile -t old_files < <(list "$from")
mapfile -t new_files < <(list "$to")
declare -A in_old=()
for f in "${old_files[@]}"; do in_old["$f"]=1; done

manifest="$work/updatev3.manifest"
echo 'type "partial"' > "$manifest"
archive=(updatev3.manifest)
removes=()
is_add_if_not() { case "$(basename "$1")" in channel-prefs.js|update-settings.ini) return 0 ;; esac; return 1; }
is_forced() { case "$1" in precomplete|removed-files|Contents/Resources/precomplete|Contents/Resources/removed-files|Contents/CodeResources|Contents/MacOS/firefox|*.chk) return 0 ;; esac; return 1; }
ship_full() {
  mkdir -p "$(dirname "$work/$1")"
  xz_full "$to/$1" > "$work/$1"
  if [ -x "$to/$1" ]; then chmod 0755 "$work/$1"; else chmod 0644 "$work/$1"; fi
  archive+=("$1")
}
for f in "${old_files[@]}"; do
  if [ ! -f "$to/$f" ]; then removes+=("$f"); continue; fi
  if is_add_if_not "$f"; then ship_full "$f"; echo "add-if-not \"$f\" \"$f\"" >> "$manifest"; continue; fi
  if is_forced "$f"; then ship_full "$f"; echo "add \"$f\"" >> "$manifest"; continue; fi
  cmp -s "$from/$f" "$to/$f" && continue
  mkdir -p "$(dirname "$work/$f")"
  bsdiff "$from/$f" "$to/$f" "$work/$f.raw-patch"
  xz_patch "$work/$f.raw-patch" > "$work/$f.patch"
  rm -f "$work/$f.raw-patch"
  ship_full "$f"
  unset 'archive[${#archive[@]}-1]'
  patch_size=$(stat -c %s "$work/$f.patch")
  full_size=$(stat -c %s "$work/$f")
  if [ "$patch_size" -lt "$full_size" ]; then
    echo "patch \"$f.patch\" \"$f\"" >> "$manifest"; archive+=("$f.patch"); rm -f "$work/$f"; decision=patch
  else
    echo "add \"$f\"" >> "$manifest"; archive+=("$f"); rm -f "$work/$f.patch"; decision=add
  fi
  printf '%s\t%s\t%s\t%s\n' "$f" "$decision" "$patch_size" "$full_size" >&2
done
for f in "${new_files[@]}"; do
  [ -n "${in_old[$f]:-}" ] && continue
  ship_full "$f"
  if is_add_if_not "$f"; then echo "add-if-not \"$f\" \"$f\"" >> "$manifest"; else echo "add \"$f\"" >> "$manifest"; fi
done
for f in "${removes[@]}"; do echo "remove \"$f\"" >> "$manifest"; done
xz_full "$manifest" > "$manifest.xz" && mv "$manifest.xz" "$manifest"
"$buildhub" mar -H "$channel" -V "$version" -C "$work" -c "$(realpath -m "$out")" "${archive[@]}"
