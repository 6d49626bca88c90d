"""miyraa.client and the `miyraa` command against a real `bentoml serve`, and --local beside it."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from loadtest.documents import documents
from miyraa.client import AsyncClient, Client, MiyraaError
from miyraa.schemas import Fingerprint
from tests.e2e.conftest import KEYS
from tests.model_store import built_model

MIYRAA = str(Path(sys.executable).parent / "miyraa")
PII_TEXTS = [
    "so happy!! email me at jane.doe+news@example.com when you land",
    "call me on +1 415 555 0132 after 6, can't wait to hear the news",
    "Please refund card 4111 1111 1111 1111, I was charged twice and I'm furious.",
    "ugh @mark_the_shark stop tagging me in those posts, seriously",
    "Été incroyable à Paris 🎉 — merci à tous !",
    "x" * 5000,  # the longest text the service takes
]


def same(a: Fingerprint, b: Fingerprint) -> None:
    """Equal labels, counts and model; scores equal to float32 noise (batch padding); any time."""
    one, two = a.model_dump(exclude={"processing_time_ms"}), b.model_dump(exclude={"processing_time_ms"})
    assert _close(one, two), (one, two)


def _close(one: Any, two: Any) -> bool:
    if isinstance(one, dict):
        return one.keys() == two.keys() and all(_close(one[k], two[k]) for k in one)
    if isinstance(one, float):
        return abs(one - two) <= 1e-5
    return bool(one == two)


def test_client_fingerprint_is_the_services_answer(server, http):
    with Client(server.url) as miyraa:
        for text in PII_TEXTS:
            same(
                miyraa.fingerprint(text, client_id="e2e"),
                Fingerprint(**http.post("/fingerprint", json={"text": text}).json()),
            )


def test_client_batch_over_the_limit_is_split_and_in_order(server, http):
    texts = [f"#{i} " + PII_TEXTS[i % 5] for i in range(70)]
    with Client(server.url) as miyraa:
        assert miyraa.limits().max_batch_texts == 64
        results = miyraa.fingerprint_batch(texts)
    assert len(results) == 70
    for text, result in zip(texts, results, strict=True):
        same(result, Fingerprint(**http.post("/fingerprint", json={"text": text}).json()))


def test_async_client_fingerprint_and_batch(server, http):
    async def go() -> tuple[Fingerprint, list[Fingerprint]]:
        async with AsyncClient(server.url) as miyraa:
            return await miyraa.fingerprint(PII_TEXTS[0]), await miyraa.fingerprint_batch(PII_TEXTS)

    single, batch = asyncio.run(go())
    same(single, Fingerprint(**http.post("/fingerprint", json={"text": PII_TEXTS[0]}).json()))
    assert [r.pii.counts for r in batch] == [
        {"EMAIL": 1},
        {"PHONE": 1},
        {"CREDIT_CARD": 1},
        {"HANDLE": 1},
        {},
        {},
    ]


def test_client_raises_the_services_400_with_its_detail(server):
    with Client(server.url) as miyraa, pytest.raises(MiyraaError) as caught:
        miyraa.fingerprint("   ")
    assert caught.value.status == 400
    assert caught.value.body["detail"][0]["loc"] == ["text"]
    assert not caught.value.retryable


def test_client_with_and_without_an_api_key(faulty):
    # KEYS[1] is test_failures.py's rate-limit test's alone: it spends that key's whole limit
    with Client(faulty.url, api_key=KEYS[0]) as miyraa:
        assert miyraa.fingerprint("what a lovely surprise").model.name == "miyraa-fingerprint"
    with Client(faulty.url) as miyraa, pytest.raises(MiyraaError) as caught:
        miyraa.fingerprint("what a lovely surprise")
    assert caught.value.status == 401 and "API key" in caught.value.error


def test_miyraa_fingerprint_command(server, http):
    text = PII_TEXTS[1]
    answer = Fingerprint(**http.post("/fingerprint", json={"text": text}).json())
    readable = subprocess.run(
        [MIYRAA, "fingerprint", text, "--url", server.url], capture_output=True, text=True
    )
    assert readable.returncode == 0, readable.stderr
    assert readable.stdout.splitlines()[0].startswith(f"emotion      {answer.emotion} ")
    assert "PII removed  PHONE x1" in readable.stdout
    assert text not in readable.stdout + readable.stderr
    env = {**os.environ, "MIYRAA_URL": server.url}
    as_json = subprocess.run([MIYRAA, "fingerprint", "--json", text], capture_output=True, text=True, env=env)
    same(Fingerprint.model_validate_json(as_json.stdout), answer)
    empty = subprocess.run([MIYRAA, "fingerprint", " ", "--url", server.url], capture_output=True, text=True)
    assert empty.returncode == 2 and empty.stderr.startswith("miyraa: 400: invalid request body")
    assert "Traceback" not in empty.stderr


def rows_in(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_miyraa_score_resumes_after_ctrl_c_without_scoring_a_row_twice(server, tmp_path):
    texts = documents(240, 3)
    texts[0] = "   "  # written with its error before any request: in the first run's rows
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([["id", "text"], *([f"doc-{i}", t] for i, t in enumerate(texts))])
    out = tmp_path / "out.csv"
    command = [MIYRAA, "score", str(source), "--out", str(out), "--url", server.url, "--id-column", "id"]
    first = subprocess.Popen(
        [*command, "--batch-size", "2", "--concurrency", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or len(rows_in(out)) < 20):
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)  # polling the output's row count, not waiting for a guess
    first.send_signal(signal.SIGINT)
    stdout, stderr = first.communicate(timeout=60)
    assert first.returncode == 130, stderr
    assert "interrupted: every finished row is in" in stdout and "Traceback" not in stderr
    kept = rows_in(out)
    assert 20 <= len(kept) < 240

    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    final = rows_in(out)
    assert sorted(row["id"] for row in final) == sorted(f"doc-{i}" for i in range(240))  # each row once
    assert final[: len(kept)] == kept  # what the first run wrote stayed as it was
    assert {row["id"]: row["error"] for row in final if row["error"]} == {"doc-0": "empty text"}
    assert second.stdout.startswith(
        f"240 rows: {240 - len(kept)} scored, 0 with an error, {len(kept)} already in {out}"
    )


def test_local_equals_the_service(server, tmp_path):
    texts = [*PII_TEXTS, *documents(14, 5)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"n": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    env = {**os.environ, "MODEL_TAG": str(built_model().tag)}
    outputs = {}
    for mode in ("service", "local"):
        out = tmp_path / f"{mode}.jsonl"
        flags = ["--local"] if mode == "local" else ["--url", server.url]
        done = subprocess.run(
            [MIYRAA, "score", str(source), "--out", str(out), "--id-column", "n", "--drop-text", *flags],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outputs[mode] = {
            r["n"]: Fingerprint(**r["fingerprint"]) for r in map(json.loads, out.read_text().splitlines())
        }
        assert all("text" not in json.loads(line) for line in out.read_text().splitlines())
    assert outputs["local"].keys() == outputs["service"].keys() == set(range(len(texts)))
    for n in outputs["local"]:
        same(outputs["local"][n], outputs["service"][n])
