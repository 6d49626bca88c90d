"""Concurrent requests share runner calls, each gets its own outputs in order, failures reach all.

The fake runner holds every call until the test releases it, so which requests wait and which
leave together is fixed by the test, not by timing: call sizes and orders are exact.
"""

import asyncio
from collections.abc import Callable

import pytest

from miyraa.coalesce import Coalescer, RunnerAnswerError

WITHIN_S = 5.0  # a hang guard only: every wait below ends on an event, not on time


def upper(texts: list[str]) -> list[str]:
    return [t.upper() for t in texts]


class HeldRunner:
    """A fake runner: records each call's texts and holds it until ``release()`` or ``open()``."""

    def __init__(self, answer: Callable[[list[str]], list[str]] = upper, held: bool = True) -> None:
        self.answer = answer
        self.held = held
        self.calls: list[list[str]] = []
        self.cancelled: list[list[str]] = []
        self.in_flight = 0
        self.peak = 0
        self._gates: list[asyncio.Event] = []
        self._called = asyncio.Event()

    async def predict(self, texts: list[str]) -> list[str]:
        self.calls.append(list(texts))
        gate = asyncio.Event()
        self._gates.append(gate)
        if not self.held:
            gate.set()
        self._called.set()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await gate.wait()
        except asyncio.CancelledError:
            self.cancelled.append(list(texts))
            raise
        finally:
            self.in_flight -= 1
        return self.answer(texts)

    def release(self, call: int) -> None:
        """Let the ``call``-th call (0-based, in the order they reached the runner) answer."""
        self._gates[call].set()

    def open(self) -> None:
        """Let every held call answer, and every later one at once."""
        self.held = False
        for gate in self._gates:
            gate.set()

    async def until_calls(self, n: int) -> None:
        """Return once ``n`` calls have reached the runner."""
        async with asyncio.timeout(WITHIN_S):
            while len(self.calls) < n:
                self._called.clear()
                await self._called.wait()


def start(coalescer: Coalescer[str], requests: list[list[str]]) -> list[asyncio.Task[list[str]]]:
    """One task per request, submitted in this order when the test next awaits."""
    return [asyncio.ensure_future(coalescer.submit(texts)) for texts in requests]


async def results(tasks: list[asyncio.Task[list[str]]]) -> list[object]:
    async with asyncio.timeout(WITHIN_S):
        return await asyncio.gather(*tasks, return_exceptions=True)


def test_concurrent_requests_share_calls_and_keep_their_order():
    runner = HeldRunner()
    coalescer = Coalescer(runner.predict, max_items=8, max_in_flight=1)
    requests = [[f"a{i}", f"b{i}"] for i in range(10)]

    async def run() -> list[object]:
        tasks = start(coalescer, requests)
        await runner.until_calls(1)  # the first request left alone; the nine others wait behind it
        assert runner.calls == [["a0", "b0"]]
        runner.open()
        return await results(tasks)

    assert asyncio.run(run()) == [upper(r) for r in requests]
    assert runner.calls == [
        ["a0", "b0"],  # the first request does not wait for company
        ["a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4"],  # then full calls of max_items texts
        ["a5", "b5", "a6", "b6", "a7", "b7", "a8", "b8"],
        ["a9", "b9"],
    ]


def test_at_most_max_in_flight_calls_at_once():
    runner = HeldRunner()
    coalescer = Coalescer(runner.predict, max_items=2, max_in_flight=2)
    requests = [[f"x{i}"] for i in range(12)]

    async def run() -> list[object]:
        tasks = start(coalescer, requests)
        await runner.until_calls(2)
        assert (runner.calls, runner.in_flight) == ([["x0"], ["x1"]], 2)  # ten wait: no third call
        runner.release(0)  # one call ends: one more leaves, with the next two texts
        await runner.until_calls(3)
        assert (runner.calls[2], runner.in_flight) == (["x2", "x3"], 2)
        runner.open()
        return await results(tasks)

    assert asyncio.run(run()) == [upper(r) for r in requests]
    assert runner.calls == [
        ["x0"],
        ["x1"],
        ["x2", "x3"],
        ["x4", "x5"],
        ["x6", "x7"],
        ["x8", "x9"],
        ["x10", "x11"],
    ]
    assert runner.peak == 2


def test_a_failed_call_fails_every_request_it_carried_and_those_waiting_behind_it():
    def gone(texts: list[str]) -> list[str]:
        raise ConnectionError("runner gone")

    runner = HeldRunner(gone)
    coalescer = Coalescer(runner.predict, max_items=2, max_in_flight=1)

    async def run() -> list[object]:
        tasks = start(coalescer, [[str(i)] for i in range(7)])
        await runner.until_calls(1)  # "0" in the runner, six waiting behind it
        runner.open()
        return await results(tasks)

    answers = asyncio.run(run())
    assert isinstance(answers[0], ConnectionError) and str(answers[0]) == "runner gone"
    assert all(a is answers[0] for a in answers)  # the one error, given to all seven
    assert runner.calls == [["0"]]  # the six waiting were not sent to the failing runner


def test_a_call_past_the_timeout_fails_instead_of_hanging():
    runner = HeldRunner()  # never released: only the coalescer's timeout ends the call
    coalescer = Coalescer(runner.predict, max_items=8, timeout_s=lambda cost: 0.05)

    async def run() -> list[object]:
        return await results(start(coalescer, [["a"]]))

    [answer] = asyncio.run(run())
    assert isinstance(answer, TimeoutError)
    assert runner.cancelled == [["a"]]  # the coalescer gave up on the runner call, not the test's guard


def test_later_requests_still_served_after_a_failure():
    failing = True

    def answer(texts: list[str]) -> list[str]:
        if failing:
            raise ConnectionError("runner gone")
        return upper(texts)

    runner = HeldRunner(answer, held=False)
    coalescer = Coalescer(runner.predict, max_items=8)

    async def run() -> list[str]:
        nonlocal failing
        with pytest.raises(ConnectionError):
            await coalescer.submit(["a"])
        failing = False
        return await coalescer.submit(["b"])

    assert asyncio.run(run()) == ["B"]
    assert runner.calls == [["a"], ["b"]]


def test_more_texts_than_max_items_go_in_several_calls_in_order():
    runner = HeldRunner(held=False)
    coalescer = Coalescer(runner.predict, max_items=3, max_in_flight=1)
    texts = [f"t{i}" for i in range(8)]
    assert asyncio.run(coalescer.submit(texts)) == upper(texts)
    assert runner.calls == [["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6", "t7"]]


def test_an_error_inside_the_runner_fails_only_the_request_that_sets_it_off():
    def answer(texts: list[str]) -> list[str]:
        if "bad" in texts:
            raise ValueError("a bug in the model code")
        return upper(texts)

    runner = HeldRunner(answer)
    coalescer = Coalescer(runner.predict, max_items=2, max_in_flight=1)

    async def run() -> list[object]:
        tasks = start(coalescer, [["first"], ["bad"], ["x"], ["y"]])
        await runner.until_calls(1)  # "first" in the runner; "bad" and "x" will leave together, then "y"
        runner.open()
        return await results(tasks)

    answers = asyncio.run(run())
    # The failed call's requests go again one by one: only "bad" fails alone.
    assert runner.calls == [["first"], ["bad", "x"], ["bad"], ["x"], ["y"]]
    assert answers[0] == ["FIRST"]
    assert isinstance(answers[1], ValueError) and str(answers[1]) == "a bug in the model code"
    assert answers[2:] == [["X"], ["Y"]]


def test_an_answer_with_the_wrong_number_of_outputs_is_an_error_not_someone_elses_result():
    runner = HeldRunner(lambda texts: upper(texts)[:-1])
    coalescer = Coalescer(runner.predict, max_items=8, max_in_flight=1)

    async def run() -> list[object]:
        tasks = start(coalescer, [["a"], ["b"], ["c"]])
        await runner.until_calls(1)  # "a" alone, then "b" and "c" together, then each alone
        runner.open()
        return await results(tasks)

    answers = asyncio.run(run())
    assert runner.calls == [["a"], ["b", "c"], ["b"], ["c"]]
    assert [str(a) for a in answers] == ["the runner answered 0 outputs for 1 texts"] * 3
    assert all(isinstance(a, RunnerAnswerError) for a in answers)


def test_requests_cancelled_while_waiting_are_not_sent():
    runner = HeldRunner()
    coalescer = Coalescer(runner.predict, max_items=8, max_in_flight=1)

    async def run() -> tuple[list[object], bool]:
        first, gone, kept = start(coalescer, [["first"], ["gone"], ["kept"]])
        await runner.until_calls(1)  # "first" is in the runner; the next two wait
        gone.cancel()  # the client went away while its request waited
        runner.open()
        return await results([first, kept]), gone.cancelled()

    assert asyncio.run(run()) == ([["FIRST"], ["KEPT"]], True)
    assert runner.calls == [["first"], ["kept"]]


def test_a_call_gets_the_time_its_cost_and_the_cost_ahead_of_it_allow():
    budgets: list[int] = []

    def timeout_s(cost: int) -> float:
        budgets.append(cost)
        return WITHIN_S

    runner = HeldRunner()
    coalescer = Coalescer(runner.predict, max_items=2, max_in_flight=2, timeout_s=timeout_s, cost_of=len)

    async def run() -> None:
        first, second = start(coalescer, [["aaaa"], ["bb"]])
        await runner.until_calls(2)
        runner.release(0)
        await results([first])
        [third] = start(coalescer, [["ddd"]])  # "bb" is still in the runner
        await runner.until_calls(3)
        runner.open()
        await results([second, third])
        await coalescer.submit(["c"])  # nothing ahead of it

    asyncio.run(run())
    assert budgets == [4, 4 + 2, 2 + 3, 1]


def test_a_call_that_cannot_reach_the_runner_fails_the_call_in_flight_beside_it_at_once():
    # The runner process died: the first call's connection is reset, the second was sent to
    # the same dead runner and would wait out its whole time budget.
    def answer(texts: list[str]) -> list[str]:
        if texts == ["a"]:
            raise ConnectionError("runner gone")
        return upper(texts)

    runner = HeldRunner(answer)
    coalescer = Coalescer(runner.predict, max_items=1, max_in_flight=2, timeout_s=lambda cost: 60.0)

    async def run() -> tuple[list[object], list[str]]:
        tasks = start(coalescer, [["a"], ["b"], ["c"]])
        await runner.until_calls(2)  # "a" and "b" in the runner, "c" waiting
        runner.release(0)  # "a" fails; "b" is still held
        answers = await results(tasks)
        runner.open()
        return answers, await coalescer.submit(["d"])

    answers, later = asyncio.run(run())
    assert [type(a) for a in answers] == [ConnectionError] * 3
    assert all(a is answers[0] for a in answers)
    assert runner.cancelled == [["b"]]  # given up, not waited for (the budget was 60 s)
    assert runner.calls == [["a"], ["b"], ["d"]]  # "c" never went to the dead runner
    assert later == ["D"]  # the slots were freed
