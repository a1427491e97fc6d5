#!/usr/bin/env bash
# The project's Python venv (outside the clone): moto server, boto3, aws-cli.
set -euo pipefail
. "$(dirname "$0")/common.sh"

req="$LIGHTBOX_ROOT/scripts/requirements.txt"
stamp="$VENV_DIR/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
log "creating Python venv at $VENV_DIR"
python3 -m venv "$VENV_DIR"
"$VENV_DIR/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
