#!/usr/bin/env bash
# Build the base, scraper and transformer images (`make images`).
#
#   images/build.sh [--ensure-tools] [--force] [--tools-only] [--print-env]
#
# Uses docker when an engine answers, else podman (root, Debian's podman/buildah/runc). Without a
# registry to pull python:3.12-slim from, the podman path builds localhost/python-slim-local from
# Debian packages (images/base-rootfs.sh); set BASE_IMAGE to use another base.
# Each image is labelled with a hash of its inputs (Dockerfile, lock, sources, parent image) and is
# not rebuilt while that hash is unchanged (--force rebuilds anyway).
#   --ensure-tools  apt-get install podman, buildah, runc and debootstrap when missing (no engine)
#   --tools-only    stop after --ensure-tools
#   --print-env     print ENGINE, tags and the base image as shell assignments (for run.sh/tests)
# Environment: BASE_IMAGE, IMAGE_PREFIX (default cricket-stats), IMAGE_TAG (default latest),
# IMAGE_SOURCE and IMAGE_REVISION (OCI labels; revision defaults to git HEAD), CONTAINER_ENGINE (docker|podman, to skip detection).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ENSURE_TOOLS=0
FORCE=0
TOOLS_ONLY=0
PRINT_ENV=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --ensure-tools) ENSURE_TOOLS=1 ;;
    --tools-only) ENSURE_TOOLS=1; TOOLS_ONLY=1 ;;
    --force) FORCE=1 ;;
    --print-env) PRINT_ENV=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $1" >&2; exit 64 ;;
  esac
  shift
done

log() { echo "build.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=images/engine.sh
source "$HERE/engine.sh"

if [[ $ENSURE_TOOLS -eq 1 ]]; then
  ensure_tools
  [[ $TOOLS_ONLY -eq 1 ]] && exit 0
fi
detect_engine || die "no container engine: no docker daemon answers and podman is missing (run with --ensure-tools)"

PREFIX=${IMAGE_PREFIX:-cricket-stats}
TAG=${IMAGE_TAG:-latest}
BASE_TAG=$(image_ref "$PREFIX-base:$TAG")
SCRAPER_TAG=$(image_ref "$PREFIX-scraper:$TAG")
TRANSFORMER_TAG=$(image_ref "$PREFIX-transformer:$TAG")

if [[ $PRINT_ENV -eq 1 ]]; then
  printf 'ENGINE=%s\nBASE_TAG=%s\nSCRAPER_TAG=%s\nTRANSFORMER_TAG=%s\n' "$ENGINE" "$BASE_TAG" "$SCRAPER_TAG" "$TRANSFORMER_TAG"
  exit 0
fi

if [[ -z ${BASE_IMAGE:-} ]]; then
  if [[ $ENGINE == podman ]]; then
    BASE_IMAGE=localhost/python-slim-local
    bash "$HERE/base-rootfs.sh" --tag "$BASE_IMAGE" >&2
  else
    BASE_IMAGE=python:3.12-slim
  fi
fi
"${ENGINE_CMD[@]}" image inspect "$BASE_IMAGE" >/dev/null 2>&1 || "${ENGINE_CMD[@]}" pull "$BASE_IMAGE" >&2 \
  || die "base image $BASE_IMAGE is neither local nor pullable"

# The lock must match the base image's Python (requirements-runtime.lock is compiled for 3.12).
PYVER=$("${ENGINE_CMD[@]}" run --rm --network none --entrypoint python3 "$BASE_IMAGE" \
  -c 'import sys; print("%d%d" % sys.version_info[:2])') || die "cannot run python3 in $BASE_IMAGE"
LOCK_FILE=requirements-runtime.lock
[[ -f $REPO/images/requirements-py$PYVER.lock ]] && LOCK_FILE=images/requirements-py$PYVER.lock
log "engine $ENGINE, base image $BASE_IMAGE (Python ${PYVER:0:1}.${PYVER:1}), lock $LOCK_FILE"

VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$REPO/pyproject.toml" | head -1)
REVISION=${IMAGE_REVISION:-$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)}
SOURCE=${IMAGE_SOURCE:-https://github.com/example/cricket-stats}

# Build args and secrets every build gets. The host's CA bundle lets pip inside the build trust the
# same TLS chain pip on the host does; it is a build secret, so no layer keeps it.
COMMON=(--build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" --build-arg "SOURCE=$SOURCE")
CA=${PIP_CERT:-${REQUESTS_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}}
[[ -r $CA ]] && COMMON+=(--secret "id=pip_cert,src=$CA")
# Index settings of pip on this host, when they name a network index (file:// ones mean nothing inside).
for var in PIP_INDEX_URL PIP_EXTRA_INDEX_URL; do
  key=$(tr 'A-Z_' 'a-z-' <<<"${var#PIP_}")
  val=${!var:-$(python3 -m pip config get "global.$key" 2>/dev/null || true)}
  [[ $val =~ ^https?:// ]] && COMMON+=(--build-arg "$var=$val")
done
if [[ $ENGINE == podman ]]; then
  # chroot isolation: no nested namespaces needed; host network: the build reaches the index as the
  # host does; docker format: the OCI format drops SHELL (and with it `set -o pipefail`).
  BUILD=("${ENGINE_CMD[@]}" build --isolation chroot --layers --network host --format docker)
else
  BUILD=(env DOCKER_BUILDKIT=1 docker build)
fi

# Hash of the files under the given paths (relative to the repo), ignoring caches.
hash_inputs() {
  (cd "$REPO" && find "$@" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | LC_ALL=C sort -z \
    | xargs -0 sha256sum) | sha256sum | cut -c1-32
}

image_label() { "${ENGINE_CMD[@]}" image inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }
image_id() { "${ENGINE_CMD[@]}" image inspect --format '{{.Id}}' "$1"; }

# build NAME TAG DOCKERFILE INPUTS_HASH ARGS...
build() {
  local name=$1 tag=$2 dockerfile=$3 inputs=$4
  shift 4
  if [[ $FORCE -eq 0 && $(image_label "$tag" org.cricket-stats.inputs) == "$inputs" ]]; then
    log "$name: $tag is up to date (inputs $inputs)"
    return
  fi
  log "$name: building $tag"
  local t0=$SECONDS
  (cd "$REPO" && "${BUILD[@]}" -f "$dockerfile" "${COMMON[@]}" "$@" \
      --label "org.cricket-stats.inputs=$inputs" -t "$tag" .) >&2 || die "$name: build failed"
  log "$name: built $tag in $((SECONDS - t0)) s"
}

BASE_ID=$(image_id "$BASE_IMAGE")
BASE_INPUTS=$( { echo "$BASE_ID $LOCK_FILE"; hash_inputs images/base/Dockerfile images/lock_split.py "$LOCK_FILE" \
  pyproject.toml README.md cricket_contract cricket_storage crawler transform .dockerignore; } | sha256sum | cut -c1-32)
build base "$BASE_TAG" images/base/Dockerfile "$BASE_INPUTS" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  --build-arg "LOCK_FILE=$LOCK_FILE"

PARENT=$(image_id "$BASE_TAG")
SCRAPER_INPUTS=$( { echo "$PARENT"; hash_inputs images/scraper/Dockerfile images/lock_split.py "$LOCK_FILE"; } | sha256sum | cut -c1-32)
build scraper "$SCRAPER_TAG" images/scraper/Dockerfile "$SCRAPER_INPUTS" --build-arg "BASE=$BASE_TAG" \
  --build-arg "LOCK_FILE=$LOCK_FILE"
TRANSFORMER_INPUTS=$( { echo "$PARENT"; hash_inputs images/transformer/Dockerfile; } | sha256sum | cut -c1-32)
build transformer "$TRANSFORMER_TAG" images/transformer/Dockerfile "$TRANSFORMER_INPUTS" --build-arg "BASE=$BASE_TAG"

for tag in "$BASE_TAG" "$SCRAPER_TAG" "$TRANSFORMER_TAG"; do
  printf '%s\t%s\n' "$tag" "$("${ENGINE_CMD[@]}" image inspect --format '{{.Size}}' "$tag")"
done
