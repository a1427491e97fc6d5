#!/usr/bin/env bash
# The UI's end-to-end test: builds the frontend and the app, starts the local stack
# (or finds it running), and drives the real app window over WebDriver
# (tauri-driver + WebKitWebDriver) under Xvfb. Screenshots of every screen go to
# $LIGHTBOX_CACHE/test-output/e2e (outside the repository).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

"$LIGHTBOX_ROOT/scripts/install-e2e.sh"
[[ -x /usr/bin/WebKitWebDriver ]] || die "WebKitWebDriver is missing: run scripts/install-system.sh (Debian package webkit2gtk-driver)"
command -v xvfb-run >/dev/null || die "xvfb-run is missing: run scripts/install-system.sh (Debian package xvfb)"

log "building the UI and the app (debug)"
(cd ui && npm run --silent build)
# The workspace build of scripts/test.sh (nothing to do when it just ran): with
# tauri/custom-protocol, so the window loads the ui/dist embedded in the binary.
lint_while_building
cargo build "${WORKSPACE_CARGO_ARGS[@]}"

export LIGHTBOX_STACK_DIR
LIGHTBOX_STACK_DIR=$(scripts/stack.sh up)
export LIGHTBOX_APP_BIN="$CARGO_TARGET_DIR/debug/lightbox-app"
export TAURI_DRIVER_BIN LIGHTBOX_VENV_DIR="$VENV_DIR"
export LIGHTBOX_E2E_OUT="${LIGHTBOX_E2E_OUT:-$LIGHTBOX_CACHE/test-output/e2e}"
rm -rf "$LIGHTBOX_E2E_OUT" && mkdir -p "$LIGHTBOX_E2E_OUT"

log "driving the app window (screenshots in $LIGHTBOX_E2E_OUT)"
cd ui
# A 1280×800 screen; WebKitGTK draws in software under Xvfb.
xvfb-run -a -s "-screen 0 1280x800x24" \
  npx vitest run --config vitest.e2e.config.ts "$@"
