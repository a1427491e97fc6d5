#!/usr/bin/env bash
# Every benchmark, then BENCHMARKS.md. Takes ~30-60 min and ~10 GB of scratch space
# under $LIGHTBOX_CACHE; not part of the test command (bench/tests/smoke.rs keeps the
# harness from rotting).
set -euo pipefail
cd "$(dirname "$0")"
./upload.sh "$@"
[[ -x ./gallery.sh ]] && ./gallery.sh
./ingest.sh
./report.sh
