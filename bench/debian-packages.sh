# Sourced by the benchmarks that work on real Debian packages (run-mar.sh, run-diff.sh).
# Downloaded .debs are kept in bench/out/cache, so a second run needs no network.

bench_deb_cache="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/out/cache"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# fetch_deb package=version -> prints the path of the cached .deb, downloading it first if needed
# (with an apt-get update when the package lists are stale).
fetch_deb() {
  local name="${1%%=*}" version="${1#*=}" deb
  mkdir -p "$bench_deb_cache"
  deb="$(ls "$bench_deb_cache/${name}_${version//:/%3a}_"*.deb 2>/dev/null | sed -n 1p || true)"
  if [ -z "$deb" ]; then
    ( cd "$bench_deb_cache" && apt-get download "$1" >/dev/null 2>&1 ) ||
      { as_root apt-get update -qq; ( cd "$bench_deb_cache" && apt-get download "$1" >/dev/null ); }
    deb="$(ls "$bench_deb_cache/${name}_${version//:/%3a}_"*.deb | sed -n 1p)"
  fi
  echo "$deb"
}

# unpack_deb DEB DIR: the package's files under DIR (once).
unpack_deb() {
  [ -d "$2" ] || { mkdir -p "$2"; dpkg-deb -x "$1" "$2"; }
}

# Registries move (a security update replaces a version), so benchmarks name no version: they ask
# what the registry offers now and print what they used.
# available_versions PACKAGE -> every version the registry offers, oldest first
available_versions() {
  local versions
  versions="$(apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -u)"
  if [ -z "$versions" ]; then
    as_root apt-get update -qq
    versions="$(apt-cache madison "$1" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -u)"
  fi
  # Debian's own ordering (epochs, ~, +), by insertion with dpkg --compare-versions.
  local sorted=() v i
  for v in $versions; do
    i=${#sorted[@]}
    while [ "$i" -gt 0 ] && dpkg --compare-versions "${sorted[$((i - 1))]}" gt "$v"; do
      sorted[$i]="${sorted[$((i - 1))]}"; i=$((i - 1))
    done
    sorted[$i]="$v"
  done
  printf '%s\n' "${sorted[@]}"
}
# sed, not head: head exits after one line and the writer's SIGPIPE fails the pipeline under
# `set -o pipefail` whenever the list is long enough to be written in more than one piece.
oldest_version() { available_versions "$1" | sed -n 1p; }
newest_version() { available_versions "$1" | tail -1; }
