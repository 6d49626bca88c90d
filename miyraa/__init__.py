"""Miyraa: shared pieces of the text-emotion fingerprint service.

settings, labels, schemas, PII scrubber, metrics, logging and rate limiting live
here; the HTTP service is ``service.py`` and the model runner is ``runners/``.
"""

__version__ = "0.1.0"
