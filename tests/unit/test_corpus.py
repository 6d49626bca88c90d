import json
from collections import Counter

import pytest

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES
from models.corpus import CorpusError, load_corpus, stratified_split

PLACEHOLDERS = (
    "[EMAIL]",
    "[PHONE]",
    "[URL]",
    "[HANDLE]",
    "[CREDIT_CARD]",
    "[IBAN]",
    "[US_SSN]",
    "[IP_ADDRESS]",
)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_the_committed_corpus_meets_the_coverage_the_model_needs(corpus):
    emotions = Counter(e.emotion for e in corpus)
    assert {label: emotions[label] >= 80 for label in EMOTIONS} == dict.fromkeys(EMOTIONS, True)
    for i, category in enumerate(SAFETY_CATEGORIES):
        assert sum(e.safety[i] for e in corpus) >= 40, category
    hard_but_safe = [e for e in corpus if not e.unsafe]
    assert len(hard_but_safe) > len(corpus) / 2
    assert set(Counter(e.style for e in corpus)) == set(STYLES)
    assert set(Counter(e.intent for e in corpus)) == set(INTENTS)
    assert sum(any(p in e.text for p in PLACEHOLDERS) for e in corpus) >= 50


def test_vad_is_annotated_per_example_not_per_label(corpus):
    for label in EMOTIONS:
        valences = {e.vad[0] for e in corpus if e.emotion == label}
        assert len(valences) > 3, label


def _write(tmp_path, rows):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


GOOD = {
    "text": "hello there",
    "emotion": "neutral",
    "vad": {"valence": 0.5, "arousal": 0.3, "dominance": 0.5},
    "safety": {"toxic": 0, "profane": 0, "threatening": 0, "harassment": 0},
    "style": "casual",
    "intent": "social",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"emotion": "happy"}, "emotion='happy'"),
        ({"vad": {"valence": 1.5, "arousal": 0.3, "dominance": 0.5}}, "vad values"),
        ({"safety": {"toxic": 2, "profane": 0, "threatening": 0, "harassment": 0}}, "safety values"),
        ({"style": "poetic"}, "style='poetic'"),
        ({"text": "  "}, "text must be"),
    ],
)
def test_bad_lines_are_refused_with_file_and_line(tmp_path, change, message):
    path = _write(tmp_path, [GOOD, {**GOOD, "text": "second", **change}])
    with pytest.raises(CorpusError, match=f"c.jsonl:2: .*{message}".replace("[", r"\[").replace("(", r"\(")):
        load_corpus([path])


def test_duplicates_are_refused(tmp_path):
    with pytest.raises(CorpusError, match="duplicate"):
        load_corpus([_write(tmp_path, [GOOD, GOOD])])


def test_split_is_stratified_deterministic_and_disjoint(corpus):
    train, test = stratified_split(corpus, 0.2, seed=0)
    _, again_test = stratified_split(corpus, 0.2, seed=0)
    assert [e.text for e in test] == [e.text for e in again_test]
    assert not {e.text for e in train} & {e.text for e in test}
    assert len(train) + len(test) == len(corpus)
    assert 0.17 <= len(test) / len(corpus) <= 0.23
    test_emotions = Counter(e.emotion for e in test)
    for label in EMOTIONS:
        assert test_emotions[label] >= 10, label
