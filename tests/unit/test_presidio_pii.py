"""The optional Presidio adapter (reliability/presidio_pii.py): skipped unless presidio-analyzer
is installed (pip install -c requirements/constraints.txt -r requirements/presidio.txt)."""

from __future__ import annotations

import itertools
import socket

import pytest

pytest.importorskip("presidio_analyzer")

from reliability import presidio_pii

# (our type, value, sentence with "{}" where the value goes)
CASES: list[tuple[str, str, str]] = [
    ("EMAIL", "jane.doe@example.com", "Write to {} when you can."),
    ("CREDIT_CARD", "4111 1111 1111 1111", "My card {} was charged twice!"),
    ("IBAN", "DE89 3704 0044 0532 0130 00", "Refund to IBAN {} please."),
    ("US_SSN", "536-90-4399", "They leaked my SSN {} and I can't sleep."),
    ("IP_ADDRESS", "192.168.10.24", "Someone at {} keeps hacking me."),
    ("URL", "https://example.com/blog/joy?ref=home", "Loved this article {} so much!"),
    ("PHONE", "202-555-0143", "Text me on {}, feeling lonely."),
]

PLAIN = [
    "I am so happy today, the sun is finally out!",
    "The meeting on 2024-03-15 at 14:30 went better than expected.",
    "Paid $1,299.99 for a laptop and it broke after 2 weeks, I'm livid.",
    "Order #123456 arrived late again, really disappointed.",
    "今天心情很好，谢谢大家的关心！",
    "",
]


def test_available() -> None:
    assert presidio_pii.available()


@pytest.mark.parametrize(("kind", "value", "sentence"), CASES)
def test_finds_the_value_as_one_span_of_our_type(kind: str, value: str, sentence: str) -> None:
    text = sentence.format(value)
    start = text.index(value)
    assert presidio_pii.find(text) == [(kind, start, start + len(value))]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_yields_no_span(text: str) -> None:
    assert presidio_pii.find(text) == []


def test_handles_have_no_presidio_recognizer() -> None:
    assert presidio_pii.UNSUPPORTED == ("UK_NINO", "DATE_OF_BIRTH", "HANDLE")
    assert presidio_pii.find("Follow @jane_doe for more happy vibes") == []


def test_spans_are_disjoint_and_sorted() -> None:
    text = "Mail john.doe@example.com or call 202-555-0143, see www.example.org and 10.0.0.1"
    spans = presidio_pii.find(text)
    assert [kind for kind, _, _ in spans] == ["EMAIL", "PHONE", "URL", "IP_ADDRESS"]
    assert all(end <= next_start for (_, _, end), (_, next_start, _) in itertools.pairwise(spans))


def test_nothing_is_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the engine and validating an email domain open no connection."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    presidio_pii._engine.cache_clear()
    assert presidio_pii.find("reach me at jane.doe@example.co.uk") == [("EMAIL", 12, 34)]
    assert attempts == []
