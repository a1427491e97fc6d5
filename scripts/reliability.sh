#!/usr/bin/env bash
# The fault suite's long form (docs/reliability.md): 100 SIGKILLs of `lightbox run` aimed at
# every phase, 1,000 injected network faults, each followed by the end-state check from
# outside; then the figures, date and machine go into RELIABILITY.md.
#   scripts/reliability.sh                 # long form
#   LIGHTBOX_RELIABILITY=short scripts/reliability.sh   # the short form (what CI runs), same report
#   LIGHTBOX_RELIABILITY_SEED=N scripts/reliability.sh  # replay a seed
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

export LIGHTBOX_RELIABILITY="${LIGHTBOX_RELIABILITY:-long}"
OUT="$(mktemp -d)"
export LIGHTBOX_RELIABILITY_OUT="$OUT"

# Only what the suite needs: the Python venv (moto, boto3, aws-cli), Garage, cargo-nextest.
scripts/install-python.sh
scripts/install-garage.sh
if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked --quiet cargo-nextest
fi
started_stack=0
if ! scripts/stack.sh status >/dev/null 2>&1; then started_stack=1; fi
cleanup() { if ((started_stack)); then scripts/stack.sh down || true; fi; rm -rf "$OUT"; }
trap cleanup EXIT
scripts/stack.sh up >/dev/null

# The upgrade test's previous release, built once per commit and cached (before the suite:
# its build shares the target directory with the binary under test).
LIGHTBOX_PREVIOUS_RELEASE_BIN="$(scripts/build-previous-release.sh --no-relink)"
export LIGHTBOX_PREVIOUS_RELEASE_BIN

log "fault suite, $LIGHTBOX_RELIABILITY form (figures in $OUT)"
START=$SECONDS
status=0
cargo nextest run -p lightbox-cli --locked --profile reliability \
  --no-capture --run-ignored all -E 'test(/^reliability::/)' || status=$?
log "fault suite finished in $((SECONDS - START)) s (exit $status)"

"$VENV_DIR/bin/python" scripts/reliability_report.py "$OUT" RELIABILITY.md "$status" "$((SECONDS - START))"
log "RELIABILITY.md updated"
exit "$status"
