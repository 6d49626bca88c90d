"""Refusals the API answers itself: over the rate limit, overloaded, runner unavailable.

Adaptive admission. Work in progress (waiting in the coalescer or inside the runner) is
counted in estimated tokens (``estimate_tokens``: a chat line costs a few, an email up to
the model's limit), and bounded by a limit that adapts to what the runner is measured to
do within a latency goal, an AIMD limiter: each request served within ``goal_s`` raises
the limit a little (additive increase, while the limit is in use), a request over it
cuts the limit by ``DECREASE`` (multiplicative decrease, at most once per goal). Under
load the limit settles where requests spend about the goal in service: batches grow as
far as the goal allows, and the excess is refused at once with 503 and ``Retry-After``
instead of joining a queue that would only end in timeouts. An idle worker admits any
valid request whatever its cost (a batch of 64 long texts, say). Only requests of at
most ``STEERING_TOKENS`` steer the limit: a big request's time is mostly its own run,
which says nothing about queueing (steered by batches of 16 texts, the limit fell to its
floor at a third of the service's capacity and shed 3% of a Locust run). When the
limit is reached, the guard (miyraa/guard.py) sheds new requests before their body is
read or validated: shedding must cost far less CPU than serving, or a burst starves the
runner of the cores it shares with the API worker.

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
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from miyraa.metrics import RATE_LIMITED, SHED
from miyraa.observe import request_fields

logger = logging.getLogger(__name__)


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


# Estimated tokens of a text: about 4 characters a token in English, plus the special
# tokens and a share of the per-text work that does not scale with length.
CHARS_PER_TOKEN = 4
TEXT_OVERHEAD_TOKENS = 8
MAX_TOKENS = 256  # the model's limit: longer texts are truncated, they cost no more


def estimate_tokens(text: str) -> int:
    return TEXT_OVERHEAD_TOKENS + min(MAX_TOKENS, len(text) // CHARS_PER_TOKEN)


class Admission:
    """The AIMD bound on estimated tokens in progress (module docstring)."""

    INITIAL = 4096  # about 400 chat lines or 16 long emails in progress
    STEERING_TOKENS = 64  # a text of about 220 characters
    FLOOR = 512
    CEILING = 1 << 20
    INCREASE = 64  # tokens added per limit's worth of tokens served within the goal
    DECREASE = 0.8

    def __init__(self, goal_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.goal_s = goal_s
        self.limit = float(self.INITIAL)
        self.in_flight = 0
        self._clock = clock
        self._last_decrease = -float("inf")

    @property
    def full(self) -> bool:
        """No room for even one more text (the guard sheds at the door then, body unread)."""
        return self.in_flight >= self.limit

    def overloaded(self) -> Refused:
        return Refused(
            503,
            f"server busy: {self.in_flight} tokens in progress, limit {int(self.limit)}; "
            f"retry after {RETRY_AFTER_S} s",
            "overload",
            {"Retry-After": str(RETRY_AFTER_S)},
        )

    @contextmanager
    def hold(self, cost: int) -> Iterator[None]:
        """Admit ``cost`` tokens for the duration of the block, or raise ``Refused`` (503).
        The time the block takes, when it succeeds, steers the limit."""
        if self.in_flight > 0 and self.in_flight + cost > self.limit:
            raise self.overloaded()
        self.in_flight += cost
        started = self._clock()
        try:
            yield
        finally:
            self.in_flight -= cost
        self.observe(self._clock() - started, cost)

    def observe(self, seconds: float, cost: int) -> None:
        """Adapt the limit to one served request of ``cost`` tokens that took ``seconds``."""
        if cost > self.STEERING_TOKENS:
            return
        now = self._clock()
        if seconds > self.goal_s:
            if now - self._last_decrease >= self.goal_s:
                self.limit = max(self.FLOOR, self.limit * self.DECREASE)
                self._last_decrease = now
        elif self.in_flight + cost >= self.limit / 2:  # only a limit in use is known to be safe
            self.limit = min(self.CEILING, self.limit + self.INCREASE * cost / self.limit)


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
        """Probe until ready. A probe that raises counts as "not ready": if this task died,
        ``down`` would turn False and traffic would resume before the runner is back."""
        while True:
            try:
                if await self._probe():
                    return
            except Exception:
                logger.exception("runner readiness probe failed")
            await asyncio.sleep(self._every_s)
