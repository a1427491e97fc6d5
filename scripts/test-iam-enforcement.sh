#!/usr/bin/env bash
# The local stack enforces the roles from infra/: staff, daemon and admin credentials (the
# identity pool's, as the app gets them) used with boto3 and aws-cli against moto with IAM
# enforcement on (tests/iam_enforcement.py). Starts the stack if it is not up.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

scripts/stack.sh up >/dev/null
LIGHTBOX_STACK_DIR="$LIGHTBOX_STACK_DIR" "$VENV_DIR/bin/python" tests/iam_enforcement.py
