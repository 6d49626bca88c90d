import json
from collections import Counter

import pytest

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES
from models.corpus import CorpusError, Example, load_corpus, stratified_split

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
    test_emotions = Counter(e.emotion for e in test)
    for label in EMOTIONS:
        assert test_emotions[label] >= 10, label


def test_each_stratum_holds_out_its_share_rounded_and_at_least_one_from_four_up():
    def examples(emotion: str, safety: tuple[int, int, int, int], n: int) -> list[Example]:
        return [
            Example(f"{emotion} {safety} {i}", emotion, (0.5, 0.5, 0.5), safety, "casual", "social")
            for i in range(n)
        ]

    safe, toxic = (0, 0, 0, 0), (1, 0, 0, 0)
    strata = {
        ("joy", safe): 20,
        ("joy", toxic): 4,
        ("anger", safe): 6,
        ("anger", toxic): 3,
        ("fear", safe): 1,
    }
    corpus = [e for (emotion, safety), n in strata.items() for e in examples(emotion, safety, n)]
    train, test = stratified_split(corpus, 0.1, seed=0)
    held = Counter((e.emotion, e.safety) for e in test)
    # 20 -> 2; 4 -> 0.4, but one from a stratum of four or more; 6 -> 0.6 -> 1; 3 -> 0.3 -> 0; 1 -> 0
    assert dict(held) == {("joy", safe): 2, ("joy", toxic): 1, ("anger", safe): 1}
    assert sorted(e.text for e in train + test) == sorted(e.text for e in corpus)
