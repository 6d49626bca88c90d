"""The OpenAPI document at /docs.json, amended to say what the service really answers.

BentoML generates the document from the API signatures, but (found by `make fuzz`):
- its 400 schema says ``detail`` is a string; BentoML sends pydantic's list of errors;
- it writes an optional field as ``anyOf: [..., {"type": "null"}]``, which OpenAPI 3.0
  does not know (3.1 does), or, in request bodies, drops the null branch and keeps only
  ``default: null``; clients and fuzzers then read ``null`` as invalid;
- it lists none of the answers this service adds: 401 (API keys), 408 (slow body),
  413 (body cap), 415 (not JSON), 429 (rate limit), 500 (our bug, with its trace id),
  503 (shed or runner down);
- it leaves the request body optional (OpenAPI's default), but without one the answer is 400;
- it cannot know the 422 of /fingerprint under UNSUPPORTED_LANGUAGE=reject (a batch answers
  such a text per item, in its results), nor show what a fingerprint looks like.
``amend`` fixes those; ``OpenAPIMiddleware`` applies it to the document as it is served.
"""

from __future__ import annotations

import json
from typing import Any

ERROR_MESSAGE = {"type": "string", "description": "what was wrong"}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": ERROR_MESSAGE,
        "trace_id": {"type": "string", "description": "5xx only: the request's id in the service's logs"},
    },
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
ADDED = {
    "401": ("missing or invalid API key (only when API_KEYS is set)", False),
    "408": ("request body not received within BODY_TIMEOUT_S", False),
    "413": ("request body over MAX_BODY_BYTES", False),
    "415": ("Content-Type is not application/json", False),
    "429": ("rate limit exceeded for this client", True),
    "500": ("a bug on the service's side, logged under the trace_id in the body", False),
    "503": ("busy (load shed) or the model is temporarily unavailable", True),
}
# Answered by /fingerprint only: a refused text of a batch is an item of its 200 (ItemError).
UNSUPPORTED = "unsupported language (only when UNSUPPORTED_LANGUAGE=reject): the model reads English"
UNSUPPORTED_ROUTE = "/fingerprint"
LANGUAGE_EXAMPLE = {"code": "es", "confidence": 0.9906, "supported": False}
UNSUPPORTED_EXAMPLE = {
    "error": "unsupported language: the text looks like es (confidence 0.99); the model reads English only",
    "language": LANGUAGE_EXAMPLE,
}
FINGERPRINT_EXAMPLES = {
    "tokens": 312,
    "truncated": True,
    "warnings": [
        {
            "code": "unsupported_language",
            "message": "the text looks like es (confidence 0.99); the model reads English only, "
            "so this fingerprint is unreliable",
        },
        {
            "code": "truncated",
            "message": "the text is 312 tokens long; the model read the first 256 and scored only that part",
        },
    ],
}
Scope = dict[str, Any]


def amend(spec: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """``spec`` with the fixes above applied to the operations under ``paths``."""
    schemas = spec.get("components", {}).get("schemas", {})
    if "InvalidArgument" in schemas:
        schemas["InvalidArgument"]["properties"]["detail"] = {
            "type": "array",
            "items": {"type": "object"},
            "description": "one entry per validation error (pydantic's format)",
        }
    schemas["Error"] = ERROR
    schemas["UnsupportedLanguage"] = {
        "type": "object",
        "required": ["error", "language"],
        "properties": {
            "error": ERROR_MESSAGE,
            "language": {"$ref": "#/components/schemas/Language"},
        },
        "example": UNSUPPORTED_EXAMPLE,
    }
    if "Language" in schemas:  # an example beside a $ref is ignored: it goes on the schema
        schemas["Language"]["example"] = LANGUAGE_EXAMPLE
    for field, example in FINGERPRINT_EXAMPLES.items():
        if field in schemas.get("Fingerprint", {}).get("properties", {}):
            schemas["Fingerprint"]["properties"][field]["example"] = example
    for path in paths:
        for operation in spec.get("paths", {}).get(path, {}).values():
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
            for status, (description, retry) in ADDED.items():
                answer: dict[str, Any] = {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                if retry:
                    answer["headers"] = RETRY_AFTER
                operation["responses"][status] = answer
            if path == UNSUPPORTED_ROUTE:
                operation["responses"]["422"] = {
                    "description": UNSUPPORTED,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/UnsupportedLanguage"}}
                    },
                }
    amended: dict[str, Any] = _nullable(spec)
    return amended


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 spelling of optional values: ``nullable: true`` instead of a null branch."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable(value) for key, value in node.items()}
    branches = node.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches:
        rest = [b for b in branches if b != {"type": "null"}]
        node.pop("anyOf")
        if len(rest) == 1:
            node = {**rest[0], **node}
        else:
            node["anyOf"] = rest
        node["nullable"] = True
    elif "default" in node and node["default"] is None and "type" in node:
        node["nullable"] = True
    return node


class OpenAPIMiddleware:
    """Serves /docs.json amended; every other request passes untouched."""

    def __init__(self, app: Any, paths: tuple[str, ...]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") != "/docs.json":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def collect(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        body = b"".join(chunks)
        if start.get("status") == 200:
            body = json.dumps(amend(json.loads(body), self.paths)).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
