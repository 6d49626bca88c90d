"""Benchmark for ``miyraa.pii.scrub``: realistic text and adversarial shapes.

Builds about 100 KB of ordinary emotional sentences, about 10% of them carrying
PII, plus inputs of about 100 KB shaped to trigger regex backtracking, quadratic
trimming or slow phone parsing (the worst shape found for each pattern). Each input
is scrubbed 3 times with the default settings and the best ``time.perf_counter``
figure is kept; each adversarial input is also timed at half its size. Prints a table
and one JSON line; exits 1 when the realistic input takes 250 ms or more, or an
adversarial one takes 3.5x its half-size time or more (linear: 2x; quadratic: 4x; only
judged above 20 ms, where timer noise is small), or 6,000 ms or more. About 40 s on a
busy 2-core machine, for CI.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_pii.py`` (``make bench-pii``)
"""

from __future__ import annotations

import json
import random
import sys
import time

from miyraa.pii import scrub

REALISTIC_BUDGET_MS = 250.0  # 52 ms calm, 103 ms on a busy CI run; the scrubber before issue 12: 19 ms
ADVERSARIAL_BUDGET_MS = 6_000.0
# time(full) / time(half): 2 when linear, 4 when quadratic; a busy run saw 3.08 on a linear shape
GROWTH_LIMIT = 3.5
GROWTH_FLOOR_MS = 20.0
TARGET_BYTES = 100_000
REPEATS = 3

PLAIN = (
    "I am so happy today, the sun is finally out!",
    "Honestly I feel a bit lost since the move, everything is new.",
    "Why does this always happen to me? I'm furious.",
    "We won 3-2 last night and I still can't stop smiling.",
    "The meeting on 2024-03-15 at 14:30 went better than expected.",
    "Paid $1,299.99 for a laptop and it broke after 2 weeks, I'm livid.",
    "Version 10.0.19045.1234 finally fixed the crash, what a relief.",
    "I miss my grandmother so much, she would have turned 90 this year.",
    "Order #123456 arrived late again, really disappointed.",
    "Meet @ 5pm at room 101? I'm nervous but excited.",
    "Ce café était délicieux, je suis ravie 😊",
    "今天心情很好，谢谢大家的关心！",
)
WITH_PII = (
    "Please email me at jane.doe+feedback@mail.example.co.uk, I'm worried.",
    "Call me at +1 (650) 253-0000 ext. 1234 if you hear anything, I'm scared.",
    "My card 4111 1111 1111 1111 was charged twice, I'm so angry!",
    "Refund to IBAN DE89 3704 0044 0532 0130 00 please, I'm desperate.",
    "They leaked my SSN 123-45-6789 and I can't sleep.",
    "Someone at 192.168.10.24 keeps hacking me, I'm terrified.",
    "Loved this article https://example.com/blog/joy?ref=home#top so much!",
    "Follow @jane_doe for more happy vibes ✨",
    "Text me on 202-555-0143 or 415 555 2671, feeling lonely.",
    "Server 2001:db8::8a2e:370:7334 is down again, so frustrating.",
    "Ring me on 020 7946 0958 or 07700 900123, I'm so alone here.",
    "Appelle-moi au 06 12 34 56 78, je suis triste.",
    "My NI number QQ 12 34 56 C and DOB 15/03/1985 were in the leak, I'm shaking.",
)


def realistic_text(seed: int = 7) -> str:
    """About 100 KB of sentences, roughly one in ten carrying PII."""
    rng = random.Random(seed)
    sentences: list[str] = []
    size = 0
    while size < TARGET_BYTES:
        pool = WITH_PII if rng.random() < 0.1 else PLAIN
        sentence = rng.choice(pool)
        sentences.append(sentence)
        size += len(sentence.encode()) + 1
    return " ".join(sentences)


def adversarial_inputs() -> dict[str, str]:
    return {
        '"a" * 100_000': "a" * 100_000,
        '"@" * 50_000': "@" * 50_000,
        '"1" * 100_000': "1" * 100_000,
        '"a." * 50_000': "a." * 50_000,
        '"http://" + "a" * 100_000': "http://" + "a" * 100_000,
        '"x@" * 50_000': "x@" * 50_000,
        '"1-" * 50_000': "1-" * 50_000,
        '"12 " * 33_000': "12 " * 33_000,
        '"1.2.3.4." * 12_500': "1.2.3.4." * 12_500,
        '"a@b." * 25_000': "a@b." * 25_000,
        '":" * 100_000': ":" * 100_000,
        # phonenumbers' worst case: many 128-character windows of short digit groups, read
        # in every region; and windows of 8 groups, also retried without their last group
        '("12 " * 42 + "a ") * 780': ("12 " * 42 + "a ") * 780,
        '("12 " * 8 + "a ") * 3_800': ("12 " * 8 + "a ") * 3_800,
        '("06 12 34 56 78 " * 2 + "a ") * 3_000': ("06 12 34 56 78 " * 2 + "a ") * 3_000,
        # long runs: a window from each "+"
        '"+1 " * 33_000': "+1 " * 33_000,
        '"+44 20 7946 " * 8_300': "+44 20 7946 " * 8_300,
        # URL trimming (was quadratic in what trails the URL)
        '"http://a" + ")" * 100_000': "http://a" + ")" * 100_000,
        '"http://a" + ".,;" * 33_000': "http://a" + ".,;" * 33_000,
        # IBANs in any case and grouping, SSN and birth words, National Insurance shapes
        '"gb82 " * 20_000': "gb82 " * 20_000,
        '"gb82west" * 12_500': "gb82west" * 12_500,
        '"DE89 " * 20_000': "DE89 " * 20_000,
        '"SSN " * 25_000': "SSN " * 25_000,
        '"born on " * 12_500': "born on " * 12_500,
        '"DOB 1/1/" * 12_500': "DOB 1/1/" * 12_500,
        '"QQ 12 " * 16_600': "QQ 12 " * 16_600,
        '"update to " * 10_000': "update to " * 10_000 + "1.2.3.4",
        '"@home " * 16_600': "@home " * 16_600,
    }


def best_ms(text: str) -> float:
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        scrub(text)
        timings.append((time.perf_counter() - start) * 1000)
    return min(timings)


def main() -> int:
    realistic = realistic_text()
    inputs = {"realistic mixed text": realistic, **adversarial_inputs()}
    rows = [(name, len(text.encode()) / 1000, best_ms(text)) for name, text in inputs.items()]
    halves = {name: best_ms(text[: len(text) // 2]) for name, text in adversarial_inputs().items()}
    growth = {name: ms / max(halves[name], 1e-3) for name, _, ms in rows[1:]}
    width = max(len(name) for name, _, _ in rows)
    print(f"{'input':<{width}}  {'size KB':>8}  {'ms':>8}  {'x half':>6}")
    for name, size_kb, ms in rows:
        print(f"{name:<{width}}  {size_kb:>8.1f}  {ms:>8.2f}  {growth.get(name, float('nan')):>6.2f}")
    realistic_ms = rows[0][2]
    worst_name, _, worst_ms = max(rows[1:], key=lambda row: row[2])
    superlinear = [n for n, _, ms in rows[1:] if ms >= GROWTH_FLOOR_MS and growth[n] >= GROWTH_LIMIT]
    counts = scrub(realistic).counts
    print(
        json.dumps(
            {
                "realistic_ms": round(realistic_ms, 2),
                "realistic_counts": counts,
                "budget_ms": REALISTIC_BUDGET_MS,
                "adversarial_worst": {"input": worst_name, "ms": round(worst_ms, 2)},
                "adversarial_budget_ms": ADVERSARIAL_BUDGET_MS,
                "superlinear": superlinear,
                "results": [
                    {
                        "input": n,
                        "size_kb": round(s, 1),
                        "ms": round(m, 2),
                        "x_half": round(growth.get(n, 0), 2),
                    }
                    for n, s, m in rows
                ],
            }
        )
    )
    failed = realistic_ms >= REALISTIC_BUDGET_MS or worst_ms >= ADVERSARIAL_BUDGET_MS or bool(superlinear)
    if failed:
        print(
            f"FAIL: realistic {realistic_ms:.1f} ms (limit {REALISTIC_BUDGET_MS:.0f}), "
            f"worst adversarial {worst_ms:.1f} ms (limit {ADVERSARIAL_BUDGET_MS:.0f}), "
            f"growing {GROWTH_LIMIT}x or more when doubled: {superlinear or 'none'}",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
