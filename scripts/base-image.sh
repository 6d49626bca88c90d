#!/usr/bin/env bash
# Make the container base image (BASE_IMAGE, default miyraa-base:bookworm): Debian
# bookworm with Python 3.11, nothing else (no compilers, no git, no curl, no apt).
#
# Two ways, the first that works:
#   1. docker/base.Dockerfile on top of python:3.11-slim-bookworm, when that can be pulled;
#   2. no registry reachable (these build machines): as root and only when asked
#      (--bootstrap or CI=true), debootstrap a minimal bookworm with Python 3.11, slim it
#      and `docker import` it (about 70 s).
# Its /usr/local/bin/uv is docker/uv.sh, a stand-in that runs the real uv fetched from the
# build's wheelhouse server (scripts/container.sh, scripts/wheelhouse.py), so the 36 MB
# binary stays out of every layer. ONNX Runtime's telemetry is off (ORT_DISABLE_TELEMETRY):
# on Linux it creates a device id and an event store under $HOME (read-only in the
# container) and logs a warning line that is not JSON when it cannot.
# Idempotent: returns at once when the image exists and was made by this recipe (its label
# miyraa.base-recipe).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=${BASE_IMAGE:-miyraa-base:bookworm}
recipe=$(cat "$0" docker/base.Dockerfile docker/uv.sh | sha256sum | cut -c1-16)

if [[ $(docker image inspect -f '{{index .Config.Labels "miyraa.base-recipe"}}' "$BASE_IMAGE" 2>/dev/null) == "$recipe" ]]; then
  exit 0
fi

ctx=build/base-context
rm -rf "$ctx" && mkdir -p "$ctx"
install -m 755 docker/uv.sh "$ctx/uv"

if docker pull --quiet python:3.11-slim-bookworm >/dev/null 2>&1; then
  docker build --quiet --label "miyraa.base-recipe=$recipe" -t "$BASE_IMAGE" -f docker/base.Dockerfile "$ctx" >/dev/null
  echo "built $BASE_IMAGE from python:3.11-slim-bookworm" >&2
  exit 0
fi

if [[ "${1:-}" != "--bootstrap" && "${CI:-}" != "true" ]]; then
  echo "cannot pull python:3.11-slim-bookworm; to debootstrap a base here, run as root: $0 --bootstrap" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}
rootfs=$(mktemp -d /tmp/miyraa-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm (minbase + python3) into $rootfs" >&2
debootstrap --variant=minbase --include=python3 bookworm "$rootfs" >build/debootstrap.log 2>&1 ||
  { tail -20 build/debootstrap.log >&2; exit 1; }

# What a server never runs, removed through dpkg so that its database (read by image
# scanners) stays true: apt and the libraries only it needs, adduser (BentoML's Dockerfile
# calls useradd), e2fsprogs; then perl-base and debconf, which only apt and dpkg's
# maintainer scripts use (forced: both are essential to a system that installs packages,
# and this one installs none).
chroot "$rootfs" dpkg --purge apt libapt-pkg6.0 gpgv debian-archive-keyring libgnutls30 libp11-kit0 \
  libtasn1-6 libidn2-0 libunistring2 libnettle8 libhogweed6 libseccomp2 libxxhash0 adduser \
  e2fsprogs libext2fs2 libss2 logsave >>build/debootstrap.log 2>&1
chroot "$rootfs" dpkg --purge --force-remove-essential --force-depends debconf perl-base >>build/debootstrap.log 2>&1
# Files no process here reads: package caches and lists, logs, documentation, locales,
# glibc's iconv modules (Python has its own codecs; UTF-8 and Latin-1 are built into glibc),
# Python's own test package and pydoc's help topics.
rm -rf "$rootfs"/var/cache/* "$rootfs"/var/lib/apt "$rootfs"/var/log/* "$rootfs"/etc/apt \
  "$rootfs"/usr/share/{doc,man,info,locale,lintian,bug}/* "$rootfs"/usr/lib/x86_64-linux-gnu/gconv \
  "$rootfs"/usr/lib/python3.11/{test,pydoc_data}
chroot "$rootfs" python3 -c 'import asyncio, ctypes, hashlib, json, lzma, sqlite3, ssl, uuid, zoneinfo'
install -m 755 "$ctx/uv" "$rootfs/usr/local/bin/uv"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV ORT_DISABLE_TELEMETRY=1' \
  --change "LABEL miyraa.base-recipe=$recipe" \
  --change 'CMD ["/usr/bin/python3"]' \
  - "$BASE_IMAGE" >/dev/null
echo "made $BASE_IMAGE with debootstrap ($(docker image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))" >&2
