"""The image from `bentoml containerize`, run with `docker run` the way docs/DEPLOYMENT.md says.

Run by `make container-test` (scripts/container.sh test), which builds the image first and
sets MIYRAA_IMAGE; the default test run leaves this folder out (tests/conftest.py).
Checks: /readyz, /fingerprint, /fingerprint/batch, /metrics, a non-root user, a read-only
root filesystem (a tmpfs on /tmp only), JSON logs, ONNX Runtime on CPU and no torch or
transformers, no compilers or git, size, resident memory after a load;
faults: a killed runner worker makes the container exit non-zero (no respawn inside a
container: the orchestrator restarts it), `docker stop` loses no accepted request and exits 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from loadtest.serving import free_port

IMAGE = os.environ.get("MIYRAA_IMAGE", "miyraa:latest")
READY_LIMIT_S = 60  # a hang guard only; the start time (target 3 s) is printed and kept in docs/DEPLOYMENT.md
MAX_IMAGE_BYTES = 450_000_000
# All the container's processes, summed (as benchmarks/bench.py counts), after the costliest
# requests: a bound against runaway growth (ONNX Runtime's arena once kept 1.7 GB after such
# batches), not the 450 MB target, which `make bench` judges and reports (docs/PERFORMANCE.md).
MAX_RESIDENT_BYTES = 650_000_000
EMAIL = "jane.roe@example.org"


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def network_args(port: int) -> list[str]:
    if docker("network", "inspect", "bridge", check=False).returncode == 0:
        return ["-p", f"127.0.0.1:{port}:{port}"]
    return ["--network", "host"]  # an engine without a bridge (scripts/docker-engine.sh)


@dataclass
class Container:
    name: str
    url: str
    ready_after_s: float

    def logs(self) -> list[str]:
        out = docker("logs", self.name)
        return [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return docker("exec", self.name, *command, check=False)


@contextmanager
def running(*env: str) -> Iterator[Container]:
    """A fresh container of IMAGE, ready (/readyz 200), removed afterwards."""
    port, name = free_port(), f"miyraa-test-{uuid.uuid4().hex[:8]}"
    docker(
        "run", "-d", "--name", name, *network_args(port),
        "--read-only", "--tmpfs", "/tmp:rw,size=64m",
        "-e", "LOG_FORMAT=json", "-e", "RATE_LIMIT=100000", *env,
        IMAGE, "--host", "0.0.0.0", "--port", str(port),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        while time.monotonic() - started < READY_LIMIT_S:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            state = docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip()
            assert state == "true", "the container exited:\n" + "\n".join(
                docker("logs", name).stderr.splitlines()[-30:]
            )
            time.sleep(0.25)
        else:
            pytest.fail(f"/readyz not 200 within {READY_LIMIT_S} s")
        yield Container(name, url, time.monotonic() - started)
    finally:
        docker("rm", "-f", name, check=False)


@pytest.fixture(scope="module")
def container() -> Iterator[Container]:
    with running() as ready:
        print(f"\ndocker run -> /readyz 200 in {ready.ready_after_s:.1f} s (target 3 s)")
        yield ready


def exit_code(name: str, within_s: float) -> int | None:
    """The container's exit code once it has stopped, None if it still runs after ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        state = docker("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", name).stdout.split()
        if state[0] == "false":
            return int(state[1])
        time.sleep(0.2)
    return None


def test_ready_and_live(container):
    assert httpx.get(f"{container.url}/livez").status_code == 200
    assert httpx.get(f"{container.url}/readyz").status_code == 200


def test_fingerprint_scrubs_and_answers(container):
    r = httpx.post(
        f"{container.url}/fingerprint", json={"text": f"We got the flat!! Write to {EMAIL}"}, timeout=30
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["emotion"] in body["emotion_scores"]
    assert body["pii"] == {"redacted": True, "counts": {"EMAIL": 1}}
    assert EMAIL not in r.text


def test_batch_answers_in_order(container):
    texts = ["I am so happy today", "This is disgusting", "The bus leaves at 9."]
    r = httpx.post(f"{container.url}/fingerprint/batch", json={"texts": texts}, timeout=30)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == len(texts)
    for text, result in zip(texts, results, strict=True):  # each answer is its own text's
        alone = httpx.post(f"{container.url}/fingerprint", json={"text": text}, timeout=30).json()
        assert result["emotion_scores"] == pytest.approx(alone["emotion_scores"], abs=1e-3), text


def test_bad_input_is_a_400_that_says_what_was_wrong(container):
    r = httpx.post(f"{container.url}/fingerprint", json={"text": ""}, timeout=30)
    assert r.status_code == 400
    assert "string_too_short" in {detail["type"] for detail in r.json()["detail"]}


def test_metrics_carry_miyraa_series(container):
    text = httpx.get(f"{container.url}/metrics").text
    assert "miyraa_requests_total" in text
    assert "miyraa_runner_batch_size" in text
    assert EMAIL not in text


def test_runs_as_a_non_root_user(container):
    assert container.exec("id", "-u").stdout.strip() not in ("", "0")
    assert docker("inspect", "-f", "{{.Config.User}}", container.name).stdout.strip() not in ("", "root", "0")


def test_root_filesystem_is_read_only(container):
    assert docker("inspect", "-f", "{{.HostConfig.ReadonlyRootfs}}", container.name).stdout.strip() == "true"
    assert container.exec("touch", "/home/bentoml/bento/probe").returncode != 0
    assert container.exec("touch", "/tmp/probe").returncode == 0


def test_logs_are_json_lines_without_the_text(container):
    lines = container.logs()
    assert lines
    for line in lines:
        json.loads(line)
    assert not any(EMAIL in line for line in lines)


def test_onnx_runtime_on_cpu_and_no_torch_or_transformers(container):
    check = container.exec(
        "python", "-c", "import onnxruntime; print(','.join(onnxruntime.get_available_providers()))"
    )
    assert check.returncode == 0, check.stderr
    assert "CPUExecutionProvider" in check.stdout.strip().split(",")
    for package in ("torch", "transformers"):  # training and export only (requirements/train.txt)
        absent = container.exec("python", "-c", f"import {package}")
        assert absent.returncode != 0 and "ModuleNotFoundError" in absent.stderr, package
    # CUDA wheels install under site-packages/nvidia/ (nvidia_ml_py, BentoML's GPU probe, is not one).
    assert container.exec("test", "-e", "/app/.venv/lib/python3.11/site-packages/nvidia").returncode != 0


def test_no_build_tools(container):
    for tool in ("gcc", "cc", "g++", "make", "git", "curl"):
        assert container.exec("sh", "-c", f"command -v {tool}").returncode != 0, tool


def test_image_fits_the_size_budget():
    size = int(docker("image", "inspect", "-f", "{{.Size}}", IMAGE).stdout.strip())
    print(f"\nimage {IMAGE}: {size / 1e6:.0f} MB")
    assert size <= MAX_IMAGE_BYTES


RESIDENT = """
import os
rss = pss = peak = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) == os.getpid():
        continue
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            kb = {k: int(v) for k, v, *_ in map(str.split, f) if k in ("Rss:", "Pss:")}
        with open(f"/proc/{pid}/status") as f:
            kb.update({k: int(v) for k, v, *_ in map(str.split, f) if k == "VmHWM:"})
    except (OSError, ValueError):  # gone meanwhile
        continue
    rss += kb.get("Rss:", 0) * 1024
    pss += kb.get("Pss:", 0) * 1024
    peak += kb.get("VmHWM:", 0) * 1024
print(rss, pss, peak)
"""


def test_resident_memory_after_a_load(container):
    # The costliest request the API admits: a batch of MAX_BATCH_TEXTS (64 by default) texts
    # past the model's 256-token limit, within MAX_REQUEST_CHARS (100,000) in all; an idle
    # service admits it whatever the load limit.
    long_text = "I can't believe how the evening went, honestly. " * 30
    texts = [f"{i}: {long_text}" for i in range(64)]
    with httpx.Client(timeout=60) as client:
        for _ in range(4):
            r = client.post(f"{container.url}/fingerprint/batch", json={"texts": texts})
            assert r.status_code == 200, r.text
        for i in range(16):
            assert client.post(f"{container.url}/fingerprint", json={"text": f"hello {i}"}).status_code == 200
    measured = container.exec("python", "-c", RESIDENT)
    assert measured.returncode == 0, measured.stderr
    rss, pss, peak = map(int, measured.stdout.split())
    stats = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container.name).stdout.strip()
    print(
        f"\nresident memory after a load, summed over the container's processes: RSS {rss / 1e6:.0f} MB "
        f"(bound {MAX_RESIDENT_BYTES / 1e6:.0f} MB; target 450 MB, judged by make bench), "
        f"PSS {pss / 1e6:.0f} MB, peak RSS {peak / 1e6:.0f} MB; docker stats {stats}"
    )
    assert rss <= MAX_RESIDENT_BYTES


KILL_RUNNER = """
import os, signal
for pid in filter(str.isdigit, os.listdir("/proc")):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        if b"miyraa_runner" in f.read():
            os.kill(int(pid), signal.SIGKILL)
            print(pid)
"""


def test_a_killed_runner_worker_fails_requests_fast_and_the_container_exits_non_zero():
    with running() as fresh:
        killed = fresh.exec("python", "-c", KILL_RUNNER)
        assert killed.stdout.strip().isdigit(), killed.stderr
        try:  # no hang (a timeout fails the test): a 503 at once, or the server already gone
            r = httpx.post(f"{fresh.url}/fingerprint", json={"text": "hello?"}, timeout=5)
            assert r.status_code == 503 and "retry-after" in r.headers
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
            pass
        code = exit_code(fresh.name, within_s=15)
        assert code is not None and code != 0  # the orchestrator restarts it


def runner_calls_in_progress(url: str) -> float:
    """BentoML's gauge of calls in progress in the runner (/predict), read on /metrics."""
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith("bentoml_service_request_in_progress{") and 'endpoint="/predict"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_docker_stop_drains_and_exits_zero():
    # Two batches of texts past the model's 256-token limit, a second or more of runner work
    # on two cores, both in progress (in the runner or waiting for it) when SIGTERM comes.
    # Neither is shed: 2 x 6 x 264 estimated tokens stay under the admission's initial limit,
    # which the latency goal at its maximum never lowers.
    long_text = "A message sent just before the stop, long enough to be cut at the model's limit. " * 30
    texts = [f"{i}: {long_text}" for i in range(6)]
    with running("-e", "ADMISSION_GOAL_MS=60000") as fresh:
        with httpx.Client(timeout=30) as client, ThreadPoolExecutor(2) as pool:
            url = f"{fresh.url}/fingerprint/batch"
            answers = [pool.submit(client.post, url, json={"texts": texts}) for _ in range(2)]
            deadline = time.monotonic() + 10
            while runner_calls_in_progress(fresh.url) < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not any(a.done() for a in answers), "a batch ended before the stop: nothing to drain"
            stop = docker("stop", "-t", "30", fresh.name, check=False)
            statuses = [a.result().status_code for a in answers]
        assert stop.returncode == 0
        assert statuses == [200, 200]  # accepted before SIGTERM: none lost
        assert exit_code(fresh.name, within_s=1) == 0
