"""Concurrent requests share runner calls, each gets its own outputs in order, failures reach all."""

import asyncio

import pytest

from miyraa.coalesce import Coalescer


class SlowRunner:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    async def predict(self, texts: list[str]) -> list[str]:
        self.calls.append(list(texts))
        await asyncio.sleep(0.01)
        if self.fail:
            raise ConnectionError("runner gone")
        return [t.upper() for t in texts]


async def submit_many(coalescer: Coalescer[str], requests: list[list[str]]) -> list[list[str]]:
    return await asyncio.gather(*(coalescer.submit(texts) for texts in requests))


def test_concurrent_requests_share_calls_and_keep_their_order():
    runner = SlowRunner()
    coalescer = Coalescer(runner.predict, max_items=8, max_in_flight=1)
    requests = [[f"a{i}", f"b{i}"] for i in range(10)]
    results = asyncio.run(submit_many(coalescer, requests))
    assert results == [[t.upper() for t in r] for r in requests]
    assert len(runner.calls) < len(requests)
    assert all(len(call) <= 8 for call in runner.calls)
    assert runner.calls[0] == ["a0", "b0"]  # the first request does not wait for company


def test_at_most_max_in_flight_calls_at_once():
    in_flight, peak = 0, 0

    async def predict(texts: list[str]) -> list[str]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return texts

    coalescer = Coalescer(predict, max_items=2, max_in_flight=2)
    asyncio.run(submit_many(coalescer, [["x"]] * 12))
    assert peak == 2


def test_a_failed_call_fails_every_request_it_carried_and_those_waiting_behind_it():
    runner = SlowRunner(fail=True)
    coalescer = Coalescer(runner.predict, max_items=2, max_in_flight=1)

    async def run() -> list[object]:
        return await asyncio.gather(*(coalescer.submit([str(i)]) for i in range(7)), return_exceptions=True)

    results = asyncio.run(run())
    assert all(isinstance(r, ConnectionError) for r in results)
    assert runner.calls == [["0"]]  # the six waiting were not sent to the failing runner


def test_a_call_past_the_timeout_fails_instead_of_hanging():
    async def hangs(texts: list[str]) -> list[str]:
        await asyncio.sleep(60)
        return texts

    coalescer = Coalescer(hangs, max_items=8, timeout_s=lambda cost: 0.05)

    async def run() -> float:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            await coalescer.submit(["a"])
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(run()) < 1.0


def test_later_requests_still_served_after_a_failure():
    runner = SlowRunner(fail=True)
    coalescer = Coalescer(runner.predict, max_items=8)

    async def run() -> list[str]:
        with pytest.raises(ConnectionError):
            await coalescer.submit(["a"])
        runner.fail = False
        return await coalescer.submit(["b"])

    assert asyncio.run(run()) == ["B"]


def test_more_texts_than_max_items_go_in_several_calls_in_order():
    runner = SlowRunner()
    coalescer = Coalescer(runner.predict, max_items=3, max_in_flight=1)
    texts = [f"t{i}" for i in range(8)]
    assert asyncio.run(coalescer.submit(texts)) == [t.upper() for t in texts]
    assert [len(call) for call in runner.calls] == [3, 3, 2]


def test_an_error_inside_the_runner_fails_only_its_own_call():
    calls: list[list[str]] = []

    async def predict(texts: list[str]) -> list[str]:
        calls.append(list(texts))
        await asyncio.sleep(0.01)
        if "bad" in texts:
            raise ValueError("a bug in the model code")
        return [t.upper() for t in texts]

    coalescer = Coalescer(predict, max_items=1, max_in_flight=1)

    async def run() -> list[object]:
        return await asyncio.gather(
            *(coalescer.submit([t]) for t in ("bad", "x", "y")), return_exceptions=True
        )

    results = asyncio.run(run())
    assert isinstance(results[0], ValueError)
    assert results[1:] == [["X"], ["Y"]]
    assert calls == [["bad"], ["x"], ["y"]]


def test_an_answer_with_the_wrong_number_of_outputs_is_an_error_not_someone_elses_result():
    async def short(texts: list[str]) -> list[str]:
        await asyncio.sleep(0.01)
        return [t.upper() for t in texts][:-1]

    coalescer = Coalescer(short, max_items=8, max_in_flight=1)

    async def run() -> list[object]:
        first = asyncio.ensure_future(coalescer.submit(["a"]))
        await asyncio.sleep(0)
        rest = [coalescer.submit([t]) for t in ("b", "c")]
        return await asyncio.gather(first, *rest, return_exceptions=True)

    results = asyncio.run(run())
    assert all(isinstance(r, RuntimeError) for r in results), results
    assert "answered 1 outputs for 2 texts" in str(results[1])


def test_requests_cancelled_while_waiting_are_not_sent():
    runner = SlowRunner()
    coalescer = Coalescer(runner.predict, max_items=8, max_in_flight=1)

    async def run() -> list[str]:
        first = asyncio.ensure_future(coalescer.submit(["first"]))
        await asyncio.sleep(0)  # "first" is in the runner; the next two wait
        gone = asyncio.ensure_future(coalescer.submit(["gone"]))
        kept = asyncio.ensure_future(coalescer.submit(["kept"]))
        await asyncio.sleep(0)
        gone.cancel()
        await first
        return await kept

    assert asyncio.run(run()) == ["KEPT"]
    assert runner.calls == [["first"], ["kept"]]


def test_a_call_gets_the_time_its_cost_and_the_cost_ahead_of_it_allow():
    budgets: list[int] = []

    async def predict(texts: list[str]) -> list[str]:
        await asyncio.sleep(0.01)
        return texts

    def timeout_s(cost: int) -> float:
        budgets.append(cost)
        return 5.0

    coalescer = Coalescer(predict, max_items=2, max_in_flight=2, timeout_s=timeout_s, cost_of=len)

    async def run() -> None:
        first = asyncio.ensure_future(coalescer.submit(["aaaa"]))
        await asyncio.sleep(0)
        await asyncio.gather(first, coalescer.submit(["bb"]))
        await coalescer.submit(["c"])

    asyncio.run(run())
    assert budgets == [4, 6, 1]  # the second call waits behind the first; the third alone
