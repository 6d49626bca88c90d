"""The training corpus: JSONL files under ``models/corpus/``, validated on load.

One object per line::

    {"text": str, "emotion": str,
     "vad": {"valence": float, "arousal": float, "dominance": float},
     "safety": {"toxic": 0|1, "profane": 0|1, "threatening": 0|1, "harassment": 0|1},
     "style": str, "intent": str}

The labelling guide is in ``models/README.md``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES, VAD_DIMENSIONS

CORPUS_DIR = Path(__file__).parent / "corpus"


class CorpusError(ValueError):
    """A corpus line breaks the format; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    emotion: str
    vad: tuple[float, float, float]
    safety: tuple[int, int, int, int]
    style: str
    intent: str

    @property
    def unsafe(self) -> bool:
        return any(self.safety)


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def corpus_hash(files: list[Path]) -> str:
    """sha256 over the files' names and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _parse(raw: dict[str, object], where: str) -> Example:
    def pick(value: object, allowed: tuple[str, ...], key: str) -> str:
        if value not in allowed:
            raise CorpusError(f"{where}: {key}={value!r} is not one of {allowed}")
        return str(value)

    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{where}: text must be a non-empty string")
    vad_raw = raw.get("vad")
    safety_raw = raw.get("safety")
    if not isinstance(vad_raw, dict) or set(vad_raw) != set(VAD_DIMENSIONS):
        raise CorpusError(f"{where}: vad must have exactly {VAD_DIMENSIONS}")
    if not isinstance(safety_raw, dict) or set(safety_raw) != set(SAFETY_CATEGORIES):
        raise CorpusError(f"{where}: safety must have exactly {SAFETY_CATEGORIES}")
    vad = tuple(float(vad_raw[d]) for d in VAD_DIMENSIONS)
    if not all(0.0 <= v <= 1.0 for v in vad):
        raise CorpusError(f"{where}: vad values must lie in [0, 1]")
    safety = tuple(int(safety_raw[c]) for c in SAFETY_CATEGORIES)
    if not all(v in (0, 1) for v in safety):
        raise CorpusError(f"{where}: safety values must be 0 or 1")
    return Example(
        text=text,
        emotion=pick(raw.get("emotion"), EMOTIONS, "emotion"),
        vad=(vad[0], vad[1], vad[2]),
        safety=(safety[0], safety[1], safety[2], safety[3]),
        style=pick(raw.get("style"), STYLES, "style"),
        intent=pick(raw.get("intent"), INTENTS, "intent"),
    )


def load_corpus(files: list[Path] | None = None) -> list[Example]:
    """Every example of the given files (default: all of ``models/corpus``), validated."""
    examples: list[Example] = []
    seen: set[str] = set()
    for path in files if files is not None else corpus_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{where}: not JSON ({exc.msg})") from exc
            example = _parse(raw, where)
            if example.text in seen:
                raise CorpusError(f"{where}: duplicate text")
            seen.add(example.text)
            examples.append(example)
    return examples


def stratified_split(
    examples: list[Example], test_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Hold out ``test_fraction`` of every (emotion, safety pattern) stratum, at least one each."""
    strata: dict[tuple[str, tuple[int, ...]], list[Example]] = defaultdict(list)
    for example in examples:
        strata[(example.emotion, example.safety)].append(example)
    rng = random.Random(seed)
    train: list[Example] = []
    test: list[Example] = []
    for key in sorted(strata):
        group = strata[key][:]
        rng.shuffle(group)
        n_test = round(len(group) * test_fraction) if len(group) > 1 else 0
        n_test = max(n_test, 1) if len(group) >= 4 else n_test
        test.extend(group[:n_test])
        train.extend(group[n_test:])
    return train, test
