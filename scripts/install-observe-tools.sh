#!/usr/bin/env bash
# What scripts/metrics-preview.sh needs: Prometheus from Debian (pinned), and matplotlib in a
# venv of its own (scripts/requirements-observe.txt). Not part of setup.sh: no test needs them.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [[ "$(dpkg-query -W -f='${Version}' prometheus 2>/dev/null)" != "$PROMETHEUS_DEB_VERSION" ]]; then
  SUDO=""; [[ $EUID -eq 0 ]] || SUDO="sudo"
  log "installing Debian's prometheus $PROMETHEUS_DEB_VERSION"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "prometheus=$PROMETHEUS_DEB_VERSION" >/dev/null
fi
ensure_venv "$OBSERVE_VENV_DIR" "$LIGHTBOX_ROOT/scripts/requirements-observe.txt"
