"""Heads from the team corpus plus public human-labelled data, scored on their dev splits.

    python -m models.train_public --data-dir ../shared/data

Work in progress (issue 6): this trains and reports; it does not yet write heads
for serving (``make model`` still trains on the team corpus alone). Deterministic
from ``--seed``; features are cached under build/features.

Evaluated on data never trained on: GoEmotions dev (rows with one mapped label),
EmoBank dev, a stratified held-out part of OLID train, and the team corpus's own
held-out split (the same split as ``models.train``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from models import public_data as pd
from models.corpus import corpus_files, corpus_hash, load_corpus, stratified_split
from models.network import (
    Encoder,
    MultiTaskHeads,
)
from models.train import TrainConfig, default_encoder, embed_texts, evaluate, fit_heads, team_labelled

logger = logging.getLogger("models.train_public")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
CACHE_DIR = ROOT / "build" / "features"
# Targets on the public dev splits (issue 6).
DEV_TARGETS = {
    "goemotions_dev.emotion_macro_f1": 0.45,
    "emobank_dev.valence_r": 0.65,
    "emobank_dev.arousal_r": 0.45,
    "olid_heldout.toxic_roc_auc": 0.85,
}

TRAIN_SETS = ("team_train", "goemotions_train", "emobank_train", "olid_train")
EVAL_SETS = ("goemotions_dev", "emobank_dev", "olid_heldout", "team_test")


@dataclass(frozen=True)
class PublicConfig:
    seed: int = 0
    neutral_cap: int = 4000  # GoEmotions neutral rows kept (of 12,814)
    team_weight: float = 5.0  # weight of a team-corpus row against a public row
    olid_held_out: float = 0.2
    balance_emotions: bool = True  # weigh emotion rows by inverse class frequency


def cached_features(encoder: Encoder, texts: list[str]) -> torch.Tensor:
    """Features of ``texts``, cached under build/ by a hash of the texts and the pooling."""
    key = hashlib.sha256(json.dumps([encoder.pooling_layers, texts]).encode()).hexdigest()[:20]
    path = CACHE_DIR / f"{key}.pt"
    if path.exists():
        return torch.load(path)
    features = embed_texts(encoder, texts)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    torch.save(features, path)
    return features


def load_sets(data_dir: Path, config: PublicConfig) -> dict[str, pd.Labelled]:
    team_train, team_test = stratified_split(load_corpus(), TrainConfig().test_fraction, config.seed)
    sets = {
        "team_train": team_labelled("team_train", team_train),
        "team_test": team_labelled("team_test", team_test),
    }
    olid_train, olid_held_out = pd.olid(data_dir, config.olid_held_out, config.seed)
    sets.update(
        goemotions_train=pd.goemotions(data_dir, "train", config.neutral_cap, config.seed),
        goemotions_dev=pd.goemotions(data_dir, "dev", None, config.seed),
        emobank_train=pd.emobank(data_dir, "train"),
        emobank_dev=pd.emobank(data_dir, "dev"),
        olid_train=olid_train,
        olid_heldout=olid_held_out,
    )
    return sets


def row_weights(
    sets: dict[str, pd.Labelled], y: dict[str, torch.Tensor], config: PublicConfig
) -> torch.Tensor:
    weight = torch.cat(
        [
            torch.full((len(sets[name]),), config.team_weight if name == "team_train" else 1.0)
            for name in TRAIN_SETS
        ]
    )
    if config.balance_emotions:
        known = y["emotion"][:, 0] != pd.UNKNOWN
        counts = y["emotion"][known].sum(0)
        per_class = counts.sum() / (len(counts) * counts.clamp(min=1))
        weight[known] *= (y["emotion"][known] * per_class).sum(1)
    return weight


def train_public(data_dir: Path, config: PublicConfig) -> tuple[MultiTaskHeads, dict[str, Any]]:
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    sets = load_sets(data_dir, config)
    encoder = default_encoder()
    started = time.perf_counter()
    features = {name: cached_features(encoder, s.texts) for name, s in sets.items()}
    embedded = time.perf_counter()
    x = torch.cat([features[name] for name in TRAIN_SETS])
    y = {h: torch.cat([sets[name].tensors()[h] for name in TRAIN_SETS]) for h in sets["team_train"].targets}
    heads = fit_heads(x, y, TrainConfig(seed=config.seed), row_weights(sets, y, config))
    fitted = time.perf_counter()
    report = {
        "config": asdict(config),
        "sizes": {name: len(s) for name, s in sets.items()},
        "seconds": {"embed": round(embedded - started, 1), "fit": round(fitted - embedded, 1)},
        "metrics": {name: evaluate(heads, features[name], sets[name].tensors()) for name in EVAL_SETS},
    }
    report["targets_met"] = dev_targets_met(report["metrics"])
    return heads, report


def dev_targets_met(metrics: dict[str, Any]) -> dict[str, bool]:
    values = {
        "goemotions_dev.emotion_macro_f1": metrics["goemotions_dev"]["emotion_macro_f1"],
        "emobank_dev.valence_r": metrics["emobank_dev"]["vad_pearson_r"]["valence"],
        "emobank_dev.arousal_r": metrics["emobank_dev"]["vad_pearson_r"]["arousal"],
        "olid_heldout.toxic_roc_auc": metrics["olid_heldout"]["safety_roc_auc"]["toxic"],
    }
    return {name: values[name] >= target for name, target in DEV_TARGETS.items()}


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=PublicConfig.seed)
    parser.add_argument("--team-weight", type=float, default=PublicConfig.team_weight)
    parser.add_argument("--neutral-cap", type=int, default=PublicConfig.neutral_cap)
    parser.add_argument("--no-balance", action="store_true", help="no inverse-frequency emotion weights")
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        logger.error("no training data at %s (set DATA_DIR)", args.data_dir)
        return 2
    config = PublicConfig(
        seed=args.seed,
        team_weight=args.team_weight,
        neutral_cap=args.neutral_cap,
        balance_emotions=not args.no_balance,
    )
    _, report = train_public(args.data_dir, config)
    report["corpus_sha256"] = corpus_hash(corpus_files())
    print(json.dumps(report, indent=2))  # noqa: T201 - a CLI report
    return 0


if __name__ == "__main__":
    sys.exit(main())
