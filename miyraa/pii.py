"""PII scrubber: replace personal data in free text with typed placeholders.

``scrub(text)`` replaces each value found with ``[TYPE]`` (``[EMAIL]``, ...) and
counts them per type. Pure function: no logging, no state, never raises on a str.

Detection order: URL, EMAIL, IBAN, CREDIT_CARD, US_SSN, IP_ADDRESS, then PHONE on
what is left, then HANDLE; each detector reads the previous one's output, so a card
is never also a phone and an email's domain never a URL or a handle. Regexes only
propose; Luhn, the IBAN checksum, ``ipaddress`` and ``phonenumbers`` (leniency
VALID) confirm, and what is not confirmed (dates, prices, versions) stays as it was.

Idempotence: placeholders hold no digit, ``@``, ``.`` or ``:``, and a placeholder's
``]`` or ``[`` blocks a neighbouring match as a letter would, so a second pass
cannot find what the first rejected because of its neighbour.

Linear time: each pattern starts with a plain character class (skipped over in C),
guards "not inside a token" with a short lookbehind, and repeats only with bounds
(local part 64, labels 63, groups of 4) or over classes that cannot overlap what
follows. ``phonenumbers`` is slow, so it only sees windows of at least 7 digits cut
by a linear regex, with a bounded number of failed parses each; runs over 128
characters (data, not prose) are read token by token.
"""

from __future__ import annotations

import ipaddress
import re
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
_IBAN = re.compile(
    r"[A-Z](?<![A-Za-z0-9@\]][A-Z])[A-Z][0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"
    r"(?![A-Za-z0-9\[])"
)
_CARD = re.compile(
    r"[1-9](?<![0-9\]][0-9])(?<![0-9\]]-[0-9])"
    r"(?:[0-9]{12,18}"
    r"|[0-9]{3}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?"
    r"|[0-9]{3}[ -][0-9]{6}[ -][0-9]{4,5})"
    r"(?![0-9\[])(?!-[0-9\[])"
)
_SSN = re.compile(
    r"[0-8](?<![0-9\]][0-9])(?<![0-9\]]-[0-9])[0-9]{2}(?<!000)(?<!666)"
    r"([- ])[0-9]{2}(?<!00)\1[0-9]{4}(?<!0000)(?![0-9\[])(?!-[0-9\[])"
)
_IPV4 = re.compile(r"[0-9](?<![A-Za-z0-9_.\]][0-9])[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?![A-Za-z0-9_\[]|\.[0-9\[])")
# A colon within the first five characters, then up to 45 address characters.
_IPV6 = re.compile(r"[0-9A-Fa-f:](?<![A-Za-z0-9_.:\]].)(?:(?<=:)|[0-9A-Fa-f]{0,3}:)[0-9A-Fa-f:.]{1,44}")
_VERSION_CONTEXT = re.compile(r"(?i)\b(?:version|ver|build|release|rev|v)\.?:?\s*$")
_HANDLE = re.compile(
    rf"@(?<![A-Za-z0-9._%+\-{_LATIN}@\]]@)[A-Za-z_{_LATIN}][A-Za-z0-9_.{_LATIN}]{{0,29}}"
    rf"(?<!\.)(?![A-Za-z0-9_{_LATIN}\[])"
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
_EXTENSION_TAIL = re.compile(
    r",?[ \t]{0,3}(?:ext(?:ension|n)?\.?:?|x|#)[ \t]{0,3}[0-9]{1,7}(?![0-9]|[-.][0-9])",
    re.IGNORECASE,
)
_TIME_SUFFIX = re.compile(r":[0-5][0-9]")
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


def scrub(text: str, *, phone_region: str = "US") -> ScrubResult:
    """Replace every PII value in ``text`` with ``[TYPE]`` and count them.

    ``phone_region`` is the ISO 3166 region used to read national phone numbers;
    international numbers (``+44 ...``) are found whatever the region.
    """
    finders: tuple[tuple[str, Finder], ...] = (
        ("URL", _find_urls),
        ("EMAIL", partial(_find_matches, _EMAIL)),
        ("IBAN", partial(_find_grouped, _IBAN, iban.is_valid)),
        ("CREDIT_CARD", _find_cards),
        ("US_SSN", partial(_find_matches, _SSN)),
        ("IP_ADDRESS", _find_ips),
        ("PHONE", partial(_find_phones, region=phone_region.upper())),
        ("HANDLE", partial(_find_matches, _HANDLE)),
    )
    found: dict[str, int] = {}
    for kind, find in finders:
        text = _replace(text, find(text), kind, found)
    return ScrubResult(text=text, counts={kind: found[kind] for kind in PII_TYPES if kind in found})


def _replace(text: str, spans: Iterator[Span], kind: str, counts: dict[str, int]) -> str:
    """Replace sorted spans with ``[kind]`` (a span overlapping the previous one is
    dropped) and record how many."""
    parts: list[str] = []
    last = 0
    for start, end in spans:
        if start < last:
            continue
        parts += (text[last:start], f"[{kind}]")
        last = end
    if not parts:
        return text
    counts[kind] = len(parts) // 2
    parts.append(text[last:])
    return "".join(parts)


def _find_matches(pattern: re.Pattern[str], text: str) -> Iterator[Span]:
    return (match.span() for match in pattern.finditer(text))


def _find_grouped(pattern: re.Pattern[str], is_valid: Callable[[str], bool], text: str) -> Iterator[Span]:
    """Yield the longest valid run of whole groups inside each candidate.

    So "4111 1111 1111 1111 2024" yields the card without the year, and
    "1234 4111 1111 1111 1111" the card without the leading group.
    """
    position = 0
    while match := pattern.search(text, position):
        span = _longest_valid_groups(match, is_valid)
        position = span[1] if span else match.end()
        if span:
            yield span


def _longest_valid_groups(match: re.Match[str], is_valid: Callable[[str], bool]) -> Span | None:
    value = match.group()
    separators = [i for i, char in enumerate(value) if char in " -"]
    starts = [0] + [i + 1 for i in separators]
    ends = [*separators, len(value)]
    runs = sorted(
        ((start, end) for start in starts for end in ends if start < end),
        key=lambda run: (run[0] - run[1], run[0]),
    )
    for start, end in runs:
        if is_valid(value[start:end]):
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


def _is_card(value: str) -> bool:
    digits = value.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and luhn.is_valid(digits)


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

    The matcher finds nothing in "+44 20 7946 0958 2019", so a window is tried again
    without its last group; it reports one number of "+1 650 253 0000 202-555-0143",
    so the runs left around each phone found are searched again.
    """
    start, end = window
    if len(_DIGIT.findall(text, start, end)) < _MIN_PHONE_DIGITS or _is_version(text[start:end]):
        return []
    found = list(_match_phones(text, window, region))
    value = text[start:end].rstrip()
    last_space = max(map(value.rfind, " \t\u00a0"))
    if not found and last_space > 0 and len(value.split()) <= _MAX_RETRY_GROUPS:
        found = list(_match_phones(text, (start, start + last_space), region))
    gaps = zip([start] + [stop for _, stop in found], [begin for begin, _ in found] + [end], strict=True)
    for gap_start, gap_end in gaps if found else ():
        for run in _PHONE_RUN.finditer(text, gap_start, gap_end):
            found += _phones_in(text, run.span(), region)
    return sorted(found)


def _is_version(value: str) -> bool:
    """Dotted numbers like "10.0.19045.1234": four or more groups, one of them a single
    digit (not the first, which "1.800.555.0199" has) or five digits or more."""
    if not _DOTTED_NUMBER.fullmatch(value := value.strip()):
        return False
    groups = value.split(".")
    return any(len(group) == 1 for group in groups[1:]) or any(len(group) >= 5 for group in groups)


def _match_phones(text: str, window: Span, region: str) -> Iterator[Span]:
    """Run the matcher on a window plus the context its checks read: the character
    before (never a digit) and the one after, unless another number starts there,
    or the ":MM" of a time stamp."""
    start, end = window
    stop = end if _PHONE_START.match(text, end) else end + 1
    if _TIME_SUFFIX.match(text, end):
        stop = end + 3
    offset = max(0, start - 1)
    leniency = phonenumbers.Leniency.VALID
    matcher = phonenumbers.PhoneNumberMatcher(text[offset:stop], region, leniency, _MAX_PHONE_TRIES)
    for match in matcher:
        if start <= offset + match.start and offset + match.end <= end:
            yield offset + match.start, offset + match.end
