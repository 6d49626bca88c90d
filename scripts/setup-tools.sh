#!/usr/bin/env bash
# Command-line tools the test command uses besides Python packages: promtool and
# prometheus (Debian's prometheus package), when available docker-compose (to validate
# docker-compose.yml), and Chromium with its driver (chromium, chromium-driver: the /ui
# page's browser test, tests/e2e/test_ui.py, drives them with Selenium; nothing is
# downloaded by Selenium). A no-op when they are present; installing needs root and apt
# (CI, these machines); elsewhere it says what to install. Without root, a missing browser
# only warns (the browser test then skips), except under CI=true.
set -euo pipefail

missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
browser=()
[[ -x /usr/bin/chromium ]] || browser+=(chromium)
[[ -x /usr/bin/chromedriver ]] || browser+=(chromium-driver)
all=("${missing[@]}" "${browser[@]}")
[[ ${#all[@]} -eq 0 ]] && exit 0

if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
  if [[ ${#missing[@]} -eq 0 && ${CI:-} != true ]]; then
    echo "missing ${browser[*]} (apt-get install ${browser[*]}): the browser test of /ui will skip" >&2
    exit 0
  fi
  echo "missing tools: ${all[*]}; install them (Debian/Ubuntu: apt-get install ${all[*]})" >&2
  exit 1
fi
echo "installing ${all[*]} (apt)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${all[@]}" >/dev/null
