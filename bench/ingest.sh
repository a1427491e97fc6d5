#!/usr/bin/env bash
# Ingest benchmarks: reconciliation scan of 100k catalogued files, and peak memory
# while fingerprinting a 4 GiB file. Figures only (this machine is noisy); the table
# goes to bench/results/ingest.md.
#   bench/ingest.sh [WORK_DIR]     (default ~/.cache/lightbox/bench; needs ~4.5 GB)
# FINGERPRINT_FILE=PATH fingerprints an existing file instead of writing 4 GiB (e.g. the upload
# bench's 2 GiB file when disk space is short).
. "$(dirname "$0")/lib.sh"
WORK=$(cd "$BENCH_CALLER_DIR" && realpath -m "${1:-$LIGHTBOX_CACHE/bench}")
mkdir -p "$WORK"
bench_build lightbox-bench ingest-bench
BIN="$BENCH_BIN_DIR/ingest-bench"

log "scan: 100,000 catalogued files (first run creates them)"
/usr/bin/time -v "$BIN" scan --files 100000 "$WORK/scan" > "$WORK/scan.json" 2> "$WORK/scan.time"
cat "$WORK/scan.json"
grep -E "Maximum resident" "$WORK/scan.time"

BIG="${FINGERPRINT_FILE:-$WORK/4GiB.bin}"
if [[ ! -f "$BIG" ]]; then
  log "writing a 4 GiB file of random bytes"
  head -c 4G /dev/urandom > "$BIG"
fi
log "fingerprint: 4 GiB, peak RSS"
/usr/bin/time -v "$BIN" fingerprint "$BIG" > "$WORK/fp.json" 2> "$WORK/fp.time"
cat "$WORK/fp.json"
grep -E "Maximum resident" "$WORK/fp.time"
# 4 GiB of scratch is not worth keeping between runs (KEEP_BIG=1 keeps it).
[[ ${KEEP_BIG:-0} == 1 || -n ${FINGERPRINT_FILE:-} ]] || rm -f "$BIG"

out=$(bench_out ingest)
{ bench_stamp; echo; python3 - "$WORK"; } > "$out" <<'PY'
import json, re, sys
w = sys.argv[1]
rss = lambda f: int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{w}/{f}").read()).group(1)) / 1024
scan, fp = json.load(open(f"{w}/scan.json")), json.load(open(f"{w}/fp.json"))
print("| workload | figure | peak RSS MiB |\n|---|---:|---:|")
print(f"| rescan of {scan['files']:,} catalogued, unchanged files | {scan['rescan_s']:.2f} s | {rss('scan.time'):.1f} |")
print(f"| fingerprint (SHA-256 + CRC64NVME + EXIF) of {fp['bytes'] / 2**30:.0f} GiB, one streaming read | {fp['mb_per_s']:.0f} MB/s | {rss('fp.time'):.1f} |")
PY
log "wrote $out"
