"""The figures of the reliability checks are computed right (a counter that always says 0 is caught)."""

import json

from loadtest.drive import Answer
from reliability.faults import judge
from reliability.fuzz import server_errors
from reliability.overload import recovery_s


def test_server_errors_counts_5xx_access_lines_only(tmp_path):
    lines = [
        {"logger": "bentoml.access", "status": 200},
        {"logger": "bentoml.access", "status": 500},
        {"logger": "bentoml.access", "status": 503},
        {"logger": "miyraa.request", "status": 500},  # the same request seen by our observer
        {"logger": "bentoml.access", "status": 413},
    ]
    log = tmp_path / "service.log"
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n")
    assert server_errors(log) == 2


def test_recovery_is_the_start_of_three_good_seconds_in_a_row():
    answers = [
        Answer(10.0, 0.50, 200, False),  # second 0: slow
        Answer(10.5, 0.01, 503, True),  # second 0: shed
        Answer(11.0, 0.02, 200, False),  # second 1: fine
        Answer(12.0, 0.30, 200, False),  # second 2: slow again
        Answer(13.0, 0.02, 200, False),  # seconds 3, 4, 5: fine
        Answer(14.0, 0.02, 200, False),
        Answer(15.0, 0.02, 200, False),
        Answer(16.0, 0.90, 200, False),  # second 6: a lone spike, after recovery
    ]
    assert recovery_s(answers, bound_s=0.1) == 3.0
    assert recovery_s(answers[4:], bound_s=0.1) == 0.0
    assert recovery_s(answers[:4], bound_s=0.1) == 3.0  # never settled: the whole span


def slow_clients_met(alone_p95: float, beside_p95: float, beside_p99: float, errors: int = 0) -> bool:
    run = {
        "alone": {"p95_ms": alone_p95, "p99_ms": alone_p95 * 1.2, "errors": 0},
        "beside_slow_clients": {"p95_ms": beside_p95, "p99_ms": beside_p99, "errors": errors},
        "slow_client_statuses": [408],
    }
    [met] = [v for k, v in judge({"slow-clients": run}).items() if "P95" in k]
    return met


def test_slow_clients_judged_by_p95_with_slack_and_a_stall_bound():
    assert slow_clients_met(20.0, 38.0, 141.0)  # the CI run a 2x bound on P99 failed, nothing stalled
    assert slow_clients_met(20.0, 44.9, 100.0)  # +25 ms
    assert not slow_clients_met(20.0, 45.1, 100.0)
    assert slow_clients_met(60.0, 120.0, 300.0)  # 2x
    assert not slow_clients_met(60.0, 121.0, 300.0)
    assert not slow_clients_met(20.0, 30.0, 501.0)  # a stall shows in the tail
    assert not slow_clients_met(20.0, 30.0, 40.0, errors=1)
