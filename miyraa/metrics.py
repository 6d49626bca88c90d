"""Miyraa's Prometheus metrics, created once per process at import.

BentoML serves them on ``/metrics`` next to its own ``bentoml_service_*`` metrics
and sums them across workers and services (one multiprocess directory). Every
label has a bounded value set: endpoints, status codes, PII types, emotion and
safety labels, 23 languages (miyraa/language.py); never text, ids or hashes.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from miyraa.labels import EMOTIONS, SAFETY_CATEGORIES
from miyraa.language import METRIC_LANGUAGES, OTHER
from miyraa.pii import PII_TYPES

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)

REQUESTS = Counter("miyraa_requests", "HTTP requests by endpoint and status code", ["endpoint", "status"])
REQUEST_DURATION = Histogram(
    "miyraa_request_duration_seconds", "Request latency in seconds", ["endpoint"], buckets=LATENCY_BUCKETS
)
MODEL_READY = Gauge(
    "miyraa_model_ready",
    "1 once the runner has loaded the model and can predict",
    multiprocess_mode="livemax",
)
UNKNOWN_PATHS = Counter(
    "miyraa_unknown_path_requests", "Requests to a path that is no route, answered 404 first (miyraa/edge.py)"
)
RATE_LIMITED = Counter("miyraa_rate_limit_exceeded", "Requests refused by the per-client rate limit")
SHED = Counter("miyraa_shed", "Requests answered 503 at once: overload or runner unavailable", ["reason"])
PII_DETECTED = Counter("miyraa_pii_detected", "PII values replaced before inference", ["entity_type"])
EMOTION_PREDICTIONS = Counter("miyraa_emotion_predictions", "Dominant emotion of each text", ["emotion"])
UNSAFE_TEXTS = Counter("miyraa_unsafe_texts", "Texts over the safety threshold, per category", ["category"])
LANGUAGE = Counter(
    "miyraa_language",
    "Texts by identified language: en, the 20 most common others, und (too short to tell), other",
    ["language"],
)
UNSUPPORTED_LANGUAGE = Counter(
    "miyraa_unsupported_language", "Texts in a language the model cannot read (answered or refused)"
)
TRUNCATED = Counter("miyraa_truncated", "Texts over the model's token limit, scored on their start")
TEXT_LENGTH = Histogram(
    "miyraa_text_length_chars",
    "Length of each input text in characters",
    buckets=(8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192),
)
BATCH_SIZE = Histogram(
    "miyraa_runner_batch_size",
    "Texts per forward pass in the runner",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
HEAP_TRIMS = Counter(
    "miyraa_runner_heap_trims",
    "Large batches after which the runner gave its freed memory back to the system (runners/heap.py)",
)


def zero_known_labels(endpoints: Iterable[str]) -> None:
    """Export every known label value from the start, so rates and dashboards see 0, not nothing."""
    for endpoint in endpoints:
        REQUEST_DURATION.labels(endpoint=endpoint)
    for entity in PII_TYPES:
        PII_DETECTED.labels(entity_type=entity)
    for emotion in EMOTIONS:
        EMOTION_PREDICTIONS.labels(emotion=emotion)
    for category in SAFETY_CATEGORIES:
        UNSAFE_TEXTS.labels(category=category)
    for reason in ("overload", "runner_unavailable"):
        SHED.labels(reason=reason)
    for language in (*METRIC_LANGUAGES, OTHER):
        LANGUAGE.labels(language=language)
