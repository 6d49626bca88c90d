#!/usr/bin/env bash
# Make sure a Docker engine answers. A developer machine with Docker needs nothing here.
#
# On a machine without a running engine (CI, these build machines), and only when asked
# (--install or CI=true) and run as root: install Debian's docker.io and start dockerd
# without iptables or a bridge (containers then use --network host), logging to
# build/dockerd.log. Idempotent: returns at once when `docker info` works.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [[ "${1:-}" != "--install" && "${CI:-}" != "true" ]]; then
  echo "no Docker engine answers; start one, or run as root: scripts/docker-engine.sh --install" >&2
  exit 1
fi
if [[ $(id -u) != 0 ]]; then
  echo "installing and starting a Docker engine needs root" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null; then
  echo "installing docker.io, containerd, runc, iptables, debootstrap (apt)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io containerd runc iptables debootstrap >/dev/null
fi
mkdir -p build
# --experimental allows `docker build --squash`, which scripts/container.sh uses to
# collapse the bento's layers so that pruned files really leave the image.
# The daemon outlives this script: it keeps none of the caller's open files (a held
# `flock` on one kept the lock for as long as dockerd ran) and gets its own session.
(
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
  done 2>/dev/null
  exec setsid dockerd --iptables=false --ip6tables=false --bridge=none --experimental \
    </dev/null >build/dockerd.log 2>&1
) &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "Docker engine started (log: build/dockerd.log)" >&2
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not answer within 30 s; see build/dockerd.log" >&2
exit 1
