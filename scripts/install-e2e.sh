#!/usr/bin/env bash
# tauri-driver, the WebDriver server that starts the desktop app for the UI's
# end-to-end test and forwards to Debian's WebKitWebDriver (scripts/install-system.sh).
# Built once from crates.io into the cache, then skipped.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [[ -x "$TAURI_DRIVER_BIN" ]] && [[ -f "$TAURI_DRIVER_ROOT/.version" ]] &&
  [[ "$(cat "$TAURI_DRIVER_ROOT/.version")" == "$TAURI_DRIVER_VERSION" ]]; then
  exit 0
fi
log "building tauri-driver $TAURI_DRIVER_VERSION from crates.io into $TAURI_DRIVER_ROOT (first run only, ~2 min)"
CARGO_TARGET_DIR="$LIGHTBOX_CACHE/tauri-driver-build" \
  cargo install --locked --quiet --force tauri-driver --version "=$TAURI_DRIVER_VERSION" --root "$TAURI_DRIVER_ROOT"
rm -rf "$LIGHTBOX_CACHE/tauri-driver-build"
echo "$TAURI_DRIVER_VERSION" > "$TAURI_DRIVER_ROOT/.version"
