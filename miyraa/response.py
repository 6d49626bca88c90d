"""From the runner's probabilities to the response body, and the prediction metrics."""

from __future__ import annotations

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES, VAD_DIMENSIONS
from miyraa.language import Detection
from miyraa.metrics import (
    EMOTION_PREDICTIONS,
    LANGUAGE,
    PII_DETECTED,
    TEXT_LENGTH,
    TRUNCATED,
    UNSAFE_TEXTS,
    UNSUPPORTED_LANGUAGE,
)
from miyraa.pii import ScrubResult
from miyraa.schemas import (
    PII,
    VAD,
    Fingerprint,
    ItemError,
    Language,
    ModelInfo,
    ModelOutput,
    ResponseWarning,
    Safety,
)

UNSUPPORTED_STATUS = 422


def _argmax(labels: tuple[str, ...], scores: list[float]) -> str:
    return labels[max(range(len(scores)), key=scores.__getitem__)]


def _language(detection: Detection) -> Language:
    return Language(code=detection.code, confidence=detection.confidence, supported=detection.supported)


def _looks_like(detection: Detection) -> str:
    return f"the text looks like {detection.code} (confidence {detection.confidence:.2f})"


def warnings_for(output: ModelOutput, detection: Detection) -> list[ResponseWarning]:
    warnings = []
    if not detection.supported:
        message = f"{_looks_like(detection)}; the model reads English only, so this fingerprint is unreliable"
        warnings.append(ResponseWarning(code="unsupported_language", message=message))
    if output.tokens > output.max_tokens:
        message = (
            f"the text is {output.tokens} tokens long; the model read the first {output.max_tokens} "
            "and scored only that part"
        )
        warnings.append(ResponseWarning(code="truncated", message=message))
    return warnings


def to_fingerprint(
    output: ModelOutput,
    scrubbed: ScrubResult,
    detection: Detection,
    model: ModelInfo,
    safety_threshold: float,
    processing_time_ms: float,
) -> Fingerprint:
    categories = dict(zip(SAFETY_CATEGORIES, (round(p, 6) for p in output.safety), strict=True))
    risk = max(categories.values())
    return Fingerprint(
        emotion=_argmax(EMOTIONS, output.emotion),
        emotion_scores=dict(zip(EMOTIONS, output.emotion, strict=True)),
        vad=VAD(**dict(zip(VAD_DIMENSIONS, output.vad, strict=True))),
        safety=Safety(safe=risk < safety_threshold, risk=risk, categories=categories),
        style=_argmax(STYLES, output.style),
        intent=_argmax(INTENTS, output.intent),
        pii=PII(redacted=scrubbed.redacted, counts=dict(scrubbed.counts)),
        language=_language(detection),
        tokens=output.tokens,
        truncated=output.tokens > output.max_tokens,
        warnings=warnings_for(output, detection),
        model=model,
        processing_time_ms=round(processing_time_ms, 3),
    )


def scored_indices(languages: list[Detection], reject_unsupported: bool) -> list[int]:
    """Which texts go to the model: all, or under UNSUPPORTED_LANGUAGE=reject the supported ones."""
    return [i for i, lang in enumerate(languages) if lang.supported or not reject_unsupported]


def answers(
    outputs: list[ModelOutput],
    scored: list[int],
    scrubbed: list[ScrubResult],
    languages: list[Detection],
    model: ModelInfo | None,
    safety_threshold: float,
    processing_time_ms: float,
) -> list[Fingerprint | ItemError]:
    """One answer per text, in order: the fingerprint of each text in ``scored`` (whose
    ``outputs`` these are), the refusal of its language for every other text."""
    output_of = dict(zip(scored, outputs, strict=True)) if model is not None else {}
    return [
        to_fingerprint(output_of[i], scrubbed[i], lang, model, safety_threshold, processing_time_ms)
        if i in output_of and model is not None
        else unsupported_error(lang)
        for i, lang in enumerate(languages)
    ]


def unsupported_error(detection: Detection) -> ItemError:
    """What a text refused for its language gets (UNSUPPORTED_LANGUAGE=reject)."""
    message = f"unsupported language: {_looks_like(detection)}; the model reads English only"
    return ItemError(error=message, status=UNSUPPORTED_STATUS, language=_language(detection))


def record_input(text: str, scrubbed: ScrubResult, detection: Detection) -> None:
    """Metrics about one input: its length, the PII types found (never values), its language."""
    TEXT_LENGTH.observe(len(text))
    for entity, count in scrubbed.counts.items():
        PII_DETECTED.labels(entity_type=entity).inc(count)
    LANGUAGE.labels(language=detection.metric_label).inc()
    if not detection.supported:
        UNSUPPORTED_LANGUAGE.inc()


def record_prediction(result: Fingerprint, safety_threshold: float) -> None:
    EMOTION_PREDICTIONS.labels(emotion=result.emotion).inc()
    for category, probability in result.safety.categories.items():
        if probability >= safety_threshold:
            UNSAFE_TEXTS.labels(category=category).inc()
    if result.truncated:
        TRUNCATED.inc()
