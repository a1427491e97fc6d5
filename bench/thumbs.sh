#!/usr/bin/env bash
# Thumbnails per CPU second: Lightbox's preview code vs vipsthumbnail (one core each) on
# photo-like 24 MP JPEGs, alternating rounds.
#   bench/thumbs.sh [thumb-bench race flags]     e.g. --images 100 --rounds 3
# Writes bench/results/thumbs.md. The default is issue #9's 500 photos; --images N races the
# first N of them. The first run writes the JPEGs under $LIGHTBOX_CACHE/bench-thumbs
# (500 × ~7 MB, 3.4 GB; 34 min of wall time on both cores of a loaded 2-core machine), later
# runs reuse them. BENCH_PROFILE=dev skips the release build.
. "$(dirname "$0")/lib.sh"
command -v vipsthumbnail >/dev/null || die "vipsthumbnail is missing: run scripts/install-system.sh"
bench_build lightbox-bench thumb-bench
out=$(bench_out thumbs)
"$BENCH_BIN_DIR/thumb-bench" race \
  --work "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-thumbs}" --out "$out" "$@"
log "wrote $out"
