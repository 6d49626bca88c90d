"""The documents mix: distinct, realistic English texts of three lengths, made from a seed.

40% short messages (5-12 words), 35% medium ones (15-35 words) and 25% long product,
hotel and restaurant reviews, support emails and posts (60-120 words); 10% of all texts
carry personal data (an email, a phone number, a card, an IBAN, a handle or a URL). Each
text is composed from the phrase book (loadtest/phrases.py, loadtest/genres.py): an
emotion, a register (casual lower case, sentence case, ALL CAPS), its punctuation, emoji
and curly quotes, slots filled with names, places, products and numbers. A word is a whitespace-separated
token. No network and no data files: the same seed gives the same texts.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from loadtest.genres import GENRES
from loadtest.phrases import (
    EMOJI,
    EMOTIONS,
    ENDINGS,
    FEELINGS,
    INTERJECTIONS,
    LINES,
    PII_LINES,
    SLOTS,
    VALENCE,
)


class Bucket(NamedTuple):
    share: float
    min_words: int
    max_words: int


BUCKETS = {"short": Bucket(0.40, 5, 12), "medium": Bucket(0.35, 15, 35), "long": Bucket(0.25, 60, 120)}
PII_SHARE = 0.1
TRIES = 200  # attempts at a text of the right length, then at one not made before
OPENER_WORDS = 10  # about the length of a review's or a post's first sentence


def documents(n: int = 400, seed: int = 0) -> list[str]:
    """``n`` texts in arrival order, with the shape above; distinct as long as the phrase
    book allows (several thousand texts), repeated only beyond that."""
    rng = random.Random(seed)
    kinds = _kinds(n, rng)
    with_pii = set(rng.sample(range(n), round(n * PII_SHARE)))
    seen: set[str] = set()
    texts = []
    for i, kind in enumerate(kinds):
        text = _new(partial(document, rng, kind, i in with_pii), seen)
        seen.add(text)
        texts.append(text)
    return texts


def words(text: str) -> int:
    return len(text.split())


def bucket_of(text: str) -> str | None:
    """The bucket whose word range holds ``text``, if any."""
    n = words(text)
    return next((name for name, b in BUCKETS.items() if b.min_words <= n <= b.max_words), None)


def document(rng: random.Random, kind: str, pii: bool) -> str:
    """One text of bucket ``kind``, with personal data when ``pii``."""
    bucket = BUCKETS[kind]
    for _ in range(TRIES):
        text = COMPOSERS[kind](rng, rng.choice(EMOTIONS), pii)
        if bucket.min_words <= words(text) <= bucket.max_words:
            return text
    raise RuntimeError(f"the phrase book makes no {kind} text of {bucket.min_words}-{bucket.max_words} words")


def _kinds(n: int, rng: random.Random) -> list[str]:
    """Exactly the shares of BUCKETS (rounded), shuffled into arrival order."""
    counts = {name: round(n * b.share) for name, b in BUCKETS.items()}
    counts["long"] = n - counts["short"] - counts["medium"]
    kinds = [name for name, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    return kinds


def _new(make: Callable[[], str], seen: set[str]) -> str:
    text = make()
    for _ in range(TRIES):
        if text not in seen:
            break
        text = make()
    return text


def fill(template: str, rng: random.Random) -> str:
    """Each ``{slot}`` replaced by a value of SLOTS[slot], drawn independently."""

    def value(match: re.Match[str]) -> str:
        slot = SLOTS[match[1]]
        return slot(rng) if callable(slot) else rng.choice(slot)

    return re.sub(r"\{(\w+)\}", value, template)


def _sentence(text: str, ending: str = ".") -> str:
    """Capitalised, with ``ending`` unless the text already ends a sentence."""
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + ending


def _curly(text: str, rng: random.Random) -> str:
    """About a third of writers' keyboards turn straight apostrophes curly."""
    return text.replace("'", "’") if rng.random() < 0.3 else text


def _ending(rng: random.Random, emotion: str) -> str:
    return rng.choice(ENDINGS[emotion]) or "."


def _short(rng: random.Random, emotion: str, pii: bool) -> str:
    """A chat message: one line, maybe an interjection, the emotion's punctuation and emoji."""
    line = fill(rng.choice(PII_LINES if pii else LINES[emotion]), rng)
    if rng.random() < 0.35:
        line = f"{rng.choice(INTERJECTIONS[emotion])} {line}"
    if line[-1] not in "?!":
        line += rng.choice(ENDINGS[emotion])
    if not pii:  # personal data keeps its case, so that it stays what it is
        line = _register(line, emotion, rng)
    if rng.random() < 0.3:
        line += " " + rng.choice(EMOJI[emotion])
    return _curly(line, rng)


def _register(line: str, emotion: str, rng: random.Random) -> str:
    """All lower case (casual), ALL CAPS (shouting, for loud emotions) or sentence case."""
    draw = rng.random()
    if draw < 0.4:
        return line.lower()
    if draw < 0.55 and emotion in ("anger", "excitement", "joy"):
        return line.upper()
    return line[:1].upper() + line[1:]


def _medium(rng: random.Random, emotion: str, pii: bool) -> str:
    """A longer message: a line and how the writer feels about it, in two to four sentences."""
    lines = rng.sample(LINES[emotion], 2 if rng.random() < 0.5 else 1)
    feelings = rng.sample(FEELINGS[emotion], rng.randint(1, 2))
    *first, last = [fill(s, rng) for s in lines + feelings]
    sentences = [*map(_sentence, first), _sentence(last, _ending(rng, emotion))]
    if rng.random() < 0.3:
        sentences = [s.lower() for s in sentences]
    if pii:
        sentences.insert(rng.randint(0, len(sentences)), _sentence(fill(rng.choice(PII_LINES), rng)))
    text = " ".join(sentences)
    if rng.random() < 0.2:
        text += " " + rng.choice(EMOJI[emotion])
    return _curly(text, rng)


def _long(rng: random.Random, emotion: str, pii: bool) -> str:
    """A review, a support email or a post: an opener, body sentences, a closer."""
    name = rng.choice(list(GENRES))
    genre = GENRES[name]
    valence = VALENCE[emotion] if VALENCE[emotion] != "neu" else rng.choice(["pos", "neg", "neu"])
    pool = [*genre[valence], *genre["neu"], *rng.sample(FEELINGS[emotion], rng.randint(1, 2))]
    rng.shuffle(pool)
    closer = fill(rng.choice(genre[f"close_{valence}"]), rng)
    target = rng.randint(BUCKETS["long"].min_words, BUCKETS["long"].max_words)
    body: list[str] = []
    while pool and words(" ".join(body)) + words(closer) + OPENER_WORDS < target:
        body.append(_body_sentence(fill(pool.pop(), rng), emotion, rng))
    if pii:
        body.insert(rng.randint(0, len(body)), _sentence(fill(rng.choice(PII_LINES), rng)))
    opener = fill(rng.choice(genre["open"]), rng)
    if name == "email":
        text = f"{opener},\n\n{' '.join(body)}\n\n{closer}"
    else:
        text = " ".join([_sentence(opener), *body, _sentence(closer, _ending(rng, emotion))])
    return _curly(text, rng)


def _body_sentence(text: str, emotion: str, rng: random.Random) -> str:
    """A feeling gets the emotion's punctuation, now and then in capitals; the rest a full stop."""
    if text not in FEELINGS[emotion]:
        return _sentence(text)
    sentence = _sentence(text, _ending(rng, emotion))
    return sentence.upper() if emotion in ("anger", "excitement") and rng.random() < 0.2 else sentence


COMPOSERS: dict[str, Callable[[random.Random, str, bool], str]] = {
    "short": _short,
    "medium": _medium,
    "long": _long,
}
