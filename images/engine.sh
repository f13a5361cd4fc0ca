# Shared by images/build.sh and images/run.sh (sourced): pick the container engine and its settings.
# shellcheck shell=bash

IMAGES_DIR=${IMAGES_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

# apt packages the podman path needs on a Debian host without a Docker engine.
PODMAN_PACKAGES=(podman buildah runc debootstrap uidmap)

docker_answers() { command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; }

ensure_tools() {
  docker_answers && return 0
  local missing=() pkg
  for pkg in podman buildah runc debootstrap; do command -v "$pkg" >/dev/null || missing+=("$pkg"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || { echo "need root to install ${missing[*]}" >&2; return 1; }
  command -v apt-get >/dev/null || { echo "no apt-get: install ${missing[*]} by hand" >&2; return 1; }
  echo "installing ${PODMAN_PACKAGES[*]} (missing: ${missing[*]})" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PODMAN_PACKAGES[@]}" >&2
}

# Sets ENGINE (docker|podman) and ENGINE_CMD (the command array to call it with).
detect_engine() {
  ENGINE=${CONTAINER_ENGINE:-}
  if [[ -z $ENGINE ]]; then
    if docker_answers; then ENGINE=docker
    elif command -v podman >/dev/null; then ENGINE=podman
    else return 1
    fi
  fi
  if [[ $ENGINE == podman ]]; then
    # runc with explicit ulimits: see images/containers.conf.
    export CONTAINERS_CONF=${CONTAINERS_CONF:-$IMAGES_DIR/containers.conf}
    ENGINE_CMD=(podman)
  else
    ENGINE_CMD=(docker)
  fi
}

# podman names local images localhost/NAME; docker keeps the bare name.
image_ref() { if [[ $ENGINE == podman ]]; then echo "localhost/$1"; else echo "$1"; fi; }
