#!/usr/bin/env bash
# Gallery benchmarks on the local Garage: full listing of 100,000 objects into the cache,
# the first page of 200 presigned thumbs from the cache (thumbnails vs vipsthumbnail:
# bench/thumbs.sh).
#   bench/gallery.sh [gallery-bench flags]     e.g. --objects 20000
# Writes bench/results/gallery.md and prints one JSON object. The first run seeds the bucket
# (marked by an object, reused afterwards). BENCH_PROFILE=dev skips the release build.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
cd "$LIGHTBOX_ROOT"

profile="${BENCH_PROFILE:-release}"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
cargo build --quiet --locked --profile "$profile" -p lightbox-bench --bin gallery-bench
mkdir -p bench/results
out="${BENCH_OUT:-bench/results/gallery.md}"
"$CARGO_TARGET_DIR/$dir/gallery-bench" --out "$out" "$@"
log "wrote $out"
