"""Per-request observation: one log line and the request metrics for every API call.

An ASGI middleware, so 400s raised by BentoML's validation and 429s from the rate
limiter are counted and logged like successes. The handler adds what only it
knows (text length, PII counts, the client hash of a ``client_id``) through
``request_fields()``; nothing it adds may carry text or PII values.

The status recorded is the one the client saw: 504 when BentoML's request timeout
cancelled the request (its timeout middleware, outside this one, answers), 499 when the
client went away before an answer ("client closed request", nginx's code), never a 500
that no one was sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextvars import ContextVar
from typing import Any

from miyraa.logs import current_trace_id
from miyraa.metrics import REQUEST_DURATION, REQUESTS
from miyraa.ratelimit import client_hash

logger = logging.getLogger("miyraa.request")

_FIELDS: ContextVar[dict[str, Any] | None] = ContextVar("miyraa_request_fields", default=None)

Scope = dict[str, Any]
CLIENT_CLOSED = 499
TIMED_OUT = 504


def request_fields() -> dict[str, Any]:
    """The current request's log fields (a throwaway dict outside a request)."""
    fields = _FIELDS.get()
    return fields if fields is not None else {}


class ObserveMiddleware:
    def __init__(self, app: Any, hash_key: bytes, endpoints: tuple[str, ...], timeout_s: float) -> None:
        self.app = app
        self.hash_key = hash_key
        self.endpoints = endpoints
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        endpoint = scope.get("path", "") if scope["type"] == "http" else None
        if endpoint not in self.endpoints:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        fields: dict[str, Any] = {
            "client_hash": client_hash(self.hash_key, client[0]) if client else None,
            "trace_id": current_trace_id() or uuid.uuid4().hex,
        }
        token = _FIELDS.set(fields)
        status: int | None = None
        client_left = False
        started = time.perf_counter()

        async def receive_and_watch() -> dict[str, Any]:
            nonlocal client_left
            message: dict[str, Any] = await receive()
            client_left = client_left or message["type"] == "http.disconnect"
            return message

        async def send_and_record(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_and_watch, send_and_record)
        except asyncio.CancelledError:
            if status is None:
                status = (
                    TIMED_OUT if time.perf_counter() - started >= self.timeout_s * 0.99 else CLIENT_CLOSED
                )
            raise
        finally:
            elapsed = time.perf_counter() - started
            if status is None or (client_left and status >= 500):
                status = CLIENT_CLOSED if client_left else 500
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
