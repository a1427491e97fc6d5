#!/usr/bin/env bash
# Every benchmark, then BENCHMARKS.md. Takes ~1-2 h and ~15 GB of scratch space under
# $LIGHTBOX_CACHE; not part of the test command (bench/tests/smoke.rs keeps the harnesses
# from rotting). Arguments go to bench/upload.sh (e.g. --rounds 2).
set -euo pipefail
cd "$(dirname "$0")"
./upload.sh "$@"
./limits.sh
./thumbs.sh
./latency.sh
./resume.sh
./gallery.sh
./ingest.sh
./scan-gaps.sh
./report.sh
