from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import REGISTRY

TEXTS = [
    f"message number {i}: {'what a lovely day' if i % 2 else 'I am furious about the delay'}"
    for i in range(32)
]


def batch_sizes() -> tuple[float, float]:
    """(texts seen, forward passes) of the runner so far."""
    return (
        REGISTRY.get_sample_value("miyraa_runner_batch_size_sum") or 0.0,
        REGISTRY.get_sample_value("miyraa_runner_batch_size_count") or 0.0,
    )


def predict(runner_app, text):
    response = runner_app.post("/predict", json={"texts": [text]})
    assert response.status_code == 200, response.text
    [output] = response.json()
    return output


def test_concurrent_calls_are_batched_and_each_answer_belongs_to_its_input(runner_app):
    alone = [predict(runner_app, text) for text in TEXTS]  # one at a time: batches of one
    texts_before, passes_before = batch_sizes()
    with ThreadPoolExecutor(max_workers=32) as pool:
        outputs = list(pool.map(lambda t: predict(runner_app, t), TEXTS))
    texts_after, passes_after = batch_sizes()
    assert texts_after - texts_before == len(TEXTS)
    # How the adaptive batcher groups concurrent calls depends on their timing; that it grouped some does not.
    assert passes_after - passes_before < len(TEXTS), "the runner never saw a batch larger than one"
    for text, got, want in zip(TEXTS, outputs, alone, strict=True):
        for head in ("emotion", "vad", "safety"):
            assert got[head] == pytest.approx(want[head], abs=1e-4), (text, head)
    assert outputs[0]["emotion"] != pytest.approx(outputs[1]["emotion"], abs=1e-3)


def test_one_output_per_input_in_order(runner_app):
    texts = ["short", "a much longer text " * 30, "third one here"]
    response = runner_app.post("/predict", json={"texts": texts})
    assert response.status_code == 200, response.text
    outputs = response.json()
    assert len(outputs) == 3
    alone = [predict(runner_app, t) for t in texts]
    for got, want in zip(outputs, alone, strict=True):
        assert got["vad"] == pytest.approx(want["vad"], abs=1e-4)


def test_texts_are_truncated_at_the_token_limit_not_refused(runner_app):
    # Both are far past the 256-token limit and share their first 256 tokens: cut there, they are one text.
    cut = predict(runner_app, "word " * 3000)
    shorter = predict(runner_app, "word " * 600)
    for head in ("emotion", "vad", "safety"):
        assert cut[head] == pytest.approx(shorter[head], abs=1e-5), head
    assert cut["emotion"] != pytest.approx(predict(runner_app, "word " * 20)["emotion"], abs=1e-3)


def test_a_batch_of_long_texts_gives_its_memory_back_and_a_short_one_does_not(runner_app):
    def trims() -> float:
        return REGISTRY.get_sample_value("miyraa_runner_heap_trims_total") or 0.0

    before = trims()
    texts = [f"{i}: " + "a long evening, honestly " * 60 for i in range(8)]  # 8 x 256 tokens: TRIM_TOKENS
    assert runner_app.post("/predict", json={"texts": texts}).status_code == 200
    assert trims() == before + 1
    assert runner_app.post("/predict", json={"texts": TEXTS[:7]}).status_code == 200
    assert trims() == before + 1
