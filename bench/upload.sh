#!/usr/bin/env bash
# Upload throughput: Lightbox next to s5cmd, rclone and aws-cli on the local Garage.
#   bench/upload.sh [upload-bench flags]     e.g. --workloads bulk --rounds 5
# Writes bench/results/upload.md (the table BENCHMARKS.md quotes). Needs ~8 GB under
# $LIGHTBOX_CACHE/bench-upload for all workloads. BENCH_PROFILE=dev builds Lightbox
# without optimisations (the smoke test does, to spare a release build).
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
cd "$LIGHTBOX_ROOT"
"$LIGHTBOX_ROOT/scripts/install-bench-tools.sh"
"$LIGHTBOX_ROOT/scripts/install-python.sh"

profile="${BENCH_PROFILE:-release}"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
cargo build --quiet --locked --profile "$profile" -p sync-core --bin lightbox
cargo build --quiet --locked -p lightbox-bench --bin upload-bench
s5cmd=$(ls "$BENCH_VENV_DIR"/lib/python3*/site-packages/s5cmd/bin/s5cmd)
mkdir -p bench/results
out="${BENCH_OUT:-bench/results/upload.md}"
"$CARGO_TARGET_DIR/debug/upload-bench" \
  --data "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-upload}" --out "$out" \
  --lightbox "$CARGO_TARGET_DIR/$dir/lightbox" \
  --s5cmd "$s5cmd" --rclone "$BENCH_VENV_DIR/bin/rclone" --aws "$VENV_DIR/bin/aws" \
  "$@"
log "wrote $out"
