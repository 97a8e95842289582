#!/usr/bin/env bash
# The local base image where no image registry is reachable: Debian bookworm (Python 3.11) built
# with debootstrap, with the host's CA bundle (outbound HTTPS may pass a proxy with its own CA).
# Cached: nothing is done when the image exists. Usage: base-image.sh [IMAGE]
set -euo pipefail

image="${1:-${BOCAGE_LOCAL_BASE_IMAGE:-bocage/debian-python:bookworm}}"
suite=bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
host_ca=/etc/ssl/certs/ca-certificates.crt
log() { echo "base-image: $*"; }

if docker image inspect "$image" >/dev/null 2>&1; then
  log "$image exists (cached)"
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  else
    log "debootstrap is missing: sudo apt-get install debootstrap"
    exit 1
  fi
fi

root="$(mktemp -d /var/tmp/bocage-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
log "debootstrap $suite into $root"
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
  "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; exit 1; }
rm -f "$root.log"

if [ -f "$host_ca" ]; then
  # The host's bundle twice: as the bundle, and as a local CA so that update-ca-certificates
  # (run by later package installs) keeps it.
  cp "$host_ca" "$root/etc/ssl/certs/ca-certificates.crt"
  cp "$host_ca" "$root/usr/local/share/ca-certificates/host-bundle.crt"
fi
# Smaller image: no package lists or caches (later Dockerfiles run apt-get update themselves).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

log "importing as $image"
tar -C "$root" -c . | docker import \
  --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' - "$image" >/dev/null
log "$image ready"
