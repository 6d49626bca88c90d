"""Access and size checks in front of the APIs, before BentoML reads a request.

An ASGI middleware:
- a request body over MAX_BODY_BYTES gets 413 without being read whole: at once when
  Content-Length says so, else as soon as the streamed body passes the cap;
- with API_KEYS set, the APIs (every route in ``api_paths``, derived from the service's
  APIs: a new API is protected without a change here) need ``Authorization: Bearer <key>``
  or ``X-API-Key: <key>`` (compared in constant time), else 401; /metrics needs
  METRICS_API_KEY when that is set. Probes (/livez, /readyz, /health) and the docs stay
  open. CORS preflights never get here: CORS is the outermost middleware (service.py);
- with keys set, the keyed hash of the caller's API key goes into the request's fields
  (``api_key_hash``): the rate limit counts per key then, else per address (the observer's
  ``client_hash``, miyraa/observe.py); never per a caller-chosen id;
- the fingerprint APIs take JSON only: another Content-Type gets 415 (BentoML answered
  some, such as multipart without a boundary, with a 500);
- with DOCS_UI=false, the Swagger UI (/ and its static files) answers 404;
- while ``shed()`` returns a refusal (the service is at its admission limit,
  miyraa/admission.py), a fingerprint request gets it (503, Retry-After) before its body
  is read or validated;
- a body that has not fully arrived BODY_TIMEOUT_S after its headers gets 408, so a
  client that trickles its body holds a connection, not the service.
Every refusal is a JSON body that says what was wrong.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Callable
from typing import Any

from miyraa.admission import Refused
from miyraa.observe import request_fields
from miyraa.ratelimit import client_hash

Scope = dict[str, Any]


async def _reply(
    send: Any, status: int, error: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


def _presented_key(headers: dict[bytes, bytes]) -> str | None:
    if (value := headers.get(b"x-api-key")) is not None:
        return str(value.decode("latin-1")).strip()
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.lower().startswith("bearer "):
        return str(auth[7:]).strip()
    return None


def _key_ok(presented: str | None, keys: list[str]) -> bool:
    if presented is None:
        return False
    # Compare against every key, whatever matches, so timing says nothing about which.
    matches = [hmac.compare_digest(presented.encode(), key.encode()) for key in keys]
    return any(matches)


class GuardMiddleware:
    def __init__(
        self,
        app: Any,
        api_paths: tuple[str, ...],
        hash_key: bytes,
        max_body_bytes: int,
        api_keys: list[str],
        metrics_key: str,
        docs_ui: bool = True,
        body_timeout_s: float = 10.0,
        shed: Callable[[], Refused | None] = lambda: None,
    ) -> None:
        self.app = app
        self.api_paths = api_paths
        self.hash_key = hash_key
        self.docs_ui = docs_ui
        self.max_body_bytes = max_body_bytes
        self.api_keys = api_keys
        self.metrics_key = metrics_key
        self.body_timeout_s = body_timeout_s
        self.shed = shed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers: dict[bytes, bytes] = dict(scope.get("headers", []))  # ASGI names are lower-case
        challenge = [(b"www-authenticate", b"Bearer")]
        if not self.docs_ui and (path == "/" or path.startswith("/static_content/")):
            await _reply(send, 404, "the API documentation UI is turned off (DOCS_UI=false)")
            return
        api = path in self.api_paths
        if api and self.api_keys:
            if not _key_ok(key := _presented_key(headers), self.api_keys):
                await _reply(
                    send,
                    401,
                    "missing or invalid API key (Authorization: Bearer <key> or X-API-Key)",
                    challenge,
                )
                return
            request_fields()["api_key_hash"] = client_hash(self.hash_key, f"key:{key}")
        if (
            path == "/metrics"
            and self.metrics_key
            and not _key_ok(_presented_key(headers), [self.metrics_key])
        ):
            await _reply(send, 401, "missing or invalid key for /metrics", challenge)
            return
        media = headers.get(b"content-type", b"application/json").split(b";")[0].strip().lower()
        if api and media != b"application/json":
            await _reply(send, 415, "Content-Type must be application/json")
            return
        # dict() kept the last of repeated headers; BentoML's parser reads the first, so a
        # second Content-Type would let another parser (form, multipart) read the body.
        if api and sum(name == b"content-type" for name, _ in scope.get("headers", [])) > 1:
            await _reply(send, 415, "one Content-Type header, application/json")
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _reply(send, 413, f"request body over {self.max_body_bytes} bytes")
            return
        if api and (refused := self.shed()) is not None:
            refused.record()
            extra = [(name.lower().encode(), value.encode()) for name, value in refused.headers.items()]
            await _reply(send, refused.status, refused.message, extra)
            return
        try:
            async with asyncio.timeout(self.body_timeout_s):
                body = await self._read_capped(receive)
        except TimeoutError:
            await _reply(send, 408, f"request body not received within {self.body_timeout_s:g} s")
            return
        if body is None:  # the client went away
            return
        if len(body) > self.max_body_bytes:
            await _reply(send, 413, f"request body over {self.max_body_bytes} bytes")
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            message: dict[str, Any] = await receive()
            return message

        await self.app(scope, replay, send)

    async def _read_capped(self, receive: Any) -> bytes | None:
        """The whole body, or its first bytes past the cap; None when the client left."""
        chunks, seen, more = [], 0, True
        while more and seen <= self.max_body_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            more = message.get("more_body", False)
        return b"".join(chunks)
