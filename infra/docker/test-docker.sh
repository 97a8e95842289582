#!/usr/bin/env bash
# `make test-docker`: the compose stack built, started and tested (tests/docker).
#   1. a Docker engine and docker-compose (engine.sh: installed and started when root);
#   2. images: with a reachable registry (BOCAGE_USE_REGISTRY=1) the official ones; otherwise a
#      debootstrapped Debian base (base-image.sh, cached) and RabbitMQ and Redis built on it;
#   3. the project's image, built with that base as BASE_IMAGE (the layer cache makes it quick
#      when only code changed);
#   4. pytest tests/docker, which brings the stack up, exercises it and takes it down.
# Exit 3 when no engine can be had here (not root and none running): `make test` says so plainly.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTEST="${PYTEST:-.venv/bin/pytest}"
started=$SECONDS
log() { echo "test-docker: [$((SECONDS - started)) s] $*"; }

log "Docker engine"
if ! bash infra/docker/engine.sh; then
  if [ "$(id -u)" != 0 ] && ! docker info >/dev/null 2>&1; then
    exit 3
  fi
  log "a Docker engine was needed and could not be started (see above)"
  exit 1
fi

if [ "${BOCAGE_USE_REGISTRY:-0}" != 1 ]; then
  base="${BOCAGE_LOCAL_BASE_IMAGE:-bocage/debian-python:bookworm}"
  bash infra/docker/base-image.sh "$base"
  log "base image $base ready"
  export BOCAGE_BASE_IMAGE="$base"
  export BOCAGE_RABBITMQ_IMAGE="${BOCAGE_RABBITMQ_IMAGE:-bocage/rabbitmq:local}"
  export BOCAGE_REDIS_IMAGE="${BOCAGE_REDIS_IMAGE:-bocage/redis:local}"
  export BOCAGE_IMAGE="${BOCAGE_IMAGE:-bocage:local}"
  log "building $BOCAGE_RABBITMQ_IMAGE and $BOCAGE_REDIS_IMAGE on $base"
  docker build -q -f infra/docker/rabbitmq.Dockerfile --build-arg BASE_IMAGE="$base" \
    -t "$BOCAGE_RABBITMQ_IMAGE" . >/dev/null
  docker build -q -f infra/docker/redis.Dockerfile --build-arg BASE_IMAGE="$base" \
    -t "$BOCAGE_REDIS_IMAGE" . >/dev/null
fi

log "building the project's image ${BOCAGE_IMAGE:-bocage:latest}"
build_log="$(mktemp)"
if ! docker-compose build gateway >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  rm -f "$build_log"
  exit 1
fi
rm -f "$build_log"
log "images ready"

status=0
# PYTEST may carry options (make test-docker PYTEST=".venv/bin/pytest -x"): split on purpose.
$PYTEST tests/docker -m docker || status=$?
log "done (pytest exit $status)"
exit "$status"
