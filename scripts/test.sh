#!/usr/bin/env bash
# Every test: formatting, lints (Rust, Markdown), Rust unit and end-to-end tests against the local
# stack, the UI's type check and unit tests, the app window driven over WebDriver
# (scripts/test-ui-e2e.sh), and the generated-bindings check.
# The first run on a fresh machine installs everything (see scripts/setup.sh).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

step() { STEP_START=$SECONDS; log "▶ $*"; }
done_step() { log "  done in $((SECONDS - STEP_START)) s"; }

step "setup (installs only what is missing)"
scripts/setup.sh
done_step

started_stack=0
if ! scripts/stack.sh status 2>/dev/null; then started_stack=1; fi
cleanup() { if ((started_stack)); then scripts/stack.sh down || true; fi; }
trap cleanup EXIT

step "cargo fmt --check"
cargo fmt --all --check
done_step

step "no new module import cycle in the engine crate (scripts/module_cycles.py)"
python3 scripts/module_cycles.py sync-core/src --allow scripts/module_cycles.allow
done_step

step "Markdown: markdownlint-cli2 and the render check, every file"
scripts/check-markdown.sh
done_step

step "infra/: HCL parse, parity with the local provisioning, checkov, terraform fmt"
scripts/check-infra.sh
done_step

step "advisories: Cargo.lock (cargo-deny, RustSec) and the npm lock files (npm audit)"
scripts/check-advisories.sh
done_step

step "UI: build, type check, unit tests"
(cd ui && npm run --silent build && npm run --silent check && npm test --silent)
done_step

# Before the build below: its `cargo build` links this checkout's `lightbox` again over the
# old one (both land on target/debug/lightbox), and the old sources are not linted.
step "the previous release's lightbox, for the upgrade test (built once per commit, cached)"
LIGHTBOX_PREVIOUS_RELEASE_BIN="$(scripts/build-previous-release.sh --no-relink)"
export LIGHTBOX_PREVIOUS_RELEASE_BIN
done_step

# One build of everything, linted by clippy as it compiles (scripts/common.sh); the tests,
# the app's end-to-end test and the bindings check use it as it is.
lint_while_building

step "build and clippy, warnings denied (workspace, including the Tauri shell)"
cargo build "${WORKSPACE_CARGO_ARGS[@]}"
done_step

step "local stack (moto + Garage)"
scripts/stack.sh up >/dev/null
done_step

step "IAM enforced by the local stack: staff, daemon and admin credentials (boto3, aws-cli)"
scripts/test-iam-enforcement.sh
done_step

step "Rust tests (nextest): unit, CLI and end-to-end against the local stack"
# The app's own code is tested through its window (next step); filtering it out here, rather
# than `--exclude`, keeps the build above as it is.
cargo nextest run "${WORKSPACE_CARGO_ARGS[@]}" --profile ci -E 'not package(lightbox-app)'
done_step

step "UI end-to-end: the app window over WebDriver (Xvfb) against the local stack"
scripts/test-ui-e2e.sh
done_step

step "generated TypeScript bindings are committed and current"
if [[ -n "$(git status --porcelain -- ui/src/lib/bindings)" ]]; then
  git status --porcelain -- ui/src/lib/bindings
  die "ui/src/lib/bindings is stale: the Rust IPC types changed. Run scripts/test.sh (it regenerates them) and commit ui/src/lib/bindings"
fi
done_step
log "all tests passed in $SECONDS s"
