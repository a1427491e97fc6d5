#!/usr/bin/env bash
# Bytes re-sent after SIGKILL in the middle of the 2 GiB upload, through the counting proxy,
# on the local Garage (the upload_crash test's measure, once, on the bench's file).
#   bench/resume.sh [resume-bench flags]     e.g. --kill-at 0.25
# Writes bench/results/resume.md. BENCH_PROFILE=dev skips the release build.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
cd "$LIGHTBOX_ROOT"
profile="${BENCH_PROFILE:-release}"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
cargo build --quiet --locked --profile "$profile" -p sync-core --bin lightbox
cargo build --quiet --locked --profile "$profile" -p lightbox-bench --bin resume-bench
mkdir -p bench/results
out="${BENCH_OUT:-bench/results/resume.md}"
"$CARGO_TARGET_DIR/$dir/resume-bench" --lightbox "$CARGO_TARGET_DIR/$dir/lightbox" \
  --data "${BENCH_DATA:-$LIGHTBOX_CACHE/bench-upload}" --out "$out" "$@"
log "wrote $out"
