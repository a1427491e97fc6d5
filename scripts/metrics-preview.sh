#!/usr/bin/env bash
# A picture of docs/grafana/lightbox.json against a real daemon run, on this machine:
#   1. installs Prometheus (Debian) and matplotlib (scripts/install-observe-tools.sh);
#   2. starts the local stack (scripts/stack.sh) and builds `lightbox` (debug);
#   3. runs `lightbox run` on a fresh folder and state dir, serving /metrics on loopback;
#   4. runs Prometheus scraping it every second;
#   5. drops BATCHES batches of FILES_PER_BATCH generated JPEGs into the folder, one batch
#      every BATCH_GAP seconds, and waits (at most 5 min) until every one is done;
#   6. draws the dashboard's panels from Prometheus with matplotlib
#      (scripts/render_dashboard.py: Grafana is in neither Debian nor PyPI) into OUT.
# Everything stops at the end (the stack too, if this script started it).
#   scripts/metrics-preview.sh [OUT.png]        (default: docs/grafana/lightbox-preview.png)
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

OUT="${1:-docs/grafana/lightbox-preview.png}"
BATCHES="${BATCHES:-6}"
FILES_PER_BATCH="${FILES_PER_BATCH:-15}"
BATCH_GAP="${BATCH_GAP:-10}"

scripts/install-observe-tools.sh
PY="$OBSERVE_VENV_DIR/bin/python"
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d)
pids=()
started_stack=0
scripts/stack.sh status >/dev/null 2>&1 || started_stack=1
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  if ((started_stack)); then scripts/stack.sh down >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/stack.sh up >/dev/null
eval "$(scripts/stack.sh env)"
bin=$(build_lightbox)

daemon_port=$(free_port)
prom_port=$(free_port)
mkdir -p "$work/photos" "$work/state" "$work/staging"
start=$(date +%s)
LIGHTBOX_STATE_DIR="$work/state" LIGHTBOX_DAEMON__LISTEN="127.0.0.1:$daemon_port" LIGHTBOX_LOG_FORMAT=json \
  "$bin" run --folder "$work/photos" 2>"$work/daemon.log" &
pids+=($!)

cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: lightbox
    static_configs:
      - targets: ["127.0.0.1:$daemon_port"]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn 2>"$work/prometheus.log" &
pids+=($!)
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$prom_port/-/ready" >/dev/null && curl -fs "http://127.0.0.1:$daemon_port/health" >/dev/null && break
  sleep 1
done
curl -fs "http://127.0.0.1:$daemon_port/health" >/dev/null || die "the daemon did not answer /health: $work/daemon.log"

total=$((BATCHES * FILES_PER_BATCH))
log "dropping $total photos in $BATCHES batches, one every ${BATCH_GAP}s"
for batch in $(seq 1 "$BATCHES"); do
  # Noise pictures: each one different, so none is a duplicate of another. Made aside and
  # renamed in, as a camera import would finish them.
  "$PY" - "$work/staging" "$batch" "$FILES_PER_BATCH" <<'EOF'
import sys
import numpy as np
from PIL import Image
out, batch, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(batch)
for i in range(n):
    Image.fromarray(rng.integers(0, 255, (768, 1024, 3), dtype=np.uint8)).save(f"{out}/b{batch:02}_{i:03}.jpg", quality=92)
EOF
  mv "$work/staging"/*.jpg "$work/photos/"
  sleep "$BATCH_GAP"
done

done_files() {
  curl -fs "http://127.0.0.1:$daemon_port/metrics" | awk '$1 == "lightbox_queue_files{state=\"done\"}" {print $2}'
}
for _ in $(seq 1 300); do
  [[ "$(done_files)" == "$total" ]] && break
  sleep 1
done
log "done: $(done_files) of $total"
sleep 15   # a few more scrapes after the last upload
end=$(date +%s)

mkdir -p "$(dirname "$OUT")"
"$PY" scripts/render_dashboard.py docs/grafana/lightbox.json --prometheus "http://127.0.0.1:$prom_port" \
  --start "$start" --end "$end" --out "$OUT"
curl -fs "http://127.0.0.1:$daemon_port/metrics" | grep -v '^#' | grep -E '^lightbox_(uploaded|failed|retries|queue)' || true
