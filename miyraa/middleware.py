"""The service's middleware stack, in one place, in its order.

BentoML puts its own layers outside these (``miyraa/edge.py`` answers unknown paths
before any of them, then BentoML's metrics, tracing, access log, timeout). The first
added here is the outermost of ours:

1. CORS (only with CORS_ORIGINS): every answer below it, refusals included, carries its
   headers, and browser preflights are answered before the API key is asked for;
2. the observer (miyraa/observe.py): counts and logs every API request, refusals too;
3. JSON error bodies (miyraa/errors.py);
4. the guard (miyraa/guard.py): keys, body cap and deadline, JSON only, shedding;
5. the amended OpenAPI document (miyraa/openapi.py).

Routes come from one source, the service's APIs: every API is protected, observed, shed
and documented; ``open_routes`` (/health, the page at /ui) are observed and open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bentoml
from starlette.middleware.cors import CORSMiddleware

from miyraa import edge
from miyraa.admission import Refused
from miyraa.errors import ErrorBodyMiddleware
from miyraa.guard import GuardMiddleware
from miyraa.metrics import zero_known_labels
from miyraa.observe import ObserveMiddleware
from miyraa.openapi import OpenAPIMiddleware
from miyraa.settings import Settings


def install_middleware(
    service: bentoml.Service[Any],
    settings: Settings,
    open_routes: tuple[str, ...],
    shed: Callable[[], Refused | None],
) -> None:
    api_routes = tuple(api.route for api in service.apis.values())
    observed = (*api_routes, *open_routes)
    edge.install(extra_routes=open_routes)  # any other path: a JSON 404 before anything labels it
    zero_known_labels(observed)
    if origins := settings.cors_origin_list():  # closed by default: no CORS headers at all
        service.add_asgi_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    service.add_asgi_middleware(
        ObserveMiddleware,
        hash_key=settings.hash_key(),
        endpoints=observed,
        timeout_s=settings.request_timeout_s,
    )
    service.add_asgi_middleware(ErrorBodyMiddleware, paths=observed)
    service.add_asgi_middleware(
        GuardMiddleware,
        api_paths=api_routes,
        hash_key=settings.hash_key(),
        max_body_bytes=settings.max_body_bytes,
        api_keys=settings.api_key_list(),
        metrics_key=settings.metrics_api_key.get_secret_value(),
        docs_ui=settings.docs_ui,
        body_timeout_s=settings.body_timeout_s,
        shed=shed,
    )
    service.add_asgi_middleware(OpenAPIMiddleware, paths=api_routes)
