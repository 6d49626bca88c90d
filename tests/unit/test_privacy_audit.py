"""The privacy audit's parts (reliability/): the seeded corpora, the leak counter, the
requests it sends and its recall/precision figures. The audit itself starts a real service:
`python reliability/privacy_audit.py --n 200`."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from miyraa.pii import PII_TYPES, find, scrub
from reliability import privacy_audit
from reliability.pii_corpus import PiiValue, Sample, clean_corpus, pii_corpus
from reliability.privacy_audit import (
    count_leaks,
    leak_forms,
    miyraa_finder,
    readable,
    requests_for,
    score,
)


def test_pii_corpus_is_seeded_and_knows_where_each_value_is() -> None:
    samples = pii_corpus(48, seed=3)
    assert samples == pii_corpus(48, seed=3)
    assert samples != pii_corpus(48, seed=4)
    values = [value for sample in samples for value in sample.values]
    assert {value.kind for value in values} == set(PII_TYPES)
    for sample in samples:
        assert 1 <= len(sample.values) <= 3
        for value in sample.values:
            assert sample.text[value.start : value.end] == value.value


def test_clean_corpus_is_seeded_and_holds_no_pii_shapes() -> None:
    texts = clean_corpus(300, seed=1)
    assert texts == clean_corpus(300, seed=1)
    assert len(set(texts)) > 250
    for text in texts:
        # "@" only for "at" and chat-wide mentions, which are no one's handle
        not_at = r"@(?!home|work|school|the office|everyone|here|channel|all)\w"
        assert re.search(rf"\w@|{not_at}|://|www\.", text) is None, text
        # long digit runs only in order, ticket and parcel numbers (Amazon, UPS, FedEx, USPS)
        # and counts of steps
        others = re.sub(r"(?:order|parcel|ticket) #?[-0-9A-Z ]+|\d+ steps", "", text)
        assert re.search(r"\d{9}", others) is None, text
    joined = " ".join(texts)
    shapes = (r"\d{4}-\d\d-\d\d", r"\d\d:\d\d", r"\$[\d,]+\.\d\d", r"v\d+\.\d+\.\d+", "%", "/100")
    for shape in (*shapes, r"parcel 9400 \d{4} \d{4}", r"parcel 7\d{11}\b", r"order 11\d-\d{7}-"):
        assert re.search(shape, joined), shape
    everyday = (
        r"@home",
        r"@(?:everyone|here|channel|all) ",
        r"update to \d\.\d\.\d\.\d",
        r"order #\d{8}\b",
        r"\b\d{9} steps",
    )
    for shape in everyday:
        assert re.search(shape, joined), shape


def test_scrubber_finds_every_corpus_value_and_flags_no_clean_text() -> None:
    result = score(pii_corpus(80, seed=5), clean_corpus(200, seed=6), miyraa_finder)
    for kind, row in result["types"].items():
        assert row["values"] >= 8, kind
        assert row["recall"] == 1.0 and row["covered"] == row["values"], (kind, row)
        assert row["precision"] == 1.0, (kind, row)
    assert result["clean_texts_flagged"] == 0, result["false_positive_examples"]


def test_score_counts_misses_wrong_types_and_false_positives() -> None:
    sample = Sample("mail a@b.co now", (PiiValue("EMAIL", "a@b.co", 5, 11),))
    nothing = score([sample], ["fine"], lambda text: [])
    assert nothing["types"]["EMAIL"] == {
        "values": 1, "found": 0, "covered": 0, "spans": 0, "correct": 0, "recall": 0.0, "precision": None,
    }  # fmt: skip
    wrong = score([sample], ["fine"], lambda text: [("URL", 0, len(text))])
    assert wrong["types"]["EMAIL"]["recall"] == 0.0
    assert wrong["types"]["EMAIL"]["covered"] == 1
    assert wrong["types"]["URL"]["precision"] == 0.0
    assert wrong["clean_texts_flagged"] == 1
    assert wrong["false_positive_rate"] == 1.0


PHONE = PiiValue("PHONE", "(650) 253-0000 x42", 0, 18)
CARD = PiiValue("CREDIT_CARD", "4111 1111 1111 1111", 0, 19)
IBAN = PiiValue("IBAN", "GB82 WEST 1234 5698 7654 32", 0, 27)
EMAIL = PiiValue("EMAIL", "Jane.Doe@Example.com", 0, 20)
SSN = PiiValue("US_SSN", "123-45-6789", 0, 11)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (PHONE, '{"msg": "call (650) 253-0000 x42"}'),
        (PHONE, "text=6502530000"),  # bare digits, no extension
        (PHONE, "n: 650.253.0000"),  # other separators
        (CARD, "card 4111-1111-1111-1111 declined"),
        (CARD, '{"card": 4111111111111111}'),
        (IBAN, "iban=GB82WEST12345698765432"),
        (IBAN, "gb82-west-1234-5698-7654-32"),
        (EMAIL, "user jane.doe@example.com"),
        (EMAIL, json.dumps({"error": "Jane.Doe@Example.com"})),
        (SSN, "ssn 123456789;"),
        (PiiValue("UK_NINO", "QQ 12 34 56 C", 0, 13), "nino=qq123456c"),
        (PiiValue("DATE_OF_BIRTH", "15/03/1985", 0, 10), '{"msg": "born 15/03/1985"}'),
        (PiiValue("EMAIL", "josé@correo.es", 0, 14), json.dumps({"message": "josé@correo.es"})),
        (PiiValue("HANDLE", "@jane_doe", 0, 9), "GET /users/%40jane_doe 404"),
        (PiiValue("IP_ADDRESS", "2001:db8::1", 0, 11), "from 2001:0db8:0000:0000:0000:0000:0000:0001"),
    ],
)
def test_leak_counter_finds_a_value_however_it_is_written(value: PiiValue, written: str) -> None:
    leaks = count_leaks([value], {"logs": readable([written])})
    assert [(leak.source, leak.kind, leak.value) for leak in leaks] == [("logs", value.kind, value.value)]


def test_leak_counter_is_quiet_on_scrubbed_text_and_other_numbers() -> None:
    values = [PHONE, CARD, IBAN, EMAIL, SSN]
    text = "Call (650) 253-0000 x42, card 4111 1111 1111 1111, SSN 123-45-6789, Jane.Doe@Example.com"
    logged = [
        json.dumps({"message": "request", "text_length": len(text), "pii_counts": scrub(text).counts}),
        scrub(text).text,
        'miyraa_requests_total{endpoint="/fingerprint",status="200"} 650.0',
        "2024-03-15T14:30:00+0000 duration_ms 253.0 1111 650 4111 123-45",
    ]
    assert count_leaks(values, {"logs": readable(logged), "metrics": readable([])}) == []
    leaks = count_leaks(values, {"logs": readable([*logged, text])})
    assert sorted(leak.kind for leak in leaks) == ["CREDIT_CARD", "EMAIL", "PHONE", "US_SSN"]
    assert all(leak.count == 1 for leak in leaks)


def test_leak_forms_skip_bare_forms_too_short_to_mean_anything() -> None:
    assert leak_forms("PHONE", "555-0143") == (["555-0143"], [])
    assert leak_forms("PHONE", "+44 20 7946 0958") == (["+44 20 7946 0958"], ["2079460958", "442079460958"])


def test_requests_carry_every_text_and_pii_in_bad_requests() -> None:
    samples = pii_corpus(40, seed=7)
    calls = requests_for(samples)
    singles = [body for path, kind, body in calls if kind == "single" and path == "/fingerprint"]
    assert [body["text"] for body in singles] == [sample.text for sample in samples]
    assert any("client_id" in body for body in singles)
    batched = [text for path, kind, body in calls if kind == "batch" for text in body["texts"]]
    assert batched == [sample.text for sample in samples[:10]]
    bad = [(path, body) for path, kind, body in calls if kind == "bad"]
    values = [value.value for sample in samples for value in sample.values]
    assert len(bad) >= 15
    for path, body in bad:
        sent = path + (body if isinstance(body, str) else json.dumps(body, ensure_ascii=False))
        assert any(value in sent or re.sub(r"\D", "", value) in sent for value in values), sent
    assert [kind for _, kind, _ in requests_for(samples, bad_requests=False)].count("bad") == 0


def test_find_spans_are_what_the_audit_scores() -> None:
    text = "Write jane@example.com or call (460)648-7647x5938."
    assert miyraa_finder(text) == [(e.kind, e.start, e.end) for e in find(text)]
    assert [text[s:e] for _, s, e in miyraa_finder(text)] == ["jane@example.com", "(460)648-7647x5938"]


def test_table_puts_presidio_beside_ours(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path) -> None:
    samples, texts = pii_corpus(16, seed=2), clean_corpus(20, seed=2)
    report = {
        "texts": 16, "values": 20, "seed": 2, "requests": {"single": {200: 16}}, "refusals_retried": 0,
        "valid_requests_not_served": 0, "log": "s.log", "log_lines": 10, "leaks": 0,
        "leaks_by_source": {"logs": 0}, "leak_examples": [], "seconds": 1.0,
        "scrubber": score(samples, texts, miyraa_finder),
        "presidio": score(samples, texts, lambda text: []),
    }  # fmt: skip
    monkeypatch.setattr(privacy_audit, "presidio_pii", SimpleNamespace(UNSUPPORTED=("HANDLE",)))
    privacy_audit.print_table(report, tmp_path / "report.json")
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line}
    assert rows["LEAKS:"].startswith("LEAKS: 0 ")
    assert rows["EMAIL"].split("|")[1].split() == ["0.000", "n/a"]
    assert rows["HANDLE"].split("|")[1].split() == ["n/a", "n/a"]
    assert rows["all"].split("|")[0].split()[2:] == ["1.000", "1.000", "1.000"]
    assert "Presidio false positives: 0 of 20" in rows["Presidio"]

    privacy_audit.print_table({**report, "presidio": None}, tmp_path / "report.json")
    assert "Presidio: not available" in capsys.readouterr().out
