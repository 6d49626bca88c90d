"""From the runner's probabilities to the response body, and the prediction metrics."""

from __future__ import annotations

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES, VAD_DIMENSIONS
from miyraa.metrics import EMOTION_PREDICTIONS, PII_DETECTED, TEXT_LENGTH, UNSAFE_TEXTS
from miyraa.pii import ScrubResult
from miyraa.schemas import PII, VAD, Fingerprint, ModelInfo, ModelOutput, Safety


def _argmax(labels: tuple[str, ...], scores: list[float]) -> str:
    return labels[max(range(len(scores)), key=scores.__getitem__)]


def to_fingerprint(
    output: ModelOutput,
    scrubbed: ScrubResult,
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
        model=model,
        processing_time_ms=round(processing_time_ms, 3),
    )


def record_input(text: str, scrubbed: ScrubResult) -> None:
    """Metrics about one input: its length and the PII types found (never values)."""
    TEXT_LENGTH.observe(len(text))
    for entity, count in scrubbed.counts.items():
        PII_DETECTED.labels(entity_type=entity).inc(count)


def record_prediction(result: Fingerprint, safety_threshold: float) -> None:
    EMOTION_PREDICTIONS.labels(emotion=result.emotion).inc()
    for category, probability in result.safety.categories.items():
        if probability >= safety_threshold:
            UNSAFE_TEXTS.labels(category=category).inc()
