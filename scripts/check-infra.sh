#!/usr/bin/env bash
# Static checks of infra/ (no terraform init: providers cannot be downloaded here):
#   1. every .tf parses (python-hcl2), every variable has a type and a description,
#      the parity test: infra/ and scripts/provision.py's SPEC agree, and the index
#      contract test: docs/index.md's requests against a moto server it starts itself
#      (the project's launcher, from the moto venv; no Garage, no stack) (pytest);
#   2. the role and bucket policies, rendered from the HCL, evaluated for 35 requests with
#      a real IAM evaluator (npm @cloud-copilot/iam-simulate), with mutations (pytest);
#   3. checkov on infra/: 0 failed checks (each skip is justified inline);
#   4. `terraform fmt -check -recursive`, when a terraform binary is on PATH.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

scripts/install-infra-tools.sh
scripts/install-python.sh

log "infra: HCL parse, variables, parity with scripts/provision.py, index contract on moto (pytest)"
LIGHTBOX_MOTO_PYTHON="$VENV_DIR/bin/python" \
  "$INFRA_VENV_DIR/bin/python" -m pytest -q -p no:cacheprovider infra/tests --ignore=infra/tests/test_policy_evaluation.py

log "infra: role and bucket policies rendered from modules/storage, evaluated with iam-simulate"
"$INFRA_VENV_DIR/bin/python" -m pytest -q -p no:cacheprovider infra/tests/test_policy_evaluation.py

log "infra: checkov"
# --skip-download: no policy download from the vendor's platform (no network here).
"$CHECKOV_VENV_DIR/bin/checkov" --directory infra --framework terraform --compact --quiet --skip-download \
  || die "checkov found failed checks in infra/ (above): fix them, or skip one inline with #checkov:skip=ID:reason"

if command -v terraform >/dev/null 2>&1; then
  log "infra: terraform fmt -check -recursive"
  # An empty CLI config: no warning about a missing ~/.terraformrc.
  TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive infra \
    || die "infra/ is not formatted: run terraform fmt -recursive infra"
else
  log "infra: no terraform binary on PATH: terraform fmt -check skipped (HCL parse and checkov ran)"
fi
