"""Merge concurrent requests' texts into few runner calls (API side).

Each call to the runner is an HTTP request between two processes; under load, one call
per client request spends the runner's CPU on request handling and leaves its adaptive
batcher only one or two texts per forward pass (docs/PERFORMANCE.md). The coalescer keeps
at most ``max_in_flight`` runner calls open; texts that arrive meanwhile wait and leave
together in the next call, up to ``max_items`` texts. At low load a text leaves at once.
Requests cancelled while they waited (the client went away) are not sent.

A call has ``timeout_s(cost)`` seconds, where ``cost`` sums ``cost_of`` over its texts and
those of the call ahead of it in the runner: a batch of long texts may take seconds, while
a dead runner must be noticed within about the time one small call takes. A call that
cannot reach the runner (one of ``unreachable``: connection lost, timed out) fails its
requests, those waiting behind it and those of the calls in flight beside it (which are
given up): they all went, or would go, to the same runner. A call sent in the moment a
runner process died otherwise waited out its whole time budget (over 2 s; `make chaos`'s
"refused fast" once measured 2.26 s) before its requests were refused. Any other
failure (an error inside a healthy runner, an answer with the wrong number of outputs)
is a bug that one request's texts may have set off: each request of that call is sent
again on its own, one after another, so only the request that fails alone fails.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class RunnerAnswerError(RuntimeError):
    """The runner answered, but not one output per text."""


class Coalescer(Generic[T]):
    def __init__(
        self,
        call: Callable[[list[str]], Awaitable[list[T]]],
        max_items: int,
        max_in_flight: int = 2,
        timeout_s: Callable[[int], float] = lambda cost: 10.0,
        unreachable: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError),
        cost_of: Callable[[str], int] = lambda text: 1,
    ) -> None:
        self._call = call
        self._unreachable = unreachable
        self._timeout_s = timeout_s
        self._cost_of = cost_of
        self._cost_in_flight = 0
        self._max_items = max_items
        self._max_in_flight = max_in_flight
        self._pending: deque[tuple[list[str], asyncio.Future[list[T]]]] = deque()
        self._in_flight = 0
        # The requests of each call in flight, by the task that runs it.
        self._calls: dict[asyncio.Task[None], list[tuple[list[str], asyncio.Future[list[T]]]]] = {}

    async def submit(self, texts: list[str]) -> list[T]:
        """The outputs for ``texts``, in order; more than ``max_items`` texts go in several calls."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[list[T]]] = []
        for start in range(0, len(texts), self._max_items):
            futures.append(loop.create_future())
            self._pending.append((texts[start : start + self._max_items], futures[-1]))
        self._dispatch()
        return [output for answer in await asyncio.gather(*futures) for output in answer]

    def _dispatch(self) -> None:
        while self._pending and self._in_flight < self._max_in_flight:
            batch = [self._pending.popleft()]
            size = len(batch[0][0])
            while self._pending and size + len(self._pending[0][0]) <= self._max_items:
                batch.append(self._pending.popleft())
                size += len(batch[-1][0])
            self._in_flight += 1
            asyncio.get_running_loop().create_task(self._run(batch))

    async def _run(self, batch: list[tuple[list[str], asyncio.Future[list[T]]]]) -> None:
        batch = [(texts, future) for texts, future in batch if not future.done()]  # skip the cancelled
        task = asyncio.current_task()
        assert task is not None  # _dispatch runs this in a task
        self._calls[task] = batch
        try:
            if batch:
                await self._answer(batch)
        finally:
            del self._calls[task]
            self._in_flight -= 1
            self._dispatch()

    async def _answer(self, batch: list[tuple[list[str], asyncio.Future[list[T]]]]) -> None:
        texts = [text for request, _ in batch for text in request]
        try:
            outputs = await self._timed_call(texts)
            if len(outputs) != len(texts):
                raise RunnerAnswerError(f"the runner answered {len(outputs)} outputs for {len(texts)} texts")
        except self._unreachable as exc:  # every request of the call, waiting, or in flight beside it
            while self._pending:
                batch.append(self._pending.popleft())
            _fail(batch, exc)
            self._give_up_others(exc)
        except Exception as exc:  # a bug: find the request that sets it off
            if len(batch) == 1:
                _fail(batch, exc)
                return
            for entry in batch:
                if not entry[1].done():
                    await self._answer([entry])
        else:
            start = 0
            for request, future in batch:
                if not future.done():
                    future.set_result(outputs[start : start + len(request)])
                start += len(request)

    def _give_up_others(self, exc: BaseException) -> None:
        """Fail the requests of the other calls in flight with ``exc`` and cancel those calls."""
        for task, batch in list(self._calls.items()):
            if task is not asyncio.current_task():
                _fail(batch, exc)
                task.cancel()

    async def _timed_call(self, texts: list[str]) -> list[T]:
        """The runner's answer, within the time the cost in flight (this call's included) allows."""
        cost = sum(self._cost_of(text) for text in texts)
        self._cost_in_flight += cost
        try:
            async with asyncio.timeout(self._timeout_s(self._cost_in_flight)):
                return await self._call(texts)
        finally:
            self._cost_in_flight -= cost


def _fail(batch: list[tuple[list[str], asyncio.Future[T]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
