#!/usr/bin/env bash
# Gallery benchmarks on the local Garage: full listing of 100,000 objects into the cache,
# the first page of 200 presigned thumbs from the cache (thumbnails vs vipsthumbnail:
# bench/thumbs.sh).
#   bench/gallery.sh [gallery-bench flags]     e.g. --objects 20000
# Writes bench/results/gallery.md and prints one JSON object. The first run seeds the bucket
# (marked by an object, reused afterwards).
. "$(dirname "$0")/lib.sh"
bench_build lightbox-bench gallery-bench
out=$(bench_out gallery)
"$BENCH_BIN_DIR/gallery-bench" --out "$out" "$@"
log "wrote $out"
