"""Seeded test texts for the privacy audit and the scrubber's property tests.

``pii_value(kind, rng)`` makes one Faker value of a PII type (the names of
``miyraa.pii.PII_TYPES``) in one of the ways people write it; ``pii_corpus(n, seed)``
wraps one to three of them in emotional sentences and keeps where each one is (a value
that is personal data only after a context word, a date of birth or nine bare SSN
digits, comes after one: see ``needs_lead``); ``clean_corpus(n, seed)`` makes emotional
texts full of numbers and "@" that are not personal data (dates, times, prices, versions,
order numbers, percentages, scores, "@home").
Everything is reproducible from the seed (one ``random.Random``; each Faker call
is seeded from it).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import phonenumbers
from faker import Faker

# Locales whose Faker phone numbers are mostly numbers phonenumbers calls valid (the
# others are kept only when valid), with the region that reads their national form.
PHONE_LOCALES: dict[str, str] = {
    "en_GB": "GB", "fr_FR": "FR", "de_DE": "DE", "es_ES": "ES", "it_IT": "IT", "pl_PL": "PL",
    "nl_NL": "NL", "pt_BR": "BR", "en_IN": "IN", "en_AU": "AU", "en_CA": "CA",
}  # fmt: skip
IBAN_LOCALES = ("en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_BR")
# The locales of miyraa.pii.DEFAULT_PHONE_REGIONS outside North America: their national
# forms are read with the default settings.
NATIONAL_LOCALES = ("en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "en_IN")
CARD_TYPES = (
    "maestro", "mastercard", "visa16", "visa13", "visa19", "amex", "discover", "diners", "jcb15", "jcb16",
)  # fmt: skip
_VALID_TRIES = 50


@dataclass(frozen=True, slots=True)
class PiiValue:
    kind: str
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sample:
    """A text and the PII values in it (``text[v.start:v.end] == v.value``)."""

    text: str
    values: tuple[PiiValue, ...]


@cache
def faker(locale: str = "en_US") -> Faker:
    return Faker(locale)


def _fake(rng: random.Random, locale: str = "en_US") -> Faker:
    fake = faker(locale)
    fake.seed_instance(rng.getrandbits(32))
    return fake


def email(rng: random.Random) -> str:
    fake = _fake(rng)
    makers: list[Callable[[], str]] = [
        fake.email,
        fake.free_email,
        fake.company_email,
        lambda: f"{fake.first_name()}.{fake.last_name()}+{fake.word()}@{fake.domain_name(2)}".lower(),
    ]
    return rng.choice(makers)()


def us_phone(rng: random.Random) -> str:
    """Faker en_US: any area code, "x" extensions, +1 and 001 prefixes."""
    return str(_fake(rng).phone_number())


def foreign_phone(rng: random.Random, locale: str, *, international: bool) -> str:
    """A number valid in ``locale``'s region, as Faker writes it, or in international
    format ("+44 20 7946 0958", or with 00 for + one time in four)."""
    region = PHONE_LOCALES[locale]
    fake = _fake(rng, locale)
    for _ in range(_VALID_TRIES):
        written = str(fake.phone_number())
        try:
            number = phonenumbers.parse(written, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        if international and not written.startswith("+"):
            written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            if rng.random() < 0.25:
                written = "00" + written[1:]
        return written
    return "+44 20 7946 0958"  # not reached with these locales; a valid number all the same


def national_phone(rng: random.Random, locale: str) -> str:
    """A valid number of ``locale``'s region in its national format, grouped as the region
    writes it ("020 7946 0958", "06 12 34 56 78", "030 901820")."""
    written = foreign_phone(rng, locale, international=True)
    number = phonenumbers.parse(written.replace("00", "+", 1) if written.startswith("00") else written)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone(rng: random.Random) -> str:
    """Half US numbers, a quarter international ones, a quarter national forms of the
    default regions outside North America."""
    draw = rng.random()
    if draw < 0.5:
        return us_phone(rng)
    if draw < 0.75:
        return foreign_phone(rng, rng.choice(sorted(PHONE_LOCALES)), international=True)
    return national_phone(rng, rng.choice(NATIONAL_LOCALES))


def card(rng: random.Random, card_type: str | None = None) -> str:
    number = str(_fake(rng).credit_card_number(card_type or rng.choice(CARD_TYPES)))
    if rng.random() < 0.5:
        return number
    sizes = (4, 6, len(number) - 10) if len(number) in (14, 15) else (4,) * 5
    groups, position = [], 0
    for size in sizes:
        if position < len(number):
            groups.append(number[position : position + size])
            position += size
    return rng.choice(" -").join(groups)


def iban(rng: random.Random) -> str:
    """Compact or in groups of four, upper case, sometimes lower case or in odd groups."""
    value = str(_fake(rng, rng.choice(IBAN_LOCALES)).iban())
    draw = rng.random()
    if draw < 0.35:
        return value
    if draw < 0.7:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    if draw < 0.85:
        return value.lower()
    size = rng.choice((3, 5, 6))
    return (
        value[:2] + " " + value[2:4] + " " + " ".join(value[i : i + size] for i in range(4, len(value), size))
    )


def ssn(rng: random.Random) -> str:
    """Faker's "123-45-6789", sometimes with spaces or as nine bare digits."""
    value = str(_fake(rng).ssn())
    draw = rng.random()
    return value if draw < 0.6 else value.replace("-", " ") if draw < 0.75 else value.replace("-", "")


# HMRC's prefix letters: neither D, F, I, Q, U or V; the second not O; some pairs never used.
_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_NEVER = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")


def uk_nino(rng: random.Random) -> str:
    """A UK National Insurance number ("QQ123456C", "AB 12 34 56 C"); Faker's en_GB ones
    ("ZZ 12 34 56 T") are not valid numbers."""
    prefix = "QQ"
    while prefix == "QQ" and rng.random() > 0.1:
        prefix = rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)
        prefix = "QQ" if prefix in _NINO_NEVER else prefix
    digits = [f"{rng.randrange(100):02d}" for _ in range(3)]
    value = prefix + "".join(digits) + rng.choice("ABCD")
    if rng.random() < 0.4:
        value = " ".join([prefix, *digits, value[-1]])
    return value.lower() if rng.random() < 0.1 else value


_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip


def date_of_birth(rng: random.Random) -> str:
    """A Faker date of birth as people write it: numeric, ISO, or with the month's name."""
    day = _fake(rng, rng.choice(NATIONAL_LOCALES)).date_of_birth(minimum_age=16, maximum_age=90)
    d, m, y, month = day.day, day.month, day.year, _MONTHS[day.month - 1]
    return rng.choice(
        [
            f"{d:02d}/{m:02d}/{y}", f"{m}/{d}/{y}", f"{d}.{m}.{y}", f"{y}-{m:02d}-{d:02d}",
            f"{d}-{m}-{y % 100:02d}",
            f"{d} {month} {y}", f"{month} {d}, {y}", f"{d}th of {month} {y}", f"{month[:3]} {d} {y}",
            f"{d}-{month[:3]}-{y}",
        ]
    )  # fmt: skip


def needs_lead(kind: str, value: str) -> bool:
    """Whether the value is personal data only after a context word (one of ``LEADS[kind]``)."""
    return kind == "DATE_OF_BIRTH" or (kind == "US_SSN" and value.isdigit())


def ip_address(rng: random.Random) -> str:
    fake = _fake(rng)
    choice = rng.randrange(4)
    if choice == 0:
        return str(fake.ipv4_public())
    if choice == 1:
        return str(fake.ipv4_private())
    value = str(fake.ipv6())
    return value if choice == 2 else str(ipaddress.IPv6Address(value))


def url(rng: random.Random) -> str:
    fake = _fake(rng)
    makers: list[Callable[[], str]] = [
        fake.url,
        fake.uri,
        lambda: f"{fake.url()}{fake.uri_path()}?id={fake.random_int(1, 99_999)}&ref={fake.word()}",
        lambda: f"www.{fake.domain_name()}/{fake.slug()}",
    ]
    return rng.choice(makers)()


def handle(rng: random.Random) -> str:
    fake = _fake(rng)
    makers: list[Callable[[], str]] = [
        fake.user_name,
        lambda: f"{fake.first_name()}_{fake.last_name()}".lower(),
    ]
    name = rng.choice(makers)()
    return f"@{name}"


MAKERS: dict[str, Callable[[random.Random], str]] = {
    "EMAIL": email,
    "PHONE": phone,
    "CREDIT_CARD": card,
    "IBAN": iban,
    "US_SSN": ssn,
    "UK_NINO": uk_nino,
    "DATE_OF_BIRTH": date_of_birth,
    "IP_ADDRESS": ip_address,
    "URL": url,
    "HANDLE": handle,
}


def pii_value(kind: str, rng: random.Random) -> str:
    return MAKERS[kind](rng)


FEELINGS = (
    "I'm so anxious right now",
    "Honestly I feel betrayed",
    "I am beyond happy today",
    "This makes me furious",
    "I feel so lonely since the move",
    "I'm scared and I don't know what to do",
    "Thank you, you made my day",
    "I'm exhausted and a bit lost",
    "So grateful for all of you",
    "I can't stop crying",
    "What a relief, finally",
    "I'm nervous but excited",
    "Je suis tellement triste",
    "Estoy muy preocupada",
    "我今天很难过",
    "Ugh, I'm so disappointed 😞",
    "Feeling hopeful for once ✨",
)
LEADS: dict[str, tuple[str, ...]] = {
    "EMAIL": ("please email me at", "my address is", "write to", "reply to"),
    "PHONE": ("call me at", "text me on", "my number is", "ring"),
    "CREDIT_CARD": ("my card", "they charged card number", "refund the card", "use"),
    "IBAN": ("refund to IBAN", "pay into", "my account is", "transfer to"),
    "US_SSN": ("they leaked my SSN", "my social security number is", "SSN:", "someone used my SSN"),
    "UK_NINO": ("my NI number is", "National Insurance", "NINO:", "HMRC wrote about"),
    "DATE_OF_BIRTH": ("I was born on", "DOB:", "my date of birth is", "born", "d.o.b."),
    "IP_ADDRESS": ("someone at", "the login came from", "my router is", "blocked"),
    "URL": ("look at", "I posted it on", "read this:", "the link was"),
    "HANDLE": ("follow", "thanks to", "message", "cc"),
}
ENDINGS = (".", "!", " please.", ", thanks.", " 😢", "?!", " today.", ". I can't sleep.", "")


def pii_corpus(n: int, seed: int = 0) -> list[Sample]:
    """``n`` texts, each carrying 1 to 3 values; every type about equally often."""
    rng = random.Random(seed)
    kinds = sorted(MAKERS)
    samples = []
    for i in range(n):
        text = ""
        values: list[PiiValue] = []
        for j in range(rng.choice((1, 1, 2, 3))):
            kind = kinds[(i + j) % len(kinds)] if j == 0 else rng.choice(kinds)
            value = pii_value(kind, rng)
            text += f"{rng.choice(FEELINGS)}, {rng.choice(LEADS[kind])} "
            values.append(PiiValue(kind, value, len(text), len(text) + len(value)))
            text += value + rng.choice(ENDINGS) + " "
        samples.append(Sample(text.rstrip(), tuple(values)))
    return samples


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
    months = ("January", "March", "May", "July", "September", "December")
    return rng.choice(
        [
            f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}/{m:02d}/{y}",
            f"{m}/{d}/{y}",
            f"{rng.choice(months)} {d}, {y}",
            f"{d}.{m}.{y}",
            f"{y}/{m:02d}/{d:02d}",
        ]
    )


def _time(rng: random.Random) -> str:
    h, minute = rng.randint(0, 23), rng.randint(0, 59)
    return rng.choice(
        [
            f"{h:02d}:{minute:02d}",
            f"{h % 12 + 1}:{minute:02d}pm",
            f"{h:02d}:{minute:02d}:{rng.randint(0, 59):02d}",
            f"{h % 12 + 1}am",
            f"{h:02d}:{minute:02d}-{(h + 2) % 24:02d}:{minute:02d}",
        ]
    )


def _price(rng: random.Random) -> str:
    amount = rng.randint(1, 2_500_000) / 100
    return rng.choice(
        [f"${amount:,.2f}", f"€{amount:.2f}", f"{amount:.2f} USD", f"£{int(amount)}", f"{int(amount):,} yen"]
    )


def _version(rng: random.Random) -> str:
    a, b, c = rng.randint(0, 20), rng.randint(0, 30), rng.randint(0, 99)
    return rng.choice(
        [
            f"v{a}.{b}.{c}",
            f"version {a}.{b}",
            f"{a}.{b}.{c}-beta",
            f"build 10.0.{rng.randint(10_000, 22_999)}",
        ]
    )


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _order(rng: random.Random) -> str:
    """Order, ticket and parcel numbers as shops and carriers print them."""
    return rng.choice(
        [
            f"order #{rng.randint(10_000, 9_999_999)}",
            f"order {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            f"order {rng.randint(111, 114)}-{_digits(rng, 7)}-{_digits(rng, 7)}",  # Amazon
            f"ticket A-{rng.randint(100, 99_999)}",
            f"invoice INV-{rng.randint(2019, 2026)}-{rng.randint(1, 9999):04d}",
            f"booking ref {rng.choice('ABCDEFGHJK')}{rng.randint(10_000, 99_999)}",
            f"parcel 1Z{rng.randint(100, 999)}AA1{_digits(rng, 10)}",  # UPS
            f"parcel 7{_digits(rng, 11)}",  # FedEx, 12 digits
            f"parcel 9400 1{_digits(rng, 3)} {_digits(rng, 4)} {_digits(rng, 4)} {_digits(rng, 4)} "
            f"{_digits(rng, 2)}",  # USPS, 22 digits
        ]
    )


def _percent(rng: random.Random) -> str:
    return rng.choice(
        [f"{rng.randint(0, 100)}%", f"{rng.randint(0, 999) / 10}%", f"{rng.randint(1, 9)} in 10"]
    )


def _score(rng: random.Random) -> str:
    return rng.choice(
        [
            f"{rng.randint(0, 7)}-{rng.randint(0, 7)}",
            f"{rng.randint(50, 100)}/100",
            f"{rng.randint(1, 4)}.{rng.randint(0, 9)}/5 stars",
            f"{rng.randint(60, 300)} points",
            f"{rng.randint(100, 300)}-{rng.randint(100, 300)}",
        ]
    )


def _quantity(rng: random.Random) -> str:
    return rng.choice(
        [
            f"{rng.randint(2, 40)} km",
            f"{rng.randint(40, 120)}.{rng.randint(0, 9)} kg",
            f"{rng.randint(-20, 40)}°C",
            f"room {rng.randint(1, 999)}",
            f"{rng.randint(2, 12)} years",
            "1920x1080",
            f"{rng.randint(1990, 2024)}-{rng.randint(2000, 2030)}",
            f"page {rng.randint(1, 500)} of {rng.randint(500, 900)}",
        ]
    )


def _everyday(rng: random.Random) -> str:
    """What a scrubber may take for PII and must not: "@" for "at", chat-wide mentions,
    versions after "update to", numbers after order words, bare counts, dates without a
    birth word."""
    n = rng.randint(100_000_000, 999_999_999)
    return rng.choice(
        [
            f"working @{rng.choice(('home', 'work', 'school', 'the office'))}",
            f"@{rng.choice(('everyone', 'here', 'channel', 'all'))} listen",
            f"update to {rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
            f"upgraded from {rng.randint(1, 4)}.0.0.{rng.randint(1, 9)} to {rng.randint(5, 9)}.0.0.1",
            f"order #{rng.randint(10_000_000, 99_999_999)}",
            f"ticket #0{rng.randint(100_000_000, 999_999_999)}",
            f"{n:,} views",
            f"{n} steps",
            f"the party on {_date(rng)}",
            f"{rng.randint(1, 9)}-{rng.randint(0, 9)} at half time",
        ]
    )


NUMBER_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "date": _date,
    "time": _time,
    "price": _price,
    "version": _version,
    "order": _order,
    "percent": _percent,
    "score": _score,
    "quantity": _quantity,
    "everyday": _everyday,
}
CLEAN_FRAMES = (
    "{feeling}: it happened on {date} at {time}.",
    "{feeling}, paid {price} and it broke after {quantity}.",
    "Updated to {version} and {feeling}.",
    "{feeling} because {order} is late again, since {date}.",
    "Battery at {percent}, {feeling}.",
    "We won {score} last night and {feeling}!",
    "{feeling}. Exam grade {score}, {percent} of the class passed.",
    "Flight at {time} on {date}, ticket was {price}. {feeling}.",
    "{feeling}; {order} was refunded ({price}) on {date}.",
    "Meet @ {time}? {feeling}.",
    "{feeling}: {quantity} done, {percent} to go, now on {version}.",
    "{feeling}, {everyday}.",
    "{everyday}? {feeling} ({price}, {score}).",
)


def clean_corpus(n: int, seed: int = 0) -> list[str]:
    """``n`` emotional texts with numbers that are not personal data, and no PII."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        frame = rng.choice(CLEAN_FRAMES)
        fields = {name: make(rng) for name, make in NUMBER_MAKERS.items()}
        texts.append(frame.format(feeling=rng.choice(FEELINGS), **fields))
    return texts
