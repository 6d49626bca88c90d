"""Load shedding: admit up to the bound, refuse past it at once with 503 + Retry-After, always release."""

import pytest

from miyraa.admission import Admission, Refused, RunnerHealth, runner_unavailable


def test_admits_while_there_is_room_and_refuses_at_the_bound():
    admission = Admission(limit=8)
    with admission.hold(5), admission.hold(3):
        assert admission.in_flight == 8
        assert admission.full
        with pytest.raises(Refused) as refused, admission.hold(1):
            pass
    assert refused.value.status == 503
    assert refused.value.reason == "overload"
    assert refused.value.headers == {"Retry-After": "1"}
    assert "8 texts in progress, limit 8" in refused.value.message
    assert admission.in_flight == 0


def test_a_batch_is_admitted_whole_while_there_is_room():
    admission = Admission(limit=8)
    with admission.hold(7), admission.hold(64):
        assert admission.in_flight == 71
        with pytest.raises(Refused), admission.hold(1):
            pass
    assert admission.in_flight == 0
    assert not admission.full


def test_the_hold_is_released_when_the_block_fails():
    admission = Admission(limit=4)
    with pytest.raises(RuntimeError), admission.hold(4):
        raise RuntimeError("the runner call failed")
    assert admission.in_flight == 0
    with admission.hold(4):
        assert admission.in_flight == 4


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
