"""Adaptive admission: admit up to the limit (any request when idle), refuse past it at once
with 503 + Retry-After, always release; the limit follows the latency goal."""

import asyncio
from collections.abc import Callable

import pytest

from miyraa.admission import Admission, Refused, RunnerHealth, estimate_tokens
from tests.fakes import Clock


def test_admits_while_there_is_room_and_refuses_past_the_limit():
    admission = Admission(goal_s=0.1)
    admission.limit = 100
    with admission.hold(60), admission.hold(40):
        assert admission.in_flight == 100
        assert admission.full
        with pytest.raises(Refused) as refused, admission.hold(1):
            pass
    assert refused.value.status == 503
    assert refused.value.reason == "overload"
    assert refused.value.headers == {"Retry-After": "1"}
    assert "100 tokens in progress, limit 100" in refused.value.message
    assert admission.in_flight == 0


def test_an_idle_worker_admits_a_request_of_any_cost():
    admission = Admission(goal_s=0.1)
    admission.limit = 100
    with admission.hold(64 * 264):  # 64 texts at the token limit
        assert admission.in_flight == 64 * 264
        with pytest.raises(Refused), admission.hold(1):
            pass
    assert admission.in_flight == 0


def test_the_hold_is_released_when_the_block_fails():
    admission = Admission(goal_s=0.1)
    admission.limit = 40
    with pytest.raises(RuntimeError), admission.hold(40):
        raise RuntimeError("the runner call failed")
    assert admission.in_flight == 0
    with admission.hold(40):
        assert admission.in_flight == 40


def test_slow_answers_cut_the_limit_at_most_once_per_goal():
    clock = Clock()
    admission = Admission(goal_s=0.1, clock=clock)
    admission.observe(0.5, 10)
    admission.observe(0.5, 10)  # same instant: no second cut
    assert admission.limit == Admission.INITIAL * Admission.DECREASE
    clock.now = 0.1
    admission.observe(0.5, 10)
    assert admission.limit == Admission.INITIAL * Admission.DECREASE**2
    for _ in range(100):
        clock.now += 1
        admission.observe(9.0, 1)
    assert admission.limit == Admission.FLOOR


def test_fast_answers_raise_a_limit_in_use_and_leave_an_idle_one():
    admission = Admission(goal_s=0.1)
    admission.observe(0.01, 100)  # nothing else in flight: the limit is not in use
    assert admission.limit == Admission.INITIAL
    admission.in_flight = Admission.INITIAL // 2
    admission.observe(0.01, 64)
    assert admission.limit == Admission.INITIAL + Admission.INCREASE * 64 / Admission.INITIAL


def test_a_big_request_does_not_steer_the_limit():
    admission = Admission(goal_s=0.1)
    admission.observe(5.0, Admission.STEERING_TOKENS + 1)  # slow because it is big, not queued
    assert admission.limit == Admission.INITIAL
    admission.observe(5.0, Admission.STEERING_TOKENS)
    assert admission.limit == Admission.INITIAL * Admission.DECREASE


def test_token_estimates_grow_with_length_up_to_the_model_limit():
    assert estimate_tokens("ok") == 8
    assert estimate_tokens("x" * 400) == 108
    assert estimate_tokens("x" * 5000) == estimate_tokens("x" * 100_000) == 264


def test_runner_health_is_down_from_a_failure_until_the_probe_says_ready():
    async def run() -> None:
        answers: asyncio.Queue[bool] = asyncio.Queue()  # what the probe says, when the test says it
        probes = 0

        async def probe() -> bool:
            nonlocal probes
            probes += 1
            return await answers.get()

        async def until(condition: Callable[[], bool]) -> None:
            async with asyncio.timeout(5):  # a hang guard: the loop turns until the condition holds
                while not condition():
                    await asyncio.sleep(0)

        health = RunnerHealth(probe, every_s=0)
        assert not health.down
        health.failed()
        health.failed()  # already down: no second recovery
        assert health.down
        for n, answer in enumerate((False, False), start=1):
            await until(lambda n=n: probes == n)
            answers.put_nowait(answer)
            await until(lambda n=n: probes == n + 1)  # "not ready": down still, and probed again
            assert health.down
        answers.put_nowait(True)
        await until(lambda: not health.down)
        assert probes == 3  # one recovery, probed until the first "ready"

    asyncio.run(run())
