"""The outermost layer of each server: a path that is not a route gets a JSON 404 at once.

BentoML's outermost middleware (``RunnerTrafficMetricsMiddleware``) labels its
``bentoml_service_request_*`` metrics with the raw request path, before any middleware a
service adds can see the request. Every distinct path became a new set of series, kept for
the life of the worker: 20,000 random paths grew the API worker by 545 MB (issue 12), a
denial of service by GET. ``install`` puts ``KnownPathsFirst`` in its place: the same
metrics for a known route, a JSON 404 without metrics (beyond one bounded counter) for
any other path, so nothing a client chooses in a path can become a label or a key. A
websocket handshake, on any path, is refused (the service has no websocket route; passed
on, BentoML's access log wrote the raw client address of the closed connection).

Known routes, per server process: the APIs of the service it serves (BentoML's
``server_context.service_routes``), BentoML's own routes (probes, /metrics, the docs), the
routes of mounted ASGI apps (``extra``), and files under the docs UI's static folder
(served, never labelled).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bentoml._internal.context import server_context
from bentoml._internal.server.http import instruments

from miyraa.metrics import UNKNOWN_PATHS

# BentoML's own routes (bentoml/_internal/server/base_app.py, _bentoml_impl/server/app.py).
BENTOML_ROUTES = ("/livez", "/healthz", "/readyz", "/metrics", "/docs.json", "/schema.json", "/")
STATIC_PREFIX = "/static_content/"  # the Swagger UI's files: served, not labelled
NOT_FOUND = json.dumps({"error": "not found: no such route (the API is described at /docs.json)"}).encode()

Scope = dict[str, Any]


class KnownPathsFirst(instruments.RunnerTrafficMetricsMiddleware):
    """BentoML's request metrics for known routes; a JSON 404 for any other path."""

    extra_routes: frozenset[str] = frozenset()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:  # type: ignore[override]
        if scope["type"] not in ("http", "websocket"):
            await super().__call__(scope, receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] == "websocket":  # no route of ours is one: refused before any log or label
            UNKNOWN_PATHS.inc()
            await _not_found(scope, send)
        elif path in self._known():
            await super().__call__(scope, receive, send)
        elif path.startswith(STATIC_PREFIX) and scope["type"] == "http":
            await self.app(scope, receive, send)
        else:
            UNKNOWN_PATHS.inc()
            await _not_found(scope, send)

    def _known(self) -> frozenset[str]:
        known: frozenset[str] | None = getattr(self, "_known_routes", None)
        if known is None:  # server_context is filled in before the first request
            known = frozenset((*server_context.service_routes, *BENTOML_ROUTES, *self.extra_routes))
            self._known_routes = known
        return known


async def _not_found(scope: Scope, send: Any) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(NOT_FOUND)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": NOT_FOUND})


def install(extra_routes: Iterable[str]) -> None:
    """Make ``KnownPathsFirst`` the outermost middleware of every server this process starts.

    BentoML imports the metrics middleware class by name from ``instruments`` when it
    builds a server's middleware stack (``_bentoml_impl/server/app.py``, ``middlewares``),
    which happens after the service module is imported: replacing the name there is
    enough. bentoml is pinned (requirements/runtime.txt); tests/e2e/test_edges.py proves
    the effect on a real ``bentoml serve``, so an upgrade that moves the seam fails there.
    """
    KnownPathsFirst.extra_routes = frozenset(extra_routes)
    instruments.RunnerTrafficMetricsMiddleware = KnownPathsFirst  # type: ignore[misc]
