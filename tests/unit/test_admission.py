"""Adaptive admission: admit up to the limit (any request when idle), refuse past it at once
with 503 + Retry-After, always release; the limit follows the latency goal."""

import pytest

from miyraa.admission import Admission, Refused, RunnerHealth, estimate_tokens, runner_unavailable
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


def test_runner_unavailable_is_a_503_the_client_may_retry():
    refused = runner_unavailable()
    assert (refused.status, refused.reason) == (503, "runner_unavailable")
    assert refused.headers == {"Retry-After": "1"}
    assert "temporarily unavailable" in refused.message


def test_runner_health_is_down_from_a_failure_until_the_probe_says_ready():
    import asyncio

    answers = [False, False, True]

    async def probe() -> bool:
        return answers.pop(0)

    async def run() -> list[bool]:
        health = RunnerHealth(probe, every_s=0.01)
        seen = [health.down]
        health.failed()
        seen.append(health.down)
        while health.down:
            await asyncio.sleep(0.01)
        seen.append(health.down)
        return seen

    assert asyncio.run(run()) == [False, True, False]
    assert answers == []  # probed until the first "ready"
