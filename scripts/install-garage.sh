#!/usr/bin/env bash
# Builds the pinned Garage S3 server from crates.io into the cache (once; ~15 min cold on 2 cores).
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [[ -x "$GARAGE_BIN" ]] && "$GARAGE_BIN" --version 2>/dev/null | grep -q "$GARAGE_VERSION"; then
  exit 0
fi
log "building garage $GARAGE_VERSION from crates.io into $GARAGE_ROOT (first run only, takes a while)"
# Only the sqlite metadata engine is needed for a single test node; leaving out
# lmdb, k2v and the metrics stack roughly halves the build.
CARGO_TARGET_DIR="$LIGHTBOX_CACHE/garage-build" \
  cargo install --locked --quiet garage --version "=$GARAGE_VERSION" \
  --no-default-features --features bundled-libs,sqlite --root "$GARAGE_ROOT"
rm -rf "$LIGHTBOX_CACHE/garage-build"
"$GARAGE_BIN" --version
