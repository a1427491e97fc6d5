#!/usr/bin/env bash
# The project's Python venv (outside the clone): moto server, boto3, aws-cli.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_venv "$VENV_DIR" "$LIGHTBOX_ROOT/scripts/requirements.txt"
