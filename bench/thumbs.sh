#!/usr/bin/env bash
# Thumbnails per CPU second: Lightbox's preview code vs vipsthumbnail (one core each) on
# photo-like 24 MP JPEGs, alternating rounds.
#   bench/thumbs.sh [thumb-bench race flags]     e.g. --images 100 --rounds 3
# Writes bench/results/thumbs.md. The default is issue #9's 500 photos; --images N races the
# first N of them. The first run writes the JPEGs under $LIGHTBOX_CACHE/bench-thumbs
# (500 × ~7 MB, 3.4 GB; 34 min of wall time on both cores of a loaded 2-core machine), later
# runs reuse them. BENCH_PROFILE=dev skips the release build.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
cd "$LIGHTBOX_ROOT"
command -v vipsthumbnail >/dev/null || die "vipsthumbnail is missing: run scripts/install-system.sh"

profile="${BENCH_PROFILE:-release}"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
cargo build --quiet --locked --profile "$profile" -p lightbox-bench --bin thumb-bench
mkdir -p bench/results
out="${BENCH_OUT:-bench/results/thumbs.md}"
"$CARGO_TARGET_DIR/$dir/thumb-bench" race \
  --work "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-thumbs}" --out "$out" "$@"
log "wrote $out"
