"""Per-request observation: one log line and the request metrics for every API call.

An ASGI middleware, so 400s raised by BentoML's validation and 429s from the rate
limiter are counted and logged like successes. The handler adds what only it
knows (text length, PII counts, the client hash of a ``client_id``) through
``request_fields()``; nothing it adds may carry text or PII values.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextvars import ContextVar
from typing import Any

from miyraa.logs import current_trace_id
from miyraa.metrics import REQUEST_DURATION, REQUESTS, endpoint_label
from miyraa.ratelimit import client_hash

logger = logging.getLogger("miyraa.request")

_FIELDS: ContextVar[dict[str, Any] | None] = ContextVar("miyraa_request_fields", default=None)

Scope = dict[str, Any]


def request_fields() -> dict[str, Any]:
    """The current request's log fields (a throwaway dict outside a request)."""
    fields = _FIELDS.get()
    return fields if fields is not None else {}


class ObserveMiddleware:
    def __init__(self, app: Any, hash_key: bytes) -> None:
        self.app = app
        self.hash_key = hash_key

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        endpoint = endpoint_label(scope.get("path", "")) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        fields: dict[str, Any] = {
            "client_hash": client_hash(self.hash_key, client[0]) if client else None,
            "trace_id": current_trace_id() or uuid.uuid4().hex,
        }
        token = _FIELDS.set(fields)
        status = 500
        started = time.perf_counter()

        async def send_and_record(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            elapsed = time.perf_counter() - started
            _FIELDS.reset(token)
            REQUESTS.labels(endpoint=endpoint, status=str(status)).inc()
            REQUEST_DURATION.labels(endpoint=endpoint).observe(elapsed)
            logger.info(
                "request",
                extra={
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                    **fields,
                },
            )
