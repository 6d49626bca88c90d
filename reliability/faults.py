"""Faults under load: the runner's worker killed, SIGTERM to the server, slow clients.

    make chaos          # with the overload check
    python reliability/faults.py [--only kill|kill-container|sigterm]

Each scenario starts its own `bentoml serve`, drives it with a closed loop of 8 clients
and injects the fault after 3 s of load:
- kill: SIGKILL to the runner's worker. Requests in flight and sent while it is gone must
  fail fast (503 with Retry-After, well within the request timeout), /readyz must turn
  503, and BentoML's arbiter respawns the worker (`bentoml serve` outside a container).
- kill-container: the same with BENTOML_CONTAINERIZED=true, the switch BentoML's image
  sets: no respawn, so the server must exit non-zero for the orchestrator to restart it
  (tests/container proves the same on the real image).
- sigterm: SIGTERM to the arbiter only, as `docker stop` does to PID 1. Every request
  sent before it must be answered 200 (0 lost), new connections are refused, and the
  server exits 0 within the grace period.
- slow-clients: 64 clients send their headers, then their body a byte every 0.5 s, while an
  open loop at 20 requests/s measures the others; its P95 must stay within 2x (or 25 ms)
  the P95 of the same loop without them, its P99 under 0.5 s (a stall holds requests for
  seconds), and each slow client gets 408 after BODY_TIMEOUT_S.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadtest.drive import Run, closed_loop, open_loop  # noqa: E402
from loadtest.serving import start_service, stop  # noqa: E402
from loadtest.texts import mix  # noqa: E402

FAULT_AT_S = 3.0
CLIENTS = 8
FAIL_FAST_S = 2.0  # a refused request is answered within this (the request timeout is 30 s)
GRACE_S = 30.0  # docker stop's default is 10 s; k8s/deployment.yaml gives 40 s
SLACK_MS = 25.0  # slow clients: what the others' P95 may gain whatever its ratio
STALL_MS = 500.0  # slow clients: the others' P99 above this is a stall


def runner_worker(arbiter: int) -> psutil.Process:
    for child in psutil.Process(arbiter).children(recursive=True):
        if "miyraa_runner" in child.cmdline():
            return child
    raise RuntimeError("no runner worker found")


async def watch_readyz(url: str, seconds: float) -> list[tuple[float, int]]:
    """(seconds since start, status) of /readyz every 0.25 s; 0 when nothing answered."""
    seen, started = [], time.perf_counter()
    async with aiohttp.ClientSession() as client:
        while (now := time.perf_counter() - started) < seconds:
            try:
                async with client.get(f"{url}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    seen.append((round(now, 2), r.status))
            except (aiohttp.ClientError, TimeoutError):
                seen.append((round(now, 2), 0))
            await asyncio.sleep(0.25)
    return seen


async def load_with_fault(
    url: str, fault: Callable[[], None], seconds: float
) -> tuple[Run, list[tuple[float, int]]]:
    """Closed-loop load for ``seconds``; ``fault()`` at FAULT_AT_S; /readyz watched throughout."""

    async def inject() -> None:
        await asyncio.sleep(FAULT_AT_S)
        fault()

    run, ready, _ = await asyncio.gather(
        closed_loop(url, mix(256), CLIENTS, seconds), watch_readyz(url, seconds), inject()
    )
    return run, ready


def exit_clock(process: subprocess.Popen[bytes]) -> list[float]:
    """Filled with the time the process exits (a thread waits for it)."""
    exited: list[float] = []

    def wait() -> None:
        process.wait()
        exited.append(time.perf_counter())

    threading.Thread(target=wait, daemon=True).start()
    return exited


def wait_exit(
    process: subprocess.Popen[bytes], exited: list[float], since: float, timeout_s: float
) -> tuple[int | None, float | None]:
    """The exit code and the seconds from ``since`` to the exit; None, None if still running."""
    try:
        code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None, None
    while not exited:
        time.sleep(0.01)
    return code, round(exited[0] - since, 2)


def after_fault(run: Run) -> dict[str, Any]:
    """Answers to requests sent from FAULT_AT_S on, or still in flight then."""
    hit = [a for a in run.answers if a.at_s + a.latency_s >= FAULT_AT_S]
    refused = [a for a in hit if a.status != 200]
    statuses: dict[str, int] = {}
    for a in hit:
        statuses[str(a.status)] = statuses.get(str(a.status), 0) + 1
    return {
        "statuses": statuses,
        "refused_max_latency_s": round(max((a.latency_s for a in refused), default=0.0), 3),
        "refused_without_retry_after": sum(a.status == 503 and not a.retry_after for a in refused),
    }


def kill_runner(logs: Path, containerized: bool) -> dict[str, Any]:
    env = {"BENTOML_CONTAINERIZED": "true"} if containerized else {}
    process, url, _ = start_service(logs / f"faults-kill{'-container' if containerized else ''}.log", **env)
    exited, killed = exit_clock(process), []
    worker = runner_worker(process.pid)

    def kill() -> None:
        killed.append(time.perf_counter())
        worker.kill()

    try:
        run, ready = asyncio.run(load_with_fault(url, kill, FAULT_AT_S + 12))
        code, exit_s = wait_exit(process, exited, killed[0], 15) if containerized else (None, None)
    finally:
        if process.poll() is None:
            stop(process)
    down = [t for t, status in ready if t >= FAULT_AT_S and status != 200]
    back = [t for t, status in ready if down and t > down[0] and status == 200]
    result = {
        **after_fault(run),
        "readyz_not_ready_after_s": round(down[0] - FAULT_AT_S, 2) if down else None,
        "readyz_ready_again_after_s": round(back[0] - FAULT_AT_S, 2) if back else None,
    }
    if containerized:
        result |= {"exit_code": code, "exit_after_s": exit_s}
    return result


def sigterm(logs: Path) -> dict[str, Any]:
    process, url, _ = start_service(logs / "faults-sigterm.log")
    signalled, exited = [], exit_clock(process)

    def term() -> None:
        signalled.append(time.perf_counter())
        os.kill(process.pid, signal.SIGTERM)

    try:
        run, _ = asyncio.run(load_with_fault(url, term, FAULT_AT_S + 5))
        code, exit_s = wait_exit(process, exited, signalled[0], GRACE_S)
    finally:
        if process.poll() is None:
            stop(process)
    sent_before = [a for a in run.answers if a.at_s < FAULT_AT_S]
    in_flight = [a for a in sent_before if a.at_s + a.latency_s >= FAULT_AT_S]
    after = [a for a in run.answers if a.at_s >= FAULT_AT_S]
    return {
        "in_flight_at_sigterm": len(in_flight),
        "lost": sum(a.status != 200 for a in sent_before),
        "after_sigterm_statuses": sorted({a.status for a in after}),
        "exit_code": code,
        "exit_after_s": exit_s,
    }


async def trickle(host: str, port: int, started: float) -> tuple[int, float]:
    """One slow client: headers at once, then a byte every 0.5 s; (status, seconds to it)."""
    body = json.dumps({"text": "a slow client " * 20}).encode()
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST /fingerprint HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode())

    async def send_slowly() -> None:
        for i in range(len(body)):
            writer.write(body[i : i + 1])
            await writer.drain()
            await asyncio.sleep(0.5)

    sender = asyncio.create_task(send_slowly())
    try:
        status_line = await reader.readline()
    finally:
        sender.cancel()
        writer.close()
    status = int(status_line.split()[1]) if status_line.startswith(b"HTTP/") else 0
    return status, round(time.perf_counter() - started, 2)


def slow_clients(logs: Path, count: int = 64, body_timeout_s: float = 10.0) -> dict[str, Any]:
    process, url, _ = start_service(logs / "faults-slow-clients.log", BODY_TIMEOUT_S=str(body_timeout_s))
    host, port = url.removeprefix("http://").split(":")

    async def measure() -> tuple[Run, Run, list[tuple[int, float]]]:
        alone = await open_loop(url, mix(256), 20, 6)
        started = time.perf_counter()
        slow = [asyncio.create_task(trickle(host, int(port), started)) for _ in range(count)]
        await asyncio.sleep(0.5)
        beside = await open_loop(url, mix(256), 20, body_timeout_s - 1)
        return alone, beside, await asyncio.gather(*slow)

    try:
        alone, beside, slow = asyncio.run(measure())
    finally:
        stop(process)
    return {
        "slow_clients": count,
        "alone": alone.summary(),
        "beside_slow_clients": beside.summary(),
        "slow_client_statuses": sorted({status for status, _ in slow}),
        "slow_client_answered_after_s": max(seconds for _, seconds in slow),
    }


def judge(r: dict[str, Any]) -> dict[str, bool]:
    met = {}
    if "kill" in r:
        k = r["kill"]
        met["kill: only 200/503"] = set(k["statuses"]) <= {"200", "503"}
        met["kill: refused fast"] = k["refused_max_latency_s"] <= FAIL_FAST_S
        met["kill: Retry-After on every 503"] = k["refused_without_retry_after"] == 0
        met["kill: /readyz turned 503"] = k["readyz_not_ready_after_s"] is not None
        met["kill: respawned, ready again"] = k["readyz_ready_again_after_s"] is not None
    if "kill-container" in r:
        k = r["kill-container"]
        met["kill-container: no 500 or hang"] = set(k["statuses"]) <= {"200", "503", "0"}
        met["kill-container: exit non-zero"] = k["exit_code"] not in (None, 0)
    if "sigterm" in r:
        t = r["sigterm"]
        met["sigterm: 0 lost"] = t["lost"] == 0
        met["sigterm: exit 0 in grace"] = t["exit_code"] == 0
    if "slow-clients" in r:
        c = r["slow-clients"]
        alone, beside = c["alone"], c["beside_slow_clients"]
        # A stall holds the others for seconds (the slow clients trickle for 10 s). P99 of the
        # 180 requests is their second slowest: on a shared 2-core machine one scheduling hiccup
        # (30 -> 140 ms) once failed a 2x bound on it with nothing stalled.
        met["slow-clients: others' P95 within 2x (or +25 ms), P99 under 0.5 s"] = (
            beside["p95_ms"] <= max(2 * alone["p95_ms"], alone["p95_ms"] + SLACK_MS)
            and beside["p99_ms"] <= STALL_MS
            and beside["errors"] == 0
        )
        met["slow-clients: each cut off with 408"] = c["slow_client_statuses"] == [408]
    return met


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["kill", "kill-container", "sigterm", "slow-clients"])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "faults.json")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    scenarios: dict[str, Callable[[], dict[str, Any]]] = {
        "kill": lambda: kill_runner(args.out.parent, containerized=False),
        "kill-container": lambda: kill_runner(args.out.parent, containerized=True),
        "sigterm": lambda: sigterm(args.out.parent),
        "slow-clients": lambda: slow_clients(args.out.parent),
    }
    result = {name: run() for name, run in scenarios.items() if args.only in (None, name)}
    result["targets_met"] = met = judge(result)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for name, figures in result.items():
        print(f"{name}: {json.dumps(figures)}")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
