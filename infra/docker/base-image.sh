#!/usr/bin/env bash
# The local base image where no image registry is reachable: Debian bookworm built with
# debootstrap, with Python 3.12 and the host's CA bundle (outbound HTTPS may pass a proxy with
# its own CA). Bookworm's own python3 is 3.11, so the image carries the host's CPython 3.12 build
# (pyenv's, built on this same Debian) under /usr/local, laid out as in the official
# python:3.12-slim image, with the runtime libraries such a build links against.
# Cached: nothing is done when the image exists. Usage: base-image.sh [IMAGE]
set -euo pipefail

image="${1:-${BOCAGE_LOCAL_BASE_IMAGE:-bocage/debian-python:bookworm-3.12}}"
suite=bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
host_ca=/etc/ssl/certs/ca-certificates.crt
# What CPython's binary modules link against (ldd on lib-dynload/*.so, tkinter left out).
runtime_libs=libssl3,libffi8,zlib1g,libbz2-1.0,liblzma5,libsqlite3-0,libreadline8,libncursesw6,libtinfo6,libuuid1,libexpat1,libgdbm6,libnsl2,libtirpc3,libcrypt1
log() { echo "base-image: $*"; }

if docker image inspect "$image" >/dev/null 2>&1; then
  log "$image exists (cached)"
  exit 0
fi

# The host's Python 3.12 (infra/find-python.sh): its installation prefix is copied in.
here="$(cd "$(dirname "$0")" && pwd)"
python="$("$here/../find-python.sh")" || exit 1
prefix="$("$python" -c 'import sys; print(sys.base_prefix)')"
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$version" != 3.12 ] || [ ! -d "$prefix/lib/python$version" ]; then
  log "$python (prefix $prefix) is not a CPython 3.12 installation: install one with  pyenv install 3.12"
  exit 1
fi
if [ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" != "$suite" ]; then
  log "warning: this host is not Debian $suite; its Python 3.12 build may need other libraries"
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
debootstrap --variant=minbase --include="ca-certificates,$runtime_libs" \
  "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; exit 1; }
rm -f "$root.log"

log "copying Python $version from $prefix to /usr/local"
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib" "$root/usr/local/include"
cp -a "$prefix/bin/python$version" "$root/usr/local/bin/"
if [ -f "$prefix/lib/libpython$version.so.1.0" ]; then  # a shared build (--enable-shared)
  cp -a "$prefix/lib/libpython$version.so.1.0" "$root/usr/local/lib/"
  ln -s "libpython$version.so.1.0" "$root/usr/local/lib/libpython$version.so"
  [ ! -f "$prefix/lib/libpython3.so" ] || cp -a "$prefix/lib/libpython3.so" "$root/usr/local/lib/"
fi
cp -a "$prefix/include/python$version" "$root/usr/local/include/"
# The standard library, compiled (the images run with PYTHONDONTWRITEBYTECODE), without its test
# suite, IDLE, tkinter or installed packages (venv brings pip through ensurepip's bundled wheel).
tar -C "$prefix/lib" -c \
  --exclude="python$version/test" --exclude="python$version/idlelib" \
  --exclude="python$version/tkinter" --exclude="python$version/turtledemo" \
  --exclude="python$version/site-packages/*" \
  "python$version" | tar -C "$root/usr/local/lib" -x
for link in python3 python; do ln -s "python$version" "$root/usr/local/bin/$link"; done
# /usr/local/lib is in the loader's path; the build's own rpath (the host's pyenv) is absent.
chroot "$root" /sbin/ldconfig
chroot "$root" /usr/local/bin/python3 -c 'import ssl, ctypes, sqlite3, lzma, bz2, zlib, uuid, venv, ensurepip' \
  || { log "the copied Python $version does not start in the image"; exit 1; }

if [ -f "$host_ca" ]; then
  # The host's bundle twice: as the bundle, and as a local CA so that update-ca-certificates
  # (run by later package installs) keeps it.
  cp "$host_ca" "$root/etc/ssl/certs/ca-certificates.crt"
  cp "$host_ca" "$root/usr/local/share/ca-certificates/host-bundle.crt"
  # pip trusts its own bundled CA list, not the system's (Debian's pip was patched to): point it
  # at the system bundle, for every venv made from this Python too.
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$root/etc/pip.conf"
fi
# Smaller image: no package lists or caches (later Dockerfiles run apt-get update themselves).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

log "importing as $image"
tar -C "$root" -c . | docker import \
  --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' - "$image" >/dev/null
log "$image ready"
