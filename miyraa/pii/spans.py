"""What every detector shares: spans, the result types, and rendering placeholders.

A detector is a function ``text -> Iterator[Span]`` that yields sorted spans of one PII
type in the text it is given (the input with what earlier detectors found already
replaced by placeholders); ``add`` maps those spans back to the input.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

Span = tuple[int, int]
Finder = Callable[[str], Iterator[Span]]

# Regex fragments shared by the detectors (for re.VERBOSE patterns: no literal spaces).
LATIN = "\u00c0-\u024f"  # accented Latin letters, allowed in names and local parts
# A placeholder's "]" or "[" blocks a neighbouring match as the letter it replaced would.
WORD_BEFORE = rf"[A-Za-z0-9_{LATIN}\]]"
WORD_AFTER = rf"[A-Za-z0-9_{LATIN}\[]"


@dataclass(frozen=True, slots=True)
class ScrubResult:
    """Scrubbed text and the number of values replaced per PII type."""

    text: str
    counts: dict[str, int]

    @property
    def redacted(self) -> bool:
        """True when at least one value was replaced."""
        return bool(self.counts)


@dataclass(frozen=True, slots=True)
class Entity:
    """One value found: its PII type and where it is in the input, ``text[start:end]``."""

    kind: str
    start: int
    end: int


def find_matches(pattern: re.Pattern[str], text: str) -> Iterator[Span]:
    return (match.span() for match in pattern.finditer(text))


def find_group(pattern: re.Pattern[str], group: str, text: str) -> Iterator[Span]:
    """The span of a named group of each match (a value after its context word)."""
    return (match.span(group) for match in pattern.finditer(text))


def disjoint(spans: Iterable[Span]) -> Iterator[Span]:
    """Sorted spans without those that overlap the previous one kept."""
    last = 0
    for start, end in spans:
        if start >= last:
            last = end
            yield start, end


def outside(spans: Iterable[Span], shields: list[Span]) -> Iterator[Span]:
    """Spans (sorted) that overlap none of the sorted ``shields``."""
    index = 0
    for start, end in spans:
        while index < len(shields) and shields[index][1] <= start:
            index += 1
        if index == len(shields) or end <= shields[index][0]:
            yield start, end


def render(text: str, entities: list[Entity]) -> str:
    parts: list[str] = []
    last = 0
    for entity in entities:
        parts += (text[last : entity.start], f"[{entity.kind}]")
        last = entity.end
    parts.append(text[last:])
    return "".join(parts)


def add(entities: list[Entity], spans: list[Span], kind: str) -> list[Entity]:
    """``entities`` plus ``spans`` found in the text rendered from them, mapped back to
    the input; an entity whose placeholder a new span covers is absorbed by it."""
    rendered: list[Span] = []  # each placeholder's span in the rendered text
    shift = 0
    for entity in entities:
        start = entity.start + shift
        rendered.append((start, start + len(entity.kind) + 2))
        shift = rendered[-1][1] - entity.end
    starts, ends = [start for start, _ in rendered], [end for _, end in rendered]

    def to_input(position: int, is_end: bool) -> int:
        index = (bisect_left if is_end else bisect_right)(starts, position) - 1
        if index < 0:
            return position
        if position >= ends[index]:
            return entities[index].end + position - ends[index]
        return entities[index].end if is_end else entities[index].start

    added = [Entity(kind, to_input(start, False), to_input(end, True)) for start, end in spans]
    merged: list[Entity] = []
    for entity in sorted(entities + added, key=lambda e: (e.start, -e.end)):
        if not merged or entity.start >= merged[-1].end:
            merged.append(entity)
    return merged
