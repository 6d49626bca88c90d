"""Load generators for the measurements (make bench, make chaos): closed and open loops.

Every answer is recorded with its status, its latency and whether it carried Retry-After,
so a measurement can tell served requests from shed ones. In an open loop the latency
counts from the scheduled send time, so time spent queueing in the client is not hidden.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp
import numpy as np
import psutil

TRANSPORT_ERROR = 0  # the status recorded when no HTTP answer came back


@dataclass(frozen=True, slots=True)
class Answer:
    at_s: float  # scheduled send time, seconds from the start of the run
    latency_s: float
    status: int
    retry_after: bool


@dataclass
class Run:
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    @property
    def latencies_s(self) -> list[float]:
        return [a.latency_s for a in self.answers if a.status == 200]

    @property
    def errors(self) -> int:
        return sum(a.status != 200 for a in self.answers)

    async def send(self, client: aiohttp.ClientSession, text: str, since: float) -> None:
        """POST one text; record the answer with its latency counted from ``since``."""
        try:
            async with client.post("/fingerprint", json={"text": text}) as response:
                await response.read()
                status, retry_after = response.status, "Retry-After" in response.headers
        except (aiohttp.ClientError, TimeoutError):
            status, retry_after = TRANSPORT_ERROR, False
        now = time.perf_counter()
        self.answers.append(Answer(since - self.started, now - since, status, retry_after))

    def summary(self) -> dict[str, float]:
        done = len(self.latencies_s)
        return {
            "requests": len(self.answers),
            "errors": self.errors,
            "throughput_rps": round(done / self.seconds, 1) if self.seconds else 0.0,
            **percentiles(self.latencies_s),
        }


def percentiles(latencies_s: list[float]) -> dict[str, float]:
    lat = np.array(latencies_s) * 1000 if latencies_s else np.array([0.0])
    return {f"p{q}_ms": round(float(np.percentile(lat, q)), 1) for q in (50, 95, 99)}


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory of a process and all its children, by "pid command"."""
    root = psutil.Process(pid)
    out = {}
    for p in [root, *root.children(recursive=True)]:
        try:
            name = " ".join(p.cmdline()[1:4])[:60] or p.name()
            out[f"{p.pid} {name}"] = round(p.memory_info().rss / 1e6, 1)
        except psutil.NoSuchProcess:
            continue
    return out


def session(url: str, connections: int, timeout_s: float) -> aiohttp.ClientSession:
    """aiohttp rather than httpx: several times less CPU per request, and the load generator
    shares the machine with the service."""
    return aiohttp.ClientSession(
        base_url=url,
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=timeout_s),
    )


async def closed_loop(url: str, texts: list[str], concurrency: int, duration: float) -> Run:
    """``concurrency`` clients, each sending its next text as soon as the last one is answered."""
    run, deadline, counter = Run(), time.perf_counter() + duration, iter(range(10**9))
    async with session(url, concurrency, 60) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                await run.send(client, texts[next(counter) % len(texts)], time.perf_counter())

        run.started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        run.seconds = time.perf_counter() - run.started
    return run


async def open_loop(url: str, texts: list[str], rate: float, duration: float, timeout_s: float = 60) -> Run:
    """Requests at fixed arrival times, ``rate`` per second, whether or not earlier ones are answered."""
    run = Run()
    async with session(url, 1024, timeout_s) as client:
        run.started, tasks = time.perf_counter(), []
        for i in range(int(rate * duration)):
            scheduled = run.started + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(run.send(client, texts[i % len(texts)], scheduled)))
        await asyncio.gather(*tasks)
        run.seconds = duration
    return run
