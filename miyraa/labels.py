"""The label sets of every head, in the order the network emits them.

These tuples are the single source of truth: training, the runner and the
response schemas all index by them, and the model store entry records them so a
model trained with another order is refused at load time.
"""

from __future__ import annotations

MODEL_NAME = "miyraa-fingerprint"

EMOTIONS: tuple[str, ...] = (
    "joy",
    "love",
    "surprise",
    "sadness",
    "anger",
    "fear",
    "disgust",
    "calm",
    "excitement",
    "confusion",
    "neutral",
)
VAD_DIMENSIONS: tuple[str, ...] = ("valence", "arousal", "dominance")
SAFETY_CATEGORIES: tuple[str, ...] = ("toxic", "profane", "threatening", "harassment")
STYLES: tuple[str, ...] = ("formal", "casual", "assertive", "empathetic", "humorous")
INTENTS: tuple[str, ...] = ("statement", "question", "request", "command", "expression", "social")

# Head name -> label tuple; the order of this mapping is the order of the heads.
HEADS: dict[str, tuple[str, ...]] = {
    "emotion": EMOTIONS,
    "vad": VAD_DIMENSIONS,
    "safety": SAFETY_CATEGORIES,
    "style": STYLES,
    "intent": INTENTS,
}


def label_sets() -> dict[str, list[str]]:
    """HEADS as JSON-ready lists: the form model files and store metadata record."""
    return {name: list(labels) for name, labels in HEADS.items()}
