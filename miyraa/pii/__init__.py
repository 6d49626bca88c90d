"""PII scrubber: replace personal data in free text with typed placeholders.

``scrub(text)`` replaces each value found with ``[TYPE]`` (``[EMAIL]``, ...) and counts
them per type; ``find(text)`` returns the typed spans it replaces, in the coordinates of
the input. Pure functions: no logging, no state, never raise on a str.

One module per kind of value: ``contact`` (URLs, emails, handles), ``finance`` (IBANs,
cards), ``identity`` (US SSNs, UK National Insurance numbers, dates of birth),
``network`` (IP addresses), ``phones``; ``scrubber`` runs them in order (URL, EMAIL,
IBAN, CREDIT_CARD, US_SSN, UK_NINO, DATE_OF_BIRTH, IP_ADDRESS, PHONE, HANDLE), each
reading the previous one's output, so a card is never also a phone and an email's domain
never a URL or a handle. Regexes only propose; Luhn, the IBAN checksum, ``ipaddress``,
``phonenumbers`` (leniency VALID) or a context word ("SSN", "born") confirm, and what is
not confirmed (dates, prices, versions, scores, order numbers) stays as it was.

Idempotence: placeholders hold no digit, ``@``, ``.`` or ``:``, and a placeholder's
``]`` or ``[`` blocks a neighbouring match as the letter or digit it replaced would, so
a second pass cannot find what the first rejected because of its neighbour.

Linear time: each pattern starts with a plain character class or a literal word,
guards "not inside a token" with short lookbehinds, and repeats only with bounds or over
classes that cannot overlap what follows; ``benchmarks/bench_pii.py`` holds the worst
shapes found.
"""

from miyraa.pii.phones import DEFAULT_PHONE_REGIONS, parse_regions
from miyraa.pii.scrubber import PII_TYPES, find, scrub
from miyraa.pii.spans import Entity, ScrubResult

__all__ = ["DEFAULT_PHONE_REGIONS", "PII_TYPES", "Entity", "ScrubResult", "find", "parse_regions", "scrub"]
