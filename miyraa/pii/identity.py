"""Identity numbers and dates of birth: US Social Security numbers, UK National Insurance
numbers, and a date right after a word that makes it a date of birth.

A shape alone is enough where the shape is specific: an SSN written with separators
("123-45-6789", area not 000, 666 or 9xx), a National Insurance number ("QQ123456C",
HMRC's letter rules). Where the shape is everyday, a context word must come first: nine
bare digits are an SSN only after "SSN" or "social security number", and a date is a date
of birth only after "born", "DOB", "d.o.b.", "date of birth" and the like; other dates and
nine-digit numbers stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from miyraa.pii.spans import Span

# --- US Social Security numbers ---
_SSN_AREA = r"[0-8] [0-9]{2} (?<!000) (?<!666)"  # 001-899 but 666
_SSN_GROUP = r"[0-9]{2} (?<!00)"
_SSN_SERIAL = r"[0-9]{4} (?<!0000)"
_NOT_IN_NUMBER_BEFORE = r"(?<! [0-9\]] [0-9] ) (?<! [0-9\]] - [0-9] )"  # after the first digit
_NOT_IN_NUMBER_AFTER = r"(?! [0-9\[] ) (?! -[0-9\[] )"

_SSN = re.compile(
    rf"""
    [0-8] {_NOT_IN_NUMBER_BEFORE} [0-9]{{2}} (?<!000) (?<!666)
    (?P<sep> [- ] ) {_SSN_GROUP} (?P=sep) {_SSN_SERIAL}
    {_NOT_IN_NUMBER_AFTER}
    """,
    re.VERBOSE,
)
_SSN_WORD = r"""
    (?: ssn | ss\# | social [ ] security (?: [ ] (?: number | no\.? | \# ) )?
      | soc\.? [ ] sec\.? (?: [ ] no\.? )?
    )
"""
# Up to two short words or marks between the context word and the number.
_LINK = r"(?: [ \t]* (?: [:\#=\-] | is | was | number | no\.? | nr\.? ) ){0,3} [ \t]*"
_SSN_AFTER_WORD = re.compile(
    rf"""
    (?= s ) (?<! [A-Za-z0-9] ) {_SSN_WORD} {_LINK}          # a first letter to skip to, in C
    (?P<value> {_SSN_AREA} {_SSN_GROUP} {_SSN_SERIAL} ) {_NOT_IN_NUMBER_AFTER}
    """,
    re.VERBOSE | re.IGNORECASE,
)

# --- UK National Insurance numbers (HMRC NIM39110) ---
# Two prefix letters (neither D, F, I, Q, U or V; the second not O; never BG, GB, KN, NK,
# NT, TN or ZZ), or HMRC's specimen prefix QQ; six digits, in pairs or not; a suffix A-D.
# Upper case or lower case, not mixed.


def _nino(lower: bool) -> re.Pattern[str]:
    def case(letters: str) -> str:
        return letters.lower() if lower else letters

    return re.compile(
        rf"""
        [{case("A-Z")}] (?<! [A-Za-z0-9_\]] [{case("A-Z")}] )
        (?: (?<= [{case("A-CEGHJ-PR-TW-Z")}] ) [{case("A-CEGHJ-NPR-TW-Z")}]
            (?<! {case("BG | GB | KN | NK | NT | TN | ZZ")} )
          | (?<= {case("Q")} ) {case("Q")}
        )
        (?P<sep> [ ]? ) [0-9]{{2}} (?P=sep) [0-9]{{2}} (?P=sep) [0-9]{{2}} (?P=sep) [{case("A-D")}]
        (?! [A-Za-z0-9_\[] )
        """,
        re.VERBOSE,
    )


_NINOS = (_nino(lower=False), _nino(lower=True))

# --- Dates of birth ---
_BIRTH_WORD = r"""
    (?: born | birth [ ]? date | date [ ] of [ ] birth | birthday | d\.? o\.? b\.?
      | n[ée]e? [ ] le | geboren (?: [ ] am )? | geb\. | geburtsdatum | date [ ] de [ ] naissance
      | nacid[oa] (?: [ ] el )? | fecha [ ] de [ ] nacimiento | nat[oa] [ ] il | data [ ] di [ ] nascita
    )
"""
_BIRTH_LINK = r"""
    (?: [ \t]* (?: [:\-–,] | on | in | is | was | the ) ){0,3} [ \t]*
"""
_DAY = r"(?: 0?[1-9] | [12][0-9] | 3[01] )"
_MONTH_NUMBER = r"(?: 0?[1-9] | 1[0-2] )"
_YEAR = r"(?: (?:19|20)[0-9]{2} | '?[0-9]{2} )"
_MONTH_NAME = r"""
    (?: jan(?:uary|vier|uar)? | enero | gennaio
      | feb(?:ruary|ruar)? | f[ée]vr(?:ier)? | febbraio | febrero
      | mar(?:ch|s)? | m[äa]rz | marzo
      | apr(?:il|ile)? | avr(?:il)? | abril
      | may | mai | mayo | maggio
      | june? | juin | juni | junio | giugno
      | july? | juil(?:let)? | juli | julio | luglio
      | aug(?:ust)? | ao[ûu]t | agosto
      | sep(?:t|tember|tembre)? | septiembre | settembre
      | oct(?:ober|obre)? | okt(?:ober)? | octubre | ottobre
      | nov(?:ember|embre|iembre)?
      | dec(?:ember)? | d[ée]c(?:embre)? | dez(?:ember)? | diciembre | dicembre
    ) \.?
"""
_ORDINAL = r"(?: st | nd | rd | th | er | \. )?"
_DATE = rf"""
    (?: {_DAY} [./\-] {_DAY} [./\-] {_YEAR}                                     # 15/03/1985, 3-15-85
      | (?:19|20)[0-9]{{2}} [./\-] {_MONTH_NUMBER} [./\-] {_DAY}                # 1985-03-15
      | {_DAY} {_ORDINAL} (?: [ ]of )? [ \-] {_MONTH_NAME} (?: ,? [ \-] {_YEAR} )?   # 15th of March 1985
      | {_MONTH_NAME} [ ] (?: {_DAY} {_ORDINAL} (?: ,? [ ] {_YEAR} )?            # March 15, 1985
                         | (?:19|20)[0-9]{{2}} )                                # May 1985
    )
"""
_DATE_OF_BIRTH = re.compile(
    rf"""
    (?= [bdfgn] ) (?<! [A-Za-z0-9] ) {_BIRTH_WORD} {_BIRTH_LINK}
    (?P<value> {_DATE} ) (?! [A-Za-z0-9\[] | [./\-][0-9] )
    """,
    re.VERBOSE | re.IGNORECASE,
)


def find_ssns(text: str) -> Iterator[Span]:
    """SSNs with separators, and nine bare digits after an SSN word, in order."""
    spans = [match.span() for match in _SSN.finditer(text)]
    spans += [match.span("value") for match in _SSN_AFTER_WORD.finditer(text)]
    return iter(sorted(spans))


def find_ninos(text: str) -> Iterator[Span]:
    """National Insurance numbers, upper case or lower case (not mixed)."""
    spans = [match.span() for pattern in _NINOS for match in pattern.finditer(text)]
    return iter(sorted(spans))


def find_dates_of_birth(text: str) -> Iterator[Span]:
    """A date after a birth word; the word stays, the date is the value."""
    return (match.span("value") for match in _DATE_OF_BIRTH.finditer(text))
