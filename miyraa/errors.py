"""Error answers: JSON that says what was wrong, and our own bugs logged as bugs.

``ErrorBodyMiddleware`` rewrites what other layers answer on the API routes:
- an error answered as plain text (Starlette's 405 "Method Not Allowed", say) becomes
  ``{"error": "method not allowed"}``, headers such as ``Allow`` kept;
- BentoML's 400 for a body that fails validation names an internal class
  ("1 validation error for FingerprintRequestIODescriptor"): it becomes "invalid request
  body: 1 problem", with pydantic's list of problems (location, type, message) kept;
- every 5xx body gets the request's ``trace_id``, the key to its log lines.

``internal_error`` is what an API answers for a bug on our side (an exception in a
healthy runner, a runner answer or a response that fails validation): a 500 with the
trace id, logged at ERROR with the traceback's frames but not the exception's message,
which can quote the text being served.
"""

from __future__ import annotations

import json
import logging
import re
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

from miyraa.logs import exception_fields
from miyraa.observe import request_fields

logger = logging.getLogger(__name__)

_VALIDATION = re.compile(r"^(\d+) validation errors? for \w+$")
Scope = dict[str, Any]


def internal_error(exc: BaseException, where: str) -> JSONResponse:
    """Log ``exc`` as our bug (frames and type, no message) and make the 500 the client gets."""
    logger.error("internal error in %s: %s", where, type(exc).__name__, extra=exception_fields(exc))
    trace_id = request_fields().get("trace_id")
    return JSONResponse(
        {"error": "internal error; the service logged it", "trace_id": trace_id}, status_code=500
    )


class ErrorBodyMiddleware:
    """JSON error bodies on ``paths`` (module docstring)."""

    def __init__(self, app: Any, paths: tuple[str, ...]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def rewrite(message: dict[str, Any]) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] >= 400:
                start = message  # held until the body is complete
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await _send_json(send, start, _error_body(start, b"".join(chunks)))

        await self.app(scope, receive, rewrite)


def _error_body(start: dict[str, Any], body: bytes) -> dict[str, Any]:
    status = int(start["status"])
    headers = {name.lower(): value for name, value in start.get("headers", [])}
    content: Any = None
    if headers.get(b"content-type", b"").startswith(b"application/json"):
        try:
            content = json.loads(body)
        except ValueError:
            content = None
    if isinstance(content, list) and len(content) == 1:  # BentoML wraps some errors in a tuple
        content = content[0]
    if not isinstance(content, dict) or not isinstance(content.get("error"), str):
        content = {"error": _phrase(status)}
    if status == 400 and (match := _VALIDATION.match(content["error"])):
        content["error"] = invalid_body(int(match.group(1)))
    if status >= 500 and "trace_id" not in content:
        content["trace_id"] = request_fields().get("trace_id")
    return dict(content)


def invalid_body(problems: int) -> str:
    """The error of a 400 for a body that fails validation; pydantic's list goes in ``detail``."""
    return f"invalid request body: {problems} problem{'s' if problems > 1 else ''} (see detail)"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return f"error {status}"


async def _send_json(send: Any, start: dict[str, Any], content: dict[str, Any]) -> None:
    body = json.dumps(content).encode()
    kept = [
        (name, value)
        for name, value in start.get("headers", [])
        if name.lower() not in (b"content-type", b"content-length")
    ]
    headers = [*kept, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
