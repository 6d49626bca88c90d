"""The served model's held-out metrics, as recorded in its model store entry, meet the targets."""

import pytest

from miyraa.labels import EMOTIONS, SAFETY_CATEGORIES, VAD_DIMENSIONS, label_sets
from models.train import TARGETS
from tests.model_store import built_model


@pytest.fixture(scope="module")
def metadata():
    return built_model().info.metadata


def test_entry_records_labels_corpus_hash_and_split(metadata):
    from models.corpus import corpus_files, corpus_hash

    assert metadata["labels"] == label_sets()
    assert metadata["corpus_sha256"] == corpus_hash(corpus_files())
    sizes = metadata["sizes"]
    assert sizes["train"] + sizes["test"] == sizes["corpus"]
    assert sizes["test"] >= 0.15 * sizes["corpus"]


def test_emotion_macro_f1_meets_target(metadata):
    metrics = metadata["heldout_metrics"]
    assert set(metrics["emotion_f1_per_label"]) == set(EMOTIONS)
    assert metrics["emotion_macro_f1"] >= TARGETS["emotion_macro_f1"] == 0.75


@pytest.mark.parametrize("dimension", VAD_DIMENSIONS)
def test_vad_pearson_r_meets_target(metadata, dimension):
    assert metadata["heldout_metrics"]["vad_pearson_r"][dimension] >= TARGETS["vad_pearson_r_min"] == 0.6


@pytest.mark.parametrize("category", SAFETY_CATEGORIES)
def test_safety_roc_auc_meets_target(metadata, category):
    assert metadata["heldout_metrics"]["safety_roc_auc"][category] >= TARGETS["safety_roc_auc_min"] == 0.9
    assert metadata["heldout_metrics"]["safety_f1"][category] > 0.5


def test_style_and_intent_beat_chance_by_far(metadata):
    metrics = metadata["heldout_metrics"]
    assert metrics["style_accuracy"] > 2 / 5
    assert metrics["intent_accuracy"] > 2 / 6
