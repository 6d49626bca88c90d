import json
import math
import time

import pytest

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES
from miyraa.settings import get_settings

TEXT = "I can't believe we finally got the keys to our first flat today!!"


def post(api, path, body, **kwargs):
    return api.post(path, content=body if isinstance(body, bytes) else json.dumps(body), **kwargs)


def test_fingerprint_response_contract(api, model_tag):
    response = post(api, "/fingerprint", {"text": TEXT})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "emotion", "emotion_scores", "vad", "safety", "style", "intent", "pii", "language", "tokens",
        "truncated", "warnings", "model", "processing_time_ms",
    }  # fmt: skip
    assert list(body["emotion_scores"]) == list(EMOTIONS)
    assert math.isclose(sum(body["emotion_scores"].values()), 1.0, abs_tol=1e-4)
    assert body["emotion"] == max(body["emotion_scores"], key=body["emotion_scores"].get)
    assert set(body["vad"]) == {"valence", "arousal", "dominance"}
    assert all(0 <= v <= 1 for v in body["vad"].values())
    assert list(body["safety"]["categories"]) == list(SAFETY_CATEGORIES)
    assert body["safety"]["risk"] == max(body["safety"]["categories"].values())
    assert body["safety"]["safe"] is (body["safety"]["risk"] < 0.5)
    assert body["style"] in STYLES and body["intent"] in INTENTS
    assert body["pii"] == {"redacted": False, "counts": {}}
    assert body["language"]["code"] == "en" and body["language"]["supported"] is True
    assert body["tokens"] == 19 and body["truncated"] is False and body["warnings"] == []
    assert f"{body['model']['name']}:{body['model']['version']}" == model_tag
    assert body["processing_time_ms"] > 0
    assert response.headers["X-RateLimit-Limit"] == "1000000"


def test_the_model_reads_clear_texts_right(api):
    texts = {
        "I'm so scared, someone is trying to break into my house right now": "fear",
        "My grandmother passed away last night and I can't stop crying.": "sadness",
        "The meeting is moved to room 4 at 3pm on Thursday.": "neutral",
    }
    results = post(api, "/fingerprint/batch", {"texts": list(texts)}).json()["results"]
    assert [r["emotion"] for r in results] == list(texts.values())


def test_unsafe_text_is_flagged(api):
    body = post(
        api, "/fingerprint", {"text": "I know where you live and I'm going to hurt you, you worthless idiot"}
    ).json()
    assert body["safety"]["safe"] is False
    assert body["safety"]["categories"]["threatening"] >= 0.5


def test_pii_is_scrubbed_and_counted_but_never_returned(api):
    text = "so happy!! email me at jane.doe+tag@mail.example.com or call +44 20 7946 0958"
    response = post(api, "/fingerprint", {"text": text})
    assert response.status_code == 200
    assert response.json()["pii"] == {"redacted": True, "counts": {"EMAIL": 1, "PHONE": 1}}
    for fragment in ("jane.doe", "example.com", "7946", "0958", "so happy"):
        assert fragment not in response.text


def test_batch_returns_results_in_input_order(api):
    texts = [
        "The train leaves at 9:40 from platform 2.",
        "I love you more than words can say, happy anniversary my darling",
        "This is disgusting, there's mould all over the bread they sold me",
        "wait what? which form am I supposed to fill in, the blue or the green one??",
    ]
    batch = post(api, "/fingerprint/batch", {"texts": texts}).json()["results"]
    singles = [post(api, "/fingerprint", {"text": t}).json() for t in texts]
    for from_batch, alone in zip(batch, singles, strict=True):
        assert from_batch["emotion_scores"] == pytest.approx(alone["emotion_scores"], abs=1e-4)
    assert len({r["emotion"] for r in batch}) == 4


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/fingerprint", {"text": ""}, "string_too_short"),
        ("/fingerprint", {"text": "   "}, "string_pattern_mismatch"),
        ("/fingerprint", {"text": "x" * 5001}, "string_too_long"),
        ("/fingerprint", {"text": 42}, "string_type"),
        ("/fingerprint", {"text": ["a"]}, "string_type"),
        ("/fingerprint", {}, "missing"),
        ("/fingerprint", {"txt": "hello"}, "value_error"),
        ("/fingerprint", {"text": "hi", "client_id": 7}, "string_type"),
        ("/fingerprint", b"this is not json", "json_invalid"),
        ("/fingerprint", b'{"text": "caf\xe9 \xff"}', "json_invalid"),
        ("/fingerprint/batch", {"texts": []}, "too_short"),
        ("/fingerprint/batch", {"texts": ["hi"] * 65}, "too_long"),
        ("/fingerprint/batch", {"texts": ["ok", ""]}, "string_too_short"),
        ("/fingerprint/batch", {"texts": "hello"}, "list_type"),
    ],
)
def test_bad_input_is_a_400_that_says_what_was_wrong(api, path, body, expected):
    response = post(api, path, body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()
    assert expected in {detail["type"] for detail in error["detail"]}
    assert error["error"].startswith("invalid request body: ")
    assert "IODescriptor" not in response.text and "Request" not in error["error"]  # no internal names
    if isinstance(body, dict) and isinstance(body.get("text"), str) and body["text"].strip():
        assert body["text"] not in response.text


def test_the_service_keeps_serving_after_bad_input(api):
    for _ in range(3):
        r = post(api, "/fingerprint", b"\x00\xff garbage")
        assert r.status_code == 400 and [d["type"] for d in r.json()["detail"]] == ["json_invalid"], r.text
    assert post(api, "/fingerprint", {"text": TEXT}).status_code == 200


def test_health_reports_the_model_loaded(api):
    response = api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["model_loaded"]) == ("ok", True)
    assert body["uptime_s"] >= 0 and body["version"] == "0.1.0"


def test_health_while_the_model_loads_keeps_its_body_and_says_why(api, monkeypatch):
    from miyraa.runner_link import RunnerLink

    async def loading(self) -> bool:
        return False

    monkeypatch.setattr(RunnerLink, "ready", loading)
    assert api.get("/readyz").status_code == 503
    response = api.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["model_loaded"], body["error"]) == (
        "loading",
        False,
        "the model is still loading",
    )
    assert body["uptime_s"] >= 0 and body["version"] == "0.1.0"


def test_readyz_is_200_once_the_model_is_loaded(api):
    assert api.get("/readyz").status_code == 200


def test_only_scrubbed_text_reaches_the_runner(api, monkeypatch):
    from runners.fingerprint import FingerprintRunner

    seen: list[str] = []
    runner_class = FingerprintRunner  # the implementation behind BentoML's Service object
    original = runner_class._predict

    def spy(self, texts):
        seen.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(runner_class, "_predict", spy)
    text = "thrilled!! card 4539 1488 0343 6467, mail bob.smith@example.org, ip 198.51.100.4, @bobby_s"
    assert post(api, "/fingerprint", {"text": text}).status_code == 200
    assert seen == ["thrilled!! card [CREDIT_CARD], mail [EMAIL], ip [IP_ADDRESS], [HANDLE]"]


def test_a_body_over_the_cap_is_413_json_and_counted(api):
    from prometheus_client import REGISTRY

    labels = {"endpoint": "/fingerprint", "status": "413"}
    before = REGISTRY.get_sample_value("miyraa_requests_total", labels) or 0.0
    over = get_settings().max_body_bytes + 1
    r = api.post("/fingerprint", content=b'{"text": "' + b"a" * over + b'"}')
    assert r.status_code == 413
    assert "bytes" in r.json()["error"]
    assert REGISTRY.get_sample_value("miyraa_requests_total", labels) == before + 1
    assert api.post("/fingerprint", json={"text": "still serving"}).status_code == 200


def test_cors_is_closed_by_default(api):
    r = api.options(
        "/fingerprint", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers
    r = api.post("/fingerprint", json={"text": "hello"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_past_the_admission_limit_a_request_is_shed_at_once(api, monkeypatch):
    """An idle service admits a batch of 64 texts at the token limit (far above the starting
    limit); while it runs, another request is refused at once, not queued behind it."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from runners.fingerprint import FingerprintRunner

    original = FingerprintRunner._predict
    inside, release = threading.Event(), threading.Event()

    def held(self, texts):
        inside.set()
        release.wait(10)
        return original(self, texts)

    monkeypatch.setattr(FingerprintRunner, "_predict", held)
    texts = [f"text {i:02d} " + "long words here " * 93 for i in range(64)]  # 95,744 characters in all
    with ThreadPoolExecutor(1) as pool:
        full = pool.submit(post, api, "/fingerprint/batch", {"texts": texts})
        assert inside.wait(10)  # the batch is inside the runner now
        started = time.perf_counter()
        r = post(api, "/fingerprint", {"text": "one more"})
        shed_s = time.perf_counter() - started
        release.set()
        assert full.result().status_code == 200
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert r.json()["error"].startswith("server busy:")
    assert shed_s < 5  # answered while the runner was held, not after it
    assert post(api, "/fingerprint", {"text": "room again"}).status_code == 200


def test_the_served_openapi_document_lists_the_service_own_answers(api):
    doc = api.get("/docs.json").json()
    responses = doc["paths"]["/fingerprint"]["post"]["responses"]
    assert {"400", "413", "415", "429", "503"} <= set(responses)
    assert "Retry-After" in responses["503"]["headers"]
    r = api.post("/fingerprint", content=b'{"text": "hi"}', headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 415  # was a 500 from BentoML before the guard checked it


def test_the_largest_batch_as_escaped_json_is_answered(api):
    # MAX_REQUEST_CHARS (100,000) characters that json.dumps writes as 12-byte escapes (1.2 MB):
    # a valid request on an idle service, within MAX_BODY_BYTES.
    settings = get_settings()
    per_text = settings.max_text_chars
    texts = ["😂" * per_text] * (settings.max_request_chars // per_text)
    body = json.dumps({"texts": texts}).encode()  # ensure_ascii: "\ud83d\ude02" each
    assert len(body) > 12 * settings.max_request_chars
    r = api.post("/fingerprint/batch", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text[:200]
    assert len(r.json()["results"]) == len(texts)


def test_a_second_content_type_cannot_hand_the_body_to_another_parser(api):
    # BentoML reads the first Content-Type; the guard used to check the last one: a form body
    # then reached the form parser, and "text=" + 5,000 digits was a 500.
    for first in ("multipart/form-data", "application/x-www-form-urlencoded"):
        headers = [("content-type", first), ("content-type", "application/json")]
        r = api.post("/fingerprint", content=b"text=" + b"1" * 5000, headers=headers)
        assert (r.status_code, r.json()["error"]) == (415, "one Content-Type header, application/json")
    assert post(api, "/fingerprint", {"text": "still serving"}).status_code == 200


def test_pii_in_a_field_name_or_a_path_is_not_echoed_logged_or_exported(api, caplog):
    r = post(api, "/fingerprint", {"text": "hi", "jane.roe@example.org": 1})
    assert r.status_code == 400
    assert "jane.roe" not in r.text
    assert "1 unknown field(s); the fields are: text, client_id" in r.text
    assert api.post("/fingerprint/jane.roe@example.org", json={"text": "hi"}).status_code == 404
    assert "invalid request: body: value_error" in caplog.text  # the 400 was logged, without the key
    assert "jane.roe" not in caplog.text
