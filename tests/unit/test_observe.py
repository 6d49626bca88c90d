"""The status a request is counted and logged with is the one its client saw."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import REGISTRY

from miyraa.observe import ObserveMiddleware

ENDPOINT = "/observe-test"


def count(status: str) -> float:
    return REGISTRY.get_sample_value("miyraa_requests_total", {"endpoint": ENDPOINT, "status": status}) or 0.0


def scope() -> dict[str, Any]:
    return {"type": "http", "path": ENDPOINT, "client": ("198.51.100.7", 1234), "headers": []}


async def reads_until_the_client_leaves(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass  # the client went away before a body arrived: nothing is sent


def test_a_client_that_went_away_is_counted_499_not_500():
    messages = [{"type": "http.disconnect"}]
    observe = ObserveMiddleware(reads_until_the_client_leaves, b"k", (ENDPOINT,), timeout_s=30)
    before = count("499"), count("500")

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("nothing may be sent")

    asyncio.run(observe(scope(), receive, send))
    assert (count("499"), count("500")) == (before[0] + 1, before[1])


def test_a_request_cancelled_at_the_timeout_is_counted_504():
    held = asyncio.Event()

    async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
        held.set()
        await asyncio.Event().wait()  # never answers: BentoML's timeout middleware cancels it

    observe = ObserveMiddleware(slow, b"k", (ENDPOINT,), timeout_s=0.05)
    before = count("504")

    async def run() -> None:
        task = asyncio.create_task(observe(scope(), None, None))
        await held.wait()
        await asyncio.sleep(0.06)  # the request's age passes its timeout (the behaviour under test)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run())
    assert count("504") == before + 1


def test_an_answer_is_counted_with_its_own_status():
    async def teapot(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    before = count("418")
    asyncio.run(ObserveMiddleware(teapot, b"k", (ENDPOINT,), timeout_s=30)(scope(), None, send))
    assert count("418") == before + 1 and sent[0]["status"] == 418
