#!/usr/bin/env bash
# The venvs for infra/'s static checks (outside the clone): python-hcl2 + pytest
# for the HCL parse and the parity test, and checkov on its own (its bc-python-hcl2
# installs the same `hcl2` module as python-hcl2). Skipped when already current.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_venv "$INFRA_VENV_DIR" "$LIGHTBOX_ROOT/scripts/requirements-infra.txt"
ensure_venv "$CHECKOV_VENV_DIR" "$LIGHTBOX_ROOT/scripts/requirements-checkov.txt"
