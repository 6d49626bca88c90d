#!/usr/bin/env bash
# Build, run and prove the container image made by `bentoml containerize`.
#
#   scripts/container.sh build   # bento + image IMAGE (default miyraa:latest)
#   scripts/container.sh run     # docker run it in the foreground on PORT (default 3000)
#   scripts/container.sh test    # build, run, check, print sizes (make container-test)
#
# Dependencies, and the uv binary the build runs, reach the build from a wheelhouse the host
# prepares (scripts/wheelhouse.py) and serves on 127.0.0.1:$WHEELHOUSE_PORT for the length
# of the build. With no running Docker engine and no registry (CI, these machines), CI=true
# or --bootstrap lets the scripts install and start an engine and debootstrap the base image
# (root only).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-miyraa:latest}
PORT=${PORT:-3000}
WHEELHOUSE_PORT=8765  # fixed: service.py's IMAGE and docker/uv.sh name it
BIN=${BIN:-.venv/bin}
export BENTOML_DO_NOT_TRACK=True DOCKER_BUILDKIT=0  # the legacy builder: no buildx here
cmd=${1:-}
shift || true
bootstrap=()
[[ " $* " == *" --bootstrap "* ]] && bootstrap=(--bootstrap)

# Containers join the host network where the engine has no bridge (as started by
# scripts/docker-engine.sh); elsewhere they publish the port.
network_args() {
  if docker network inspect bridge >/dev/null 2>&1; then
    echo "-p 127.0.0.1:$1:$1"
  else
    echo "--network host"
  fi
}

# The wheels' shared libraries are stripped for the size budget (scripts/wheelhouse.py);
# strip and readelf come with binutils, installed here under the same conditions as the engine.
ensure_strip() {
  command -v strip >/dev/null && command -v readelf >/dev/null && return 0
  if [[ $(id -u) == 0 && ( ${#bootstrap[@]} -gt 0 || ${CI:-} == true ) ]] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null
  else
    echo "warning: no strip (binutils): the wheels' libraries stay unstripped, the image about 30 MB larger" >&2
  fi
}

build() {
  scripts/docker-engine.sh ${bootstrap:+--install}
  scripts/base-image.sh "${bootstrap[@]}"
  ensure_strip
  "$BIN/python" scripts/wheelhouse.py build/wheelhouse
  "$BIN/python" -m http.server --bind 127.0.0.1 "$WHEELHOUSE_PORT" --directory build/wheelhouse \
    >build/wheelhouse-server.log 2>&1 &
  local server=$!
  trap 'kill $server 2>/dev/null || true' RETURN
  "$BIN/bentoml" build --output tag >/dev/null
  local started=$SECONDS
  "$BIN/bentoml" containerize miyraa:latest -t "$IMAGE" --opt network=host --opt no-cache >build/containerize.log 2>&1 ||
    { tail -30 build/containerize.log >&2; return 1; }
  echo "built $IMAGE in $((SECONDS - started)) s (log: build/containerize.log)" >&2
}

run() {
  # shellcheck disable=SC2046
  exec docker run --rm --init --name miyraa $(network_args "$PORT") \
    --read-only --tmpfs /tmp:rw,size=64m \
    --env-file <(grep -sE '^[A-Z_]+=' .env || true) \
    "$IMAGE" --host 0.0.0.0 --port "$PORT"
}

sizes() {
  echo "image $IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'); layers:"
  docker history --no-trunc --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | awk -F'\t' '$1 != "0B"' |
    sed -E 's#\|[0-9]+ [^/]*/bin/sh -c ##; s#/bin/sh -c \#\(nop\) ##; s#^([^\t]+)\t$#\1\tbase image#' | cut -c1-120
}

# The API through docker compose (when a compose tool is present): up, healthy, /readyz, down.
# A throwaway project folder with .env from the template, on ports that leave 3000 alone.
compose_check() {
  local compose=()
  if docker compose version >/dev/null 2>&1; then compose=(docker compose)
  elif command -v docker-compose >/dev/null; then compose=(docker-compose)
  else echo "compose: skipped, no compose tool here" >&2; return 0
  fi
  local dir port
  dir=$(mktemp -d) port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cp docker-compose.yml "$dir/"
  sed -e "s/^MIYRAA_IMAGE=.*/MIYRAA_IMAGE=$IMAGE/" -e "s/^MIYRAA_PORT=.*/MIYRAA_PORT=$port/" \
    -e "s/^PROMETHEUS_PORT=.*/PROMETHEUS_PORT=$((port + 1))/" -e 's/^GRAFANA_ADMIN_PASSWORD=$/GRAFANA_ADMIN_PASSWORD=unused/' \
    .env.template >"$dir/.env"
  local project=miyraa-check-$$ status=""
  (cd "$dir" && "${compose[@]}" -p "$project" up -d api >/dev/null 2>&1)
  for _ in $(seq 1 60); do
    status=$(docker inspect -f '{{.State.Health.Status}}' "$(cd "$dir" && "${compose[@]}" -p "$project" ps -q api)" 2>/dev/null || true)
    [[ $status == healthy ]] && break
    sleep 1
  done
  local ready
  ready=$("$BIN/python" -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).status)' \
    "http://127.0.0.1:$port/readyz" 2>/dev/null || true)
  (cd "$dir" && "${compose[@]}" -p "$project" down -v >/dev/null 2>&1)
  rm -rf "$dir"
  if [[ $status != healthy || $ready != 200 ]]; then
    echo "compose: api health '$status', /readyz $ready" >&2
    return 1
  fi
  echo "compose (${compose[*]}): api healthy, /readyz 200 on :$port"
}

case "$cmd" in
  build) build ;;
  run) run ;;
  sizes) sizes ;;
  test)
    build
    MIYRAA_IMAGE=$IMAGE "$BIN/python" -m pytest -p no:cacheprovider -q -s tests/container
    compose_check
    sizes
    ;;
  *)
    echo "usage: $0 build|run|test [--bootstrap]" >&2
    exit 2
    ;;
esac
