#!/usr/bin/env bash
# The daemon's release artifact for a server (infra/examples/server): a release build of
# the `lightbox` binary packed as dist/lightbox-<version>-<arch>-linux.tar.gz, with the
# binary at the top level (what the server's lightbox-install extracts), and its SHA-256
# in a .sha256 file next to it (the example's release_sha256). Publish the .tar.gz where
# the server can GET it over HTTPS (a release asset, or a presigned S3 URL) and pass that
# URL as release_url.
#
# The binary links the build machine's glibc: it runs on a server whose glibc is at least
# the newest symbol version it needs, which this script prints and checks against
# MIN_GLIBC (Amazon Linux 2023 has 2.34; override MIN_GLIBC for another server OS).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

MIN_GLIBC="${MIN_GLIBC:-2.34}"

log "package: cargo build --release --bin lightbox"
cargo build --release --locked --bin lightbox
bin="$CARGO_TARGET_DIR/release/lightbox"

needed=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
log "package: the binary needs glibc >= $needed (the server must have at least that; MIN_GLIBC=$MIN_GLIBC)"
if [[ "$(printf '%s\n%s\n' "$needed" "$MIN_GLIBC" | sort -V | tail -n1)" != "$MIN_GLIBC" ]]; then
  die "the binary needs glibc $needed, newer than MIN_GLIBC=$MIN_GLIBC: build on an older distribution (or set MIN_GLIBC for a newer server)"
fi

version=$("$bin" --version | awk '{print $2}')
name="lightbox-$version-$(uname -m)-linux"
mkdir -p dist
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$bin" "$stage/lightbox"
install -m 0644 sync-core/config.example.toml "$stage/config.example.toml"
# Owner, order and times fixed, so the same binary gives the same archive.
tar --create --owner=0 --group=0 --numeric-owner --mtime='@0' --sort=name \
  -C "$stage" lightbox config.example.toml | gzip -n > "dist/$name.tar.gz"
(cd dist && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
log "package: dist/$name.tar.gz"
cat "dist/$name.tar.gz.sha256"
