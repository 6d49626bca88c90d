"""Per-client fixed-window rate limiting with bounded memory.

Clients are keyed by a keyed hash (see ``client_hash``), never by a raw id or
address. At most ``max_clients`` windows are kept; the least recently seen client
is forgotten first, so memory stays bounded whatever the number of distinct
clients (a forgotten client simply starts a fresh window).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


def client_hash(key: bytes, identity: str) -> str:
    """HMAC-SHA256 of a client id or address, shortened to 16 hex characters."""
    return hmac.new(key, identity.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: float  # seconds until the current window ends

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_s)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.reset_s)))
        return headers


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window_s: float,
        max_clients: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_clients = max_clients
        self._clock = clock
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    def hit(self, client: str) -> Decision:
        """Count one request of ``client`` and say whether it may proceed."""
        now = self._clock()
        start, count = self._windows.pop(client, (now, 0))
        if now - start >= self.window_s:
            start, count = now, 0
        allowed = count < self.limit
        if allowed:
            count += 1
        self._windows[client] = (start, count)
        while len(self._windows) > self.max_clients:
            self._windows.popitem(last=False)
        return Decision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, self.limit - count),
            reset_s=max(0.0, start + self.window_s - now),
        )
