"""Account numbers confirmed by a checksum: IBANs (ISO 7064 mod 97 and stdnum's country
formats) and payment cards (Luhn, and the lengths and first digits of issued cards).

A regex proposes a run of groups; the longest run of whole groups inside it that the
checksum confirms is the value, so "4111 1111 1111 1111 2024" yields the card without
the year. Luhn alone passes one number in ten, so a card also starts as issued cards do
(2-6; 1 for 15 digits), and 12-digit cards are Maestro only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache

from stdnum import iban, luhn, numdb

from miyraa.pii.spans import Span, outside

# Whether a run of groups is valid, told whether it is the whole candidate.
Validator = Callable[[str, bool], bool]

# An IBAN: country code and check digits, then 10 to 30 letters or digits, any case,
# with a space or hyphen anywhere between them ("gb82west12345698765432",
# "GB82 WEST 1234 5698 7654 32", "de89-3704-0044-0532-0130-00", "ES 96 31257 85634 ...").
# Not after a letter, a digit, "@", "." or "_": a handle ("@jane.DE89 ...") could lend
# the country code.
_IBAN = re.compile(
    r"""
    [A-Za-z] (?<! [A-Za-z0-9@\]._] [A-Za-z] )
    [A-Za-z] [ -]? [0-9]{2}                 # country code and check digits
    (?: [ -]? [A-Za-z0-9] ){10,30}          # the account (BBAN), however grouped
    (?! [A-Za-z0-9\[] )
    """,
    re.VERBOSE,
)
# The upper-case shape in groups of four: an IBAN written wrong. No card or phone is read
# inside one, so that a mistyped IBAN is not half-redacted as a phone.
_IBAN_SHAPE = re.compile(
    r"""
    [A-Z] (?<! [A-Za-z0-9@\]._] [A-Z] ) [A-Z] [0-9]{2}
    (?: [ ]? [A-Z0-9]{4} ){2,7} (?: [ ]? [A-Z0-9]{1,3} )?
    (?! [A-Za-z0-9\[] )
    """,
    re.VERBOSE,
)
_IBAN_SEPARATORS = str.maketrans("", "", " -")
_IBAN_LETTERS = str.maketrans({letter: str(ord(letter) - 55) for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})

# A card: 12 to 19 digits, compact or in groups as cards are printed (4-4-4-4, 4-6-5,
# ...), with room for one more group than a 19-digit card has, for the number before it
# ("x3966 4281 5444 6037 6785 136"). Not after "+" (a country code) or inside a number.
_CARD = re.compile(
    r"""
    [0-9] (?<! [0-9\]+] [0-9] ) (?<! [0-9\]] - [0-9] )
    (?: [0-9]{11,18}                                        # compact
      | [0-9]{3} (?: [ -][0-9]{4} ){2,4} (?: [ -][0-9]{1,4} )?   # 4-4-4(-4)(-3)
      | [0-9]{3} [ -] [0-9]{6} [ -] [0-9]{4,5}              # 4-6-4, 4-6-5 (Amex, Diners)
    )
    (?! [0-9\[] ) (?! -[0-9\[] )
    """,
    re.VERBOSE,
)
# 12-digit cards are Maestro only; Faker's and creditcardjs.com's list of its prefixes.
_MAESTRO_12 = (
    "5018", "5020", "5038", "56", "57", "58", "6304", "6759", "6761", "6762", "6763", "0604", "6390",
)  # fmt: skip
_CARD_GROUPS = {(4, 4, 4), (4, 4, 4, 1), (4, 6, 4), (4, 6, 5), (4, 4, 4, 3), (4, 4, 4, 4), (4, 4, 4, 4, 3)}
_GROUP_SEPARATOR = re.compile("[ -]")


def find_ibans(text: str) -> Iterator[Span]:
    """The IBAN that starts each candidate: as many letters and digits as its country's
    IBANs have, cut where a separator is or at the end."""
    position = 0
    while match := _IBAN.search(text, position):
        value = match.group()
        length, end, count = _iban_length(value[:2].upper()), None, 0
        for index, char in enumerate(value) if length else ():
            count += char not in " -"
            if count == length and (index + 1 == len(value) or value[index + 1] in " -"):
                end = index + 1 if is_iban(value[: index + 1]) else None
                break
        if end is None:
            position = match.start() + 1  # an IBAN may start at a later group
        else:
            position = match.start() + end
            yield match.start(), position


@cache
def _iban_length(country: str) -> int:
    """How many letters and digits the IBANs of a country have; 0 for no IBAN country."""
    parts = numdb.get("iban").info(country)[0][1].get("bban", "")
    return 4 + sum(int(size) for size in re.findall(r"[0-9]+", parts)) if parts else 0


def iban_shapes(text: str) -> list[Span]:
    """Upper-case IBAN-shaped spans still in the text, i.e. invalid IBANs."""
    return [match.span() for match in _IBAN_SHAPE.finditer(text)]


def is_iban(value: str) -> bool:
    """stdnum's check (country, length, format, checksum) behind a quick ISO 7064 mod 97:
    stdnum's takes about 80 us, and "DE89 " * 20_000 asks it 90,000 times."""
    compact = value.translate(_IBAN_SEPARATORS).upper()
    if len(compact) < 15:
        return False
    return int((compact[4:] + compact[:4]).translate(_IBAN_LETTERS)) % 97 == 1 and iban.is_valid(compact)


def find_cards(text: str) -> Iterator[Span]:
    return outside(_find_grouped(_CARD, _is_card, text), iban_shapes(text))


def _find_grouped(pattern: re.Pattern[str], is_valid: Validator, text: str) -> Iterator[Span]:
    """The longest valid run of whole groups inside each candidate: "1234 4111 1111 1111
    1111" yields the card without the leading group."""
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
