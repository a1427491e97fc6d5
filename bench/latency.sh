#!/usr/bin/env bash
# File-to-cloud latency of `lightbox run` on the local Garage: files renamed into a watched
# folder at 1 file/s, from the rename to the verified upload, next to the settle window, and
# where the time goes (the median of each step, from the daemon's event log).
#   bench/latency.sh [latency-bench flags]     e.g. --files 120 --file-mib 10
# Writes bench/results/latency.md.
. "$(dirname "$0")/lib.sh"
bench_build lightbox-cli lightbox
bench_build lightbox-bench latency-bench
out=$(bench_out latency)
"$BENCH_BIN_DIR/latency-bench" --lightbox "$BENCH_BIN_DIR/lightbox" \
  --work "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-latency}" --out "$out" "$@"
log "wrote $out"
