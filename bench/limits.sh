#!/usr/bin/env bash
# The physical limits beside the upload table: disk read (O_DIRECT), SHA-256 and CRC64-NVME
# per core, loopback TCP, and what Garage absorbs from s5cmd at 64 workers.
#   bench/limits.sh [limits-bench flags]     e.g. --workloads bulk --s5cmd-workers 32
# Writes bench/results/limits.md; reuses the upload datasets under $LIGHTBOX_CACHE/bench-upload.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
cd "$LIGHTBOX_ROOT"
"$LIGHTBOX_ROOT/scripts/install-bench-tools.sh"
profile="${BENCH_PROFILE:-release}"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
cargo build --quiet --locked --profile "$profile" -p lightbox-bench --bin limits-bench
s5cmd=$(ls "$BENCH_VENV_DIR"/lib/python3*/site-packages/s5cmd/bin/s5cmd)
mkdir -p bench/results
out="${BENCH_OUT:-bench/results/limits.md}"
"$CARGO_TARGET_DIR/$dir/limits-bench" --data "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-upload}" \
  --s5cmd "$s5cmd" --out "$out" "$@"
log "wrote $out"
