"""The one entry point: every detector in order, each reading the previous ones' output."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import partial

from miyraa.pii import contact, finance, identity, network, phones
from miyraa.pii.spans import Entity, Finder, ScrubResult, add, disjoint, render

PII_TYPES: tuple[str, ...] = (
    "EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "UK_NINO", "DATE_OF_BIRTH", "IP_ADDRESS", "URL",
    "HANDLE",
)  # fmt: skip
DEFAULT_PHONE_REGIONS = phones.DEFAULT_PHONE_REGIONS


def scrub(text: str, *, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> ScrubResult:
    """Replace every PII value in ``text`` with ``[TYPE]`` and count them.

    ``phone_regions`` are the ISO 3166 regions whose national phone numbers are read, in
    order; international numbers (``+44 ...``) are found whatever the regions.
    """
    entities = find(text, phone_regions=phone_regions)
    found = Counter(entity.kind for entity in entities)
    return ScrubResult(
        text=render(text, entities), counts={kind: found[kind] for kind in PII_TYPES if kind in found}
    )


def find(text: str, *, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> list[Entity]:
    """The values ``scrub`` replaces, sorted and not overlapping, in the coordinates of ``text``."""
    regions = phone_regions if phone_regions is DEFAULT_PHONE_REGIONS else phones.parse_regions(phone_regions)
    finders: tuple[tuple[str, Finder], ...] = (
        ("URL", contact.find_urls),
        ("EMAIL", contact.find_emails),
        ("IBAN", finance.find_ibans),
        ("CREDIT_CARD", finance.find_cards),
        ("US_SSN", identity.find_ssns),
        ("UK_NINO", identity.find_ninos),
        ("DATE_OF_BIRTH", identity.find_dates_of_birth),
        ("IP_ADDRESS", network.find_ips),
        ("PHONE", partial(phones.find_nanp, regions=regions)),
        ("PHONE", partial(phones.find_phones, regions=regions)),
        ("HANDLE", contact.find_handles),
    )
    entities: list[Entity] = []
    scrubbed = text
    for kind, find_spans in finders:
        if spans := list(disjoint(find_spans(scrubbed))):
            entities = add(entities, spans, kind)
            scrubbed = render(text, entities)
    return entities
