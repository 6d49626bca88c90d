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

``Refused`` carries the status, the message and the headers of such an answer; the API
turns it into a JSON response (service.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Refused(Exception):
    """A request the service declines: ``status`` with ``{"error": message}`` and ``headers``."""

    status: int
    message: str
    reason: str  # bounded label for logs and metrics: rate_limit, overload, runner_unavailable
    headers: dict[str, str] = field(default_factory=dict)


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
