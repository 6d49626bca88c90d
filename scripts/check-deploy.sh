#!/usr/bin/env bash
# Offline checks of the deployment files (part of `make test`):
# Prometheus config and alert rules (promtool, with a unit test per alert), Kubernetes
# manifests against Kubernetes' schemas (kubernetes-validate, strict), and
# docker-compose.yml (docker compose config, when a compose tool is present).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

promtool check config --syntax-only prometheus.yml
promtool check rules monitoring/alerts.yml
(cd monitoring && promtool test rules alerts.test.yml)

"$BIN/kubernetes-validate" --strict --quiet k8s/configmap.yaml k8s/deployment.yaml k8s/service.yaml k8s/hpa.yaml k8s/pdb.yaml
echo "k8s/: every manifest valid (kubernetes-validate --strict)"

compose=()
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
fi
if [[ ${#compose[@]} -gt 0 ]]; then
  # A throwaway project folder: .env from the template, with the one required value set.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cp docker-compose.yml "$tmp/"
  sed 's/^GRAFANA_ADMIN_PASSWORD=$/GRAFANA_ADMIN_PASSWORD=check-only/' .env.template >"$tmp/.env"
  (cd "$tmp" && "${compose[@]}" --profile monitoring config --quiet)
  echo "docker-compose.yml: valid (${compose[*]} config)"
else
  echo "docker-compose.yml: not validated, no compose tool here"
fi
