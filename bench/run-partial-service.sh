#!/usr/bin/env bash
# The issue-16 benchmark: the partial service on loopback (bench/partial_service_bench.py says
# what is measured), on complete MARs of Debian's firefox-esr, the oldest 140.x and the newest
# version the registry offers (resolved at run time and printed; made by
# tests/support/firefox_mars.py and cached in bench/out/cache). Writes bench/out/partial-service.md.
#
# Usage: bench/run-partial-service.sh   (LOCALES=N changes the 20 locales)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$repo_root/build/release/src/buildhub"
work="$(mktemp -d "${TMPDIR:-/tmp}/bh-partial-service-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$repo_root/bench/out"

mapfile -t mars < <(python3 "$repo_root/tests/support/firefox_mars.py" "$work/trees" "$bin")
echo "run-partial-service: ${mars[0]}"
python3 "$repo_root/bench/partial_service_bench.py" "$bin" "${mars[1]}" "${mars[2]}" "${mars[0]}" \
  "$repo_root/bench/out/partial-service.md" --locales "${LOCALES:-20}"
