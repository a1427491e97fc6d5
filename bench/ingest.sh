#!/usr/bin/env bash
# Ingest benchmarks: reconciliation scan of 100k catalogued files, and peak memory
# while fingerprinting a 4 GiB file. Figures only (this machine is noisy).
#   bench/ingest.sh [WORK_DIR]     (default ~/.cache/lightbox/bench; needs ~4.5 GB)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
WORK="${1:-$LIGHTBOX_CACHE/bench}"
mkdir -p "$WORK"
cargo build --release --quiet -p lightbox-bench
BIN="$CARGO_TARGET_DIR/release/ingest-bench"

log "scan: 100,000 catalogued files (first run creates them)"
/usr/bin/time -v "$BIN" scan --files 100000 "$WORK/scan" 2> "$WORK/scan.time"
grep -E "Maximum resident" "$WORK/scan.time"

BIG="$WORK/4GiB.bin"
if [[ ! -f "$BIG" ]]; then
  log "writing a 4 GiB file of random bytes"
  head -c 4G /dev/urandom > "$BIG"
fi
log "fingerprint: 4 GiB, peak RSS"
/usr/bin/time -v "$BIN" fingerprint "$BIG" 2> "$WORK/fp.time"
grep -E "Maximum resident" "$WORK/fp.time"
