import json
import random
import re
from concurrent.futures import ThreadPoolExecutor

import bentoml
import pytest

from miyraa.labels import EMOTIONS
from miyraa.pii import PII_TYPES

PII_VALUES = {
    "EMAIL": "maria.lopez+work@inbox.example.org",
    "PHONE": "+1 415-555-0132",
    "CREDIT_CARD": "4539 1488 0343 6467",
    "IBAN": "DE89 3704 0044 0532 0130 00",
    "US_SSN": "536-22-8109",
    "IP_ADDRESS": "203.0.113.77",
    "URL": "https://private.example.net/u/8842?token=abc123",
    "HANDLE": "@secret_handle_77",
}
MARKER = "zebracorn"  # a word that only appears in the test's raw text


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_readyz_answered_503_quickly_while_loading_then_200(server):
    statuses = [status for status, _ in server.readyz_statuses]
    assert statuses[-1] == 200
    assert set(statuses) <= {200, 503}
    # "quickly": BentoML's own probe hangs for traffic.timeout (60 s) here; ours answers within seconds
    assert max(seconds for _, seconds in server.readyz_statuses) < 5.0, server.readyz_statuses


def test_probes_and_health(http):
    assert http.get("/livez").status_code == 200
    assert http.get("/readyz").status_code == 200
    health = http.get("/health")
    assert health.status_code == 200
    assert set(health.json()) == {"status", "model_loaded", "uptime_s", "version"}
    assert health.json()["model_loaded"] is True


def test_fingerprint_with_bentoml_client(server, http):
    text = "We won the championship!!! I can't stop screaming"
    with bentoml.SyncHTTPClient(server.url) as client:
        body = client.fingerprint(text=text, client_id="sdk")
    plain = http.post("/fingerprint", json={"text": text}).json()
    assert body["emotion"] == plain["emotion"] and body["emotion"] in EMOTIONS
    assert body["emotion_scores"] == pytest.approx(plain["emotion_scores"], abs=1e-5)


def test_batch_over_http_keeps_input_order(http):
    texts = [
        "Thank you so much for the flowers, they are beautiful",
        "The invoice is attached.",
        "I'm terrified",
    ]
    results = http.post("/fingerprint/batch", json={"texts": texts, "client_id": "batch"}).json()["results"]
    singles = [http.post("/fingerprint", json={"text": t, "client_id": "batch"}).json() for t in texts]
    assert [r["emotion"] for r in results] == [s["emotion"] for s in singles]
    assert [r["vad"]["valence"] for r in results] == pytest.approx(
        [s["vad"]["valence"] for s in singles], abs=1e-4
    )


def test_concurrent_requests_are_batched_by_the_runner(http):
    before = http.get("/metrics").text
    texts = [f"request {i}: {'this is wonderful news' if i % 2 else 'this is awful'}" for i in range(32)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(
            pool.map(lambda t: http.post("/fingerprint", json={"text": t, "client_id": t}), texts)
        )
    assert [r.status_code for r in responses] == [200] * 32
    after = http.get("/metrics").text
    passes = metric(after, "miyraa_runner_batch_size_count") - metric(
        before, "miyraa_runner_batch_size_count"
    )
    items = metric(after, "miyraa_runner_batch_size_sum") - metric(before, "miyraa_runner_batch_size_sum")
    assert items == 32
    assert passes < 32, "no forward pass carried more than one text"
    assert "bentoml_service_adaptive_batch_size_bucket" in after


def test_an_idle_service_serves_big_batches_of_long_texts_then_single_ones(http):
    """64 texts of 1,200-1,560 characters (past the token limit), up to MAX_REQUEST_CHARS
    (100,000) in all, one batch after another on an otherwise idle service: each is within
    the documented limits, so each succeeds. The batcher's own latency budget counts texts,
    not tokens; admission and that budget must not refuse such a batch (it once got 503
    five times out of eight)."""
    rng = random.Random(11)
    words = [
        "the",
        "room",
        "was",
        "lovely",
        "but",
        "the",
        "service",
        "was",
        "slow",
        "and",
        "the",
        "bill",
        "was",
        "wrong",
        "again",
    ]
    statuses = []
    for _ in range(8):
        texts = []
        for _ in range(64):
            size = rng.randint(1200, 1560)
            text = " ".join(rng.choice(words) for _ in range(size // 4))
            texts.append(text[:size])
        r = http.post("/fingerprint/batch", json={"texts": texts, "client_id": "big"}, timeout=60)
        statuses.append(r.status_code)
        assert len(r.json().get("results", [])) == (64 if r.status_code == 200 else 0), r.text[:200]
    assert statuses == [200] * 8
    # and the single texts after them, one by one, are served too (the runner's batcher once
    # learnt its timing from such batches and then held lone texts for seconds: 503s)
    singles = [http.post("/fingerprint", json={"text": f"hello {i}", "client_id": "big"}) for i in range(8)]
    assert [r.status_code for r in singles] == [200] * 8


def test_metrics_move_with_the_requests(http):
    before = http.get("/metrics").text
    http.post(
        "/fingerprint", json={"text": "so glad to see you, write to ann@example.com", "client_id": "m1"}
    )
    http.post(
        "/fingerprint", json={"text": "I will find you and hurt you, you pathetic loser", "client_id": "m1"}
    )
    http.post("/fingerprint", json={"text": ""})
    http.post("/fingerprint/batch", json={"texts": ["hello", "ok thanks"], "client_id": "m1"})
    after = http.get("/metrics").text

    def moved(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert moved("miyraa_requests_total", endpoint="/fingerprint", status="200") == 2
    assert moved("miyraa_requests_total", endpoint="/fingerprint", status="400") == 1
    assert moved("miyraa_requests_total", endpoint="/fingerprint/batch", status="200") == 1
    assert moved("miyraa_request_duration_seconds_count", endpoint="/fingerprint") == 3
    assert moved("miyraa_pii_detected_total", entity_type="EMAIL") == 1
    assert moved("miyraa_emotion_predictions_total") == 4
    assert moved("miyraa_unsafe_texts_total", category="threatening") == 1
    assert moved("miyraa_text_length_chars_count") == 4  # admitted texts only
    assert metric(after, "miyraa_model_ready") == 1
    for entity in PII_TYPES:
        assert f'miyraa_pii_detected_total{{entity_type="{entity}"}}' in after


def test_no_pii_or_raw_text_in_responses_logs_or_metrics(server, http):
    bodies = []
    for entity, value in PII_VALUES.items():
        text = f"{MARKER} feeling great today, my {entity.lower()} is {value} ok"
        response = http.post("/fingerprint", json={"text": text, "client_id": "leak"})
        assert response.status_code == 200
        assert response.json()["pii"]["counts"] == {entity: 1}, entity
        bodies.append(response.text)
    batch = http.post("/fingerprint/batch", json={"texts": [f"{MARKER} {v}" for v in PII_VALUES.values()]})
    bodies.append(batch.text)
    bad = http.post("/fingerprint", json={"text": 123, "client_id": PII_VALUES["EMAIL"]})
    bodies.append(bad.text)
    too_long = http.post("/fingerprint", json={"text": MARKER + PII_VALUES["CREDIT_CARD"] * 400})
    bodies.append(too_long.text)
    # The one line allowed to name 127.0.0.1 is the server's own bind address at start-up.
    logs = [line for line in server.output_lines() if "listening on http://127.0.0.1" not in line]
    everything = "\n".join([*bodies, *logs, http.get("/metrics").text])
    for value in [*PII_VALUES.values(), MARKER, "127.0.0.1"]:
        assert value not in everything, value
    for value in PII_VALUES.values():
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 9:
            assert digits not in re.sub(r"\D", "", "\n".join(bodies)), value


def test_server_output_is_json_lines_with_request_fields(server, http):
    http.post("/fingerprint", json={"text": "just checking the logs", "client_id": "logs"})
    lines = server.output_lines()
    records = [json.loads(line) for line in lines]  # every line must parse
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)
    requests = [r for r in records if r["logger"] == "miyraa.request" and r.get("status") == 200]
    assert requests
    assert {
        "endpoint",
        "status",
        "duration_ms",
        "text_length",
        "pii_counts",
        "client_hash",
        "trace_id",
    } <= set(requests[-1])
    access = [r for r in records if r["logger"] == "bentoml.access"]
    assert access and all("client_hash" in r and "status" in r for r in access)
    assert len(lines) == len(set(lines)), "a log line was written twice"
