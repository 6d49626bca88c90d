#!/bin/sh
# /usr/local/bin/uv of the base image (scripts/base-image.sh): a stand-in that runs the real
# uv, fetched for each call from the wheelhouse that scripts/container.sh serves on loopback
# for the length of an image build, and deleted before the build step ends. BentoML's
# generated Dockerfile needs uv in two steps (`uv venv`, `uv pip install`); this way its
# 36 MB binary never lands in a layer. At run time nothing calls uv.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
  "${MIYRAA_UV_URL:-http://127.0.0.1:8765/uv}" "$tmp/uv" ||
  { echo "uv: cannot fetch the uv binary; build with scripts/container.sh, which serves it" >&2; exit 1; }
chmod 755 "$tmp/uv"
# Its cache goes with the binary (the packages are copied into the venv first).
UV_CACHE_DIR="$tmp/cache" UV_LINK_MODE=copy "$tmp/uv" "$@"
