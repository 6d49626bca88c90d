"""Start and stop a server process for a measurement (make loadtest, bench, chaos, fuzz, privacy-audit)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    command: list[str], url: str, env: dict[str, str], log: Path, timeout_s: float = 180
) -> tuple[subprocess.Popen[bytes], float]:
    """Run ``command`` in its own process group; return it and the seconds until /readyz was 200."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    while time.perf_counter() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"{command[:3]} exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"{command[:3]} not ready in {timeout_s:g} s; see {log}")


def start_service(log: Path, **env: str) -> tuple[subprocess.Popen[bytes], str, float]:
    """`bentoml serve service:Miyraa` on a free loopback port, set for measuring: the model
    `make model` builds, no per-client rate limit (one load generator is one client), logs
    at WARNING; ``env`` overrides any of it. Returns the process, its URL and its start time."""
    from tests.model_store import built_model

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {
        "MODEL_TAG": str(built_model().tag),
        "RATE_LIMIT": "100000000",
        "LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "BENTOML_DO_NOT_TRACK": "True",
    }
    bentoml = str(Path(sys.executable).parent / "bentoml")
    command = [bentoml, "serve", "service:Miyraa", "--host", "127.0.0.1", "--port", str(port)]
    process, ready_s = start(command, url, {**os.environ, **settings, **env}, log)
    return process, url, ready_s


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole process group, SIGKILL after 30 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
