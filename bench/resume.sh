#!/usr/bin/env bash
# Bytes re-sent after SIGKILL in the middle of the 2 GiB upload, through the counting proxy,
# on the local Garage (the upload_crash test's measure, once, on the bench's file).
#   bench/resume.sh [resume-bench flags]     e.g. --kill-at 0.25
# Writes bench/results/resume.md.
. "$(dirname "$0")/lib.sh"
bench_build lightbox-cli lightbox
bench_build lightbox-bench resume-bench
out=$(bench_out resume)
"$BENCH_BIN_DIR/resume-bench" --lightbox "$BENCH_BIN_DIR/lightbox" \
  --data "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-upload}" --out "$out" "$@"
log "wrote $out"
