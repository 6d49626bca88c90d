"""Microsoft Presidio's pattern recognizers, as an optional second opinion on PII detection.

Used only by the privacy audit (reliability/privacy_audit.py) to print Presidio's figures
beside ours on the same corpus. The service never imports this module and its image does
not hold Presidio: presidio-analyzer requires spaCy (about 200 MB installed), more than the
image's headroom (docs/RELIABILITY.md).

Install: ``make presidio`` puts it in build/presidio (the project's .venv and its pins stay
as they are) and ``make privacy-audit`` finds it there (PRESIDIO_PATH); or, in any other
development environment::

    pip install -c requirements/constraints.txt -r requirements/presidio.txt

What runs: seven of Presidio's predefined recognizers (EmailRecognizer, PhoneRecognizer,
CreditCardRecognizer, IbanRecognizer, UsSsnRecognizer, IpRecognizer, UrlRecognizer), with
their own patterns, scores and validators, in an ``AnalyzerEngine`` whose NLP engine is
Presidio's ``NoOpNlpEngine``. Nothing is downloaded:

* ``AnalyzerEngine()`` with no arguments would load the spaCy model ``en_core_web_lg``
  and, not finding it, try to download it from GitHub (it fails offline). No spaCy model is
  needed here: the NoOp engine produces no tokens, so Presidio's context boost (raising a
  score when a word such as "phone" or "ssn" is near) is off and every score is the
  pattern's own.
* EmailRecognizer validates the domain with ``tldextract``, whose default extractor fetches
  the Public Suffix List from publicsuffix.org on first use (with no timeout) and caches it
  under ``~/.cache``. The email recognizer here makes the same check with an extractor that
  reads only the list bundled in the tldextract wheel and writes no cache.

Scores and threshold: Presidio's default score threshold is 0 (``AnalyzerEngine``'s
``default_score_threshold``; these recognizers set none of their own), so every result with
a score above 0 counts, including the "very weak" (0.05) US_SSN patterns. A validator that
passes (Luhn, IBAN checksum, email domain) raises the score to 1.0; one that fails, or an
invalidation (e.g. the SSN 078-05-1120), drops it to 0.

Overlaps: the engine itself only removes a result that another result of the same type
contains with an equal or higher score. Spans of different types that overlap (a URL
pattern matching an email's domain, a phone pattern matching an SSN) are then resolved
here by keeping the highest score, then the longest span, then the leftmost, and dropping
whatever overlaps a kept span, so that the result is a set of disjoint spans like
``miyraa.pii``'s. (presidio-anonymizer, which is not used, instead drops any span contained
in another whatever the scores, and leaves partial overlaps to its conflict strategy.)
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

#: Presidio entity type -> our type (miyraa.pii.PII_TYPES). Presidio has no recognizer for
#: social-media handles or dates of birth (DATE_TIME is any date), and its UK NINO one is not
#: among those run here, so HANDLE, DATE_OF_BIRTH and UK_NINO are never reported.
ENTITY_MAP: dict[str, str] = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
}
#: Our types Presidio cannot report.
UNSUPPORTED: tuple[str, ...] = ("UK_NINO", "DATE_OF_BIRTH", "HANDLE")
#: Presidio's default: AnalyzerEngine(default_score_threshold=0).
SCORE_THRESHOLD = 0.0
LANGUAGE = "en"


@functools.cache
def _engine() -> Any:
    """Build the engine once; raises ImportError when presidio_analyzer is missing."""
    if (extra := os.environ.get("PRESIDIO_PATH")) and extra not in sys.path:
        sys.path.append(extra)  # after site-packages: the project's own pins win
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UrlRecognizer,
        UsSsnRecognizer,
    )

    # The bundled Public Suffix List snapshot only: no HTTP request, no cache written.
    offline_tld = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)

    class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
        """EmailRecognizer with the same check (a registrable domain) made offline."""

        def validate_result(self, pattern_text: str) -> bool:
            return bool(offline_tld(pattern_text).fqdn != "")

    recognizers = [
        OfflineEmailRecognizer(),
        PhoneRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        UsSsnRecognizer(),
        IpRecognizer(),
        UrlRecognizer(),
    ]
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "none"}]),
        supported_languages=[LANGUAGE],
        default_score_threshold=SCORE_THRESHOLD,
    )


def available() -> bool:
    """True when presidio_analyzer imports and its recognizers can be built offline."""
    try:
        _engine()
    except Exception:  # ImportError, or an incompatible presidio/spaCy/tldextract version
        return False
    return True


def find(text: str) -> list[tuple[str, int, int]]:
    """Disjoint spans ``(type, start, end)`` found by Presidio, sorted by start.

    Types are ours (EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, URL); HANDLE has
    no Presidio recognizer and never appears. Every result scoring above Presidio's default
    threshold (0) counts; overlapping spans of different types are resolved by highest
    score, then longest span (see the module docstring). Raises ImportError when
    presidio_analyzer is not installed (check ``available()`` first).
    """
    results = _engine().analyze(text=text, language=LANGUAGE, entities=list(ENTITY_MAP))
    ranked = sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start, r.entity_type))
    kept: list[Any] = []
    for r in ranked:
        if all(r.end <= k.start or r.start >= k.end for k in kept):
            kept.append(r)
    return [(ENTITY_MAP[r.entity_type], r.start, r.end) for r in sorted(kept, key=lambda r: r.start)]
