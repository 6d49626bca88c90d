"""Keep the runner serving after SIGTERM until the API worker's last requests are done.

On shutdown (``docker stop``, a Kubernetes rollout, Ctrl-C) BentoML's arbiter signals the
API worker and the runner worker at the same moment. The API worker stops accepting and
finishes the requests it holds, but those still need the runner: texts waiting in the
coalescer make new runner calls after the signal. So the runner defers its server's own
SIGTERM handler until it has had no call in progress and none started for ``idle_s``, or
``max_s`` has passed, whichever comes first (reliability/faults.py measures 0 lost).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from types import FrameType

logger = logging.getLogger(__name__)


class Drain:
    def __init__(self, idle_s: float, max_s: float) -> None:
        self.idle_s = idle_s
        self.max_s = max_s
        self.in_progress = 0
        self.last_call = time.monotonic()

    def started(self) -> None:
        self.in_progress += 1
        self.last_call = time.monotonic()

    def finished(self) -> None:
        self.in_progress -= 1
        self.last_call = time.monotonic()

    def install(self) -> None:
        """Wrap the server's SIGTERM handler; call from the event loop's (main) thread."""
        server_handler = signal.getsignal(signal.SIGTERM)
        if not callable(server_handler):
            return  # not under a server that handles SIGTERM (tests)
        loop = asyncio.get_running_loop()

        def deferred(sig: int, frame: FrameType | None) -> None:
            logger.info("SIGTERM: serving until idle for %.1f s (at most %.0f s)", self.idle_s, self.max_s)
            loop.call_soon_threadsafe(loop.create_task, self._then(server_handler, sig, frame))

        signal.signal(signal.SIGTERM, deferred)

    async def _then(self, handler: signal.Handlers | object, sig: int, frame: FrameType | None) -> None:
        deadline = time.monotonic() + self.max_s
        while time.monotonic() < deadline and (
            self.in_progress or time.monotonic() - self.last_call < self.idle_s
        ):
            await asyncio.sleep(0.05)
        logger.info("runner drained; shutting down")
        handler(sig, frame)  # type: ignore[operator]
