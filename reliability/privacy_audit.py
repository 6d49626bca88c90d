"""Privacy audit: does any PII value sent to the service come back out of it?

    .venv/bin/python reliability/privacy_audit.py                 # starts `bentoml serve` itself
    .venv/bin/python reliability/privacy_audit.py --n 200 --seed 1
    .venv/bin/python reliability/privacy_audit.py --host http://127.0.0.1:3000 --log serve.log \
        --no-bad-requests                                          # a shared service

1. Builds N seeded emotional texts carrying known PII values of the 8 types
   (reliability/pii_corpus.py), the truth kept per value and type.
2. Without --host, starts the real service (`bentoml serve service:Miyraa`, LOG_LEVEL=DEBUG,
   JSON logs captured to reports/privacy_audit_service.log); sends every text to POST
   /fingerprint (a quarter with a client_id that is PII), a quarter of them again through
   POST /fingerprint/batch, and bad requests that carry PII: a text over the length limit,
   PII as a field name, an empty text in a batch, a truncated body, a list or a number
   instead of a text, PII in the query string and in an unknown path; 4 at a time, a
   request shed with 429/503 sent again after its Retry-After.
3. Counts every value, as written and, for phones, cards, IBANs and SSNs, as its bare
   digits (letters and digits for IBANs), in every response body, every log line and the
   /metrics text, each read as written, JSON-decoded and URL-decoded. Exit 1 unless 0.
4. Prints the scrubber's recall and precision per type on the corpus (in-process,
   ``miyraa.pii.find`` with the default settings) and its false positives on PII-free
   texts full of dates, prices, versions, times, order numbers, percentages, scores and
   "@home"; Presidio's beside them when reliability/presidio_pii.py is importable and
   available. Writes reports/privacy_audit.json.

    .venv/bin/python reliability/privacy_audit.py --score-only --n 2000 --seed 12   # step 4 alone

The corpus draws national phone forms of the default regions through phonenumbers'
formatter, IBANs in any case and grouping, SSNs, UK National Insurance numbers and dates
of birth from Faker's locales with a seed of your choosing: a seed the scrubber was not
tuned on is the fair figure.

Exit status: 1 when a value leaked, 2 when a valid request never got a 200 (shed each time),
3 when the false-positive rate on PII-free texts reaches --max-false-positive-rate.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import phonenumbers

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from loadtest import serving  # noqa: E402
from miyraa.pii import PII_TYPES, find  # noqa: E402
from reliability.pii_corpus import PiiValue, Sample, clean_corpus, pii_corpus  # noqa: E402

try:  # optional: another engineer's adapter, with Presidio installed or not
    from reliability import presidio_pii
except ImportError:
    presidio_pii = None  # type: ignore[assignment]

Finder = Callable[[str], list[tuple[str, int, int]]]
MAX_TRIES = 30
MIN_NORMALISED = 8  # a bare-digits form shorter than this could be any number
_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?|extension|#)\s*\d+$")
_DIGIT_GAPS = re.compile(r"(?<=\d)[ \t().\-/]+(?=\d)")
_ALNUM_GAPS = re.compile(r"(?<=[A-Za-z0-9])[ \t\-]+(?=[A-Za-z0-9])")


@dataclass(frozen=True)
class Leak:
    source: str
    kind: str
    value: str
    form: str
    count: int


def leak_forms(kind: str, value: str) -> tuple[list[str], list[str]]:
    """How a value could reappear: (as written, as bare digits or letters and digits)."""
    exact = {value}
    bare: set[str] = set()
    if kind == "EMAIL":
        exact.add(value.lower())
    elif kind == "IP_ADDRESS" and ":" in value:
        address = ipaddress.IPv6Address(value)
        exact |= {address.compressed, address.exploded}
    elif kind in ("IBAN", "UK_NINO"):
        bare.add(re.sub(r"[^A-Za-z0-9]", "", value).upper())
    elif kind in ("PHONE", "CREDIT_CARD", "US_SSN"):
        main = _EXTENSION.sub("", value)
        bare.add(re.sub(r"\D", "", main))
        if kind == "PHONE":
            with contextlib.suppress(phonenumbers.NumberParseException):
                bare.add(str(phonenumbers.parse(main, "US").national_number))
    return sorted(exact), sorted(form for form in bare if len(form) >= MIN_NORMALISED)


def count_leaks(values: Iterable[PiiValue], sources: dict[str, list[str]]) -> list[Leak]:
    """Every value found, in any of its forms, in each source (lines from ``readable``),
    with the number of lines it is in.

    Bare forms are looked for with the separators between digits (or, for IBANs, between
    letters and digits) taken out, so "650 253 0000" in a log is found for the value
    "(650) 253-0000"."""
    forms = {(v.kind, v.value): leak_forms(v.kind, v.value) for v in values}
    leaks = []
    for source, lines in sources.items():
        views = _views("\n".join(lines))
        for (kind, value), (exact, bare) in sorted(forms.items()):
            view = "alnum" if kind in ("IBAN", "UK_NINO") else "digits"
            for form, name in [(form, "text") for form in exact] + [(form, view) for form in bare]:
                if form in views[name]:
                    count = sum(form in _views(line)[name] for line in lines)
                    leaks.append(Leak(source, kind, value, form, count))
                    break
    return leaks


def _views(text: str) -> dict[str, str]:
    return {
        "text": text,
        "digits": _DIGIT_GAPS.sub("", text),
        "alnum": _ALNUM_GAPS.sub("", text).upper(),
    }


def readable(lines: Iterable[str]) -> list[str]:
    """Each line as written, as the keys and string values of its JSON (escapes hide
    nothing) and URL-decoded (a path or a query as logged), the views split by NUL."""
    out = []
    for line in lines:
        views = [line, unquote(line)]
        with contextlib.suppress(ValueError):
            views.append(" ".join(_strings(json.loads(line))))
        out.append("\0".join(dict.fromkeys(views)))
    return out


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, item in node.items():
            yield key
            yield from _strings(item)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def requests_for(samples: list[Sample], bad_requests: bool = True) -> list[tuple[str, str, Any]]:
    """(path, kind, body) of every call: one per text (a quarter of them with a client_id
    that is PII), batches of a quarter of the texts, and bad requests that carry PII."""
    calls: list[tuple[str, str, Any]] = []
    for i, sample in enumerate(samples):
        body: dict[str, Any] = {"text": sample.text}
        emails = [v.value for v in sample.values if v.kind == "EMAIL"]
        if emails and i % 4 == 0:
            body["client_id"] = emails[0]  # hashed by the service, never to be logged raw
        calls.append(("/fingerprint", "single", body))
    quarter = samples[: max(1, len(samples) // 4)]
    for i in range(0, len(quarter), 8):
        calls.append(("/fingerprint/batch", "batch", {"texts": [s.text for s in quarter[i : i + 8]]}))
    if not bad_requests:
        return calls
    for sample in samples[:3]:
        value = sample.values[0].value
        calls += [
            ("/fingerprint", "bad", {"text": sample.text + " " * 100_001 + value}),  # too long
            ("/fingerprint", "bad", {"text": sample.text, value: 1}),  # PII as a field name
            ("/fingerprint/batch", "bad", {"texts": [sample.text, ""]}),
            ("/fingerprint", "bad", f'{{"text": "{sample.text[:40]} {value}'),  # truncated JSON
            ("/fingerprint", "bad", {"text": [value]}),
        ]
    values = [v for s in samples for v in s.values]
    for card in [v.value for v in values if v.kind == "CREDIT_CARD"][:1]:
        calls.append(("/fingerprint", "bad", {"text": int(re.sub(r"\D", "", card))}))
    for name in [v.value for v in values if v.kind in ("EMAIL", "HANDLE")][:2]:
        calls.append((f"/fingerprint?ref={name}", "single", {"text": "so happy today"}))
        calls.append((f"/fingerprint/{name}", "bad", {"text": "so happy today"}))  # a 404
    return calls


Answer = tuple[str, int, str]


def send(url: str, calls: list[tuple[str, str, Any]], workers: int = 4) -> list[list[Answer]]:
    """The answers, (kind, status, body), to each call, made ``workers`` at a time; a call
    shed with 429 or 503 is made again after its Retry-After (at most 2 s, 30 tries), so
    that every text reaches the scrubber. The refusals' bodies are kept too."""
    with httpx.Client(base_url=url, timeout=60) as client:

        def one(call: tuple[str, str, Any]) -> list[Answer]:
            path, kind, body = call
            answers = []
            for _ in range(MAX_TRIES):
                if isinstance(body, str):
                    headers = {"Content-Type": "application/json"}
                    response = client.post(path, content=body, headers=headers)
                else:
                    response = client.post(path, json=body)
                answers.append((kind, response.status_code, response.text))
                if response.status_code not in (429, 503):
                    break
                time.sleep(min(2.0, float(response.headers.get("Retry-After", "0.5"))))
            return answers

        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, calls))


def score(samples: list[Sample], texts: list[str], finder: Finder) -> dict[str, Any]:
    """Recall and precision per type on the PII corpus, false positives on PII-free texts.

    A value is found when a span of its type overlaps it and covered when spans of any type
    cover all of it; a span is correct when it overlaps a value of its type."""
    per: dict[str, dict[str, Any]] = {
        kind: {"values": 0, "found": 0, "covered": 0, "spans": 0, "correct": 0} for kind in PII_TYPES
    }
    for sample in samples:
        spans = finder(sample.text)
        for value in sample.values:
            row = per[value.kind]
            row["values"] += 1
            hits = [(k, s, e) for k, s, e in spans if s < value.end and e > value.start]
            row["found"] += any(k == value.kind for k, _, _ in hits)
            row["covered"] += _covered(value, hits)
        for kind, start, end in spans:
            per[kind]["spans"] += 1
            per[kind]["correct"] += any(
                v.kind == kind and start < v.end and end > v.start for v in sample.values
            )
    per["all"] = {key: sum(row[key] for row in per.values()) for key in per["EMAIL"]}
    for row in per.values():
        row["recall"] = row["found"] / row["values"] if row["values"] else None
        row["precision"] = row["correct"] / row["spans"] if row["spans"] else None
    false_positives = [(text, finder(text)) for text in texts]
    flagged = [(text, spans) for text, spans in false_positives if spans]
    return {
        "types": per,
        "clean_texts": len(texts),
        "clean_texts_flagged": len(flagged),
        "false_positive_rate": len(flagged) / len(texts) if texts else 0.0,
        "false_positive_examples": [
            {"text": text, "spans": [[k, text[s:e]] for k, s, e in spans]} for text, spans in flagged[:10]
        ],
    }


def _covered(value: PiiValue, hits: list[tuple[str, int, int]]) -> bool:
    position = value.start
    for _, start, end in sorted(hits, key=lambda hit: hit[1]):
        if start > position:
            return False
        position = max(position, end)
    return position >= value.end


def miyraa_finder(text: str) -> list[tuple[str, int, int]]:
    return [(e.kind, e.start, e.end) for e in find(text)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="texts with PII (default 1000)")
    parser.add_argument("--clean", type=int, default=500, help="PII-free texts (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--host", help="a running service; default: start one on a free port")
    parser.add_argument("--log", type=Path, help="with --host: the service's log file to audit")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "privacy_audit.json")
    parser.add_argument(
        "--max-false-positive-rate",
        type=float,
        default=0.01,
        help="limit on the share of PII-free texts with a span found (default 0.01)",
    )
    parser.add_argument(
        "--score-only",
        action="store_true",
        help="no service: only the scrubber's recall, precision and false positives, in-process",
    )
    parser.add_argument(
        "--no-bad-requests",
        action="store_true",
        help="valid requests only (a shared --host: bad ones would put test PII in its logs and metrics)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    samples, texts = pii_corpus(args.n, args.seed), clean_corpus(args.clean, args.seed + 1)
    values = [value for sample in samples for value in sample.values]
    if args.score_only:
        return score_only(samples, texts, args)

    log = args.log
    process = None
    url = args.host
    if url is None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        log = args.out.parent / "privacy_audit_service.log"
        # the most verbose logs the service writes, as JSON lines
        process, url, _ = serving.start_service(log, LOG_LEVEL="DEBUG", LOG_FORMAT="json")
    try:
        answered = send(url, requests_for(samples, bad_requests=not args.no_bad_requests))
        metrics = httpx.get(f"{url}/metrics", timeout=30).text
    finally:
        if process is not None:
            serving.stop(process)
    results = [answer for answers in answered for answer in answers]
    log_lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log else []
    sources = {
        "responses": readable([body for kind, _, body in results if kind != "bad"]),
        "responses to bad requests": readable([body for kind, _, body in results if kind == "bad"]),
        "logs": readable(log_lines),
        "metrics": readable(metrics.splitlines()),
    }
    leaks = count_leaks(values, sources)
    statuses: dict[str, dict[int, int]] = {}
    for kind, status, _ in (answers[-1] for answers in answered):
        statuses.setdefault(kind, {}).setdefault(status, 0)
        statuses[kind][status] += 1
    shed = sum(len(answers) - 1 for answers in answered)
    kinds_served = ("single", "batch")
    unserved = sum(a[-1][0] in kinds_served and a[-1][1] != 200 for a in answered)

    ours = score(samples, texts, miyraa_finder)
    presidio = None
    if presidio_pii is not None and presidio_pii.available():
        presidio = score(samples, texts, presidio_pii.find)
    report = {
        "texts": len(samples),
        "values": len(values),
        "seed": args.seed,
        "requests": {kind: dict(counts) for kind, counts in statuses.items()},
        "refusals_retried": shed,
        "valid_requests_not_served": unserved,
        "log": str(log) if log else None,
        "log_lines": len(log_lines) if log else None,
        "leaks": len(leaks),
        "leaks_by_source": {s: sum(leak.source == s for leak in leaks) for s in sources},
        "leak_examples": [asdict(leak) for leak in leaks[:20]],
        "scrubber": ours,
        "presidio": presidio,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print_table(report, args.out)
    too_many = ours["false_positive_rate"] >= args.max_false_positive_rate
    return 1 if leaks else 2 if unserved else 3 if too_many else 0


def score_only(samples: list[Sample], texts: list[str], args: argparse.Namespace) -> int:
    """Step 4 alone: the scrubber's figures in-process; exit 3 over the false-positive limit."""
    started = time.perf_counter()
    ours = score(samples, texts, miyraa_finder)
    rate = ours["false_positive_rate"]
    types = ours["types"]
    print(f"scrubber on {len(samples)} texts ({types['all']['values']} values), seed {args.seed}")
    for kind, row in types.items():
        recall, precision = row["recall"], row["precision"]
        print(
            f"{kind:<14} {row['values']:>6} recall {'n/a' if recall is None else f'{recall:.3f}'}"
            f" precision {'n/a' if precision is None else f'{precision:.3f}'}"
        )
    print(
        f"false positives: {ours['clean_texts_flagged']} of {ours['clean_texts']} PII-free texts "
        f"({rate:.2%}, limit {args.max_false_positive_rate:.2%}); {time.perf_counter() - started:.1f} s"
    )
    return 3 if rate >= args.max_false_positive_rate else 0


def print_table(report: dict[str, Any], out: Path) -> None:
    print(f"privacy audit: {report['texts']} texts, {report['values']} PII values, seed {report['seed']}")
    print(
        f"requests by kind and final status: {report['requests']}; "
        f"{report['refusals_retried']} refusals (429/503) retried"
    )
    if report["valid_requests_not_served"]:
        print(f"INCOMPLETE: {report['valid_requests_not_served']} valid requests never got a 200")
    if report["log"] is None:
        print("log: not audited (pass --log)")
    else:
        print(f"log: {report['log_lines']} lines, {report['log']}")
    by_source = ", ".join(f"{source} {n}" for source, n in report["leaks_by_source"].items())
    print(f"LEAKS: {report['leaks']} ({by_source})")
    for leak in report["leak_examples"]:
        print(f"  {leak['source']}: {leak['kind']} {leak['value']!r} as {leak['form']!r} x{leak['count']}")
    presidio = report["presidio"]
    header = f"{'type':<12} {'values':>6} {'recall':>7} {'covered':>8} {'precision':>9}"
    print("\n" + header + (f" | {'Presidio recall':>15} {'precision':>9}" if presidio else ""))

    def figure(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    for kind, row in report["scrubber"]["types"].items():
        covered = row["covered"] / row["values"] if row["values"] else None
        line = f"{kind:<12} {row['values']:>6} {figure(row['recall']):>7} {figure(covered):>8}"
        line += f" {figure(row['precision']):>9}"
        if presidio:
            other = presidio["types"][kind]
            if kind in getattr(presidio_pii, "UNSUPPORTED", ()):
                other = {"recall": None, "precision": None}  # no recognizer: not a miss
            line += f" | {figure(other['recall']):>15} {figure(other['precision']):>9}"
        print(line)
    for name, result in (("scrubber", report["scrubber"]), ("Presidio", presidio)):
        if result:
            print(
                f"{name} false positives: {result['clean_texts_flagged']} of {result['clean_texts']} "
                f"PII-free texts ({result['false_positive_rate']:.1%})"
            )
    if not presidio:
        print("Presidio: not available (reliability/presidio_pii.py missing or presidio not installed)")
    print(f"{report['seconds']} s; report: {out}")


if __name__ == "__main__":
    sys.exit(main())
