#!/usr/bin/env bash
# The local AWS stack on 127.0.0.1: moto (Cognito IdP, Cognito Identity, STS, IAM, S3),
# enforcing IAM on every request after provisioning, and Garage (the faithful S3).
# Idempotent and safe to call from parallel tests.
#
#   scripts/stack.sh up       start (or find running) and provision; prints the state dir
#   scripts/stack.sh down     stop both servers and delete their data
#   scripts/stack.sh status   exit 0 when both answer
#   scripts/stack.sh env      print `export` lines for AWS_CONFIG_FILE, LIGHTBOX_CONFIG, ...
#
# State (ports, keys, pool ids, logs, data) lives in $LIGHTBOX_STACK_DIR
# (default ~/.cache/lightbox/stack); stack.json there is what tests read.
set -euo pipefail
. "$(dirname "$0")/common.sh"

S="$LIGHTBOX_STACK_DIR"
STATE="$S/stack.json"
mkdir -p "$S/logs"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
alive() { [[ -f "$S/$1.pid" ]] && kill -0 "$(cat "$S/$1.pid")" 2>/dev/null; }
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d:=d[k] for k in sys.argv[2].split(".")]; print(d)' "$STATE" "$1"; }

healthy() {
  [[ -f "$STATE" ]] && alive moto && alive garage || return 1
  # Any HTTP reply will do: moto's own /moto-api/data.json answers 500 while a
  # multipart upload is open, and Garage answers anonymous requests with an error.
  curl -sS -o /dev/null "$(json moto.endpoint)/moto-api/" || return 1
  curl -sS -o /dev/null "$(json garage.endpoint)" || return 1
}

stop_all() {
  for name in moto garage; do
    if alive "$name"; then
      pid=$(cat "$S/$name.pid")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$S/$name.pid"
  done
  rm -rf "$S/garage" "$STATE" "$S/lightbox.toml" "$S/lightbox-index.toml" "$S/aws" "$S/stack.env"
}

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 200); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    alive "$name" || die "$name exited during start-up; see $S/logs/$name.log"
    sleep 0.1
  done
  die "$name did not answer within 20 s; see $S/logs/$name.log"
}

start_moto() {
  MOTO_PORT=$(free_port)
  INITIAL_NO_AUTH_ACTION_COUNT="$MOTO_NO_AUTH_REQUESTS" \
    setsid "$VENV_DIR/bin/python" "$LIGHTBOX_ROOT/scripts/moto_server.py" -H 127.0.0.1 -p "$MOTO_PORT" \
    >"$S/logs/moto.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$S/moto.pid"
  wait_for moto curl -sS -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"
}

garage() { "$GARAGE_BIN" -c "$S/garage/garage.toml" "$@"; }

start_garage() {
  GARAGE_S3_PORT=$(free_port); local rpc admin
  rpc=$(free_port); admin=$(free_port)
  mkdir -p "$S/garage/meta" "$S/garage/data"
  cat > "$S/garage/garage.toml" <<TOML
metadata_dir = "$S/garage/meta"
data_dir = "$S/garage/data"
db_engine = "sqlite"
replication_factor = 1
metadata_fsync = false
data_fsync = false
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$(python3 -c 'import secrets; print(secrets.token_hex(32))')"

[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:$GARAGE_S3_PORT"
root_domain = ".s3.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin"
TOML
  chmod 600 "$S/garage/garage.toml"
  RUST_LOG=warn setsid "$GARAGE_BIN" -c "$S/garage/garage.toml" server \
    >"$S/logs/garage.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$S/garage.pid"
  wait_for garage garage status
  local node
  node=$(garage node id -q | cut -d@ -f1)
  garage layout assign -z local -c 10G "$node" >/dev/null
  garage layout apply --version 1 >/dev/null
  local out
  out=$(garage key create lightbox-local)
  GARAGE_KEY_ID=$(awk -F': *' '/Key ID/ {print $2; exit}' <<<"$out")
  GARAGE_SECRET=$(awk -F': *' '/Secret key/ {print $2; exit}' <<<"$out")
  [[ -n "$GARAGE_KEY_ID" && -n "$GARAGE_SECRET" ]] || die "could not read the Garage key from: $out"
  # Tests create their own buckets through the S3 API.
  garage key allow --create-bucket lightbox-local >/dev/null
  wait_for garage garage bucket create lightbox-dev
  garage bucket allow --read --write --owner lightbox-dev --key lightbox-local >/dev/null
}

up() {
  # fd 9 holds the lock; the servers are started with it closed (9>&-), or they
  # would hold it for as long as they run.
  exec 9>"$S/.lock"
  flock 9
  if healthy; then echo "$S"; return 0; fi
  "$LIGHTBOX_ROOT/scripts/install-python.sh"
  "$LIGHTBOX_ROOT/scripts/install-garage.sh"
  stop_all
  log "starting moto and Garage on 127.0.0.1 (state in $S)"
  start_moto
  start_garage
  "$VENV_DIR/bin/python" "$LIGHTBOX_ROOT/scripts/provision.py" \
    --state-dir "$S" --moto "http://127.0.0.1:$MOTO_PORT" \
    --garage "http://127.0.0.1:$GARAGE_S3_PORT" --garage-key-id "$GARAGE_KEY_ID" \
    --garage-secret "$GARAGE_SECRET" --garage-bucket lightbox-dev
  healthy || die "the stack started but does not answer; see $S/logs"
  log "local stack up: moto $(json moto.endpoint), Garage $(json garage.endpoint)"
  echo "$S"
}

case "${1:-}" in
  up) up ;;
  down) exec 9>"$S/.lock"; flock 9; stop_all; log "local stack stopped" ;;
  status) healthy ;;
  env) [[ -f "$S/stack.env" ]] || die "the stack is not up: run scripts/stack.sh up"; cat "$S/stack.env" ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
