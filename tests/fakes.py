"""Small fakes shared by unit tests."""

from __future__ import annotations

from miyraa.labels import EMOTIONS, INTENTS, STYLES
from miyraa.language import Detection
from miyraa.pii import ScrubResult
from miyraa.response import to_fingerprint
from miyraa.schemas import Fingerprint, ModelInfo, ModelOutput

MODEL = ModelInfo(name="miyraa-fingerprint", version="test")


class Clock:
    """A clock the test moves by hand: ``clock.now += 5``."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fake_fingerprint(text: str, elapsed_ms: float = 1.0) -> Fingerprint:
    """A valid answer that depends on ``text`` (the service's own mapping, miyraa/response.py):
    dominant emotion EMOTIONS[len(text) % 11], unsafe when the text says "kill", one EMAIL
    when it holds "@"."""
    dominant = len(text) % len(EMOTIONS)
    emotion = [0.9 if i == dominant else 0.01 for i in range(len(EMOTIONS))]
    danger = 0.9 if "kill" in text else 0.1
    output = ModelOutput(
        emotion=emotion,
        vad=[0.5, 0.6, 0.7],
        safety=[0.1, 0.1, danger, 0.1],
        style=[1.0] + [0.0] * (len(STYLES) - 1),
        intent=[1.0] + [0.0] * (len(INTENTS) - 1),
        tokens=len(text.split()) + 2,
        max_tokens=256,
    )
    counts = {"EMAIL": 1} if "@" in text else {}
    language = Detection("en", 0.99, True)
    return to_fingerprint(output, ScrubResult(text, counts), language, MODEL, 0.5, elapsed_ms)
