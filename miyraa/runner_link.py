"""The API's side of the runner: readiness, batcher calibration, calls and their failures.

The contract (tests/e2e/test_failures.py proves it over the real HTTP hop):
- the runner cannot be reached, times out or dies (``UNREACHABLE``): the request gets
  503 with Retry-After, and the runner is marked down (``RunnerHealth``) until its
  readiness probe answers again, so later requests are refused at once;
- the runner answers 503 itself (its dispatcher's budget): 503, runner not marked down;
- anything else (an exception inside a healthy runner, an answer that fails validation
  or has the wrong number of outputs) is our bug: the coalescer retries the requests of
  that call one by one so that only the request that sets it off fails, and the API
  answers it 500 with the trace id (miyraa/errors.py). The runner stays up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Protocol

import aiohttp
from bentoml.exceptions import BentoMLException

from miyraa.admission import RunnerHealth, estimate_tokens, runner_unavailable
from miyraa.coalesce import Coalescer
from miyraa.schemas import ModelInfo, ModelOutput

logger = logging.getLogger(__name__)

# A runner call failing with one of these did not reach a working runner: 503, runner down.
UNREACHABLE = (aiohttp.ClientError, ConnectionError, TimeoutError)
# A runner call's time budget: a base plus about 8x the fp32 graph's measured cost per
# token (0.12 ms), room for a machine whose cores are shared.
CALL_BASE_S = 2.0
CALL_S_PER_TOKEN = 0.001
# BentoML's dispatcher fits its timing on its first 11 calls (``RunnerLink._calibrate``).
BATCHER_TRAINING_CALLS = 12
CALIBRATION_TEXT = "calibrating the batcher"


class Runner(Protocol):
    """What the API uses of the runner service (a BentoML client, or the service in tests)."""

    predict: Callable[[list[str]], Awaitable[list[ModelOutput]]]
    model_info: Callable[[], Awaitable[dict[str, str]]]


class RunnerLink:
    def __init__(
        self,
        runner: Runner,
        max_batch_size: int,
        max_call_s: float,
        probe_timeout_s: float,
        probe_every_s: float = 0.5,
    ) -> None:
        self.runner = runner
        self.max_call_s = max_call_s
        self.probe_timeout_s = probe_timeout_s
        self.health = RunnerHealth(self.ready, probe_every_s)
        self.coalescer: Coalescer[ModelOutput] = Coalescer(
            runner.predict,
            max_batch_size,
            timeout_s=self.call_timeout_s,
            unreachable=UNREACHABLE,
            cost_of=estimate_tokens,
        )
        self._calibration = asyncio.Lock()
        self._calibrated = False  # the batcher of the runner process now serving
        self._model: ModelInfo | None = None

    def call_timeout_s(self, tokens: int) -> float:
        """Seconds a runner call may take with ``tokens`` (estimated) in the runner, its own
        included: a dead runner is noticed in about 2 s, a batch of long texts has its time."""
        return min(self.max_call_s, CALL_BASE_S + CALL_S_PER_TOKEN * tokens)

    async def ready(self) -> bool:
        """True once the runner answers its readiness probe within ``probe_timeout_s`` and its
        batcher is calibrated; False on any failure to get there (logged)."""
        is_ready: Callable[..., Awaitable[bool]] | None = getattr(self.runner, "is_ready", None)
        if is_ready is None:  # the runner lives in this process (tests): loaded by construction
            return True
        timeout = self.probe_timeout_s
        try:
            ready = bool(await asyncio.wait_for(is_ready(timeout=max(1, round(timeout))), timeout))
            if ready:
                await self._calibrate()
            return ready
        except (*UNREACHABLE, OSError, BentoMLException) as exc:
            logger.info("runner not ready: %s", type(exc).__name__)
            return False

    async def _calibrate(self) -> None:
        """Send the runner's batcher the small calls it learns its timing from, once per runner
        process, before any request does. BentoML's dispatcher fits its cost model on its
        first calls and meanwhile holds a lone call for a partner for a time it derives from
        that fit; fitted on large calls (64 long texts), it held single texts for seconds on
        an idle service (runner call budget exceeded: 503s; tests/container)."""
        async with self._calibration, asyncio.timeout(CALL_BASE_S):  # a stuck runner: not ready
            if not self._calibrated:
                for _ in range(BATCHER_TRAINING_CALLS):
                    await self.runner.predict([CALIBRATION_TEXT])
                self._calibrated = True

    async def predict(self, texts: list[str]) -> tuple[list[ModelOutput], ModelInfo]:
        """The runner's outputs, in input order, and the model's name; ``Refused`` (503) when
        the runner cannot be reached or is overloaded. Any other exception is a bug."""
        if self.health.down:
            raise runner_unavailable()
        try:
            outputs = await self.coalescer.submit(texts)
            if self._model is None:
                self._model = ModelInfo(**await self.runner.model_info())
            return outputs, self._model
        except UNREACHABLE as exc:
            logger.warning("runner unavailable: %s", type(exc).__name__)
            self._calibrated = False  # a runner process started after this one has a new batcher
            self.health.failed()
            raise runner_unavailable() from exc
        except BentoMLException as exc:
            if exc.error_code != HTTPStatus.SERVICE_UNAVAILABLE:
                raise
            logger.warning("runner overloaded")
            raise runner_unavailable() from exc
