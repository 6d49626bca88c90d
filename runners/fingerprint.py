"""The model runner: scrubbed texts in, probabilities per head out, in adaptive batches.

BentoML 1.4's form of a Runner: a ``@bentoml.service`` whose batchable API takes a
list and returns one output per input, in order. The API service composes it with
``bentoml.depends`` and sends it the texts of concurrent requests together
(miyraa/coalesce.py); BentoML's dispatcher merges concurrent calls into batches of up
to RUNNER_MAX_BATCH_SIZE texts. The model (``models/serving.py``: ONNX Runtime by
default, MODEL_BACKEND=torch in development) runs each batch in groups of similar
length chosen by their measured cost (``models/batching.py``). Only scrubbed text ever
reaches this service.

``runner_service(settings)`` makes the BentoML service once at start-up (service.py),
with the batching settings and the model tag; the class below is its implementation.

RUNNER_MAX_LATENCY_MS is BentoML's budget for a call's wait plus its estimated run
time; past it the dispatcher refuses the call (503). The estimate counts texts, not
tokens, so it is wrong for a batch of long texts; latency is kept by the API's adaptive
admission instead (miyraa/admission.py), and this budget is only a backstop, set above
the run time of the largest batch the API accepts.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bentoml

from miyraa.metrics import BATCH_SIZE, MODEL_READY
from miyraa.schemas import ModelOutput
from miyraa.settings import Settings
from runners.drain import Drain
from runners.heap import Heap

if TYPE_CHECKING:
    from models.serving import ServedModel

logger = logging.getLogger(__name__)


class FingerprintRunner:
    """The runner's implementation; ``runner_service`` sets ``model_ref`` and ``settings``."""

    model_ref: bentoml.models.BentoModel
    settings: Settings

    def __init__(self) -> None:
        from models.serving import load_model

        self.heap = Heap()
        self.heap.limit_arenas()  # before the model's threads start (runners/heap.py)
        self.model = load_model(
            Path(self.model_ref.path),
            self.settings.model_backend,
            self.settings.model_precision,
            self.settings.model_threads,
        )
        # One thread runs the model, so the event loop stays free to gather the next batch.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="miyraa-infer")
        self.drain = Drain(idle_s=0.5, max_s=self.settings.runner_drain_s)
        self.drain.install()
        self.model.predict(["warm up"])
        MODEL_READY.set(1)
        logger.info("model %s loaded (%s)", self.model_ref.tag, self.model.name)

    async def predict(self, texts: list[str]) -> list[ModelOutput]:
        loop = asyncio.get_running_loop()
        self.drain.started()
        try:
            return await loop.run_in_executor(self._executor, self._predict, texts)
        finally:
            self.drain.finished()

    def _predict(self, texts: list[str]) -> list[ModelOutput]:
        BATCH_SIZE.observe(len(texts))
        outputs = model_outputs(self.model, texts)
        self.heap.after_batch(sum(min(out.tokens, out.max_tokens) for out in outputs))
        return outputs

    async def model_info(self) -> dict[str, str]:
        """Name and version of the loaded model (for the API service's responses)."""
        return {"name": self.model_ref.tag.name, "version": str(self.model_ref.tag.version)}


def model_outputs(model: ServedModel, texts: list[str]) -> list[ModelOutput]:
    """The model's probabilities for ``texts`` (scrubbed), one ``ModelOutput`` per text, in order;
    also what ``miyraa score --local`` runs (miyraa/local.py)."""
    scores, tokens = model.score(texts)
    probs = {name: value.tolist() for name, value in scores.items()}
    limit = model.max_tokens
    return [
        ModelOutput(**{name: rows[i] for name, rows in probs.items()}, tokens=tokens[i], max_tokens=limit)
        for i in range(len(texts))
    ]


def runner_service(settings: Settings) -> bentoml.Service[Any]:
    """The runner as a BentoML service, configured by ``settings``."""
    members = {
        "model_ref": bentoml.models.BentoModel(settings.model_tag),
        "settings": settings,
        "predict": bentoml.api(
            batchable=True,
            max_batch_size=settings.runner_max_batch_size,
            max_latency_ms=settings.runner_max_latency_ms,
        )(FingerprintRunner.predict),
        "model_info": bentoml.api(FingerprintRunner.model_info),
    }
    configured = type("FingerprintRunner", (FingerprintRunner,), members)
    return bentoml.service(
        name="miyraa_runner",
        workers=1,
        traffic={"timeout": settings.request_timeout_s},
        # Keep the inter-service client for the life of the process: recycling it
        # (BentoML's default, every 100 requests) fails the calls in flight.
        runner_connection={"max_requests": 1_000_000_000, "max_age": 1e9},
    )(configured)
