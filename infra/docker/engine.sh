#!/usr/bin/env bash
# A Docker engine and docker-compose for `make test-docker`: Debian's docker.io and docker-compose
# (v1) installed when missing (root only), dockerd started when nothing answers `docker info`.
# Exit 0 when an engine answers; otherwise say plainly why there is none and exit 1.
set -euo pipefail

log() { echo "docker-engine: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }

missing=()
have dockerd || missing+=(docker.io)
have docker-compose || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  if is_root && have apt-get; then
    log "installing ${missing[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "no Docker engine: install it with  sudo apt-get install ${missing[*]}"
    exit 1
  fi
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! is_root; then
  log "no Docker engine answers and starting dockerd needs root: run  sudo dockerd &  (or start the docker service)"
  exit 1
fi

# No systemd on these machines: start the daemon ourselves, logging beside the other runtime files.
log_file=/var/log/bocage-dockerd.log
log "starting dockerd (log: $log_file)"
# containerd comes with docker.io; dockerd starts its own when none runs.
nohup dockerd >"$log_file" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "dockerd answers"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; its last words:"
tail -n 20 "$log_file" >&2 || true
exit 1
