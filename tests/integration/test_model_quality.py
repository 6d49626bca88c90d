"""The committed model: the built store entry carries its record and reproduces it.

The public dev metrics were measured by `make train` on data the tests do not have (GoEmotions
dev, EmoBank dev, a held-out part of OLID); training records them and whether they met their
targets. The team corpus's held-out split is committed, so the tests measure the built model on
it: the floors for what only the team corpus teaches (threats, VAD, style, intent), and the
figures the record reports.
"""

from pathlib import Path

import numpy as np
import pytest

from miyraa.labels import SAFETY_CATEGORIES, label_sets
from models.artifacts import read_metrics
from tests.model_store import built_model


@pytest.fixture(scope="module")
def recorded():
    return read_metrics()


@pytest.fixture(scope="module")
def entry():
    return built_model()


def test_entry_carries_the_committed_metrics_and_labels(entry, recorded):
    from models.corpus import corpus_files, corpus_hash

    metadata = entry.info.metadata
    assert metadata["labels"] == label_sets()
    assert metadata["dev_metrics"] == recorded["dev_metrics"]
    assert metadata["corpus_sha256"] == recorded["corpus_sha256"] == corpus_hash(corpus_files())


@pytest.fixture(scope="module")
def served(entry):
    from models.serving import load_model

    return load_model(Path(entry.path))


@pytest.fixture(scope="module")
def graphs(entry):
    from models.onnx_model import GRAPHS, OnnxModel
    from models.serving import max_tokens

    return {p: OnnxModel(Path(entry.path), p, max_tokens(Path(entry.path))) for p in GRAPHS}


def test_built_model_reproduces_the_recorded_predictions(served, recorded):
    """The served graph against the torch network's predictions recorded at training."""
    references = recorded["reference_predictions"]
    assert len(references) >= 5
    probs = served.predict([r["text"] for r in references])
    for head, values in probs.items():
        expected = np.array([r[head] for r in references])
        np.testing.assert_allclose(values, expected, atol=1e-4, err_msg=head)
        assert (values.argmax(1) == expected.argmax(1)).all(), head


@pytest.fixture(scope="module")
def team_test(served):
    """The served model's metrics on the team corpus's held-out split, as training splits it."""
    from models.corpus import load_corpus, stratified_split
    from models.train import TrainConfig, score, team_labelled
    from models.train_public import PublicConfig

    _, held_out = stratified_split(load_corpus(), TrainConfig().test_fraction, PublicConfig().seed)
    labelled = team_labelled("team_test", held_out)
    truth = {head: values.numpy() for head, values in labelled.tensors().items()}
    return score(served.predict(labelled.texts), truth)


def test_the_built_model_keeps_what_only_the_team_corpus_teaches(team_test):
    assert team_test["safety_roc_auc"]["threatening"] >= 0.9
    assert min(team_test["vad_pearson_r"].values()) >= 0.6
    assert team_test["style_accuracy"] > 2 / 5  # above guessing among five styles
    assert team_test["intent_accuracy"] > 2 / 6


def test_the_recorded_team_figures_are_what_the_built_model_measures(team_test, recorded):
    """The card's team column (from the record) against a measurement of the served graph."""
    team = recorded["dev_metrics"]["team_test"]
    for name in ("emotion_accuracy", "emotion_macro_f1", "style_accuracy", "intent_accuracy"):
        assert team_test[name] == pytest.approx(team[name], abs=0.02), name
    for name in ("vad_pearson_r", "safety_roc_auc"):
        assert team_test[name] == pytest.approx(team[name], abs=0.02), name


@pytest.mark.parametrize("grouping", ["arrival", "cost"])
def test_onnx_fp32_matches_torch_on_hard_texts(graphs, grouping):
    """Parity on long (truncated), unicode and tiny texts, padded together or grouped by cost."""
    from models.export import PARITY_TEXTS
    from models.serving import TorchModel

    texts = list(PARITY_TEXTS)
    torch_probs = TorchModel(threads=2).predict(texts)
    graphs["fp32"].grouping = grouping
    onnx_probs = graphs["fp32"].predict(texts)
    for head, values in torch_probs.items():
        assert float(np.abs(onnx_probs[head] - values).max()) <= 1e-4, head


def test_int8_stays_near_fp32_and_is_served_only_if_its_gate_passed(entry, graphs):
    """A broken int8 export (wrong scales, a quantized head) moves probabilities far and
    changes emotions; the gate's decision (models/weights/quantization.json) is what the
    entry serves."""
    from models.artifacts import read_quantization
    from models.export import PARITY_TEXTS
    from models.serving import read_record

    texts = list(PARITY_TEXTS)
    fp32, int8 = graphs["fp32"].predict(texts), graphs["int8"].predict(texts)
    assert max(float(np.abs(int8[h] - fp32[h]).max()) for h in fp32) <= 0.2
    assert (int8["emotion"].argmax(1) == fp32["emotion"].argmax(1)).mean() >= 0.9
    record = read_record(Path(entry.path))
    assert record["default_precision"] == ("int8" if read_quantization()["int8_default"] else "fp32")
    assert record["parity"]["fp32_max_abs_diff"] <= 1e-4


BENIGN = (
    "see you tomorrow",
    "I love you",
    "Thanks for the help!",
    "Talk to you later, take care.",
    "The meeting is at 3pm in room 4.",
    "I miss you so much",
)


def test_everyday_messages_are_not_flagged_and_a_threat_is(served):
    safety = served.predict([*BENIGN, "I know where you live and I will kill you"])["safety"]
    for text, row in zip(BENIGN, safety[:-1], strict=True):
        assert (row < 0.5).all(), (text, dict(zip(SAFETY_CATEGORIES, row.round(2), strict=True)))
    assert safety[-1][SAFETY_CATEGORIES.index("threatening")] >= 0.5
