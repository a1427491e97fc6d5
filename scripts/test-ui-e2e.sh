#!/usr/bin/env bash
# The UI's end-to-end test: builds the frontend and the app, starts the local stack
# (or finds it running), and drives the real app window over WebDriver
# (tauri-driver + WebKitWebDriver) on a small desktop of the test's own
# (scripts/desktop-session.sh: Xvfb, D-Bus session, window manager, tray host, notification
# daemon). Screenshots of every screen go to $LIGHTBOX_CACHE/test-output/e2e (outside the
# repository); scripts/screenshots.sh turns the best into docs/screenshots/.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

"$LIGHTBOX_ROOT/scripts/install-e2e.sh"
[[ -x /usr/bin/WebKitWebDriver ]] || die "WebKitWebDriver is missing: run scripts/install-system.sh (Debian package webkit2gtk-driver)"
for tool in xvfb-run dbus-run-session xfwm4 xfce4-panel dunst xdotool wmctrl; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-system.sh"
done

log "building the UI and the app (debug)"
(cd ui && npm run --silent build)
# The workspace build of scripts/test.sh (nothing to do when it just ran): with
# tauri/custom-protocol, so the window loads the ui/dist embedded in the binary.
lint_while_building
cargo build "${WORKSPACE_CARGO_ARGS[@]}"

export LIGHTBOX_STACK_DIR
LIGHTBOX_STACK_DIR=$(scripts/stack.sh up)
export LIGHTBOX_APP_BIN="$CARGO_TARGET_DIR/debug/lightbox-app"
# The headless daemon, for the step where it owns the catalog the app opens.
export LIGHTBOX_CLI_BIN="$CARGO_TARGET_DIR/debug/lightbox"
export TAURI_DRIVER_BIN LIGHTBOX_VENV_DIR="$VENV_DIR"
export LIGHTBOX_E2E_OUT="${LIGHTBOX_E2E_OUT:-$LIGHTBOX_CACHE/test-output/e2e}"
rm -rf "$LIGHTBOX_E2E_OUT" && mkdir -p "$LIGHTBOX_E2E_OUT"

log "driving the app window (screenshots in $LIGHTBOX_E2E_OUT)"
cd ui
# WebKitGTK draws in software under Xvfb.
"$LIGHTBOX_ROOT/scripts/desktop-session.sh" npx vitest run --config vitest.e2e.config.ts "$@"
