#!/usr/bin/env bash
# screenshots.sh [E2E_OUT]: turn the best screenshots of the last end-to-end run
# (scripts/test-ui-e2e.sh saves every screen and state in $LIGHTBOX_CACHE/test-output/e2e)
# into the small, cropped PNGs README.md shows (docs/screenshots/). libvips (libvips-tools,
# scripts/install-system.sh) crops, scales and quantises each to a 256-colour palette.
# Run it after an e2e run whose pictures you have looked at, then commit docs/screenshots/.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

from="${1:-${LIGHTBOX_E2E_OUT:-$LIGHTBOX_CACHE/test-output/e2e}}"
to=docs/screenshots
[[ -d $from ]] || die "no screenshots in $from: run scripts/test-ui-e2e.sh first"
mkdir -p "$to"

# shot SOURCE OUTPUT LEFT TOP WIDTH HEIGHT SCALE: crop SOURCE.png (pixels of the saved image:
# the window's 1200×800, or the whole 1440×1024 desktop for native dialogs and notifications),
# scale it, and save it as docs/screenshots/OUTPUT.png.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shot() {
  local src="$from/$1.png" out="$to/$2.png"
  [[ -f $src ]] || die "$src is missing: did the e2e run reach that step?"
  vips crop "$src" "$tmp/crop.v" "$3" "$4" "$5" "$6"
  vips resize "$tmp/crop.v" "$tmp/small.v" "$7"
  vips pngsave "$tmp/small.v" "$out" --compression 9 --palette --Q 90 --strip
  log "$out: $(vipsheader -f width "$out")×$(vipsheader -f height "$out"), $(($(stat -c %s "$out") / 1024)) KiB"
}

shot app-07-activity-speed-limit activity-uploading 0 0 1200 300 0.7
shot app-06-activity-failed activity-failed 0 0 1200 300 0.7
shot app-10-gallery gallery 0 0 1200 480 0.6
shot app-11-viewer viewer 0 0 1200 800 0.45
shot app-12-delete-confirm delete-confirm 300 280 600 240 0.8
shot app-06a-failed-notification notification-and-tray 0 0 1440 250 0.6
shot app-04a-folder-picker folder-picker 0 0 1280 940 0.45
shot app-02-new-password sign-in-new-password 355 120 490 560 0.7
shot settings-02-saved settings 0 0 1200 800 0.5
shot roles-03-daemon-banner daemon-banner 0 0 1200 380 0.6
