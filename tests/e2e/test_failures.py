"""Failure paths over the real HTTP hop, and access rules, on a real `bentoml serve`.

The server here (``faulty`` in conftest.py) has API keys, CORS for one origin, and faults
in the runner's model (tests/e2e/faults/sitecustomize.py): a text with FAULT_RAISE makes the model raise,
FAULT_NAN makes it answer NaN, FAULT_SHORT makes it answer one output short. The
contract (miyraa/runner_link.py): such a bug in a healthy runner is a logged 500 with the
trace id, for that request only; the runner is not marked down. (A runner that is
unreachable, killed or timing out is a 503: reliability/faults.py, `make chaos-smoke`.)
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import KEYS, ORIGIN, RATE_LIMIT, Server
from tests.e2e.test_serve import metric


def post(server: Server, text: str, key: str = KEYS[0], **extra: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/fingerprint", json={"text": text, **extra}, headers={"X-API-Key": key}, timeout=30
    )


@pytest.mark.parametrize(
    ("marker", "error"),
    [
        ("FAULT_RAISE", "BentoMLException"),  # the runner's 500, through BentoML's client
        ("FAULT_NAN", "ValidationError"),  # a response that fails validation: ours, not a 400
        ("FAULT_SHORT", "RunnerAnswerError"),  # never another text's output
    ],
)
def test_a_bug_in_a_healthy_runner_is_a_logged_500_with_the_trace_id(faulty, marker, error):
    text = f"a quiet morning with tea {marker}"
    r = post(faulty, text)
    assert r.status_code == 500
    body = r.json()
    assert body["error"] == "internal error; the service logged it"
    same_request = [line for line in faulty.json_lines() if line.get("trace_id") == body["trace_id"]]
    [logged] = [line for line in same_request if line["logger"] == "miyraa.errors"]
    assert (logged["level"], logged["message"]) == ("ERROR", f"internal error in /fingerprint: {error}")
    # Never blamed on the client; the text is in no log line (FAULT_RAISE's message quotes it).
    assert not [line for line in same_request if str(line["message"]).startswith("invalid request")]
    output = "\n".join(faulty.output_lines())
    assert "a quiet morning" not in output
    # The runner is not marked down: ready, and the next request is served.
    assert httpx.get(f"{faulty.url}/readyz").status_code == 200
    assert post(faulty, "a quiet morning with tea").status_code == 200


def test_a_bug_fails_only_the_request_that_sets_it_off(faulty):
    texts = ["the FAULT_RAISE one"] + [f"an ordinary message number {i}" for i in range(7)]
    with ThreadPoolExecutor(len(texts)) as pool:
        statuses = list(pool.map(lambda text: post(faulty, text).status_code, texts))
    assert statuses == [500] + [200] * 7


def test_cors_answers_preflights_without_a_key_and_marks_refusals(faulty):
    preflight = httpx.options(
        f"{faulty.url}/fingerprint",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    refused = httpx.post(f"{faulty.url}/fingerprint", json={"text": "hi"}, headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ORIGIN  # a browser can read why
    other = httpx.post(
        f"{faulty.url}/fingerprint", json={"text": "hi"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers


def test_the_rate_limit_counts_per_key_whatever_client_id_says(faulty):
    key = KEYS[1]  # the other tests spend KEYS[0] and KEYS[2]
    before = httpx.get(f"{faulty.url}/metrics").text
    for i in range(RATE_LIMIT):
        r = post(faulty, "short and sweet", key=key, client_id=f"fresh-id-{i}")
        assert r.status_code == 200, (i, r.text)
    assert r.headers["x-ratelimit-remaining"] == "0"
    refused = post(faulty, "short and sweet", key=key, client_id="yet-another-id")
    assert refused.status_code == 429
    assert refused.json()["error"] == f"rate limit of {RATE_LIMIT} requests per 600 s exceeded"
    assert refused.headers["x-ratelimit-limit"] == str(RATE_LIMIT)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["retry-after"]) >= 1 and int(refused.headers["x-ratelimit-reset"]) >= 1
    after = httpx.get(f"{faulty.url}/metrics").text
    assert (
        metric(after, "miyraa_rate_limit_exceeded_total") - metric(before, "miyraa_rate_limit_exceeded_total")
        == 1
    )
    assert (
        metric(after, "miyraa_requests_total", endpoint="/fingerprint", status="429")
        - metric(before, "miyraa_requests_total", endpoint="/fingerprint", status="429")
    ) == 1
    # Another key has its own quota, whatever client_id it borrows.
    assert post(faulty, "short and sweet", key=KEYS[0], client_id="fresh-id-0").status_code == 200
