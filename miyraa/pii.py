"""PII scrubber: replace personal data in free text with typed placeholders.

``scrub(text)`` replaces each value found with ``[TYPE]`` (``[EMAIL]``, ...) and
counts them per type; ``find(text)`` returns the typed spans it replaces, in the
coordinates of the input. Pure functions: no logging, no state, never raise on a str.

Detection order: URL, EMAIL, IBAN, CREDIT_CARD, US_SSN, IP_ADDRESS, then PHONE on
what is left (North American shapes, then phonenumbers), then HANDLE; each detector
reads the previous one's output, so a card is never also a phone and an email's
domain never a URL or a handle. Regexes only propose; Luhn, the IBAN checksum,
``ipaddress`` and ``phonenumbers`` (leniency VALID) confirm, and what is not
confirmed (dates, prices, versions) stays as it was. Two shape rules add what those
checks reject but people write: North American numbers whatever their area code
(``(460)648-7647x5938``: area code and exchange 2-9XX, a 4-digit line, the usual
separators, an extension; after ``+1`` or ``001`` whatever the region, national
forms when the region's calling code is 1), and 12-digit Maestro cards (a Maestro
prefix and Luhn; other cards have 13 to 19 digits). Luhn alone passes one number in
ten, so a card also starts as issued cards do (2-6; 1 for 15 digits) and, inside a
longer run of groups (a parcel number), is grouped as cards are printed.

Idempotence: placeholders hold no digit, ``@``, ``.`` or ``:``, and a placeholder's
``]`` or ``[`` blocks a neighbouring match as the letter or digit it replaced would,
so a second pass cannot find what the first rejected because of its neighbour.

Linear time: each pattern starts with a plain character class (skipped over in C;
the North American one with a lookahead on one), guards "not inside a token" with
short lookbehinds, and repeats only with bounds (local part 64, labels 63, groups of
4) or over classes that cannot overlap what follows. ``phonenumbers`` is slow, so it
only sees windows of at least 7 digits cut by a linear regex, with a bounded number
of failed parses each; runs over 128 characters (data, not prose) are read token by
token.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import phonenumbers
from stdnum import iban, luhn

PII_TYPES: tuple[str, ...] = (
    "EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL", "HANDLE",
)  # fmt: skip

Span = tuple[int, int]
Finder = Callable[[str], Iterator[Span]]
Validator = Callable[[str, bool], bool]  # (value, whether it is the whole candidate)

_LATIN = "\u00c0-\u024f"  # accented Latin letters, allowed in names and local parts
_LOCAL_CHAR = rf"[A-Za-z0-9._%+\-{_LATIN}]"
_LABEL = rf"[A-Za-z0-9{_LATIN}](?:[A-Za-z0-9\-{_LATIN}]{{0,61}}[A-Za-z0-9{_LATIN}])?"

# "Not preceded by" guards are lookbehinds placed after the first character, so that
# each pattern starts with a plain class; "]" and "[" count as word characters.
_URL = re.compile(
    r"[hHwW](?:(?<![A-Za-z0-9\]][hH])(?i:ttps?://)|(?<![A-Za-z0-9@./\-\]][wW])(?i:ww\.))"
    rf"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%{_LATIN}]+"
)
_URL_TRAILING = ".,;:!?*"
_URL_CLOSERS = {")": "(", "]": "["}
_EMAIL = re.compile(
    rf"{_LOCAL_CHAR}(?<![A-Za-z0-9._%+\-{_LATIN}\]]{_LOCAL_CHAR}){_LOCAL_CHAR}{{0,63}}"
    rf"@(?:{_LABEL}\.){{1,8}}[A-Za-z]{{2,63}}(?![A-Za-z0-9_\[])"
)
# Not after "." or "_" either: a handle ("@jane.DE89 ...") could take the country code.
_IBAN = re.compile(
    r"[A-Z](?<![A-Za-z0-9@\]._][A-Z])[A-Z][0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"
    r"(?![A-Za-z0-9\[])"
)
_IBAN_LETTERS = str.maketrans({letter: str(ord(letter) - 55) for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
# Not after "+" (a country code); room for one more group than a 19-digit card has, for
# the number before it ("x3966 4281 5444 6037 6785 136"); a leading 0 only for Maestro.
_CARD = re.compile(
    r"[0-9](?<![0-9\]+][0-9])(?<![0-9\]]-[0-9])"
    r"(?:[0-9]{11,18}"
    r"|[0-9]{3}(?:[ -][0-9]{4}){2,4}(?:[ -][0-9]{1,4})?"
    r"|[0-9]{3}[ -][0-9]{6}[ -][0-9]{4,5})"
    r"(?![0-9\[])(?!-[0-9\[])"
)
# 12-digit cards are Maestro only; Faker's and creditcardjs.com's list of its prefixes.
_MAESTRO_12 = (
    "5018", "5020", "5038", "56", "57", "58", "6304", "6759", "6761", "6762", "6763", "0604", "6390",
)  # fmt: skip
_CARD_GROUPS = {(4, 4, 4), (4, 4, 4, 1), (4, 6, 4), (4, 6, 5), (4, 4, 4, 3), (4, 4, 4, 4), (4, 4, 4, 4, 3)}
_GROUP_SEPARATOR = re.compile("[ -]")
_SSN = re.compile(
    r"[0-8](?<![0-9\]][0-9])(?<![0-9\]]-[0-9])[0-9]{2}(?<!000)(?<!666)"
    r"([- ])[0-9]{2}(?<!00)\1[0-9]{4}(?<!0000)(?![0-9\[])(?!-[0-9\[])"
)
_IPV4 = re.compile(r"[0-9](?<![A-Za-z0-9_.\]][0-9])[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?![A-Za-z0-9_\[]|\.[0-9\[])")
# A colon within the first five characters, then up to 45 address characters.
_IPV6 = re.compile(r"[0-9A-Fa-f:](?<![A-Za-z0-9_.:\]].)(?:(?<=:)|[0-9A-Fa-f]{0,3}:)[0-9A-Fa-f:.]{1,44}")
_VERSION_CONTEXT = re.compile(r"(?i)\b(?:version|ver|build|release|rev|v)\.?:?\s*$")
# A dot inside a handle comes before a letter: "@jane.doe", not "@jane.0049650" (run
# last, a handle must not take digits that the phone detectors read).
_HANDLE = re.compile(
    rf"@(?<![A-Za-z0-9._%+\-{_LATIN}@\]]@)[A-Za-z_{_LATIN}]"
    rf"(?:[A-Za-z0-9_{_LATIN}]|\.(?=[A-Za-z_{_LATIN}])){{0,29}}(?![A-Za-z0-9_{_LATIN}\[])"
)
# Digit runs handed to phonenumbers: digits, phone punctuation and extension markers,
# written as normal* (special normal*)* so that it never backtracks.
_PHONE_CHARS = r"[\d+ \t\u00a0().\-/~\[\]]*"
_PHONE_START_CHAR = r"[\d+(\[\uff0b]"
_PHONE_START = re.compile(_PHONE_START_CHAR)
_PHONE_RUN = re.compile(
    rf"{_PHONE_START_CHAR}(?<![A-Za-z0-9_{_LATIN}\]].)"
    rf"{_PHONE_CHARS}(?:(?:(?i:ext(?:ension|n)?\.?|x)|\#){_PHONE_CHARS})*"
)
_PHONE_TOKEN = re.compile(r"(?<!\S)\S{7,40}(?!\S)")
_EXTENSION = r",?[ \t]{0,3}(?i:ext(?:ension|n)?\.?:?|x|#)[ \t]{0,3}[0-9]{1,7}"
_EXTENSION_TAIL = re.compile(rf"{_EXTENSION}(?![0-9]|[-.][0-9])")
# North American numbers by shape: +1 or 001, or an optional 1 not after another
# country's code ("+55 ", "0049 ", "+49(0)"), then (NPA) NXX-XXXX, NPA-NXX-XXXX (one of
# " .-" after NPA and NXX) or ten digits; NPA and NXX are 2-9XX. Not inside a token or a
# longer number; an extension may follow. Its first character may be the prefix or the
# number, so a lookahead takes the plain class.
_NANP = re.compile(
    rf"(?=[+0-9(])(?<![A-Za-z0-9_{_LATIN}\]+$€£])(?<![0-9\]][.,:/)-])"
    r"(?:(?P<intl>\+1|001)[ .-]?"
    r"|(?<!\+[1-9][ .-])(?<!\+[1-9][0-9][ .-])(?<!\+[1-9][0-9]{2}[ .-])"
    r"(?<!(?<![0-9A-Za-z])00[1-9][ .-])(?<!(?<![0-9A-Za-z])00[1-9][0-9][ .-])"
    r"(?<!(?<![0-9A-Za-z])00[1-9][0-9]{2}[ .-])(?:1[ .-]?)?)"
    r"(?:\([2-9][0-9]{2}\) ?[2-9][0-9]{2}[ .-]?"
    r"|[2-9][0-9]{2}[ .-][2-9][0-9]{2}[ .-]"
    r"|[2-9][0-9]{2}[2-9][0-9]{2})"
    rf"[0-9]{{4}}(?:{_EXTENSION})?(?![A-Za-z0-9_{_LATIN}\[])(?![.,:/-][0-9\[])"
)
_TIME_SUFFIX = re.compile(r":[0-5][0-9]")
# "0044 20 7946 0958": 00 is the international prefix of most regions but not of the US
# (011), so a window that starts with it is also read as in a region where it is.
_IDD_00 = re.compile(r"\(?00[1-9]")
_IDD_00_REGION = "GB"
# phonenumbers reads "13.10.2007" as a US number.
_DATE = re.compile(
    r"[0-9]{1,2}([./-])[0-9]{1,2}\1(?:19|20)[0-9]{2}|(?:19|20)[0-9]{2}([./-])[0-9]{1,2}\2[0-9]{1,2}"
)
_DOTTED_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+){3,}")
_DIGIT = re.compile(r"\d")
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_RUN = 128
# Failed parses allowed per matcher call: bounds the work on runs like "12 12 12 ...".
_MAX_PHONE_TRIES = 6
# A window that fails is tried again without its last group if it has at most this many.
_MAX_RETRY_GROUPS = 8


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


def scrub(text: str, *, phone_region: str = "US") -> ScrubResult:
    """Replace every PII value in ``text`` with ``[TYPE]`` and count them.

    ``phone_region`` is the ISO 3166 region used to read national phone numbers;
    international numbers (``+44 ...``) are found whatever the region.
    """
    entities = find(text, phone_region=phone_region)
    found = Counter(entity.kind for entity in entities)
    return ScrubResult(
        text=_render(text, entities), counts={kind: found[kind] for kind in PII_TYPES if kind in found}
    )


def find(text: str, *, phone_region: str = "US") -> list[Entity]:
    """The values ``scrub`` replaces, sorted and not overlapping, in the coordinates of ``text``."""
    finders: tuple[tuple[str, Finder], ...] = (
        ("URL", _find_urls),
        ("EMAIL", partial(_find_matches, _EMAIL)),
        ("IBAN", partial(_find_grouped, _IBAN, _is_iban)),
        ("CREDIT_CARD", _find_cards),
        ("US_SSN", partial(_find_matches, _SSN)),
        ("IP_ADDRESS", _find_ips),
        ("PHONE", partial(_find_nanp, region=phone_region.upper())),
        ("PHONE", partial(_find_phones, region=phone_region.upper())),
        ("HANDLE", partial(_find_matches, _HANDLE)),
    )
    entities: list[Entity] = []
    scrubbed = text
    for kind, find_spans in finders:
        if spans := list(_disjoint(find_spans(scrubbed))):
            entities = _add(entities, spans, kind)
            scrubbed = _render(text, entities)
    return entities


def _disjoint(spans: Iterator[Span]) -> Iterator[Span]:
    """Sorted spans without those that overlap the previous one kept."""
    last = 0
    for start, end in spans:
        if start >= last:
            last = end
            yield start, end


def _render(text: str, entities: list[Entity]) -> str:
    parts: list[str] = []
    last = 0
    for entity in entities:
        parts += (text[last : entity.start], f"[{entity.kind}]")
        last = entity.end
    parts.append(text[last:])
    return "".join(parts)


def _add(entities: list[Entity], spans: list[Span], kind: str) -> list[Entity]:
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


def _find_matches(pattern: re.Pattern[str], text: str) -> Iterator[Span]:
    return (match.span() for match in pattern.finditer(text))


def _find_grouped(pattern: re.Pattern[str], is_valid: Validator, text: str) -> Iterator[Span]:
    """Yield the longest valid run of whole groups inside each candidate.

    So "4111 1111 1111 1111 2024" yields the card without the year, and
    "1234 4111 1111 1111 1111" the card without the leading group. ``is_valid`` is
    told whether the run is the whole candidate.
    """
    position = 0
    while match := pattern.search(text, position):
        span = _longest_valid_groups(match, is_valid)
        position = span[1] if span else match.end()
        if span:
            yield span


def _longest_valid_groups(match: re.Match[str], is_valid: Validator) -> Span | None:
    value = match.group()
    separators = [i for i, char in enumerate(value) if char in " -"]
    starts = [0] + [i + 1 for i in separators]
    ends = [*separators, len(value)]
    runs = sorted(
        ((start, end) for start in starts for end in ends if start < end),
        key=lambda run: (run[0] - run[1], run[0]),
    )
    for start, end in runs:
        if is_valid(value[start:end], start == 0 and end == len(value)):
            return match.start() + start, match.start() + end
    return None


def _find_cards(text: str) -> Iterator[Span]:
    return _outside(_find_grouped(_CARD, _is_card, text), _iban_shapes(text))


def _iban_shapes(text: str) -> list[Span]:
    """IBAN-shaped spans still in the text, i.e. invalid IBANs: no card or phone inside."""
    return [match.span() for match in _IBAN.finditer(text)]


def _outside(spans: Iterator[Span], shields: list[Span]) -> Iterator[Span]:
    """Spans (sorted) that overlap none of the sorted ``shields``."""
    index = 0
    for start, end in spans:
        while index < len(shields) and shields[index][1] <= start:
            index += 1
        if index == len(shields) or end <= shields[index][0]:
            yield start, end


def _is_iban(value: str, whole: bool = True) -> bool:
    """stdnum's check (country, length, format, checksum) behind a quick ISO 7064 mod 97:
    stdnum's takes about 80 us, and "DE89 " * 20_000 asks it 90,000 times. Any part of
    a run of groups may be an IBAN (``whole`` is not read)."""
    compact = value.replace(" ", "")
    return int((compact[4:] + compact[:4]).translate(_IBAN_LETTERS)) % 97 == 1 and iban.is_valid(compact)


def _is_card(value: str, whole: bool = True) -> bool:
    """Luhn, and the length and first digit of issued cards: 2-6, 1 for 15 digits (UATP,
    JCB 1800); 12 digits for Maestro only. Part of a longer run of groups ("9400 1284
    5562 0752 9372 96" is a parcel number) only when grouped as cards are printed."""
    groups = tuple(map(len, _GROUP_SEPARATOR.split(value)))
    if not whole and len(groups) > 1 and groups not in _CARD_GROUPS:
        return False
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) == 12:
        return digits.startswith(_MAESTRO_12) and luhn.is_valid(digits)
    first = digits[0] in "23456" or (digits[0] == "1" and len(digits) == 15)
    return 13 <= len(digits) <= 19 and first and luhn.is_valid(digits)


def _find_urls(text: str) -> Iterator[Span]:
    """URLs with sentence punctuation and unbalanced closing brackets trimmed off."""
    for match in _URL.finditer(text):
        url = match.group()
        while url and (
            url[-1] in _URL_TRAILING
            or (url[-1] in _URL_CLOSERS and url.count(url[-1]) > url.count(_URL_CLOSERS[url[-1]]))
        ):
            url = url[:-1]
        if not url.lower().endswith(("://", "www.")):
            yield match.start(), match.start() + len(url)


def _find_ips(text: str) -> Iterator[Span]:
    """IPv4 (not after a word like "version") and IPv6 addresses, merged in order."""
    spans = [
        match.span()
        for match in _IPV4.finditer(text)
        if _parses(match.group(), ipaddress.IPv4Address)
        and not _VERSION_CONTEXT.search(text, max(0, match.start() - 24), match.start())
    ]
    for match in _IPV6.finditer(text):
        value = match.group()
        if text.startswith("[", match.end()):  # a placeholder goes on the token, as in _IPV4
            continue
        # A trailing "." or ":" may be punctuation; "::" alone or "dead::beef" is no address.
        for candidate in (value, value[:-1]) if value[-1] in ".:" else (value,):
            if (
                candidate.count(":") >= 2
                and any(char.isdigit() for char in candidate)
                and _parses(candidate, ipaddress.IPv6Address)
            ):
                spans.append((match.start(), match.start() + len(candidate)))
                break
    yield from sorted(spans)


def _parses(value: str, address: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        address(value)
    except ValueError:
        return False
    return True


def _find_nanp(text: str, region: str) -> Iterator[Span]:
    """North American numbers by shape (national forms only in a +1 region), none inside an
    invalid IBAN. Run before phonenumbers, so that what it finds cannot change the windows
    that phonenumbers reads on a second pass."""
    national = phonenumbers.country_code_for_region(region) == 1
    spans = (match.span() for match in _NANP.finditer(text) if national or match.group("intl"))
    return _outside(spans, _iban_shapes(text))


def _find_phones(text: str, region: str) -> Iterator[Span]:
    """Phones confirmed by phonenumbers, none inside an invalid IBAN."""
    return _outside(_phone_spans(text, region), _iban_shapes(text))


def _phone_spans(text: str, region: str) -> Iterator[Span]:
    position = 0
    while run := _PHONE_RUN.search(text, position):
        position = run.end()
        windows = [run.span()]
        if len(run.group()) > _MAX_PHONE_RUN:  # data, not prose: tokens like "650-253-0000"
            windows = [
                (run.start() + t.start(), run.start() + t.end()) for t in _PHONE_TOKEN.finditer(run.group())
            ]
        for window in windows:
            for phone_start, phone_end in _phones_in(text, window, region):
                if tail := _EXTENSION_TAIL.match(text, phone_end):  # "..., ext. 12"
                    phone_end = tail.end()
                position = max(position, phone_end)
                yield phone_start, phone_end


def _phones_in(text: str, window: Span, region: str) -> list[Span]:
    """Phones in a window, sorted.

    A window that starts with "00" is read again as in a region where that is the
    international prefix. The matcher finds nothing in "+44 20 7946 0958 2019", so a
    window is tried again without its last group, and nothing in "123 - +91 99772 90375",
    so again from its last "+"; it reports one number of "+1 650 253 0000 202-555-0143",
    so the runs left around each phone found are searched again.
    """
    start, end = window
    if len(_DIGIT.findall(text, start, end)) < _MIN_PHONE_DIGITS or _is_version(text[start:end]):
        return []
    read_as = region
    found = list(_match_phones(text, window, read_as))
    if not found and _IDD_00.match(text, start):
        read_as = _IDD_00_REGION
        found = list(_match_phones(text, window, read_as))
    value = text[start:end].rstrip()
    last_space = max(map(value.rfind, " \t\u00a0"))
    few_groups = len(value.split()) <= _MAX_RETRY_GROUPS
    if not found and last_space > 0 and few_groups:
        found = list(_match_phones(text, (start, start + last_space), read_as))
    if not found and few_groups and (plus := text.rfind("+", start + 1, end)) > 0:
        found = list(_match_phones(text, (plus, end), region))
    gaps = zip([start] + [stop for _, stop in found], [begin for begin, _ in found] + [end], strict=True)
    for gap_start, gap_end in gaps if found else ():
        for run in _PHONE_RUN.finditer(text, gap_start, gap_end):
            found += _phones_in(text, run.span(), region)
    return sorted(found)


def _is_version(value: str) -> bool:
    """Dotted numbers like "10.0.19045.1234": four or more groups, one of them a single
    digit (not the first, which "1.800.555.0199" has) or five digits or more. A
    placeholder's bracket at either end is left out, as the letter it stands for would be."""
    if not _DOTTED_NUMBER.fullmatch(value := value.strip(" \t\u00a0[]")):
        return False
    groups = value.split(".")
    return any(len(group) == 1 for group in groups[1:]) or any(len(group) >= 5 for group in groups)


def _match_phones(text: str, window: Span, region: str) -> Iterator[Span]:
    """Run the matcher on a window plus the context its checks read: the character
    before (never a digit) and the one after, unless another number starts there,
    or the ":MM" of a time stamp. Dates it reads as numbers are dropped."""
    start, end = window
    stop = end if _PHONE_START.match(text, end) else end + 1
    if _TIME_SUFFIX.match(text, end):
        stop = end + 3
    offset = max(0, start - 1)
    leniency = phonenumbers.Leniency.VALID
    matcher = phonenumbers.PhoneNumberMatcher(text[offset:stop], region, leniency, _MAX_PHONE_TRIES)
    for match in matcher:
        span = offset + match.start, offset + match.end
        if start <= span[0] and span[1] <= end and not _DATE.fullmatch(text, *span):
            yield span
