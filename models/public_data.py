"""Public human-labelled training data, mapped onto Miyraa's heads.

Read from a folder outside the repository (``make train DATA_DIR=...``, default
``../shared/data``); see its README for sources and licences. Each source labels
only some heads; what a source does not label is masked out of the loss.

- GoEmotions (Reddit comments): ``label`` is the single Miyraa emotion the comment's
  labels map to (null when they map to none or to several) -> emotion.
- EmoBank (sentences): valence, arousal, dominance rescaled to 0..1 -> vad.
- OLID (tweets), mapped to the safety head:
  offensive (OFF) -> toxic; untargeted offence (UNT) -> profane, NOT -> not profane,
  a targeted insult (TIN) leaves profane unknown; targeted at an individual (IND) ->
  harassment, NOT/UNT/a group or other target -> not harassment; a non-offensive
  tweet (NOT) is not threatening, an offensive one leaves threatening unknown (OLID
  does not separate threats: the team corpus carries them).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import torch

from miyraa.labels import EMOTIONS, HEADS, SAFETY_CATEGORIES

UNKNOWN = -1.0


@dataclass
class Labelled:
    """Texts with targets per head; a row (or, for safety, a cell) of UNKNOWN is masked."""

    name: str
    texts: list[str] = field(default_factory=list)
    targets: dict[str, list[list[float]]] = field(default_factory=lambda: {h: [] for h in HEADS})

    def add(self, text: str, **known: list[float]) -> None:
        self.texts.append(text)
        for head, labels in HEADS.items():
            self.targets[head].append(known.get(head, [UNKNOWN] * len(labels)))

    def __len__(self) -> int:
        return len(self.texts)

    def tensors(self) -> dict[str, torch.Tensor]:
        return {head: torch.tensor(rows, dtype=torch.float32) for head, rows in self.targets.items()}


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def one_hot(label: str, labels: tuple[str, ...]) -> list[float]:
    return [1.0 if label == candidate else 0.0 for candidate in labels]


def goemotions(data_dir: Path, split: str, neutral_cap: int | None, seed: int) -> Labelled:
    """Single-label rows only; ``neutral_cap`` keeps neutral from drowning the rest."""
    rows = [r for r in _read(data_dir / f"goemotions_{split}.jsonl") if r.get("label") in EMOTIONS]
    if neutral_cap is not None:
        neutral = [r for r in rows if r["label"] == "neutral"]
        random.Random(seed).shuffle(neutral)
        rows = [r for r in rows if r["label"] != "neutral"] + neutral[:neutral_cap]
    out = Labelled(f"goemotions_{split}")
    for row in rows:
        out.add(str(row["text"]), emotion=one_hot(str(row["label"]), EMOTIONS))
    return out


def goemotions_calibration_split(
    data_dir: Path, fraction: float, neutral_cap: int | None, seed: int
) -> tuple[Labelled, Labelled]:
    """GoEmotions train in two: the training rows (neutral capped as in ``goemotions``) and a
    seeded ``fraction`` of each label with the natural label mix ("goemotions_calib")."""
    full = goemotions(data_dir, "train", None, seed)
    by_label: dict[int, list[int]] = {}
    for i, row in enumerate(full.targets["emotion"]):
        by_label.setdefault(row.index(1.0), []).append(i)
    rng = random.Random(seed + 2)
    carved: set[int] = set()
    for label in sorted(by_label):
        rng.shuffle(by_label[label])
        carved.update(by_label[label][: round(len(by_label[label]) * fraction)])
    neutral = EMOTIONS.index("neutral")
    kept_neutral = [i for i in by_label.get(neutral, []) if i not in carved]
    random.Random(seed).shuffle(kept_neutral)
    dropped = set(kept_neutral[neutral_cap:]) if neutral_cap is not None else set()
    train, calib = Labelled("goemotions_train"), Labelled("goemotions_calib")
    for i, text in enumerate(full.texts):
        if i in dropped:
            continue
        (calib if i in carved else train).add(text, emotion=full.targets["emotion"][i])
    return train, calib


def emobank(data_dir: Path, split: str) -> Labelled:
    out = Labelled(f"emobank_{split}")
    for row in _read(data_dir / "emobank_train_dev.jsonl"):
        if row["split"] == split:
            out.add(str(row["text"]), vad=[float(row["v"]), float(row["a"]), float(row["d"])])  # type: ignore[arg-type]
    return out


def olid_safety(row: dict[str, object]) -> list[float]:
    offensive = row["subtask_a"] == "OFF"
    target = row["subtask_b"]
    profane = 1.0 if target == "UNT" else (UNKNOWN if target == "TIN" else 0.0)
    harassment = 1.0 if (target == "TIN" and row["subtask_c"] == "IND") else 0.0
    by_category = {
        "toxic": float(offensive),
        "profane": profane,
        "threatening": UNKNOWN if offensive else 0.0,
        "harassment": harassment,
    }
    return [by_category[c] for c in SAFETY_CATEGORIES]


def olid(data_dir: Path, held_out_fraction: float, seed: int) -> tuple[Labelled, Labelled]:
    """OLID train split in two: a stratified held-out part (by subtask_a) for evaluation."""
    rows = _read(data_dir / "olid_train.jsonl")
    rng = random.Random(seed)
    train, held_out = Labelled("olid_train"), Labelled("olid_heldout")
    for label in ("NOT", "OFF"):
        group = [r for r in rows if r["subtask_a"] == label]
        rng.shuffle(group)
        cut = round(len(group) * held_out_fraction)
        for i, row in enumerate(group):
            (held_out if i < cut else train).add(str(row["text"]), safety=olid_safety(row))
    return train, held_out
