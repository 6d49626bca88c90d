"""The API's side of the runner: which failures are 503 and mark the runner down, which are bugs."""

from __future__ import annotations

import asyncio
from http import HTTPStatus

import aiohttp
import pytest
from bentoml.exceptions import BentoMLException

from miyraa.admission import Refused
from miyraa.runner_link import RunnerLink
from miyraa.schemas import ModelOutput

OUTPUT = ModelOutput(
    emotion=[1.0], vad=[0.5, 0.5, 0.5], safety=[0.0] * 4, style=[1.0], intent=[1.0], tokens=3, max_tokens=256
)


class FakeRunner:
    """A runner reached over HTTP: ``predict`` raises ``failure`` when set; ``is_ready`` answers
    from ``ready`` (an exception in it is raised)."""

    def __init__(self) -> None:
        self.failure: BaseException | None = None
        self.ready: list[bool | BaseException] = []
        self.probes = 0
        self.calls: list[list[str]] = []

    async def predict(self, texts: list[str]) -> list[ModelOutput]:
        self.calls.append(texts)
        if self.failure is not None:
            raise self.failure
        return [OUTPUT] * len(texts)

    async def model_info(self) -> dict[str, str]:
        return {"name": "m", "version": "1"}

    async def is_ready(self, timeout: int) -> bool:
        self.probes += 1
        answer = self.ready.pop(0) if self.ready else True
        if isinstance(answer, BaseException):
            raise answer
        return answer


def link(runner: FakeRunner) -> RunnerLink:
    return RunnerLink(runner, max_batch_size=8, max_call_s=5, probe_timeout_s=1, probe_every_s=0)


@pytest.mark.parametrize(
    "failure",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("cut"),
        ConnectionResetError(),
        TimeoutError(),
    ],
)
def test_an_unreachable_runner_is_a_503_and_is_marked_down_until_ready(failure):
    runner = FakeRunner()

    async def run() -> tuple[Refused, bool, bool]:
        runner_link = link(runner)
        runner.failure = failure
        with pytest.raises(Refused) as refused:
            await runner_link.predict(["hello"])
        down = runner_link.health.down
        runner.failure = None
        while runner_link.health.down:
            await asyncio.sleep(0)
        return refused.value, down, runner_link.health.down

    refused, down_after_failure, down_after_probe = asyncio.run(run())
    assert (refused.status, refused.reason, refused.headers) == (
        503,
        "runner_unavailable",
        {"Retry-After": "1"},
    )
    assert (down_after_failure, down_after_probe) == (True, False)


def test_a_runner_overloaded_503_is_refused_without_marking_it_down():
    runner = FakeRunner()
    runner.failure = BentoMLException("busy", error_code=HTTPStatus.SERVICE_UNAVAILABLE)

    async def run() -> tuple[int, bool]:
        runner_link = link(runner)
        with pytest.raises(Refused) as refused:
            await runner_link.predict(["hello"])
        return refused.value.status, runner_link.health.down

    assert asyncio.run(run()) == (503, False)


def test_an_error_inside_a_healthy_runner_is_raised_as_a_bug_and_leaves_it_up():
    runner = FakeRunner()
    runner.failure = BentoMLException("boom", error_code=HTTPStatus.INTERNAL_SERVER_ERROR)

    async def run() -> bool:
        runner_link = link(runner)
        with pytest.raises(BentoMLException):
            await runner_link.predict(["hello"])
        return runner_link.health.down

    assert asyncio.run(run()) is False


def test_a_probe_that_raises_counts_as_not_ready_and_recovery_goes_on():
    runner = FakeRunner()
    runner.ready = [RuntimeError("probe bug"), aiohttp.ServerDisconnectedError(), False, True]

    async def run() -> tuple[bool, int]:
        runner_link = link(runner)
        runner_link.health.failed()
        while runner_link.health.down:
            await asyncio.sleep(0)
        return runner_link.health.down, runner.probes

    # RuntimeError escapes ready() (not a runner error) but the recovery loop survives it.
    assert asyncio.run(run()) == (False, 4)


def test_ready_calibrates_the_batcher_once_with_small_calls():
    runner = FakeRunner()

    async def run() -> list[bool]:
        runner_link = link(runner)
        return [await runner_link.ready(), await runner_link.ready()]

    assert asyncio.run(run()) == [True, True]
    assert runner.calls == [["calibrating the batcher"]] * 12
