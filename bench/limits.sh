#!/usr/bin/env bash
# The physical limits beside the upload table: disk read (O_DIRECT), SHA-256 and CRC64-NVME
# per core (timed in this process, so only a release build's figures mean anything), loopback
# TCP, and what Garage absorbs from s5cmd at 64 workers.
#   bench/limits.sh [limits-bench flags]     e.g. --workloads bulk --s5cmd-workers 32
# Writes bench/results/limits.md; reuses the upload datasets under $LIGHTBOX_CACHE/bench-upload.
. "$(dirname "$0")/lib.sh"
"$LIGHTBOX_ROOT/scripts/install-bench-tools.sh"
bench_build lightbox-bench limits-bench
s5cmd=$(ls "$BENCH_VENV_DIR"/lib/python3*/site-packages/s5cmd/bin/s5cmd)
out=$(bench_out limits)
"$BENCH_BIN_DIR/limits-bench" --data "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-upload}" \
  --s5cmd "$s5cmd" --out "$out" "$@"
log "wrote $out"
