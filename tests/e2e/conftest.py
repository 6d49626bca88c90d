"""A real `bentoml serve service:Miyraa` on a free port, its output captured to files."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from bentoml._internal.configuration.containers import BentoMLContainer

from loadtest.serving import free_port, stop
from tests.model_store import built_model

ROOT = Path(__file__).parents[2]
RATE_LIMIT = 60  # the faulty server's, per API key
KEYS = ("key-one", "key-two", "key-three")  # the faulty server's API keys
ORIGIN = "https://app.example"  # the faulty server's CORS origin
FAULTY_TIMEOUT_S = 4
STARTUP_TIMEOUT_S = 120


@dataclass
class Server:
    url: str
    stdout: Path
    stderr: Path
    readyz_statuses: list[tuple[int, float]] = field(default_factory=list)
    pid: int = 0

    def api_worker(self) -> psutil.Process:
        """The process of the API service's worker (not the arbiter, not the runner)."""
        for child in psutil.Process(self.pid).children(recursive=True):
            command = " ".join(child.cmdline())
            if "_bentoml_impl.worker.service" in command and "miyraa_runner" not in command:
                return child
        raise LookupError("no API worker found")

    def json_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.output_lines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        return [line for line in lines if isinstance(line, dict)]

    def output_lines(self) -> list[str]:
        return [
            line
            for path in (self.stdout, self.stderr)
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip()
        ]


@contextlib.contextmanager
def serve(logs: Path, pythonpath: tuple[Path, ...] = (), **settings: str) -> Iterator[Server]:
    """`bentoml serve service:Miyraa` on a free port with ``settings``, until ready; stopped after."""
    port = free_port()
    env = {
        # Not the in-process tests' BentoML options (tests/integration/conftest.py turns the
        # metrics off there): a server started after them in one session would have none.
        **{name: value for name, value in os.environ.items() if name != "BENTOML_CONFIG_OPTIONS"},
        "MODEL_TAG": str(built_model().tag),
        "RATE_LIMIT": str(RATE_LIMIT),
        "RATE_WINDOW": "600",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "CLIENT_HASH_SECRET": "e2e-secret",
        **settings,
    }
    # Its own BentoML home (sharing the model store): a second `bentoml serve` on one home
    # empties the first one's Prometheus directory, and its metrics read 0 from then on.
    home = logs / "bentoml-home"
    home.mkdir()
    (home / "models").symlink_to(Path(BentoMLContainer.bentoml_home.get()) / "models")
    env["BENTOML_HOME"] = str(home)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), str(ROOT), env.get("PYTHONPATH", "")])
    server = Server(f"http://127.0.0.1:{port}", logs / "stdout.log", logs / "stderr.log")
    with server.stdout.open("wb") as out, server.stderr.open("wb") as err:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "bentoml"),
                "serve",
                "service:Miyraa",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        server.pid = process.pid
        try:
            _wait_ready(server, process)
            yield server
        finally:
            stop(process)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    # The rate limit counts per address: every test here shares one (test_failures.py checks it).
    with serve(tmp_path_factory.mktemp("serve"), RATE_LIMIT="1000000") as running:
        yield running


@pytest.fixture(scope="session")
def faulty(tmp_path_factory) -> Iterator[Server]:
    """A server with API keys, CORS for ORIGIN, the page at /ui off, and faults in the runner
    (tests/e2e/faults/)."""
    with serve(
        tmp_path_factory.mktemp("faulty"),
        pythonpath=(Path(__file__).parent / "faults",),
        API_KEYS=",".join(KEYS),
        CORS_ORIGINS=ORIGIN,
        UI="false",
        # BentoML's request timeout keeps each request's context for its length (a timer
        # per request): short here, so that tests/e2e/test_edges.py sees memory settle.
        REQUEST_TIMEOUT_S=str(FAULTY_TIMEOUT_S),
        RUNNER_CALL_TIMEOUT_S="3",
        RUNNER_MAX_LATENCY_MS="2000",
    ) as running:
        yield running


def _wait_ready(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"bentoml serve exited with {process.returncode}:\n{server.stderr.read_text()[-3000:]}"
            )
        started = time.monotonic()
        try:
            status = httpx.get(f"{server.url}/readyz", timeout=5).status_code
        except httpx.TimeoutException:  # a probe that hangs is a failure of its own: recorded as 0
            server.readyz_statuses.append((0, time.monotonic() - started))
            continue
        except httpx.TransportError:  # not listening yet
            time.sleep(0.3)
            continue
        server.readyz_statuses.append((status, time.monotonic() - started))
        if status == 200:
            return
        time.sleep(0.3)
    pytest.fail(f"/readyz not 200 within {STARTUP_TIMEOUT_S} s")


@pytest.fixture(scope="session")
def http(server) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
