"""Monitoring against a real service: a real Prometheus scrapes it with the project's
prometheus.yml, and every metric the dashboard and the alert rules name exists on /metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from loadtest.serving import free_port

ROOT = Path(__file__).parents[2]
DASHBOARD = ROOT / "monitoring/grafana/dashboards/miyraa.json"
ALERTS = ROOT / "monitoring/alerts.yml"
TRAFFIC = {
    "texts": [
        "Mail me at jane.roe@example.org, I am so happy today!",
        "I know where you live and I will hurt you, you worthless idiot",
        "The bus leaves at 9.",
    ]
}


def metric_names(text: str) -> set[str]:
    return set(re.findall(r"\bmiyraa_[a-z_]+\b", text))


def exposed(name: str, metrics: str) -> bool:
    """A name from PromQL (with _total/_bucket/_sum/_count suffixes) is on /metrics."""
    return re.search(rf"^{re.escape(name)}[{{ ]", metrics, re.MULTILINE) is not None


def requests_total(metrics: str) -> float:
    """The sum of miyraa_requests_total over every endpoint and status, as /metrics shows it."""
    return sum(float(v) for v in re.findall(r"^miyraa_requests_total\{[^}]*\} (\S+)$", metrics, re.MULTILINE))


@pytest.fixture(scope="module")
def traffic(http):
    """One successful batch, so that every labelled series the dashboard names has a sample."""
    r = http.post("/fingerprint/batch", json=TRAFFIC)
    assert r.status_code == 200, r.text  # this module runs before test_serve.py spends the rate limit
    return r


def test_every_metric_of_the_dashboard_and_the_alerts_exists(http, traffic):
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    rules = [r["expr"] for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    named = metric_names("\n".join(exprs + rules))
    assert len(named) >= 8
    metrics = http.get("/metrics").text
    missing = sorted(n for n in named if not exposed(n, metrics))
    assert not missing, f"named in the dashboard or alerts but absent from /metrics: {missing}"


def test_a_real_prometheus_scrapes_the_service(server, http, traffic, tmp_path):
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: `make tools` installs Debian's package"
    config = yaml.safe_load((ROOT / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = "1s"
    config["rule_files"] = [str(ALERTS)]
    config["scrape_configs"][0]["static_configs"] = [{"targets": [server.url.removeprefix("http://")]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("wb"),
    )
    try:
        query = {"query": 'sum(miyraa_requests_total{job="miyraa"})'}
        deadline, result = time.monotonic() + 60, []
        while not result and time.monotonic() < deadline:  # polled until the first scrape lands
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params=query, timeout=5)
                result = r.json()["data"]["result"] if r.status_code == 200 else []
            except httpx.TransportError:
                pass
            if not result:
                time.sleep(0.5)
        assert result, (
            "Prometheus never returned miyraa_requests_total:\n"
            + (tmp_path / "prometheus.log").read_text()[-2000:]
        )
        # No request reaches the service meanwhile (scrapes of /metrics are not counted): what
        # Prometheus scraped is what /metrics says now, the traffic above included.
        assert float(result[0]["value"][1]) == requests_total(http.get("/metrics").text) >= 1
        rules = httpx.get(f"http://127.0.0.1:{port}/api/v1/rules", timeout=5).json()["data"]["groups"]
        assert {r["name"] for g in rules for r in g["rules"]} >= {"MiyraaDown", "MiyraaHighErrorRatio"}
    finally:
        process.terminate()
        process.wait(timeout=30)
