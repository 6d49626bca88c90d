"""Refusals the API answers itself: over the rate limit, overloaded, runner unavailable.

Load shedding. The API worker admits a request while fewer than ``limit`` texts are in
progress (waiting in the coalescer or inside the runner); otherwise the request is answered
at once with 503 and ``Retry-After`` instead of joining a queue that would only end in
timeouts. By Little's law the bound caps an admitted text's wait at about
``(limit + its batch) / throughput`` (docs/RELIABILITY.md has the measured figures). A
batch is admitted whole whatever its size while there is room, so batches are not starved
by single texts; the overshoot is bounded by MAX_BATCH_TEXTS.
When the bound is reached, the guard (miyraa/guard.py) sheds new requests before their
body is read or validated: shedding must cost far less CPU than serving, or a burst
starves the runner of the cores it shares with the API worker.

Runner health. After a runner call fails (worker killed, connection lost, timed out), the
API refuses at once (503, Retry-After) until the runner answers its readiness probe again,
instead of sending more calls to a socket nobody reads (they would hang until the request
timeout). Outside a container BentoML respawns the worker; inside one the server exits
and the orchestrator restarts it.

``Refused`` carries the status, the message and the headers of such an answer, and
records itself (request log field, counter) wherever it is answered: by the API
(service.py) or at the door (miyraa/guard.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from miyraa.metrics import RATE_LIMITED, SHED
from miyraa.observe import request_fields


@dataclass
class Refused(Exception):
    """A request the service declines: ``status`` with ``{"error": message}`` and ``headers``."""

    status: int
    message: str
    reason: str  # bounded label for logs and metrics: rate_limit, overload, runner_unavailable
    headers: dict[str, str] = field(default_factory=dict)

    def record(self) -> None:
        """Mark the request's log line and count the refusal."""
        request_fields()["refused"] = self.reason
        if self.reason == "rate_limit":
            RATE_LIMITED.inc()
        else:
            SHED.labels(reason=self.reason).inc()


RETRY_AFTER_S = 1


class Admission:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0

    @property
    def full(self) -> bool:
        """No room for even one more text (the guard sheds at the door then, body unread)."""
        return self.in_flight >= self.limit

    def overloaded(self) -> Refused:
        return Refused(
            503,
            f"server busy: {self.in_flight} texts in progress, limit {self.limit}; "
            f"retry after {RETRY_AFTER_S} s",
            "overload",
            {"Retry-After": str(RETRY_AFTER_S)},
        )

    @contextmanager
    def hold(self, texts: int) -> Iterator[None]:
        """Admit ``texts`` for the duration of the block, or raise ``Refused`` (503)."""
        if self.full:
            raise self.overloaded()
        self.in_flight += texts
        try:
            yield
        finally:
            self.in_flight -= texts


def runner_unavailable() -> Refused:
    """The answer when the model runner cannot be reached or fails (the client may retry)."""
    return Refused(
        503,
        f"the model is temporarily unavailable; retry after {RETRY_AFTER_S} s",
        "runner_unavailable",
        {"Retry-After": str(RETRY_AFTER_S)},
    )


class RunnerHealth:
    """Down from a failed runner call until ``probe()`` says ready (tried every ``every_s``)."""

    def __init__(self, probe: Callable[[], Awaitable[bool]], every_s: float = 0.5) -> None:
        self._probe = probe
        self._every_s = every_s
        self._recovering: asyncio.Task[None] | None = None

    @property
    def down(self) -> bool:
        return self._recovering is not None and not self._recovering.done()

    def failed(self) -> None:
        if not self.down:
            self._recovering = asyncio.get_running_loop().create_task(self._until_ready())

    async def _until_ready(self) -> None:
        while not await self._probe():
            await asyncio.sleep(self._every_s)
