"""Phone numbers: North American shapes by regex, the rest confirmed by ``phonenumbers``.

International numbers (``+44 20 7946 0958``, ``0044 ...``) are found whatever the
regions; national forms are read in each region of ``regions`` in turn (the first that
finds a number wins). The first region is the primary one: its national numbers count
however written. In the others outside North America, where national numbers are as long
as order numbers, a national form counts only when written as people write phone
numbers: in groups ("06 12 34 56 78"), from the trunk prefix ("07700900123"), or after a
phone word ("mobile 612345678"). No national form counts after an order word ("order
#12345678", "ticket 4411-2938") or in the shape of an SSN ("666-12-3456").

North American numbers by shape, whatever their area code (``(460)648-7647x5938``: area
code and exchange 2-9XX, a 4-digit line, the usual separators, an extension): after
``+1`` or ``001`` always, national forms when a region's calling code is 1.

Linear time: ``phonenumbers`` is slow, so it only sees windows of at least 7 digits cut
by a linear regex, with a bounded number of failed parses each. Runs over 128 characters
(data, not prose) are read token by token, plus a window of 32 characters from each "+".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

import phonenumbers

from miyraa.pii.finance import iban_shapes
from miyraa.pii.spans import LATIN, Span, outside

# Chosen by the scrub cost per region and the false positives on everyday text
# (docs/RELIABILITY.md, "Phone regions").
DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "FR", "DE", "ES", "IT", "IN")

# Digit runs handed to phonenumbers: digits, phone punctuation and extension markers,
# written as normal* (special normal*)* so that it never backtracks.
_PHONE_CHARS = r"[\d+ \t\u00a0().\-/~\[\]]*"
_PHONE_START_CHAR = r"[\d+(\[\uff0b]"
_PHONE_START = re.compile(_PHONE_START_CHAR)
_PHONE_RUN = re.compile(
    rf"""
    {_PHONE_START_CHAR} (?<! [A-Za-z0-9_{LATIN}\]] . )
    {_PHONE_CHARS} (?: (?: (?i: ext (?: ension | n )? \.? | x ) | \# ) {_PHONE_CHARS} )*
    """,
    re.VERBOSE,
)
_PHONE_TOKEN = re.compile(r"(?<!\S)\S{7,40}(?!\S)")
_EXTENSION = r",? [ \t]{0,3} (?i: ext (?: ension | n )? \.?:? | x | \# ) [ \t]{0,3} [0-9]{1,7}"
_EXTENSION_TAIL = re.compile(rf"{_EXTENSION} (?! [0-9] | [-.][0-9] )", re.VERBOSE)

# North American numbers by shape: +1 or 001, or an optional 1 not after another
# country's code ("+55 ", "0049 ", "+49(0)"), then (NPA) NXX-XXXX, NPA-NXX-XXXX or ten
# digits; NPA and NXX are 2-9XX. Not inside a token or a longer number.
_NOT_ANOTHER_CODE = r"""
    (?<! \+[1-9][ .-] ) (?<! \+[1-9][0-9][ .-] ) (?<! \+[1-9][0-9]{2}[ .-] )
    (?<! (?<![0-9A-Za-z])00[1-9][ .-] ) (?<! (?<![0-9A-Za-z])00[1-9][0-9][ .-] )
    (?<! (?<![0-9A-Za-z])00[1-9][0-9]{2}[ .-] )
"""
_NPA_NXX = r"""
    (?: \( [2-9][0-9]{2} \) [ ]? [2-9][0-9]{2} [ .-]?      # (650) 253-0000
      | [2-9][0-9]{2} [ .-] [2-9][0-9]{2} [ .-]            # 650-253-0000, 650.253.0000
      | [2-9][0-9]{2} [2-9][0-9]{2}                        # 6502530000
    )
"""
_NANP = re.compile(
    rf"""
    (?= [+0-9(] ) (?<! [A-Za-z0-9_{LATIN}\]+$€£] ) (?<! [0-9\]] [.,:/)-] )
    (?: (?P<intl> \+1 | 001 ) [ .-]?
      | {_NOT_ANOTHER_CODE} (?: 1 [ .-]? )?
    )
    {_NPA_NXX} [0-9]{{4}} (?: {_EXTENSION} )?
    (?! [A-Za-z0-9_{LATIN}\[] ) (?! [.,:/-] [0-9\[] )
    """,
    re.VERBOSE,
)
_TIME_SUFFIX = re.compile(r":[0-5][0-9]")
# "0044 20 7946 0958": 00 is the international prefix of most regions but not of the US
# (011), so a window that starts with it is also read as in a region where it is.
_IDD_00 = re.compile(r"\(?00[1-9]")
_IDD_00_REGION = "GB"
_INTERNATIONAL = re.compile(r"[(\[]?(?:\+|\uff0b|00[1-9])")
# phonenumbers reads "13.10.2007" as a US number.
_DATE = re.compile(
    r"[0-9]{1,2}([./-])[0-9]{1,2}\1(?:19|20)[0-9]{2}|(?:19|20)[0-9]{2}([./-])[0-9]{1,2}\2[0-9]{1,2}"
)
_DOTTED_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+){3,}")
_DIGIT = re.compile(r"\d")
_GROUPED = re.compile(r"[0-9][ \t\u00a0().\-/]+[0-9]")
# Not phone numbers however a region reads them: 3-2-4 digits is how SSNs are written
# (Spain's "666 12 34 56" is 3-2-2-2), and "16418.20" is an amount.
_NOT_A_PHONE = re.compile(r"[0-9]{3}([ -])[0-9]{2}\1[0-9]{4}|[0-9]+[.,][0-9]{1,2}")
# The words before a national number that make it one, or make it something else.
_CONTEXT_CHARS = 24
_PHONE_WORD = re.compile(
    r"""
    (?<! [A-Za-z\[] )                        # not a placeholder's "[PHONE]"
    (?: phone | tel | telephone | mobile | cell | call | ring | text | whatsapp | number | fax | contact
      | handy | telefon | nummer | portable | t[ée]l[ée]phone | m[óo]vil | tel[ée]fono | cellulare | numero
    ) [^A-Za-z0-9]{0,3} (?: (?: me | us | on | at | is | no\. ) [^A-Za-z0-9]{1,3} ){0,2} \Z
    """,
    re.VERBOSE | re.IGNORECASE,
)
_ORDER_WORD = re.compile(
    r"""
    (?: (?<! [A-Za-z\[] ) (?: order | invoice | ticket | ref | reference | booking | tracking | parcel
          | account | acct | case | claim | customer | member | id | no | nr | n[°º] )
        [^A-Za-z0-9]{0,3}
      | \# [ ]?
    ) \Z
    """,
    re.VERBOSE | re.IGNORECASE,
)
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_RUN = 128
_PLUS_WINDOW = 32  # a spaced international number with an extension fits
_MAX_E164_DIGITS = 15
_GROUP = re.compile(r"[^ \t\u00a0]+")
# Failed parses allowed per matcher call: bounds the work on runs like "12 12 12 ...";
# fewer in the regions after the first, which only read national forms.
_MAX_PHONE_TRIES = 6
_MAX_SECONDARY_TRIES = 1
# A window that fails is tried again without its last group if it has at most this many.
_MAX_RETRY_GROUPS = 8


def parse_regions(regions: str | Iterable[str]) -> tuple[str, ...]:
    """ISO 3166 codes as ``phonenumbers`` knows them, upper case, in order; a string is
    comma-separated. Raises ValueError on an unknown code or an empty list."""
    items = regions.split(",") if isinstance(regions, str) else regions
    codes = tuple(dict.fromkeys(code.strip().upper() for code in items if code.strip()))
    if unknown := [code for code in codes if code not in phonenumbers.SUPPORTED_REGIONS]:
        raise ValueError(f"unknown phone region(s): {', '.join(unknown)} (ISO 3166 alpha-2, e.g. US, GB)")
    if not codes:
        raise ValueError("at least one phone region is needed")
    return codes


def find_nanp(text: str, regions: Sequence[str]) -> Iterator[Span]:
    """North American numbers by shape (national forms only with a +1 region), none inside
    an invalid IBAN. Run before phonenumbers, so that what it finds cannot change the
    windows that phonenumbers reads on a second pass."""
    national = any(phonenumbers.country_code_for_region(region) == 1 for region in regions)
    spans = (match.span() for match in _NANP.finditer(text) if national or match.group("intl"))
    return outside(spans, iban_shapes(text))


def find_phones(text: str, regions: Sequence[str]) -> Iterator[Span]:
    """Phones confirmed by phonenumbers, none inside an invalid IBAN."""
    return outside(_phone_spans(text, regions), iban_shapes(text))


def _phone_spans(text: str, regions: Sequence[str]) -> Iterator[Span]:
    position = 0
    while run := _PHONE_RUN.search(text, position):
        position = last = run.start()
        for window in _windows(text, run):
            if window[0] < last:
                continue  # inside a phone found from an earlier window of this run
            for phone_start, phone_end in _phones_in(text, window, regions):
                if tail := _EXTENSION_TAIL.match(text, phone_end):  # "..., ext. 12"
                    phone_end = tail.end()
                last = phone_end
                yield phone_start, phone_end
        position = max(last, run.end())


def _windows(text: str, run: re.Match[str]) -> list[Span]:
    """The run itself, or for a long run (data, not prose) its tokens like "650-253-0000"
    and, from each "+", the groups a spaced international number can take: up to 32
    characters and 15 digits (E.164), not past the next "+"."""
    start, end = run.span()
    if end - start <= _MAX_PHONE_RUN:
        return [run.span()]
    windows = [(start + token.start(), start + token.end()) for token in _PHONE_TOKEN.finditer(run.group())]
    plus = text.find("+", start, end)
    while plus >= 0:
        stop, digits = plus, 0
        for group in _GROUP.finditer(text, plus, min(end, plus + _PLUS_WINDOW)):
            digits += len(_DIGIT.findall(group.group()))
            if digits > _MAX_E164_DIGITS or (group.start() > plus and "+" in group.group()):
                break
            stop = group.end()
        windows.append((plus, stop))
        plus = text.find("+", plus + 1, end)
    return sorted(windows)


def _phones_in(text: str, window: Span, regions: Sequence[str]) -> list[Span]:
    """Phones in a window, sorted.

    An international window is read once; a national one in each region in turn. A
    window that starts with "00" is read again as in a region where that is the
    international prefix. The matcher finds nothing in "+44 20 7946 0958 2019", so a
    window is tried again without its last group, and nothing in "123 - +91 99772 90375",
    so again from its last "+"; it reports one number of "+1 650 253 0000 202-555-0143",
    so the runs left around each phone found are searched again.
    """
    start, end = window
    if len(_DIGIT.findall(text, start, end)) < _MIN_PHONE_DIGITS or _is_version(text[start:end]):
        return []
    read_as = regions[:1] if _INTERNATIONAL.match(text, start) else regions
    primary = regions[0]
    found, read_as = _first_found(text, window, read_as, primary)
    if not found and _IDD_00.match(text, start):
        found, read_as = _first_found(text, window, (_IDD_00_REGION,), primary)
    value = text[start:end].rstrip()
    last_space = max(map(value.rfind, " \t\u00a0"))
    few_groups = len(value.split()) <= _MAX_RETRY_GROUPS
    if not found and last_space > 0 and few_groups:
        found, _ = _first_found(text, (start, start + last_space), read_as, primary)
    if not found and few_groups and (plus := text.rfind("+", start + 1, end)) > 0:
        found, _ = _first_found(text, (plus, end), regions[:1], primary)
    gaps = zip([start] + [stop for _, stop in found], [begin for begin, _ in found] + [end], strict=True)
    for gap_start, gap_end in gaps if found else ():
        for run in _PHONE_RUN.finditer(text, gap_start, gap_end):
            found += _phones_in(text, run.span(), regions)
    return sorted(found)


def _first_found(
    text: str, window: Span, regions: Sequence[str], primary: str
) -> tuple[list[Span], Sequence[str]]:
    """The phones of the first region that reads any, and that region."""
    for region in regions:
        tries = _MAX_PHONE_TRIES if region == primary else _MAX_SECONDARY_TRIES
        strict = region != primary and phonenumbers.country_code_for_region(region) != 1
        spans = _match_phones(text, window, region, tries)
        found = [span for span in spans if _written_as_phone(text, span, strict)]
        if found:
            return found, (region,)
    return [], regions


def _written_as_phone(text: str, span: Span, strict: bool) -> bool:
    """International numbers always; national ones neither after an order word nor in the
    shape of an SSN or an amount and, when ``strict``, only grouped, from the trunk prefix 0, or after a
    phone word."""
    start, end = span
    if _INTERNATIONAL.match(text, start, end):
        return True
    before = text[max(0, start - _CONTEXT_CHARS) : start]
    if _ORDER_WORD.search(before) or _NOT_A_PHONE.fullmatch(text, start, end):
        return False
    if not strict:
        return True
    value = text[start:end].lstrip("([")
    return value.startswith("0") or bool(_GROUPED.search(value)) or bool(_PHONE_WORD.search(before))


def _is_version(value: str) -> bool:
    """Dotted numbers like "10.0.19045.1234": four or more groups, one of them a single
    digit (not the first, which "1.800.555.0199" has) or five digits or more. A
    placeholder's bracket at either end is left out, as the letter it stands for would be."""
    if not _DOTTED_NUMBER.fullmatch(value := value.strip(" \t\u00a0[]")):
        return False
    groups = value.split(".")
    return any(len(group) == 1 for group in groups[1:]) or any(len(group) >= 5 for group in groups)


def _match_phones(text: str, window: Span, region: str, tries: int) -> Iterator[Span]:
    """Run the matcher on a window plus the context its checks read: the character
    before (never a digit) and the one after, unless another number starts there,
    or the ":MM" of a time stamp. Dates it reads as numbers are dropped."""
    start, end = window
    stop = end if _PHONE_START.match(text, end) else end + 1
    if _TIME_SUFFIX.match(text, end):
        stop = end + 3
    offset = max(0, start - 1)
    leniency = phonenumbers.Leniency.VALID
    matcher = phonenumbers.PhoneNumberMatcher(text[offset:stop], region, leniency, tries)
    for match in matcher:
        span = offset + match.start, offset + match.end
        if start <= span[0] and span[1] <= end and not _DATE.fullmatch(text, *span):
            yield span
