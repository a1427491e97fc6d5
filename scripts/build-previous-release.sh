#!/usr/bin/env bash
# The `lightbox` binary of the previous release, for the upgrade test
# (cli/tests/it/reliability/upgrade.rs): built once per commit into the shared target
# directory (so the dependencies it has in common with this checkout are reused, not built
# again) and cached at $LIGHTBOX_CACHE/releases/<commit>/lightbox. Prints that path.
#   scripts/build-previous-release.sh [--no-relink] [REF]   (REF: $PREVIOUS_RELEASE, else v0.1.0)
# v0.1.0 is pinned to its commit below, because a clone of main alone (as CI makes) has the
# commit but not the tag. Both builds' binaries land on
# $CARGO_TARGET_DIR/debug/lightbox: after building the old one, this checkout's is linked
# back by a `cargo build` of it, unless --no-relink (the caller builds next anyway, as
# scripts/test.sh and scripts/reliability.sh do: cargo links a fresh binary again).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

relink=1
if [[ "${1:-}" == --no-relink ]]; then
  relink=0
  shift
fi
ref="${1:-${PREVIOUS_RELEASE:-v0.1.0}}"
# The release tag and its commit: a tag can be missing from a clone, its commit cannot
# (it is an ancestor of main), unless the clone is shallow.
V0_1_0_COMMIT=791e14dc9ec6645136d44994e0468c9b65d8a33c
commit=$(git rev-parse --verify --quiet "$ref^{commit}") || {
  [[ "$ref" == v0.1.0 ]] && commit=$(git rev-parse --verify --quiet "$V0_1_0_COMMIT^{commit}")
} || {
  # A shallow clone: ask its origin for that one commit.
  [[ "$ref" == v0.1.0 ]] && [[ "$(git rev-parse --is-shallow-repository)" == true ]] \
    && log "this clone is shallow: fetching $ref ($V0_1_0_COMMIT) from origin" \
    && git fetch --quiet --depth=1 origin "$V0_1_0_COMMIT" \
    && commit=$(git rev-parse --verify --quiet "$V0_1_0_COMMIT^{commit}")
} || die "no commit for $ref in this clone: fetch the tags (git fetch --tags), deepen a shallow clone (git fetch --unshallow), or pass a commit"
cache="$LIGHTBOX_CACHE/releases/$commit"
if [[ -x "$cache/lightbox" ]]; then
  echo "$cache/lightbox"
  exit 0
fi

log "building lightbox of $ref ($commit) into $CARGO_TARGET_DIR (cached at $cache)"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
git archive "$commit" | tar -x -C "$src"
# Cargo names a workspace crate's outputs by its name, version and path in the workspace,
# so the old `sync-core` would take the place of this checkout's in the shared target
# directory (and a later build could even take the old one for fresh). Another version
# gives the old crates names of their own; the dependencies keep theirs and are reused.
# The lock file follows (offline: nothing else in it changes).
sed -i '0,/^version = "\(.*\)"$/s//version = "\1-previous"/' "$src/Cargo.toml"
grep -q -- '-previous"$' "$src/Cargo.toml" || die "no [workspace.package] version to change in $ref's Cargo.toml"
# The old sources are not linted: clippy's warnings of a released commit are history.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
(cd "$src" && cargo build --offline --quiet --bin lightbox --message-format=json) > "$src/.build.json"
exe=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] == "lightbox":
        print(msg["executable"])
' "$src/.build.json")
[[ -x "$exe" ]] || die "the build of $ref printed no lightbox executable"
mkdir -p "$cache"
cp "$exe" "$cache/lightbox.partial"
mv "$cache/lightbox.partial" "$cache/lightbox"
if ((relink)); then
  cargo build --quiet -p lightbox-cli --bin lightbox
fi
echo "$cache/lightbox"
