#!/usr/bin/env bash
# Run the images end to end (`make run-images`): the scraper image crawls the replica's results
# lists and then the players' profiles into an S3 bucket, then the transformer image turns those raw
# runs into curated Parquet in the same bucket.
#
#   images/run.sh [--report FILE]
#
# Starts what is not given and stops what it started: the replica (REPLICA_URL unset) and a moto S3
# server (AWS_ENDPOINT_URL unset), both on 127.0.0.1, reached from the containers via the host
# network. Credentials reach the containers only as run-time environment (`-e NAME`), never as
# build input. Builds the images first when missing (images/build.sh reuses up-to-date ones).
# Environment: REPLICA_URL, AWS_ENDPOINT_URL, BUCKET (example-cricket-bucket), PLAYERS (300),
# SEED (7), CLASSES (1), TYPES (batting), RUN_ID (a UTC timestamp), PROFILES (1: crawl profiles
# too; 0: skip), REPLICA_ARGS (extra `replica serve` options; default `--js-only-profiles 0.1`, so
# some profiles need Chromium), SCRAPE_SETTINGS (Scrapy `-s` options for both crawls; default: no
# download delay or AutoThrottle, as the target is the local replica), PYTHON (.venv/bin/python).
# --report FILE (or RUN_REPORT=FILE) writes JSON: the S3 locations and, per container, its user, exit code and output.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
REPORT=${RUN_REPORT:-}
while [[ $# -gt 0 ]]; do
  case $1 in
    --report) REPORT=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 64 ;;
  esac
done

log() { echo "run.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=images/engine.sh
source "$HERE/engine.sh"
detect_engine || die "no container engine (images/build.sh --ensure-tools installs podman)"
eval "$(bash "$HERE/build.sh" --print-env)"
bash "$HERE/build.sh" >/dev/null

PYTHON=${PYTHON:-$REPO/.venv/bin/python}
[[ -x $PYTHON ]] || PYTHON=python3
BUCKET=${BUCKET:-example-cricket-bucket}
RUN_ID=${RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)}
CLASSES=${CLASSES:-1}
TYPES=${TYPES:-batting}
WORK=$(mktemp -d)
PIDS=()
CONTAINERS=()
cleanup() {
  local pid c
  for c in "${CONTAINERS[@]}"; do "${ENGINE_CMD[@]}" rm -f "$c" >/dev/null 2>&1 || true; done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_line FILE PREFIX PID: the first line of FILE starting with PREFIX, once the process printed it.
wait_line() {
  local i line
  for i in $(seq 600); do
    line=$(grep -m1 "^$2" "$1" 2>/dev/null || true)
    [[ -n $line ]] && { echo "$line"; return 0; }
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if [[ -z ${REPLICA_URL:-} ]]; then
  (cd "$REPO" && exec "$PYTHON" -m replica serve --host 127.0.0.1 --port 0 --players "${PLAYERS:-300}" \
     --seed "${SEED:-7}" ${REPLICA_ARGS:---js-only-profiles 0.1} >"$WORK/replica.out" 2>"$WORK/replica.err") &
  PIDS+=($!)
  line=$(wait_line "$WORK/replica.out" "serving " "${PIDS[-1]}") || { cat "$WORK/replica.err" >&2; die "replica did not start"; }
  REPLICA_URL=${line#serving }
  log "replica at $REPLICA_URL"
fi

if [[ -z ${AWS_ENDPOINT_URL:-} ]]; then
  port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$PYTHON" -m moto.server -H 127.0.0.1 -p "$port" >"$WORK/moto.log" 2>&1 &
  PIDS+=($!)
  export AWS_ENDPOINT_URL=http://127.0.0.1:$port
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" 2>/dev/null && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/moto.log" >&2; die "moto server did not start"; }
    sleep 0.1
  done
  # moto accepts any credentials; these dummies exist only in this process's environment.
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
  log "moto S3 at $AWS_ENDPOINT_URL"
fi
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}} AWS_REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}

"$PYTHON" - "$BUCKET" <<'PY'
import sys

import boto3
from botocore.exceptions import ClientError

s3 = boto3.client("s3")
try:
    s3.head_bucket(Bucket=sys.argv[1])
except ClientError:
    s3.create_bucket(Bucket=sys.argv[1])
PY

# Names only: podman/docker copy each value from this environment, so no secret is on a command line.
ENV_ARGS=()
for var in AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION; do
  [[ -n ${!var:-} ]] && ENV_ARGS+=(-e "$var")
done

STEPS_JSON=()
# run_step NAME IMAGE ARGS...: run one container to completion, record its user and exit code.
run_step() {
  local name=$1 image=$2 cname t0 code user
  shift 2
  cname=cricket-run-$name-$$
  CONTAINERS+=("$cname")
  log "$name: $image $*"
  t0=$(date +%s.%N)
  set +e
  "${ENGINE_CMD[@]}" run --name "$cname" --network host "${ENV_ARGS[@]}" "$image" "$@" >"$WORK/$name.log" 2>&1
  code=$?
  set -e
  user=$("${ENGINE_CMD[@]}" inspect --format '{{.Config.User}}' "$cname")
  tail -n 15 "$WORK/$name.log" >&2
  STEPS_JSON+=("$("$PYTHON" -c 'import json, sys; print(json.dumps({"step": sys.argv[1], "image": sys.argv[2], "user": sys.argv[3], "exit_code": int(sys.argv[4]), "seconds": round(float(sys.argv[5]), 1), "output_tail": open(sys.argv[6], errors="replace").read()[-4000:]}))' \
    "$name" "$image" "$user" "$code" "$(echo "$(date +%s.%N) - $t0" | bc)" "$WORK/$name.log")")
  "${ENGINE_CMD[@]}" rm -f "$cname" >/dev/null
  [[ $code -eq 0 ]] || { write_report; die "$name exited $code (output above)"; }
}

write_report() {
  [[ -n $REPORT ]] || return 0
  local IFS=,
  printf '{"bucket": "%s", "raw": "s3://%s/raw", "curated": "s3://%s/curated", "run_id": "%s", "endpoint": "%s", "steps": [%s]}\n' \
    "$BUCKET" "$BUCKET" "$BUCKET" "$RUN_ID" "$AWS_ENDPOINT_URL" "${STEPS_JSON[*]}" >"$REPORT"
}

# The replica is ours, on loopback: no politeness delay (the crawler's defaults are for the real site).
read -r -a SCRAPE_SETTINGS <<<"${SCRAPE_SETTINGS:--s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False}"
run_step scrape "$SCRAPER_TAG" "${SCRAPE_SETTINGS[@]}" statsguru --base-url "$REPLICA_URL" --classes "$CLASSES" --types "$TYPES" \
  --raw "s3://$BUCKET/raw" --run-id "$RUN_ID"
if [[ ${PROFILES:-1} == 1 ]]; then
  # Profiles of the players that run found; pages rendered only by JavaScript go through Chromium.
  run_step profiles "$SCRAPER_TAG" "${SCRAPE_SETTINGS[@]}" profiles --base-url "$REPLICA_URL" \
    --from-raw "s3://$BUCKET/raw/statsguru/run_id=$RUN_ID" --raw "s3://$BUCKET/raw" --run-id "$RUN_ID"
fi
run_step transform "$TRANSFORMER_TAG" run --raw "s3://$BUCKET/raw" --curated "s3://$BUCKET/curated" --run-id "$RUN_ID"
write_report
log "curated Parquet in s3://$BUCKET/curated (run $RUN_ID, endpoint $AWS_ENDPOINT_URL)"
