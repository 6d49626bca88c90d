"""The committed model: its recorded dev metrics meet the targets, and a build reproduces it.

The metrics were measured by `make train` on data the tests do not have (GoEmotions dev,
EmoBank dev, a held-out part of OLID, the team corpus's split); they are read from
models/weights/metrics.json. What the tests can check without the data: the store entry
carries those metrics, and its model reproduces the predictions recorded at training time.
"""

from pathlib import Path

import numpy as np
import pytest

from miyraa.labels import EMOTIONS, SAFETY_CATEGORIES, VAD_DIMENSIONS, label_sets
from models.artifacts import read_metrics
from tests.model_store import built_model

# Issue 6's targets on the public dev splits; the team split keeps issue 2's floors for
# what only the team corpus labels (threats, style, intent).
DEV_TARGETS = {
    "goemotions_dev.emotion_macro_f1": 0.45,
    "emobank_dev.valence_r": 0.65,
    "emobank_dev.arousal_r": 0.45,
    "olid_heldout.toxic_roc_auc": 0.85,
}


@pytest.fixture(scope="module")
def recorded():
    return read_metrics()


@pytest.fixture(scope="module")
def entry():
    return built_model()


def test_recorded_targets_are_the_issues_and_all_met(recorded):
    assert recorded["dev_targets"] == DEV_TARGETS
    assert all(recorded["dev_targets_met"].values()), recorded["dev_targets_met"]
    m = recorded["dev_metrics"]
    values = {
        "goemotions_dev.emotion_macro_f1": m["goemotions_dev"]["emotion_macro_f1"],
        "emobank_dev.valence_r": m["emobank_dev"]["vad_pearson_r"]["valence"],
        "emobank_dev.arousal_r": m["emobank_dev"]["vad_pearson_r"]["arousal"],
        "olid_heldout.toxic_roc_auc": m["olid_heldout"]["safety_roc_auc"]["toxic"],
    }
    for name, target in DEV_TARGETS.items():
        assert values[name] >= target, name


def test_every_dev_set_reports_every_metric_the_card_shows(recorded):
    m = recorded["dev_metrics"]
    assert set(m["goemotions_dev"]["emotion_f1_per_label"]) == set(EMOTIONS)
    assert set(m["emobank_dev"]["vad_pearson_r"]) == set(VAD_DIMENSIONS)
    assert {"toxic", "profane", "harassment"} <= set(m["olid_heldout"]["safety_roc_auc"])
    assert set(m["team_test"]["safety_roc_auc"]) == set(SAFETY_CATEGORIES)


def test_team_split_keeps_what_only_the_team_corpus_teaches(recorded):
    team = recorded["dev_metrics"]["team_test"]
    assert team["safety_roc_auc"]["threatening"] >= 0.9
    assert min(team["vad_pearson_r"].values()) >= 0.6
    assert team["style_accuracy"] > 2 / 5
    assert team["intent_accuracy"] > 2 / 6


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
    gate = read_quantization()
    assert gate["int8_default"] == all(gate["checks"].values())
    record = read_record(Path(entry.path))
    assert record["default_precision"] == ("int8" if gate["int8_default"] else "fp32")
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
