"""The service's pipeline in this process, for ``miyraa score --local``: no server.

The same steps as service.py, with the same code and the same settings (MODEL_TAG,
MODEL_BACKEND, MODEL_PRECISION, MODEL_THREADS, MAX_*, PII_PHONE_REGIONS,
SAFETY_THRESHOLD, read from the environment or ``.env``): the batch request body is
validated by the model ``miyraa.schemas.request_models`` makes; each text is scrubbed by
``miyraa.pii.scrub`` before the model sees it and its language identified on the scrubbed
text (``miyraa.language``; UNSUPPORTED_LANGUAGE=reject refuses it, per text, as the
service does); the model is the store entry's
(``models/serving.py``), run by ``runners.fingerprint.model_outputs``; the answer is made
by ``miyraa.response.answers``. So a text's fingerprint here equals the service's,
but for ``processing_time_ms``. The model comes from the BentoML store
(``$BENTOML_HOME``; ``make model`` writes it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import ValidationError

from miyraa.client import Limits, MiyraaError, split
from miyraa.errors import invalid_body
from miyraa.language import language_identifier
from miyraa.pii import scrub
from miyraa.response import answers, scored_indices
from miyraa.schemas import Fingerprint, ItemError, ModelInfo, request_models
from miyraa.settings import Settings


class LocalModel:
    """Fingerprints in this process, with the ``AsyncClient`` surface ``miyraa score`` uses."""

    def __init__(self, settings: Settings) -> None:
        import bentoml
        from bentoml.exceptions import NotFound

        from models.serving import load_model
        from runners.fingerprint import model_outputs

        try:
            ref = bentoml.models.get(settings.model_tag)
        except NotFound:
            missing = f"no model {settings.model_tag} in the BentoML store ($BENTOML_HOME): run `make model`"
            raise MiyraaError(0, {"error": missing}) from None
        self.settings = settings
        self.model = load_model(
            Path(ref.path), settings.model_backend, settings.model_precision, settings.model_threads
        )
        self._outputs = model_outputs
        self.info = ModelInfo(name=ref.tag.name, version=str(ref.tag.version))
        _, self.request = request_models(
            settings.max_text_chars, settings.max_batch_texts, settings.max_request_chars
        )
        self.phone_regions = tuple(settings.pii_phone_region_list())
        self.language = language_identifier()
        # One thread runs the model (it has MODEL_THREADS of its own), as in the runner.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="miyraa-local")

    def fingerprint_sync(self, texts: Sequence[str]) -> list[Fingerprint | ItemError]:
        """What POST /fingerprint/batch answers for ``texts``; MiyraaError(400) where it answers 400."""
        try:
            self.request(texts=list(texts))
        except ValidationError as exc:
            problems = exc.errors(include_input=False, include_url=False, include_context=False)
            raise MiyraaError(400, {"error": invalid_body(len(problems)), "detail": problems}) from None
        started = time.perf_counter()
        scrubbed = [scrub(text, phone_regions=self.phone_regions) for text in texts]
        languages = [self.language.detect(clean.text) for clean in scrubbed]
        scored = scored_indices(languages, self.settings.unsupported_language == "reject")
        outputs = self._outputs(self.model, [scrubbed[i].text for i in scored]) if scored else []
        elapsed_ms = (time.perf_counter() - started) * 1000
        threshold = self.settings.safety_threshold
        return answers(outputs, scored, scrubbed, languages, self.info, threshold, elapsed_ms)

    async def fingerprint_batch(self, texts: Sequence[str]) -> list[Fingerprint | ItemError]:
        """As ``Client.fingerprint_batch``: split by the limits, each part answered as the service would."""
        loop = asyncio.get_running_loop()
        results: list[Fingerprint | ItemError] = []
        for chunk in split(texts, await self.limits()):
            results += await loop.run_in_executor(self._executor, self.fingerprint_sync, chunk)
        return results

    async def limits(self) -> Limits:
        s = self.settings
        return Limits(s.max_batch_texts, s.max_request_chars, s.max_text_chars)

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
