#!/usr/bin/env bash
# The venvs for infra/'s checks (outside the clone): python-hcl2 + pytest for the HCL
# parse, the parity test and the policy evaluation, and checkov on its own (its bc-python-hcl2
# installs the same `hcl2` module as python-hcl2). Skipped when already current.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_venv "$INFRA_VENV_DIR" "$LIGHTBOX_ROOT/scripts/requirements-infra.txt"
ensure_venv "$CHECKOV_VENV_DIR" "$LIGHTBOX_ROOT/scripts/requirements-checkov.txt"
# The IAM policy evaluator (npm @cloud-copilot/iam-simulate, pinned in its package-lock.json).
npm_packages "$LIGHTBOX_ROOT/infra/tests/iam" "the IAM policy evaluator (infra/tests/iam)"
