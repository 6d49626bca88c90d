#!/usr/bin/env bash
# Make the container base image (BASE_IMAGE, default miyraa-base:bookworm): Debian
# bookworm with Python 3.11 and uv, nothing else (no compilers, no git, no curl).
#
# Two ways, the first that works:
#   1. docker/base.Dockerfile on top of python:3.11-slim-bookworm, when that can be pulled;
#   2. no registry reachable (these build machines): as root and only when asked
#      (--bootstrap or CI=true), debootstrap a minimal bookworm with Python 3.11 and
#      `docker import` it (about 70 s).
# uv comes from PyPI through the host's pip, so no TLS happens inside any image build.
# Idempotent: returns at once when the image exists.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=${BASE_IMAGE:-miyraa-base:bookworm}
UV_VERSION=0.13.4
PY=${PY:-.venv/bin/python}

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  exit 0
fi

ctx=build/base-context
rm -rf "$ctx" && mkdir -p "$ctx"
"$PY" -m pip download --quiet --no-deps --only-binary :all: ${EXTRA_CA_CERTS:+--cert "$EXTRA_CA_CERTS"} \
  -d "$ctx/dl" "uv==$UV_VERSION" 2>/dev/null
"$PY" -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); open(sys.argv[2], "wb").write(z.read(next(n for n in z.namelist() if n.endswith("/scripts/uv"))))' \
  "$(ls "$ctx"/dl/uv-*.whl)" "$ctx/uv"
chmod 755 "$ctx/uv"

if docker pull --quiet python:3.11-slim-bookworm >/dev/null 2>&1; then
  docker build --quiet -t "$BASE_IMAGE" -f docker/base.Dockerfile "$ctx" >/dev/null
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
install -m 755 "$ctx/uv" "$rootfs/usr/local/bin/uv"
# What a server never reads: package caches and lists, documentation, locales.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/{doc,man,info,locale}/*
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/usr/bin/python3"]' \
  - "$BASE_IMAGE" >/dev/null
echo "made $BASE_IMAGE with debootstrap" >&2
