"""Language and truncation through a real `bentoml serve`: the metrics on /metrics, the
policy read from the environment (UNSUPPORTED_LANGUAGE=reject), and no text in the logs."""

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server, serve
from tests.e2e.test_serve import metric

SPANISH = "Estoy muy feliz, ¡hemos ganado el campeonato con todo el equipo!"
LONG = "what a wonderful trip it was " * 60  # 360 tokens


def test_languages_unsupported_texts_and_truncation_are_counted(server, http):
    before = http.get("/metrics").text
    r = http.post("/fingerprint/batch", json={"texts": [SPANISH, LONG, "so proud of you"]})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["language"]["code"] for x in results] == ["es", "en", "en"]
    assert [x["truncated"] for x in results] == [False, True, False]
    after = http.get("/metrics").text
    assert (
        metric(after, "miyraa_language_total", language="es")
        == metric(before, "miyraa_language_total", language="es") + 1
    )
    assert (
        metric(after, "miyraa_language_total", language="en")
        == metric(before, "miyraa_language_total", language="en") + 2
    )
    assert (
        metric(after, "miyraa_unsupported_language_total")
        == metric(before, "miyraa_unsupported_language_total") + 1
    )
    assert metric(after, "miyraa_truncated_total") == metric(before, "miyraa_truncated_total") + 1
    assert "campeonato" not in after
    assert all("campeonato" not in line for line in server.output_lines())


@pytest.fixture(scope="module")
def rejecting(tmp_path_factory) -> Iterator[Server]:
    with serve(
        tmp_path_factory.mktemp("reject"), UNSUPPORTED_LANGUAGE="reject", RATE_LIMIT="1000000"
    ) as running:
        yield running


def test_reject_is_read_from_the_environment_and_answers_per_item(rejecting):
    with httpx.Client(base_url=rejecting.url, timeout=30) as client:
        single = client.post("/fingerprint", json={"text": SPANISH})
        batch = client.post("/fingerprint/batch", json={"texts": ["so proud of you", SPANISH]})
        metrics = client.get("/metrics").text
    assert single.status_code == 422
    assert single.json()["language"]["code"] == "es"
    assert single.json()["error"].startswith("unsupported language")
    assert batch.status_code == 200
    first, second = batch.json()["results"]
    assert first["language"]["supported"] is True and "emotion" in first
    assert second["status"] == 422 and "emotion" not in second
    assert metric(metrics, "miyraa_unsupported_language_total") == 2
    assert metric(metrics, "miyraa_requests_total", endpoint="/fingerprint", status="422") == 1
