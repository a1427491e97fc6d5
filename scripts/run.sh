#!/usr/bin/env bash
# The main job on the local stack: install what is missing, start moto + Garage,
# build `lightbox`, and run it as a daemon watching ./demo (drop photos in there).
# Ctrl-C stops the daemon and the stack this script started.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

scripts/setup.sh
started_stack=0
scripts/stack.sh status 2>/dev/null || started_stack=1
cleanup() {
  if ((started_stack)); then scripts/stack.sh down || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/stack.sh up >/dev/null
eval "$(scripts/stack.sh env)"
bin=$(build_lightbox)
DEMO="${LIGHTBOX_DEMO_DIR:-$LIGHTBOX_ROOT/demo}"
mkdir -p "$DEMO"
log "config: $LIGHTBOX_CONFIG (bucket lightbox-dev on the local Garage)"
log "try:    aws --profile lightbox-garage s3 ls --recursive s3://lightbox-dev/   (after: eval \"\$(scripts/stack.sh env)\")"
"$bin" run --folder "$DEMO"
