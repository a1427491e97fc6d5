#!/usr/bin/env bash
# Gallery benchmarks on the local Garage: full listing of 100,000 objects into the cache,
# the first page of 200 presigned thumbs from the cache, thumbnails/s vs vipsthumbnail.
#   bench/gallery.sh [gallery-bench flags]     e.g. --objects 20000 --images 20
# Writes bench/results/gallery.md and prints one JSON object. The first run seeds the bucket
# (marked by an object, reused afterwards) and writes the 24 MP JPEGs under
# $LIGHTBOX_CACHE/bench-gallery (~0.5 GB). BENCH_PROFILE=dev skips the release build.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
cd "$LIGHTBOX_ROOT"
command -v vipsthumbnail >/dev/null || die "vipsthumbnail is missing: run scripts/install-system.sh"

profile="${BENCH_PROFILE:-release}"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
cargo build --quiet --locked --profile "$profile" -p lightbox-bench --bin gallery-bench
mkdir -p bench/results
out="${BENCH_OUT:-bench/results/gallery.md}"
"$CARGO_TARGET_DIR/$dir/gallery-bench" \
  --work "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-gallery}" --out "$out" "$@"
log "wrote $out"
