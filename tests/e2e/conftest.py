"""A real `bentoml serve service:Miyraa` on a free port, its output captured to files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from loadtest.serving import free_port, stop
from tests.model_store import built_model

ROOT = Path(__file__).parents[2]
RATE_LIMIT = 60
STARTUP_TIMEOUT_S = 120


@dataclass
class Server:
    url: str
    stdout: Path
    stderr: Path
    readyz_statuses: list[tuple[int, float]] = field(default_factory=list)

    def output_lines(self) -> list[str]:
        return [
            line
            for path in (self.stdout, self.stderr)
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip()
        ]


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    port = free_port()
    logs = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "MODEL_TAG": str(built_model().tag),
        "RATE_LIMIT": str(RATE_LIMIT),
        "RATE_WINDOW": "600",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "CLIENT_HASH_SECRET": "e2e-secret",
    }
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
        try:
            _wait_ready(server, process)
            yield server
        finally:
            stop(process)


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
        except httpx.TransportError:
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
