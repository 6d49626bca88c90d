"""Contact values written as text: URLs, email addresses and @handles.

Each pattern starts with a plain character class (skipped over in C) and guards
"not inside a token" with short lookbehinds placed after that first character;
repeats are bounded (local part 64, labels 63, 8 labels, handles 30) or run over a
class that cannot overlap what follows, so every pattern is linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from miyraa.pii.spans import LATIN, Span

_LOCAL_CHAR = rf"[A-Za-z0-9._%+\-{LATIN}]"
_LABEL = rf"[A-Za-z0-9{LATIN}] (?: [A-Za-z0-9\-{LATIN}]{{0,61}} [A-Za-z0-9{LATIN}] )?"

URL = re.compile(
    rf"""
    [hHwW]
    (?: (?<! [A-Za-z0-9\]] [hH] ) (?i: ttps?:// )           # http:// or https://, not "xhttp://"
      | (?<! [A-Za-z0-9@./\-\]] [wW] ) (?i: ww\. )          # www., not inside a host or email
    )
    [A-Za-z0-9\-._~:/?\#\[\]@!$&()*+,;=%{LATIN}]+           # RFC 3986 characters, greedy
    """,
    re.VERBOSE,
)
_URL_TRAILING = frozenset(".,;:!?*")
_URL_CLOSERS = {")": "(", "]": "["}

EMAIL = re.compile(
    rf"""
    {_LOCAL_CHAR} (?<! [A-Za-z0-9._%+\-{LATIN}\]] {_LOCAL_CHAR} )   # the local part starts here
    {_LOCAL_CHAR}{{0,63}}
    @ (?: {_LABEL} \. ){{1,8}} [A-Za-z]{{2,63}}                     # labels, then a TLD
    (?! [A-Za-z0-9_\[] )
    """,
    re.VERBOSE,
)

# A dot inside a handle comes before a letter: "@jane.doe", not "@jane.0049650" (run
# last, a handle must not take digits that the phone detectors read).
_HANDLE = re.compile(
    rf"""
    @ (?<! [A-Za-z0-9._%+\-{LATIN}@\]] @ )                  # not an email's @, not "@@"
    (?P<name>
        [A-Za-z_{LATIN}]
        (?: [A-Za-z0-9_{LATIN}] | \. (?= [A-Za-z_{LATIN}] ) ){{0,29}}
    )
    (?! [A-Za-z0-9_{LATIN}\[] )
    """,
    re.VERBOSE,
)
# "@" for "at" and chat-wide mentions: words, not anyone's account. A name that is one of
# these (any case) is no handle; "@home_office" or "@Everyone2" still is.
_NOT_HANDLES = """
    here everyone everybody channel all room team group
    home work school uni college office gym church hospital station airport party
    night noon midnight lunch dinner breakfast weekend today tonight tomorrow
    least last first once
    a an the this that my your our their his her me you him them us it
"""
NOT_HANDLES = frozenset(_NOT_HANDLES.split())


def find_urls(text: str) -> Iterator[Span]:
    """URLs with sentence punctuation and unbalanced closing brackets trimmed off."""
    for match in URL.finditer(text):
        end = _trimmed_end(match.group())
        url = match.group()[:end]
        if not url.lower().endswith(("://", "www.")):
            yield match.start(), match.start() + end


def _trimmed_end(url: str) -> int:
    """Where ``url`` ends once trailing punctuation and closing brackets without an
    opening one are cut; one pass from the end, counts kept as it goes (linear)."""
    closes = {closer: url.count(closer) for closer in _URL_CLOSERS}
    opens = {closer: url.count(opener) for closer, opener in _URL_CLOSERS.items()}
    end = len(url)
    while end:
        char = url[end - 1]
        if char in _URL_CLOSERS and closes[char] > opens[char]:
            closes[char] -= 1
        elif char not in _URL_TRAILING:
            break
        end -= 1
    return end


def find_emails(text: str) -> Iterator[Span]:
    return (match.span() for match in EMAIL.finditer(text))


def find_handles(text: str) -> Iterator[Span]:
    """@names, except the words in ``NOT_HANDLES``."""
    for match in _HANDLE.finditer(text):
        if match.group("name").lower() not in NOT_HANDLES:
            yield match.span()
