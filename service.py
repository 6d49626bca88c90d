"""Miyraa's HTTP service: POST /fingerprint and /fingerprint/batch, GET /health, GET /ui (a page).

Each API checks the caller's rate limit, scrubs personal data out of the text and
identifies its language (a request over 1,000 characters in a worker thread: the event
loop keeps shedding, probing and dispatching), asks the model runner
(``runners/fingerprint.py``, through ``miyraa/runner_link.py``) and maps its
probabilities to the response. A text the model cannot read is answered with a warning,
or refused (422, per item in a batch) under UNSUPPORTED_LANGUAGE=reject. Raw text never
leaves the request: it is not returned, logged or put in a metric. Probes: BentoML's
/livez, /readyz (503 until the runner can predict) and /metrics (BentoML's and
``miyraa_*`` metrics).

This module is the service's start-up: it reads the settings once and hands them to
the pieces it composes.

    bentoml serve service:Miyraa      # or: make serve
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import cast

import bentoml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from miyraa import __version__
from miyraa.admission import Admission, Refused, estimate_tokens, runner_unavailable
from miyraa.errors import internal_error
from miyraa.language import Detection, language_identifier
from miyraa.logs import configure_logging
from miyraa.middleware import install_middleware
from miyraa.observe import request_fields
from miyraa.page import page_routes
from miyraa.pii import ScrubResult, scrub
from miyraa.ratelimit import RateLimiter, client_hash
from miyraa.response import answers, record_input, record_prediction, scored_indices
from miyraa.runner_link import RunnerLink
from miyraa.schemas import BatchResponse, Fingerprint, ItemError, request_models
from miyraa.settings import get_settings
from runners.fingerprint import runner_service

logger = logging.getLogger("service")
settings = get_settings()
configure_logging(settings)
FingerprintRequest, BatchRequest = request_models(
    settings.max_text_chars, settings.max_batch_texts, settings.max_request_chars
)
FingerprintRunner = runner_service(settings)
HEALTH = "/health"
PAGE_ROUTES = page_routes(settings)  # GET /ui, none with UI=false (miyraa/page.py)
# Requests of at most this many characters are scrubbed (and their language identified) on
# the event loop (service._scrub_off_loop).
INLINE_SCRUB_CHARS = 1_000

# The container image (`make container`, docs/DEPLOYMENT.md): our minimal bookworm base
# (scripts/base-image.sh) and the runtime's pinned, slimmed wheels (ONNX Runtime, no torch)
# that scripts/container.sh serves on loopback during the build, with the uv binary that
# installs them: nothing is downloaded inside the build.
IMAGE = (
    bentoml.images.Image(
        base_image="miyraa-base:bookworm", distro="none", python_version="3.11", lock_python_packages=False
    )
    # BentoML creates its store folders at start; made here, a read-only root works.
    .run("mkdir -p /home/bentoml/bentos /home/bentoml/models /home/bentoml/envs /home/bentoml/tmp")
    .python_packages("--no-index", "--find-links http://127.0.0.1:8765/")
    .requirements_file("requirements/runtime.txt")
)


async def health(_: Request) -> JSONResponse:
    service: Miyraa = bentoml.get_current_service()
    loaded = await service.link.ready()
    body = {
        "status": "ok" if loaded else "loading",
        "model_loaded": loaded,
        "uptime_s": round(time.monotonic() - service.started, 3),
        "version": __version__,
    }
    if not loaded:  # every answer of 400 and over says what was wrong in "error" (miyraa/errors.py)
        body["error"] = "the model is still loading"
    return JSONResponse(body, status_code=200 if loaded else 503)


@bentoml.asgi_app(Starlette(routes=[Route(HEALTH, health, methods=["GET"]), *PAGE_ROUTES]))
@bentoml.service(
    name="miyraa",
    image=IMAGE,
    workers=1,
    traffic={"timeout": settings.request_timeout_s},
    # BentoML's own runner probe hangs /readyz while the model loads; ours answers fast.
    runner_probe={"enabled": False},
)
class Miyraa:
    runner = bentoml.depends(FingerprintRunner)

    def __init__(self) -> None:
        self.settings = settings
        self.hash_key = settings.hash_key()
        self.phone_regions = tuple(settings.pii_phone_region_list())
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window, settings.rate_limit_max_clients)
        self.admission = Admission(settings.admission_goal_ms / 1000)
        self.language = language_identifier()
        self.started = time.monotonic()

    @functools.cached_property
    def link(self) -> RunnerLink:
        """Made on first use: the runner dependency is not resolved yet in __init__."""
        return RunnerLink(
            self.runner,
            settings.runner_max_batch_size,
            max_call_s=settings.runner_call_timeout_s,
            probe_timeout_s=settings.ready_probe_timeout_s,
        )

    async def __is_ready__(self) -> bool:
        return await self.link.ready()

    @bentoml.api(route="/fingerprint", input_spec=FingerprintRequest)  # type: ignore[untyped-decorator]
    async def fingerprint(
        self, text: str, client_id: str | None = None, *, ctx: bentoml.Context
    ) -> Fingerprint:
        """The emotion fingerprint of one text."""
        results = await self._fingerprints(client_id, [text], ctx, "/fingerprint")
        if isinstance(results, JSONResponse):
            return results  # type: ignore[return-value]
        if isinstance(result := results[0], ItemError):
            request_fields()["refused"] = "unsupported_language"
            ctx.response.status_code = result.status
            return JSONResponse(result.model_dump(exclude={"status"}))  # type: ignore[return-value]
        return result

    @bentoml.api(route="/fingerprint/batch", input_spec=BatchRequest)  # type: ignore[untyped-decorator]
    async def fingerprint_batch(
        self, texts: list[str], client_id: str | None = None, *, ctx: bentoml.Context
    ) -> BatchResponse:
        """Fingerprints of 1 to MAX_BATCH_TEXTS texts, in input order."""
        results = await self._fingerprints(client_id, texts, ctx, "/fingerprint/batch")
        return results if isinstance(results, JSONResponse) else BatchResponse(results=results)  # type: ignore[return-value]

    async def _fingerprints(
        self, client_id: str | None, texts: list[str], ctx: bentoml.Context, route: str
    ) -> list[Fingerprint | ItemError] | JSONResponse:
        """Rate limit, admission, scrub and language, runner, response; the refusal or the 500
        otherwise (a JSONResponse, which BentoML passes through with the context's status and
        headers). A text refused for its language gets an ``ItemError`` in its place and
        never reaches the runner."""
        try:
            self._check_rate(client_id, ctx)
            with self.admission.hold(sum(estimate_tokens(text) for text in texts)):
                started = time.perf_counter()
                scrubbed, languages = await self._scrub_off_loop(texts)
                scored = scored_indices(languages, settings.unsupported_language == "reject")
                batch = [scrubbed[i].text for i in scored]
                outputs, model = await self.link.predict(batch) if batch else ([], None)
            elapsed_ms = (time.perf_counter() - started) * 1000
            threshold = settings.safety_threshold
            results = answers(outputs, scored, scrubbed, languages, model, threshold, elapsed_ms)
        except Refused as refused:
            refused.record()
            ctx.response.status_code = refused.status
            ctx.response.headers.update(refused.headers)
            return JSONResponse({"error": refused.message})
        except Exception as exc:  # our bug, not the client's: a logged 500 (miyraa/errors.py)
            ctx.response.status_code = 500
            return internal_error(exc, route)
        for fingerprint in results:
            if isinstance(fingerprint, Fingerprint):
                record_prediction(fingerprint, threshold)
        _log_fields(texts, scrubbed)
        return results

    async def _scrub_off_loop(self, texts: list[str]) -> tuple[list[ScrubResult], list[Detection]]:
        """Scrub and identify the language in a worker thread when the texts are long enough
        to stall the event loop; a short request is read in place (at most ~1 ms of realistic
        text, 44 ms of the scrubber's worst shape, plus up to 1 ms for its language), sparing
        the thread hop most requests would pay."""
        if sum(len(text) for text in texts) <= INLINE_SCRUB_CHARS:
            return self._scrub(texts)
        return await asyncio.to_thread(self._scrub, texts)

    def _scrub(self, texts: list[str]) -> tuple[list[ScrubResult], list[Detection]]:
        """The scrubbed texts and their languages, identified on the scrubbed text."""
        scrubbed = [scrub(text, phone_regions=self.phone_regions) for text in texts]
        languages = [self.language.detect(clean.text) for clean in scrubbed]
        for text, clean, language in zip(texts, scrubbed, languages, strict=True):
            record_input(text, clean, language)
        return scrubbed, languages

    def _check_rate(self, client_id: str | None, ctx: bentoml.Context) -> None:
        """Count the request against its caller: its API key's hash (miyraa/guard.py) when
        keys are set, else its address's (miyraa/observe.py); ``Refused`` (429) over the
        limit. ``client_id`` only labels the request's log line."""
        fields = request_fields()
        if client_id:
            fields["client_id_hash"] = client_hash(self.hash_key, f"id:{client_id}")
        decision = self.limiter.hit(fields.get("api_key_hash") or fields.get("client_hash") or "unknown")
        # BentoML copies the context's status and headers onto whatever the API returns.
        ctx.response.headers.update(decision.headers())
        if not decision.allowed:
            limit = f"{decision.limit} requests per {settings.rate_window:g} s"
            raise Refused(429, f"rate limit of {limit} exceeded", "rate_limit")


def _shed() -> Refused | None:
    """The guard's door check: a 503 while the runner is down or the admission limit is reached."""
    service: Miyraa = bentoml.get_current_service()
    if service.link.health.down:
        return runner_unavailable()
    return service.admission.overloaded() if service.admission.full else None


def _log_fields(texts: list[str], scrubbed: list[ScrubResult]) -> None:
    counts: dict[str, int] = {}
    for result in scrubbed:
        for entity, n in result.counts.items():
            counts[entity] = counts.get(entity, 0) + n
    fields = request_fields()
    fields["text_length"] = sum(len(t) for t in texts)
    fields["texts"] = len(texts)
    fields["pii_counts"] = counts


# bentoml ships no type information: mypy sees the class, the decorators made a Service.
SERVICE = cast("bentoml.Service[Miyraa]", Miyraa)
install_middleware(
    SERVICE, settings, open_routes=(HEALTH, *(route.path for route in PAGE_ROUTES)), shed=_shed
)
