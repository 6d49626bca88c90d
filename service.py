"""Miyraa's HTTP service: POST /fingerprint and /fingerprint/batch, GET /health.

Each API checks the client's rate limit, scrubs personal data out of the text,
asks the model runner (``runners/fingerprint.py``) and maps its probabilities to
the response. Raw text never leaves the request: it is not returned, logged or
put in a metric. Probes: BentoML's /livez, /readyz (503 until the runner can
predict) and /metrics (BentoML's and ``miyraa_*`` metrics).

    bentoml serve service:Miyraa      # or: make serve
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from http import HTTPStatus

import aiohttp
import bentoml
from bentoml.exceptions import BentoMLException
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from miyraa import __version__
from miyraa.admission import Admission, Refused, RunnerHealth, estimate_tokens, runner_unavailable
from miyraa.coalesce import Coalescer
from miyraa.fingerprint import record_input, record_prediction, to_fingerprint
from miyraa.guard import PROTECTED, GuardMiddleware
from miyraa.logs import configure_logging
from miyraa.metrics import known_routes_only
from miyraa.observe import ObserveMiddleware, request_fields
from miyraa.openapi import OpenAPIMiddleware
from miyraa.pii import ScrubResult, scrub
from miyraa.ratelimit import RateLimiter, client_hash
from miyraa.schemas import (
    BatchRequest,
    BatchResponse,
    Fingerprint,
    FingerprintRequest,
    ModelInfo,
    ModelOutput,
)
from miyraa.settings import get_settings
from runners.fingerprint import FingerprintRunner

logger = logging.getLogger("service")
settings = get_settings()
# A runner call failing with one of these did not reach a working runner: 503, runner down.
RUNNER_UNREACHABLE = (aiohttp.ClientError, ConnectionError, TimeoutError)
# A runner call's time budget: a base plus about 8x the fp32 graph's measured cost per
# token (0.12 ms), room for a machine whose cores are shared (service._call_timeout_s).
CALL_BASE_S = 2.0
CALL_S_PER_TOKEN = 0.001
# BentoML's dispatcher fits its timing on its first 11 calls (service._calibrate_batcher).
BATCHER_TRAINING_CALLS = 12
CALIBRATION_TEXT = "calibrating the batcher"

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
configure_logging(settings)


async def health(_: Request) -> JSONResponse:
    service: Miyraa = bentoml.get_current_service()
    loaded = await service.model_loaded()
    body = {
        "status": "ok" if loaded else "loading",
        "model_loaded": loaded,
        "uptime_s": round(time.monotonic() - service.started, 3),
        "version": __version__,
    }
    return JSONResponse(body, status_code=200 if loaded else 503)


@bentoml.asgi_app(Starlette(routes=[Route("/health", health, methods=["GET"])]))
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
        self.settings = get_settings()
        self.hash_key = self.settings.hash_key()
        self.limiter = RateLimiter(
            self.settings.rate_limit, self.settings.rate_window, self.settings.rate_limit_max_clients
        )
        self.admission = Admission(self.settings.admission_goal_ms / 1000)
        self.runner_health = RunnerHealth(self.model_loaded)
        self.started = time.monotonic()
        self._model_info: ModelInfo | None = None
        self._calibration = asyncio.Lock()
        self._calibrated = False  # the batcher of the runner process now serving

    @functools.cached_property
    def coalescer(self) -> Coalescer[ModelOutput]:
        """Made on first use: the runner dependency is not resolved yet in __init__."""
        return Coalescer(
            self.runner.predict,
            self.settings.runner_max_batch_size,
            timeout_s=self._call_timeout_s,
            unreachable=RUNNER_UNREACHABLE,
            cost_of=estimate_tokens,
        )

    def _call_timeout_s(self, tokens: int) -> float:
        """Seconds a runner call may take with ``tokens`` (estimated) in the runner, its own
        included: a dead runner is noticed in about 2 s, a batch of long texts has its time."""
        return min(self.settings.runner_call_timeout_s, CALL_BASE_S + CALL_S_PER_TOKEN * tokens)

    async def __metrics__(self, exposition: str) -> str:
        """/metrics minus BentoML's samples labelled with an unknown (client-chosen) path."""
        return known_routes_only(exposition)

    async def __is_ready__(self) -> bool:
        return await self.model_loaded()

    async def model_loaded(self) -> bool:
        """True once the runner answers its readiness probe within READY_PROBE_TIMEOUT_S and
        its batcher is calibrated (``_calibrate_batcher``)."""
        is_ready = getattr(self.runner, "is_ready", None)
        if is_ready is None:  # the runner lives in this process (tests): loaded by construction
            return True
        timeout = self.settings.ready_probe_timeout_s
        try:
            ready = bool(await asyncio.wait_for(is_ready(timeout=max(1, round(timeout))), timeout))
            if ready:
                await self._calibrate_batcher()
            return ready
        except (*RUNNER_UNREACHABLE, OSError, BentoMLException) as exc:
            logger.info("runner not ready: %s", type(exc).__name__)
            return False

    async def _calibrate_batcher(self) -> None:
        """Send the runner's batcher the small calls it learns its timing from, once per runner
        process, before any request does. BentoML's dispatcher fits its cost model on its
        first calls and meanwhile holds a lone call for a partner for a time it derives from
        that fit; fitted on large calls (64 long texts), it held single texts for seconds on
        an idle service (runner call budget exceeded: 503s; tests/container)."""
        async with self._calibration, asyncio.timeout(CALL_BASE_S):  # a stuck runner: not ready
            if not self._calibrated:
                for _ in range(BATCHER_TRAINING_CALLS):
                    await self.runner.predict([CALIBRATION_TEXT])
                self._calibrated = True

    @bentoml.api(route="/fingerprint")
    async def fingerprint(self, request: FingerprintRequest, /, ctx: bentoml.Context) -> Fingerprint:
        """The emotion fingerprint of one text."""
        try:
            [result] = await self._fingerprints(request.client_id, [request.text], ctx)
        except Refused as refused:
            return self._refuse(refused, ctx)  # type: ignore[return-value]  # passed through
        return result

    @bentoml.api(route="/fingerprint/batch")
    async def fingerprint_batch(self, request: BatchRequest, /, ctx: bentoml.Context) -> BatchResponse:
        """Fingerprints of 1 to MAX_BATCH_TEXTS texts, in input order."""
        try:
            return BatchResponse(results=await self._fingerprints(request.client_id, request.texts, ctx))
        except Refused as refused:
            return self._refuse(refused, ctx)  # type: ignore[return-value]

    async def _fingerprints(
        self, client_id: str | None, texts: list[str], ctx: bentoml.Context
    ) -> list[Fingerprint]:
        """Rate limit, admission, scrub, runner, response; ``Refused`` when declined."""
        self._check_rate(client_id, ctx)
        with self.admission.hold(sum(estimate_tokens(text) for text in texts)):
            started = time.perf_counter()
            scrubbed = [scrub(text, phone_region=self.settings.pii_phone_region) for text in texts]
            for text, clean in zip(texts, scrubbed, strict=True):
                record_input(text, clean)
            outputs, model = await self._predict([s.text for s in scrubbed])
        elapsed_ms = (time.perf_counter() - started) * 1000
        results = [
            to_fingerprint(output, clean, model, self.settings.safety_threshold, elapsed_ms)
            for output, clean in zip(outputs, scrubbed, strict=True)
        ]
        for fingerprint in results:
            record_prediction(fingerprint, self.settings.safety_threshold)
        _log_fields(texts, scrubbed)
        return results

    def _check_rate(self, client_id: str | None, ctx: bentoml.Context) -> None:
        """Count the request against its client; ``Refused`` (429) when over the limit."""
        fields = request_fields()
        if client_id:
            fields["client_hash"] = client_hash(self.hash_key, f"id:{client_id}")
        decision = self.limiter.hit(fields.get("client_hash") or "unknown")
        # BentoML copies the context's status and headers onto whatever the API returns.
        ctx.response.headers.update(decision.headers())
        if not decision.allowed:
            limit = f"{decision.limit} requests per {self.settings.rate_window:g} s"
            raise Refused(429, f"rate limit of {limit} exceeded", "rate_limit")

    def _refuse(self, refused: Refused, ctx: bentoml.Context) -> JSONResponse:
        refused.record()
        ctx.response.status_code = refused.status
        ctx.response.headers.update(refused.headers)
        return JSONResponse({"error": refused.message})

    async def _predict(self, texts: list[str]) -> tuple[list[ModelOutput], ModelInfo]:
        """The runner's outputs, in input order (texts of concurrent requests share runner
        calls, miyraa/coalesce.py), and the model's name; ``Refused`` (503) when the runner
        cannot be reached or is overloaded."""
        if self.runner_health.down:
            raise runner_unavailable()
        try:
            outputs = await self.coalescer.submit(texts)
            if self._model_info is None:
                self._model_info = ModelInfo(**await self.runner.model_info())
        except RUNNER_UNREACHABLE as exc:
            logger.warning("runner unavailable: %s", type(exc).__name__)
            self._calibrated = False  # a runner process started after this one has a new batcher
            self.runner_health.failed()
            raise runner_unavailable() from exc
        except BentoMLException as exc:
            if exc.error_code != HTTPStatus.SERVICE_UNAVAILABLE:
                raise
            logger.warning("runner overloaded")
            raise runner_unavailable() from exc
        return outputs, self._model_info


def _shed() -> Refused | None:
    """The guard's door check: a 503 while the runner is down or the admission limit is reached."""
    service: Miyraa = bentoml.get_current_service()
    if service.runner_health.down:
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


# The first added is the outermost: the observer also counts and logs the guard's refusals.
Miyraa.add_asgi_middleware(ObserveMiddleware, hash_key=settings.hash_key())
Miyraa.add_asgi_middleware(
    GuardMiddleware,
    max_body_bytes=settings.max_body_bytes,
    api_keys=settings.api_key_list(),
    metrics_key=settings.metrics_api_key.get_secret_value(),
    docs_ui=settings.docs_ui,
    body_timeout_s=settings.body_timeout_s,
    shed=_shed,
)
Miyraa.add_asgi_middleware(OpenAPIMiddleware, paths=PROTECTED)
if origins := settings.cors_origin_list():  # closed by default: no CORS headers at all
    Miyraa.add_asgi_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "X-API-Key", "Content-Type"],
    )
