"""Property tests of the scrubber (hypothesis): it never raises, it is idempotent, ``find``
gives exactly what ``scrub`` replaces, and no generated PII value survives it, whatever
surrounds the value.

Values come from reliability/pii_corpus.py: Faker, seeded from a drawn integer, in the ways
people write them (Faker en_US phones with any area code and "x" extensions, valid numbers
of eleven other locales, national forms of the default regions, every Faker card type
compact or grouped, IBANs of eight countries in any case and grouping, SSNs, UK National
Insurance numbers, dates of birth after a birth word, IPv4 and IPv6, URLs with paths and
queries, handles). ``derandomize``: the same
examples on every run, so a CI run cannot fail on a new draw; a few seconds in all.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from miyraa.pii import DEFAULT_PHONE_REGIONS, PII_TYPES, find, scrub
from miyraa.pii.phones import _CONTEXT_CHARS, _ORDER_WORD
from reliability.pii_corpus import (
    CARD_TYPES,
    LEADS,
    NATIONAL_LOCALES,
    PHONE_LOCALES,
    card,
    foreign_phone,
    national_phone,
    needs_lead,
    pii_value,
)

PROPERTY = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Words of any script and emoji, without digits or punctuation that could fuse with a value.
WORD = st.text(st.characters(categories=("Lu", "Ll", "Lo", "So")), min_size=1, max_size=8)
WORDS = st.lists(WORD, max_size=5).map(" ".join)
# How a value sits in a sentence: the characters on its left and right.
FRAMES = [
    (" ", " "), ("\n", "\n"), ("\t", "\t"), ("\u00a0", "\u00a0"), (": ", ". "), (", ", ", "),
    (" (", ") "), (" «", "» "), ("「", "」"), (' "', '" '), (" '", "'! "), (" — ", "? "),
]  # fmt: skip
CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=6)


@st.composite
def around(draw: st.DrawFn, value: str) -> str:
    """``value`` inside words of any script, or glued to Chinese text as Chinese writes it."""
    if draw(st.booleans()):
        left, right = draw(st.sampled_from(FRAMES))
        return f"{draw(WORDS)}{left}{value}{right}{draw(WORDS)}"
    return f"{draw(CJK)}{value}{draw(CJK)}"


def after_an_order_word(text: str, value: str) -> bool:
    """The scrubber's documented exception (miyraa/pii/phones.py, the same rule): a national
    form right after an order word ("No", "ID", "ref"...) is an order number, not a phone.
    The random words around a value can spell one ("NO 377 4852 4852")."""
    start = text.index(value)
    return bool(_ORDER_WORD.search(text[max(0, start - _CONTEXT_CHARS) : start]))


def leaked(value: str, kind: str, scrubbed: str) -> bool:
    """The value, or for a number its digits (extension aside) among the output's digits."""
    if value in scrubbed:
        return True
    if kind not in ("PHONE", "CREDIT_CARD", "IBAN", "US_SSN"):
        return False
    digits = re.sub(r"\D", "", re.split(r"(?i)x|ext", value)[0] if kind == "PHONE" else value)
    return len(digits) >= 7 and digits in re.sub(r"\D", "", scrubbed)


def check_redacted(
    text: str, value: str, kind: str, regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
) -> None:
    result = scrub(text, phone_regions=regions)
    assert not leaked(value, kind, result.text), (text, result.text)
    assert result.counts.get(kind, 0) >= 1, (text, result)
    assert scrub(result.text, phone_regions=regions).text == result.text


@settings(PROPERTY, max_examples=300)
@given(st.text(max_size=300))
def test_any_text_never_raises_and_is_idempotent(text: str) -> None:
    once = scrub(text).text
    assert scrub(once).text == once


@settings(PROPERTY, max_examples=300)
@given(st.text(max_size=200))
def test_find_gives_exactly_what_scrub_replaces(text: str) -> None:
    entities = find(text)
    rebuilt, last = [], 0
    for entity in entities:
        assert last <= entity.start < entity.end <= len(text)
        assert entity.kind in PII_TYPES
        rebuilt += [text[last : entity.start], f"[{entity.kind}]"]
        last = entity.end
    assert scrub(text).text == "".join([*rebuilt, text[last:]])


# Pieces that interact: values of every type, fragments of them and neighbours that matter.
FRAGMENTS = (
    "@", "-", ".", ":", "x", "ext", "+1", "001", "0049", "+55", "(0)", "]", "[", "[PHONE]", "é", "#",
    "2024-03-15", "3.10.2007", "14:30", "v2.10.1", "$1,299.99", "650", "253-0000", "123", "4111", "::",
    "DE89",
)  # fmt: skip
PIECES = st.one_of(
    st.builds(pii_value, st.sampled_from(PII_TYPES), st.randoms(use_true_random=False)),
    st.sampled_from(FRAGMENTS),
    st.text(st.characters(codec="ascii", categories=("Nd", "P", "Zs")), max_size=4),
)
GLUE = st.sampled_from(["", "", " ", ", ", "\n", ".", "-", "/"])


@settings(PROPERTY, max_examples=250)
@given(st.lists(st.tuples(PIECES, GLUE), min_size=1, max_size=6))
def test_glued_pieces_are_idempotent(pieces: list[tuple[str, str]]) -> None:
    text = "".join(piece + glue for piece, glue in pieces)
    once = scrub(text)
    twice = scrub(once.text)
    assert twice.text == once.text, text
    assert twice.counts == {}


@pytest.mark.parametrize("kind", PII_TYPES)
@settings(PROPERTY, max_examples=60)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_no_generated_value_survives(kind: str, data: st.DataObject, seed: int) -> None:
    rng = random.Random(seed)
    value = pii_value(kind, rng)
    written = f"{rng.choice(LEADS[kind])} {value}" if needs_lead(kind, value) else value
    check_redacted(data.draw(around(written)), value, kind)


@pytest.mark.parametrize("card_type", CARD_TYPES)
@settings(PROPERTY, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_every_card_type_is_redacted(card_type: str, data: st.DataObject, seed: int) -> None:
    value = card(random.Random(seed), card_type)
    check_redacted(data.draw(around(value)), value, "CREDIT_CARD")


@pytest.mark.parametrize("locale", sorted(PHONE_LOCALES))
@settings(PROPERTY, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), international=st.booleans())
def test_phones_of_other_locales_are_redacted(
    locale: str, data: st.DataObject, seed: int, international: bool
) -> None:
    """National forms with the locale's region first; international forms with the defaults."""
    value = foreign_phone(random.Random(seed), locale, international=international)
    regions = DEFAULT_PHONE_REGIONS if international else (PHONE_LOCALES[locale],)
    text = data.draw(around(value))
    assume(international or not after_an_order_word(text, value))
    check_redacted(text, value, "PHONE", regions)


@pytest.mark.parametrize("locale", NATIONAL_LOCALES)
@settings(PROPERTY, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_national_forms_of_the_default_regions_are_redacted(
    locale: str, data: st.DataObject, seed: int
) -> None:
    """ "020 7946 0958", "06 12 34 56 78", "030 901820" ... with the default settings."""
    value = national_phone(random.Random(seed), locale)
    text = data.draw(around(value))
    assume(not after_an_order_word(text, value))
    check_redacted(text, value, "PHONE")
