#!/usr/bin/env bash
# Part completions while a folder of 100,000 files is scanned: the longest gap between two
# journalled parts of an upload to the local Garage, without a scan, during the first scan of
# the folder and during a rescan (issue #17: the catalog must never block the runtime; goal:
# the longest gap during a scan at most 2x the longest without one).
#   bench/scan-gaps.sh [scan-gaps-bench flags]     e.g. --files 20000 --bandwidth-mib 0
# Needs ~2.5 GB under $BENCH_DATA (default ~/.cache/lightbox/bench-scan-gaps), kept between
# runs. Writes bench/results/scan-gaps.md (BENCH_OUT overrides it).
. "$(dirname "$0")/lib.sh"
bench_build lightbox-bench scan-gaps-bench
out=$(bench_out scan-gaps)
"$BENCH_BIN_DIR/scan-gaps-bench" --work "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-scan-gaps}" \
  --out "$out" "$@"
log "wrote $out"
