"""JSON logging for every process of the service (API workers, runner, arbiter).

One stdout handler replaces BentoML's text handlers on the loggers that write
(root, ``bentoml``, ``uvicorn``, ``circus``), so nothing is printed twice. A filter
on that handler enforces the privacy rules for lines we do not write ourselves:

- BentoML's access log loses the raw client address (a keyed hash takes its place)
  and is split into method, path, status and duration fields;
- a pydantic ``ValidationError`` traceback (BentoML logs one at ERROR for every
  400) is reduced to a WARNING naming the error types and locations, because its
  text can carry the request's input;
- any other traceback keeps its frames and exception types but loses the exception's
  message, which can quote the text being handled (``exception_fields``).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback

from pydantic import ValidationError
from pythonjsonlogger.json import JsonFormatter

from miyraa.edge import STATIC_PREFIX
from miyraa.ratelimit import client_hash
from miyraa.schemas import BatchRequest, FingerprintRequest
from miyraa.settings import Settings

REQUEST_FIELDS = frozenset(FingerprintRequest.model_fields) | frozenset(BatchRequest.model_fields)

HANDLER_NAME = "miyraa"
OWNED_LOGGERS = (
    "miyraa",
    "service",
    "runners",
    "bentoml",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "circus",
)
_ACCESS_FIELDS = re.compile(r"(\w+)=([^,]*)")
_ROUTE_SHAPE = re.compile(r"/(?:[a-z_]+(?:[/.][a-z_]+)*)?")  # /fingerprint/batch, /docs.json, /


class PrivacyFilter(logging.Filter):
    def __init__(self, hash_key: bytes) -> None:
        super().__init__()
        self._hash_key = hash_key

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "bentoml.access" and isinstance(record.args, tuple):
            if len(record.args) == 4:
                self._rewrite_access(record)
            elif record.args:  # a websocket line: (address, scheme, path)
                record.args = (self._hashed(record.args[0]), *record.args[1:])
        if record.exc_info and isinstance(record.exc_info[1], ValidationError):
            self._reduce_validation_error(record, record.exc_info[1])
        elif record.exc_info and record.exc_info[1] is not None:
            for name, value in exception_fields(record.exc_info[1]).items():
                setattr(record, name, value)
            record.exc_info, record.exc_text = None, None
        if not hasattr(record, "trace_id"):
            record.trace_id = current_trace_id()
        return True

    def _rewrite_access(self, record: logging.LogRecord) -> None:
        address, request, response, latency_ms = record.args  # type: ignore[misc]
        fields = dict(_ACCESS_FIELDS.findall(f"{request},{response}"))
        record.client_hash = self._hashed(address)
        record.method = fields.get("method")
        record.path = _route(fields.get("path"))
        record.status = int(fields["status"]) if fields.get("status", "").isdigit() else None
        record.duration_ms = round(latency_ms, 3) if isinstance(latency_ms, int | float) else None
        record.msg, record.args = "access", ()

    def _hashed(self, address: object) -> str | None:
        """The client's keyed hash from BentoML's ``host:port`` (``_`` when unknown)."""
        host = str(address).rsplit(":", 1)[0]
        return client_hash(self._hash_key, host) if host != "_" else None

    @staticmethod
    def _reduce_validation_error(record: logging.LogRecord, exc: ValidationError) -> None:
        problems = [
            f"{'.'.join(_loc_part(p) for p in err['loc']) or 'body'}: {err['type']}"
            for err in exc.errors(include_input=False, include_context=False, include_url=False)
        ]
        record.msg, record.args = "invalid request: %s", ("; ".join(problems),)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None


def exception_fields(exc: BaseException) -> dict[str, str]:
    """A traceback that logs may hold: the exception's type and the code's frames, without the
    exception's message (``KeyError('jane@...')`` quotes whatever the code was handling)."""
    chain = [exc]
    while (cause := chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 8:
        chain.append(cause)
    return {
        "error_type": " <- ".join(type(e).__name__ for e in chain),
        "frames": "".join(line for e in reversed(chain) for line in traceback.format_tb(e.__traceback__)),
    }


def _route(path: str | None) -> str:
    """A path as logs may show it. Only routes and the docs UI's files reach the access log
    (miyraa/edge.py); a file's name is the client's choice and may hold PII, and so may
    anything unlike a route (kept out here too, should a path get past the edge)."""
    if path and path.startswith(STATIC_PREFIX):
        return STATIC_PREFIX + "*"
    return path if path and _ROUTE_SHAPE.fullmatch(path) else "other"


def _loc_part(part: str | int) -> str:
    """A field name we defined, or an index; anything else came from the client and may be PII."""
    return str(part) if isinstance(part, int) or part in REQUEST_FIELDS else "<unknown field>"


def current_trace_id() -> str | None:
    """BentoML's (OpenTelemetry) trace id of the request being served, as in its access log."""
    from bentoml._internal.context import trace_context

    trace_id = trace_context.trace_id
    return format(trace_id, "032x") if trace_id else None


def _formatter(log_format: str) -> logging.Formatter:
    if log_format == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(settings: Settings) -> None:
    """Route every owned logger to one stdout handler (idempotent: safe to call per import)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(_formatter(settings.log_format))
    handler.addFilter(PrivacyFilter(settings.hash_key()))
    level = logging.getLevelName(settings.log_level)
    for name in OWNED_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(level if name in ("miyraa", "service", "runners", "bentoml") else logging.WARNING)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
