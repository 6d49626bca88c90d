"""The texts of the load test and the benchmark: the documents mix's shape, variety and PII."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from loadtest.documents import BUCKETS, bucket_of, documents
from loadtest.texts import MIXES, mix
from miyraa.pii import find

N = 400


@pytest.fixture(scope="module", params=[0, 1, 7], ids=lambda seed: f"seed{seed}")
def texts(request: pytest.FixtureRequest) -> list[str]:
    return documents(N, request.param)


def has_pii(text: str) -> bool:
    # National UK numbers (020 7946 0958) are phones only when read as British ones.
    return bool(find(text) or find(text, phone_regions=["GB"]))


def test_every_text_is_distinct(texts: list[str]) -> None:
    assert len(texts) == N
    assert len(set(texts)) == N


def test_length_shape_is_exact(texts: list[str]) -> None:
    # 40% of 5-12 words, 35% of 15-35, 25% of 60-120, and no text outside a bucket.
    counts = Counter(bucket_of(t) for t in texts)
    assert counts == {"short": 160, "medium": 140, "long": 100}
    assert {name: round(b.share * N) for name, b in BUCKETS.items()} == counts


def test_one_text_in_ten_carries_pii_the_scrubber_finds(texts: list[str]) -> None:
    assert sum(map(has_pii, texts)) == N // 10
    kinds = {entity.kind for text in texts for entity in find(text) + find(text, phone_regions=["GB"])}
    assert kinds == {"EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "HANDLE", "URL"}


def test_pii_sits_in_texts_of_every_length(texts: list[str]) -> None:
    assert set(Counter(bucket_of(t) for t in texts if has_pii(t))) == {"short", "medium", "long"}


def test_texts_carry_odd_characters_and_shouting(texts: list[str]) -> None:
    assert sum(not t.isascii() for t in texts) >= N // 5  # emoji, accents, curly quotes
    assert any("’" in t for t in texts)
    assert any("!!!" in t for t in texts)
    assert any(re.search(r"\b[A-Z]{4,}\b", t) and t.upper() == t for t in texts)  # a whole text in capitals
    assert any("\n\n" in t for t in texts)  # emails have paragraphs


def test_a_seed_gives_the_same_texts() -> None:
    assert documents(N, 3) == documents(N, 3)
    assert documents(N, 3) != documents(N, 4)


@pytest.mark.parametrize(
    ("n", "counts"), [(0, {}), (1, {"long": 1}), (10, {"short": 4, "medium": 4, "long": 2})]
)
def test_small_mixes_keep_the_shape_by_rounding(n: int, counts: dict[str, int]) -> None:
    assert Counter(map(bucket_of, documents(n))) == counts


def test_large_mixes_stay_distinct() -> None:
    assert len(set(documents(3000))) == 3000


def test_mixes_by_name() -> None:
    assert set(MIXES) == {"chat", "documents"}
    assert MIXES["chat"](50, 2) == mix(50, 2)
    assert MIXES["documents"](50, 2) == documents(50, 2)
