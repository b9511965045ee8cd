#!/usr/bin/env bash
# Archive-sync benchmark (issue 14), against a local s3rver and fauxqs on 127.0.0.1, side by side
# with Debian's awscli on the same bucket in the same run:
#   (on s3rver, and again on fauxqs's in-memory S3)
#   listing    keys/s: `buildhub backfill --dry-run` vs `aws s3api list-objects-v2` (pages of 1,000)
#   downloads  buildhub.json objects/s on a bucket holding just them: `buildhub backfill`
#              (list + download + validate + store) vs `aws s3 cp --recursive` (list + download);
#              and the whole bucket: `buildhub backfill` vs
#              `aws s3 cp --recursive --exclude "*" --include "*buildhub.json"`
#   daemon     S3 events/s end to end (event sent -> record searchable) through `serve --queue`
# Prints a Markdown report (also written to bench/out/sync.md).
# Usage: bench/run-sync.sh [KEYS] [MESSAGES]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -x /usr/bin/aws ] || command -v aws >/dev/null || { echo "run-sync: awscli missing: scripts/install-deps --bench"; exit 1; }
mkdir -p "$repo_root/bench/out"
exec python3 "$repo_root/bench/sync_bench.py" "${1:-100000}" "${2:-10000}" "$repo_root/bench/out/sync.md"
