"""IP addresses: IPv4 dotted quads and IPv6, confirmed by ``ipaddress``.

A dotted quad that follows a version word ("version 1.2.3.4", "update to 2.0.0.1",
"from 1.2.3.4 to 1.2.3.5") is a version number, not an address.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from miyraa.pii.spans import Span

_IPV4 = re.compile(
    r"""
    [0-9] (?<! [A-Za-z0-9_.\]] [0-9] ) [0-9]{0,2}
    (?: \. [0-9]{1,3} ){3}
    (?! [A-Za-z0-9_\[] | \.[0-9\[] )        # not "1.2.3.4.5" nor "1.2.3.4a"
    """,
    re.VERBOSE,
)
# A colon within the first five characters, then up to 45 address characters.
_IPV6 = re.compile(
    r"""
    [0-9A-Fa-f:] (?<! [A-Za-z0-9_.:\]] . )
    (?: (?<=:) | [0-9A-Fa-f]{0,3}: )
    [0-9A-Fa-f:.]{1,44}
    """,
    re.VERBOSE,
)
_VERSION_WORD = r"""
    (?: version | ver | build | release | rev | firmware | patch | v
      | (?: update | upgrade | downgrade | bump | roll\ back | rollback | install | migrate )
        (?: s | d | ed )?
    )
"""
# The 48 characters before a dotted quad end with a version word, a little punctuation,
# at most two short words ("updated it to", "upgrade to the") and maybe the version it
# goes from ("upgraded from 1.2.3.4 to").
_VERSION_CONTEXT = re.compile(
    rf"""
    (?<! [A-Za-z0-9] ) {_VERSION_WORD}
    \.? :? (?: \s+ (?: to | from | it | is | was | of | the | new | latest | now ) ){{0,2}}
    (?: \s+ (?: \d+\. ){{2,}} \d+ [ \t]* (?: to | -> | → | - ) )?      # "from 1.2.3.4 to"
    \s* \Z
    """,
    re.VERBOSE | re.IGNORECASE,
)
_CONTEXT_CHARS = 48


def find_ips(text: str) -> Iterator[Span]:
    """IPv4 (not after a version word) and IPv6 addresses, merged in order."""
    spans = [
        match.span()
        for match in _IPV4.finditer(text)
        if _parses(match.group(), ipaddress.IPv4Address) and not _after_version_word(text, match.start())
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


def _after_version_word(text: str, start: int) -> bool:
    return _VERSION_CONTEXT.search(text[max(0, start - _CONTEXT_CHARS) : start]) is not None


def _parses(value: str, address: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        address(value)
    except ValueError:
        return False
    return True
