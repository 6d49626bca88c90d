"""What the model cannot read, made visible: the language of each text, the policy for the
ones it cannot read (annotate or reject, per item in a batch), and truncation at its limit."""

import json
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from tokenizers import Tokenizer

from tests.model_store import built_model

SPANISH = "Estoy muy feliz, ¡hemos ganado el campeonato!"
CHINESE = "我今天非常难过，我的狗死了。"
FRENCH = "Je suis tellement en colère contre toi."
GERMAN = "Ich hasse dich, du bist ein Idiot."
ENGLISH = "We finally got the keys to our first flat today!!"


def post(api, path, body):
    return api.post(path, content=json.dumps(body))


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def reject(monkeypatch):
    import service

    monkeypatch.setattr(service.settings, "unsupported_language", "reject")


@pytest.fixture
def runner_texts(monkeypatch):
    """The texts the runner is asked to score, in order."""
    from runners.fingerprint import FingerprintRunner

    seen: list[str] = []
    original = FingerprintRunner._predict

    def spy(self, texts):
        seen.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(FingerprintRunner, "_predict", spy)
    return seen


@pytest.mark.parametrize(("text", "code"), [(SPANISH, "es"), (CHINESE, "zh"), (FRENCH, "fr"), (GERMAN, "de")])
def test_a_text_in_another_language_is_answered_with_a_warning(api, text, code):
    before = metric("miyraa_language_total", language=code), metric("miyraa_unsupported_language_total")
    response = post(api, "/fingerprint", {"text": text})
    assert response.status_code == 200
    body = response.json()
    assert body["language"]["code"] == code
    assert body["language"]["supported"] is False
    assert body["language"]["confidence"] >= 0.9
    assert [w["code"] for w in body["warnings"]] == ["unsupported_language"]
    assert f"looks like {code}" in body["warnings"][0]["message"]
    assert text not in response.text
    assert sum(body["emotion_scores"].values()) == pytest.approx(1.0, abs=1e-4)  # still scored
    after = metric("miyraa_language_total", language=code), metric("miyraa_unsupported_language_total")
    assert after == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "lol",
        "😂😂",
        "Giovanni Rossi",
        "check this out https://example.org/a lol",  # the URL becomes [URL] before identification
        "omg the fiesta last night was amazing, gracias for inviting me",
        "my abuela made tamales for everyone, best Christmas ever",
    ],
)
def test_short_ambiguous_and_code_mixed_english_texts_stay_supported(api, text):
    body = post(api, "/fingerprint", {"text": text}).json()
    assert body["language"]["supported"] is True
    assert body["warnings"] == []


def test_a_text_too_short_to_tell_is_undetermined(api):
    body = post(api, "/fingerprint", {"text": "👍 ok"}).json()
    assert body["language"] == {"code": "und", "confidence": 0.0, "supported": True}


def test_reject_answers_422_with_the_error_shape_and_never_scores_the_text(api, reject, runner_texts):
    response = post(api, "/fingerprint", {"text": SPANISH})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"error", "language"}
    assert body["error"].startswith("unsupported language: the text looks like es")
    assert body["language"]["code"] == "es" and body["language"]["supported"] is False
    assert SPANISH not in response.text
    assert runner_texts == []
    assert post(api, "/fingerprint", {"text": ENGLISH}).status_code == 200  # English still served


def test_reject_in_a_batch_answers_per_item_and_scores_the_rest(api, reject, runner_texts):
    texts = [ENGLISH, SPANISH, "ok", CHINESE, "thank you so much!!"]
    response = post(api, "/fingerprint/batch", {"texts": texts})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 5
    assert [("error" in r) for r in results] == [False, True, False, True, False]
    assert results[1]["status"] == 422 and results[1]["language"]["code"] == "es"
    assert results[3]["status"] == 422 and results[3]["language"]["code"] == "zh"
    assert set(results[1]) == {"error", "status", "language"}
    assert all(r["language"]["supported"] for r in (results[0], results[2], results[4]))
    assert runner_texts == [ENGLISH, "ok", "thank you so much!!"]


def test_reject_of_every_text_of_a_batch_asks_nothing_of_the_runner(api, reject, runner_texts):
    results = post(api, "/fingerprint/batch", {"texts": [SPANISH, FRENCH]}).json()["results"]
    assert [r["language"]["code"] for r in results] == ["es", "fr"]
    assert [r["status"] for r in results] == [422, 422]
    assert runner_texts == []


def test_annotate_in_a_batch_scores_every_text(api, runner_texts):
    results = post(api, "/fingerprint/batch", {"texts": [ENGLISH, SPANISH]}).json()["results"]
    assert [r["language"]["supported"] for r in results] == [True, False]
    assert [len(r["warnings"]) for r in results] == [0, 1]
    assert runner_texts == [ENGLISH, SPANISH]


def _token_count(text: str) -> int:
    """The model's own tokenizer, without truncation: what the response must report."""
    tokenizer = Tokenizer.from_file(str(Path(built_model().path) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return len(tokenizer.encode(text).ids)


@pytest.mark.parametrize(("words", "truncated"), [(254, False), (255, True), (830, True)])
def test_a_text_over_the_token_limit_says_so_with_its_length(api, words, truncated):
    text = "great " * words  # one token a word, plus [CLS] and [SEP]; 830 words: 4,980 characters
    before = metric("miyraa_truncated_total")
    body = post(api, "/fingerprint", {"text": text}).json()
    assert body["tokens"] == _token_count(text) == words + 2
    assert body["truncated"] is truncated
    codes = [w["code"] for w in body["warnings"]]
    assert codes == (["truncated"] if truncated else [])
    if truncated:
        assert f"{words + 2} tokens long; the model read the first 256" in body["warnings"][0]["message"]
    assert metric("miyraa_truncated_total") == before + truncated


def test_token_counts_in_a_batch_belong_to_their_texts(api):
    texts = ["hi", "great " * 300, "so happy for you", "word " * 40]
    results = post(api, "/fingerprint/batch", {"texts": texts}).json()["results"]
    assert [r["tokens"] for r in results] == [_token_count(t) for t in texts] == [3, 302, 6, 42]
    assert [r["truncated"] for r in results] == [False, True, False, False]


def test_the_openapi_document_describes_language_truncation_and_refusals(api):
    doc = api.get("/docs.json").json()
    single = doc["paths"]["/fingerprint"]["post"]["responses"]
    assert "422" in single
    assert "422" not in doc["paths"]["/fingerprint/batch"]["post"]["responses"]
    schemas = doc["components"]["schemas"]
    assert {"language", "tokens", "truncated", "warnings"} <= set(schemas["Fingerprint"]["properties"])
    assert set(schemas["ItemError"]["properties"]) == {"error", "status", "language"}
    assert schemas["Language"]["example"] == {"code": "es", "confidence": 0.9906, "supported": False}
    assert [w["code"] for w in schemas["Fingerprint"]["properties"]["warnings"]["example"]] == [
        "unsupported_language",
        "truncated",
    ]
