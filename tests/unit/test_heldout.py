"""The held-out safety pass stays held out: no text in it comes close to a training text."""

from __future__ import annotations

import re
from pathlib import Path

from models.corpus import CORPUS_DIR, corpus_files, load_corpus

HELDOUT = Path(__file__).parents[2] / "models" / "heldout" / "safety_heldout.jsonl"
MAX_OVERLAP = 0.45  # word-set Jaccard


def words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z']+", text.lower()))


def test_no_heldout_text_is_close_to_a_training_text():
    training = [words(e.text) for e in load_corpus(corpus_files())]
    close = []
    for example in load_corpus([HELDOUT]):
        mine = words(example.text)
        best = max(len(mine & other) / len(mine | other) for other in training if mine | other)
        if best >= MAX_OVERLAP:
            close.append((round(best, 2), example.text))
    assert close == []


def test_the_heldout_pass_has_the_documented_parts():
    examples = load_corpus([HELDOUT])
    threats = sum(e.safety[2] for e in examples)
    harassment = sum(e.safety[3] and not e.safety[2] for e in examples)
    negatives = sum(not e.unsafe for e in examples)
    assert (len(examples), threats, harassment, negatives) == (216, 60, 60, 96)
    assert HELDOUT.parent != CORPUS_DIR  # never picked up by training
