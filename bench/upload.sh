#!/usr/bin/env bash
# Upload throughput: Lightbox next to s5cmd, rclone and aws-cli on the local Garage.
#   bench/upload.sh [upload-bench flags]     e.g. --workloads bulk --rounds 5
# Writes bench/results/upload.md (the table BENCHMARKS.md quotes). Needs ~8 GB under
# $LIGHTBOX_CACHE/bench-upload for all workloads.
. "$(dirname "$0")/lib.sh"
"$LIGHTBOX_ROOT/scripts/install-bench-tools.sh"
"$LIGHTBOX_ROOT/scripts/install-python.sh"
bench_build lightbox-cli lightbox
bench_build lightbox-bench upload-bench
s5cmd=$(ls "$BENCH_VENV_DIR"/lib/python3*/site-packages/s5cmd/bin/s5cmd)
out=$(bench_out upload)
"$BENCH_BIN_DIR/upload-bench" \
  --data "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-upload}" --out "$out" \
  --lightbox "$BENCH_BIN_DIR/lightbox" \
  --s5cmd "$s5cmd" --rclone "$BENCH_VENV_DIR/bin/rclone" --aws "$VENV_DIR/bin/aws" \
  "$@"
log "wrote $out"
