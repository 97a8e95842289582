#!/usr/bin/env bash
# `make test-docker`: the compose stack built, started and tested (tests/docker).
#   1. a Docker engine and docker-compose (engine.sh: installed and started when root);
#   2. images: with a reachable registry (BOCAGE_USE_REGISTRY=1) the official ones; otherwise a
#      debootstrapped Debian base (base-image.sh, cached) and RabbitMQ and Redis built on it;
#   3. the project's image, built with that base as BASE_IMAGE (the layer cache makes it quick
#      when only code changed);
#   4. pytest tests/docker, which brings the stack up, exercises it and takes it down.
# Usage: test-docker.sh [all|images|tests]: `make test` builds the images (1-3) in the background
# while the Python suite runs, then runs the tests (4).
# Exit 3 when no engine can be had here (not root and none running): `make test` says so plainly.
set -euo pipefail
cd "$(dirname "$0")/../.."

step="${1:-all}"
PYTEST="${PYTEST:-.venv/bin/pytest}"
started=$SECONDS
log() { echo "test-docker: [$((SECONDS - started)) s] $*"; }

# The images the compose file is to use (the tests step needs the names, not the builds).
if [ "${BOCAGE_USE_REGISTRY:-0}" != 1 ]; then
  export BOCAGE_BASE_IMAGE="${BOCAGE_LOCAL_BASE_IMAGE:-bocage/debian-python:bookworm-3.12}"
  export BOCAGE_RABBITMQ_IMAGE="${BOCAGE_RABBITMQ_IMAGE:-bocage/rabbitmq:local}"
  export BOCAGE_REDIS_IMAGE="${BOCAGE_REDIS_IMAGE:-bocage/redis:local}"
  export BOCAGE_IMAGE="${BOCAGE_IMAGE:-bocage:local}"
fi

engine() {
  log "Docker engine"
  if ! bash infra/docker/engine.sh; then
    if [ "$(id -u)" != 0 ] && ! docker info >/dev/null 2>&1; then
      exit 3
    fi
    log "a Docker engine was needed and could not be started (see above)"
    exit 1
  fi
}

images() {
  if [ "${BOCAGE_USE_REGISTRY:-0}" != 1 ]; then
    bash infra/docker/base-image.sh "$BOCAGE_BASE_IMAGE"
    log "base image $BOCAGE_BASE_IMAGE ready"
    log "building $BOCAGE_RABBITMQ_IMAGE and $BOCAGE_REDIS_IMAGE on $BOCAGE_BASE_IMAGE"
    docker build -q -f infra/docker/rabbitmq.Dockerfile --build-arg BASE_IMAGE="$BOCAGE_BASE_IMAGE" \
      -t "$BOCAGE_RABBITMQ_IMAGE" . >/dev/null
    docker build -q -f infra/docker/redis.Dockerfile --build-arg BASE_IMAGE="$BOCAGE_BASE_IMAGE" \
      -t "$BOCAGE_REDIS_IMAGE" . >/dev/null
  fi
  log "building the project's image ${BOCAGE_IMAGE:-bocage:latest}"
  local build_log
  build_log="$(mktemp)"
  if ! docker-compose build gateway >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2
    rm -f "$build_log"
    exit 1
  fi
  rm -f "$build_log"
  log "images ready"
}

tests() {
  local status=0
  # PYTEST may carry options (make test-docker PYTEST=".venv/bin/pytest -x"): split on purpose.
  $PYTEST tests/docker -m docker || status=$?
  log "done (pytest exit $status)"
  exit "$status"
}

case "$step" in
  all) engine; images; tests ;;
  images) engine; images ;;
  tests) engine; tests ;;
  *) echo "usage: $0 [all|images|tests]" >&2; exit 2 ;;
esac
