#!/usr/bin/env bash
# Peak RSS and client CPU of `lightbox push` (release build) uploading one 2 GiB file plus
# 200 x 25 MiB files to a fresh bucket on the local Garage. A figure, not a test.
#   bench/upload-rss.sh [WORK_DIR]     (default ~/.cache/lightbox/bench-upload; needs ~7.5 GB)
# Extra `lightbox push` flags can be passed in PUSH_FLAGS, e.g. PUSH_FLAGS="--concurrency 8".
. "$(dirname "$0")/lib.sh"
WORK=$(cd "$BENCH_CALLER_DIR" && realpath -m "${1:-$LIGHTBOX_CACHE/bench-upload}")
mkdir -p "$WORK/files"
bench_build lightbox-cli lightbox
BIN="$BENCH_BIN_DIR/lightbox"
scripts/stack.sh up >/dev/null
. "$LIGHTBOX_STACK_DIR/stack.env"

if [[ ! -f "$WORK/files/big-2GiB.cr3" ]]; then
  log "writing 1 x 2 GiB and 200 x 25 MiB random files"
  head -c 2G /dev/urandom > "$WORK/files/big-2GiB.cr3"
  for i in $(seq -w 1 200); do head -c 25M /dev/urandom > "$WORK/files/img-$i.jpg"; done
fi

# A fresh bucket, so every byte is uploaded (the stack's key may create buckets).
BUCKET="bench-rss-$(date +%s)"
"$VENV_DIR/bin/aws" --profile lightbox-garage s3 mb "s3://$BUCKET" >/dev/null

log "lightbox push of $(du -sh "$WORK/files" | cut -f1) into $BUCKET"
LIGHTBOX_STORAGE__BUCKET="$BUCKET" LIGHTBOX_STATE_DIR="$WORK/state" \
  /usr/bin/time -v "$BIN" push --json ${PUSH_FLAGS:-} "$WORK/files" \
  > "$WORK/push.jsonl" 2> "$WORK/push.time"
tail -n 1 "$WORK/push.jsonl"
grep -E "Maximum resident|Elapsed|User time|System time" "$WORK/push.time"
