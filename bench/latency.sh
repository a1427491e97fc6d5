#!/usr/bin/env bash
# File-to-cloud latency of `lightbox run` on the local Garage: files renamed into a watched
# folder at 1 file/s, from the rename to the verified upload, next to the settle window.
#   bench/latency.sh [latency-bench flags]     e.g. --files 120 --file-mib 10
# Writes bench/results/latency.md. BENCH_PROFILE=dev skips the release build.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
cd "$LIGHTBOX_ROOT"
profile="${BENCH_PROFILE:-release}"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
cargo build --quiet --locked --profile "$profile" -p sync-core --bin lightbox
cargo build --quiet --locked --profile "$profile" -p lightbox-bench --bin latency-bench
mkdir -p bench/results
out="${BENCH_OUT:-bench/results/latency.md}"
"$CARGO_TARGET_DIR/$dir/latency-bench" --lightbox "$CARGO_TARGET_DIR/$dir/lightbox" \
  --work "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-latency}" --out "$out" "$@"
log "wrote $out"
