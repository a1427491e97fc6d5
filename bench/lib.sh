# What every bench/*.sh script starts with. Sourced, never run.
# shellcheck shell=bash
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
# Where the script was started, for paths given on its command line.
BENCH_CALLER_DIR="$PWD"
cd "$LIGHTBOX_ROOT"

# Benchmarks time release builds: a dev build keeps debug assertions in hot loops (hashing,
# JPEG decoding) and its figures mislead. BENCH_PROFILE=dev only tries a script quickly; every
# results file names the build it came from.
BENCH_PROFILE="${BENCH_PROFILE:-release}"
BENCH_BIN_DIR="$CARGO_TARGET_DIR/$([[ $BENCH_PROFILE == dev ]] && echo debug || echo "$BENCH_PROFILE")"
# The commit the figures belong to, for the "Written ... at commit ..." line that starts every
# results file (bench/report.sh quotes it). Results and BENCHMARKS.md themselves do not count
# as changes.
BENCH_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain --untracked-files=no -- . ':(exclude)bench/results' \
  ':(exclude)BENCHMARKS.md' 2>/dev/null)" ]]; then
  BENCH_COMMIT="$BENCH_COMMIT with uncommitted changes"
fi
export BENCH_PROFILE BENCH_COMMIT

# bench_build PACKAGE BIN...: build these binaries of PACKAGE in $BENCH_PROFILE; they land in
# $BENCH_BIN_DIR.
bench_build() {
  local package=$1 bins=() bin
  shift
  for bin in "$@"; do bins+=(--bin "$bin"); done
  cargo build --quiet --locked --profile "$BENCH_PROFILE" -p "$package" "${bins[@]}"
}

# bench_out NAME: the results file for NAME (BENCH_OUT overrides it), its folder created.
bench_out() {
  local out="${BENCH_OUT:-bench/results/$1.md}"
  mkdir -p "$(dirname "$out")"
  printf '%s' "$out"
}

# bench_stamp: the line a results file starts with (the Rust benches write the same line,
# `lightbox_bench::stamp`).
bench_stamp() {
  printf 'Written %s at commit %s (%s build).\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$BENCH_COMMIT" \
    "$BENCH_PROFILE"
}
