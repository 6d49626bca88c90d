#!/usr/bin/env bash
# Command-line tools the test command uses besides Python packages: promtool and
# prometheus (Debian's prometheus package) and, when available, docker-compose (to
# validate docker-compose.yml). A no-op when they are present; installing needs root
# and apt (CI, these machines); elsewhere it says what to install.
set -euo pipefail

missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
  echo "missing tools: ${missing[*]}; install them (Debian/Ubuntu: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]} (apt)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
