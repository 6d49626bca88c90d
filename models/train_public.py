"""Train the shipped model: team corpus + public human-labelled data (``make train``).

    python -m models.train_public --data-dir ../shared/data          # train, report, write
    python -m models.train_public --data-dir ../shared/data --dry-run # train and report only

1. fine-tune the backbone's layers on balanced draws from every source at once, early
   stopping on the dev splits' loss (``models.finetune``);
2. embed every text with the tuned backbone (pooled layers, as served); public texts
   pass through the service's PII scrubber first, as they would in service (OLID's
   "@USER" becomes "[HANDLE]", a placeholder the team corpus also uses);
3. fit the linear heads (``models.train.fit_heads``), team rows weighted up; then, on
   calibration splits neither step trained on (the fine-tuning's early stopping reads
   their loss): temperatures for the safety heads and the default
   threshold (``models.calibration``), and a prior correction of the emotion head that
   recovers accuracy on GoEmotions' natural label mix without giving up macro-F1;
4. score on data never trained on: GoEmotions dev (rows with one mapped label),
   EmoBank dev, a stratified held-out part of OLID train, the team corpus's split;
5. write the tuned layers, the heads and their metrics to ``models/weights/`` and the
   model card to ``models/MODEL_CARD.md``. ``make model`` builds from those files.

Deterministic from ``--seed``; intermediate results are cached under build/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from miyraa.pii import scrub
from models import calibration as cal
from models import model_card
from models import public_data as pd
from models.artifacts import WEIGHTS_DIR, write_weights
from models.corpus import corpus_files, corpus_hash, load_corpus, stratified_split
from models.finetune import FinetuneConfig, finetune, load_tuned, round_to_half
from models.network import Encoder, MultiTaskHeads, activate
from models.train import TrainConfig, default_encoder, embed_texts, evaluate, fit_heads, team_labelled

logger = logging.getLogger("models.train_public")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
CACHE_DIR = ROOT / "build"
# Targets on the public dev splits (issue 6).
DEV_TARGETS = {
    "goemotions_dev.emotion_macro_f1": 0.45,
    "emobank_dev.valence_r": 0.65,
    "emobank_dev.arousal_r": 0.45,
    "olid_heldout.toxic_roc_auc": 0.85,
}
# Issue 13's targets: reported on the card, not enforced (the floor above is).
STRETCH_TARGETS = {
    "goemotions_dev.emotion_macro_f1": 0.52,
    "goemotions_dev.emotion_accuracy": 0.62,
    "emobank_dev.valence_r": 0.75,
    "emobank_dev.arousal_r": 0.52,
    "olid_heldout.toxic_roc_auc": 0.90,
    "olid_heldout.offensive_macro_f1_at_threshold": 0.80,
}

TRAIN_SETS = ("team_train", "goemotions_train", "emobank_train", "olid_train")
CALIBRATION_SETS = ("olid_calib", "team_calib")  # not trained on; early stopping reads them
# Early stopping of the fine-tuning reads the loss on these (the emotion and VAD dev splits,
# OLID's and the team's calibration splits); none is trained on, but the first two are
# also reported, so an epoch chosen here makes their figures selected ones (the model card
# says so). A split carved from the training sets would be cleaner: models/README.md.
FINETUNE_DEV_SETS = ("goemotions_dev", "emobank_dev", "olid_calib", "team_calib")
ECE_SETS = ("olid_heldout", "team_test")
EVAL_SETS = ("goemotions_dev", "emobank_dev", "olid_heldout", "team_test")

# Recorded with the model; the model-quality test checks a build reproduces them.
REFERENCE_TEXTS = (
    "I can't stop smiling, we got the apartment!",
    "My grandmother passed away last night and I keep crying.",
    "Wait, the meeting was moved to today?? Nobody told me.",
    "Honestly this is the worst service I've ever had, fix it now.",
    "I'm going to find you and hurt you.",
    "Please send the invoice to [EMAIL] before Friday.",
    "The train leaves at 9:40 from platform 2.",
    "What the hell is this shit, lol",
)


@dataclass(frozen=True)
class PublicConfig:
    seed: int = 0
    neutral_cap: int = 4000  # GoEmotions neutral rows kept (of 12,814)
    # Per head: the weight of a team-corpus row against a public row, and the L2 penalty
    # on standardised features; chosen on the dev splits (models/README.md).
    team_weight: tuple[tuple[str, float], ...] = (
        ("emotion", 10.0),
        ("vad", 0.2),
        ("safety", 1.0),
        ("style", 1.0),
        ("intent", 1.0),
    )
    l2: tuple[tuple[str, float | tuple[float, ...]], ...] = (
        ("emotion", 0.05),
        ("vad", 0.003),
        ("safety", 0.01),
        ("style", 0.1),
        ("intent", 0.1),
    )
    olid_held_out: float = 0.2
    calibration_fraction: float = 0.1  # of OLID train and of the team train split (models/calibration.py)
    calibrate: bool = True
    balance_emotions: bool = True  # weigh emotion rows by inverse class frequency
    # A safety positive weighs at most this many negatives: with OLID's thousands of
    # non-offensive tweets as negatives, 10 made the 60 team threats flag "I will call
    # you tomorrow" (models/README.md).
    safety_pos_weight_cap: float = 1.0
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)


@dataclass
class Trained:
    tuned: dict[str, torch.Tensor]  # float16 weights of the tuned backbone layers
    heads: MultiTaskHeads
    report: dict[str, Any]


def load_sets(data_dir: Path, config: PublicConfig) -> dict[str, pd.Labelled]:
    team_train, team_test = stratified_split(load_corpus(), TrainConfig().test_fraction, config.seed)
    team_train, team_calib = stratified_split(team_train, config.calibration_fraction, config.seed + 1)
    goemotions_train, goemotions_calib = pd.goemotions_calibration_split(
        data_dir, config.calibration_fraction, config.neutral_cap, config.seed
    )
    sets = {
        "team_train": team_labelled("team_train", team_train),
        "team_test": team_labelled("team_test", team_test),
        "team_calib": team_labelled("team_calib", team_calib),
    }
    olid_train, olid_held_out = pd.olid(data_dir, config.olid_held_out, config.seed)
    olid_train, olid_calib = carve(olid_train, config.calibration_fraction, config.seed + 1, "olid_calib")
    sets.update(
        goemotions_train=goemotions_train,
        goemotions_calib=goemotions_calib,
        goemotions_dev=pd.goemotions(data_dir, "dev", None, config.seed),
        emobank_train=pd.emobank(data_dir, "train"),
        emobank_dev=pd.emobank(data_dir, "dev"),
        olid_train=olid_train,
        olid_heldout=olid_held_out,
        olid_calib=olid_calib,
    )
    for name in sets:  # what the model reads in service: OLID's "@USER" becomes "[HANDLE]"
        if not name.startswith("team_"):  # the team corpus is written with placeholders
            sets[name].texts = [scrub(text).text for text in sets[name].texts]
    return sets


def carve(data: pd.Labelled, fraction: float, seed: int, name: str) -> tuple[pd.Labelled, pd.Labelled]:
    """``data`` in two: the rest, and a seeded ``fraction`` of each safety pattern (``name``)."""
    by_pattern: dict[str, list[int]] = {}
    for i, row in enumerate(data.targets["safety"]):
        by_pattern.setdefault(json.dumps(row), []).append(i)
    rng = random.Random(seed)
    carved: set[int] = set()
    for key in sorted(by_pattern):
        indices = by_pattern[key][:]
        rng.shuffle(indices)
        carved.update(indices[: round(len(indices) * fraction)])
    rest, part = pd.Labelled(data.name), pd.Labelled(name)
    for i, text in enumerate(data.texts):
        into = part if i in carved else rest
        into.texts.append(text)
        for head, labels in data.targets.items():
            into.targets[head].append(labels[i])
    return rest, part


def digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def tuned_layers(
    encoder: Encoder, sets: dict[str, pd.Labelled], config: FinetuneConfig, cached: list[str]
) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    """Fine-tuned layers in float16 and the per-epoch history, cached under build/ by the
    config and the data."""
    sources = {name: sets[name] for name in TRAIN_SETS}
    dev = {name: sets[name] for name in FINETUNE_DEV_SETS}
    key = digest(asdict(config), *((n, s.texts, s.targets) for n, s in {**sources, **dev}.items()))
    path = CACHE_DIR / "finetune" / f"{key}.safetensors"
    history_path = path.with_suffix(".json")
    if path.exists() and history_path.exists():
        logger.info("fine-tuned layers from cache %s", path.relative_to(ROOT))
        cached.append("finetune")
        history: list[dict[str, Any]] = json.loads(history_path.read_text())
        return load_file(path), history
    result = finetune(encoder, sources, dev, config)
    tuned = round_to_half(result.state)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tuned, path)
    history_path.write_text(json.dumps(result.history, indent=1))
    return tuned, result.history


def cached_features(encoder: Encoder, texts: list[str], weights_key: str, cached: list[str]) -> torch.Tensor:
    """Features of ``texts``, cached under build/ by the backbone weights, pooling and texts."""
    path = CACHE_DIR / "features" / f"{digest(weights_key, encoder.pooling_layers, texts)}.pt"
    if path.exists():
        if "embed" not in cached:
            cached.append("embed")
        features: torch.Tensor = torch.load(path)  # written below by torch.save
        return features
    features = embed_texts(encoder, texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(features, path)
    return features


def row_weights(
    sets: dict[str, pd.Labelled], y: dict[str, torch.Tensor], config: PublicConfig
) -> dict[str, torch.Tensor]:
    """Per head: team rows weighted up or down; emotion rows by inverse class frequency."""
    weights = {
        head: torch.cat(
            [torch.full((len(sets[name]),), team if name == "team_train" else 1.0) for name in TRAIN_SETS]
        )
        for head, team in config.team_weight
    }
    if config.balance_emotions:
        known = y["emotion"][:, 0] != pd.UNKNOWN
        counts = y["emotion"][known].sum(0)
        per_class = counts.sum() / (len(counts) * counts.clamp(min=1))
        weights["emotion"][known] *= (y["emotion"][known] * per_class).sum(1)
    return weights


def train_public(data_dir: Path, config: PublicConfig) -> Trained:
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    sets = load_sets(data_dir, config)
    encoder = default_encoder()
    started = time.perf_counter()
    cached: list[str] = []  # stages read from build/ instead of computed in this run
    tuned, history = tuned_layers(encoder, sets, config.finetune, cached)
    load_tuned(encoder, tuned)
    tuned_at = time.perf_counter()
    weights_key = digest({k: hashlib.sha256(v.numpy().tobytes()).hexdigest() for k, v in tuned.items()})
    features = {name: cached_features(encoder, s.texts, weights_key, cached) for name, s in sets.items()}
    embedded = time.perf_counter()
    targets = {name: s.tensors() for name, s in sets.items()}
    x = torch.cat([features[name] for name in TRAIN_SETS])
    y = {h: torch.cat([targets[name][h] for name in TRAIN_SETS]) for h in targets["team_train"]}
    heads = fit_heads(
        x,
        y,
        TrainConfig(seed=config.seed, l2=config.l2, pos_weight_cap=config.safety_pos_weight_cap),
        row_weights(sets, y, config),
    )
    calibration = calibrate(heads, features, targets) if config.calibrate else {}
    if config.calibrate:
        calibration["emotion_prior"] = cal.correct_emotion_prior(
            heads, features["goemotions_calib"], targets["goemotions_calib"]["emotion"]
        )
    fitted = time.perf_counter()
    metrics = {name: evaluate(heads, features[name], targets[name]) for name in EVAL_SETS}
    threshold = float(calibration.get("threshold", 0.5))
    metrics["olid_heldout"]["offensive_macro_f1_at_threshold"] = cal.offensive_macro_f1(
        heads, features["olid_heldout"], targets["olid_heldout"]["safety"], [threshold]
    )[threshold]
    report = {
        "config": asdict(config),
        "data_dir_files": sorted(p.name for p in data_dir.glob("*.jsonl")),
        "corpus_sha256": corpus_hash(corpus_files()),
        "sizes": {name: len(s) for name, s in sets.items()},
        "seconds": {
            "finetune": round(tuned_at - started, 1),
            "embed": round(embedded - tuned_at, 1),
            "fit": round(fitted - embedded, 1),
        },
        "cached_stages": cached,
        "finetune_history": history,
        "calibration": calibration,
        "dev_metrics": metrics,
        "dev_targets": DEV_TARGETS,
        "dev_target_values": (values := dev_target_values(metrics)),
        "dev_targets_met": {name: values[name] >= target for name, target in DEV_TARGETS.items()},
        "stretch_targets": STRETCH_TARGETS,
        "stretch_targets_met": {name: values[name] >= target for name, target in STRETCH_TARGETS.items()},
        "reference_predictions": reference_predictions(encoder, heads),
    }
    return Trained(tuned, heads, report)


def calibrate(
    heads: MultiTaskHeads, features: dict[str, torch.Tensor], targets: dict[str, dict[str, torch.Tensor]]
) -> dict[str, Any]:
    """Temperatures per safety category, fitted on the calibration splits and folded into the
    heads; the threshold chosen there; calibration errors on the evaluation splits."""
    x = torch.cat([features[name] for name in CALIBRATION_SETS])
    safety = torch.cat([targets[name]["safety"] for name in CALIBRATION_SETS])
    before = {
        name: cal.calibration_report(heads, features[name], targets[name]["safety"]) for name in ECE_SETS
    }
    temperatures = cal.fit_temperatures(heads, x, safety)
    cal.fold_temperatures(heads, temperatures)
    return {
        "temperatures": temperatures,
        **cal.choose_threshold(
            heads,
            features["olid_calib"],
            targets["olid_calib"]["safety"],
            features["team_calib"],
            targets["team_calib"]["safety"],
        ),
        "ece_before": before,
        "ece": {
            name: cal.calibration_report(heads, features[name], targets[name]["safety"]) for name in ECE_SETS
        },
    }


def reference_predictions(encoder: Encoder, heads: MultiTaskHeads) -> list[dict[str, Any]]:
    with torch.inference_mode():
        probs = activate(heads(encoder.embed(list(REFERENCE_TEXTS))))
    return [
        {"text": text, **{head: [round(float(p), 6) for p in probs[head][i]] for head in probs}}
        for i, text in enumerate(REFERENCE_TEXTS)
    ]


def dev_target_values(metrics: dict[str, Any]) -> dict[str, float]:
    return {
        "goemotions_dev.emotion_macro_f1": metrics["goemotions_dev"]["emotion_macro_f1"],
        "emobank_dev.valence_r": metrics["emobank_dev"]["vad_pearson_r"]["valence"],
        "emobank_dev.arousal_r": metrics["emobank_dev"]["vad_pearson_r"]["arousal"],
        "olid_heldout.toxic_roc_auc": metrics["olid_heldout"]["safety_roc_auc"]["toxic"],
        "goemotions_dev.emotion_accuracy": metrics["goemotions_dev"]["emotion_accuracy"],
    } | (  # measured by training only (it needs the chosen threshold)
        {"olid_heldout.offensive_macro_f1_at_threshold": at_threshold}
        if (at_threshold := metrics["olid_heldout"].get("offensive_macro_f1_at_threshold")) is not None
        else {}
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=PublicConfig.seed)
    parser.add_argument("--neutral-cap", type=int, default=PublicConfig.neutral_cap)
    parser.add_argument("--no-balance", action="store_true", help="no inverse-frequency emotion weights")
    parser.add_argument("--layers", type=int, default=FinetuneConfig.layers, help="top backbone layers tuned")
    parser.add_argument(
        "--epochs", type=int, default=FinetuneConfig.epochs, help="fine-tuning epochs, at most"
    )
    parser.add_argument(
        "--rows-per-source",
        type=int,
        default=FinetuneConfig.rows_per_source,
        help="rows drawn from each source per fine-tuning epoch",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help=f"report only; leave {WEIGHTS_DIR.name}/ alone"
    )
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        logger.error("no training data at %s (set DATA_DIR)", args.data_dir)
        return 2
    config = PublicConfig(
        seed=args.seed,
        neutral_cap=args.neutral_cap,
        balance_emotions=not args.no_balance,
        finetune=FinetuneConfig(
            layers=args.layers, epochs=args.epochs, rows_per_source=args.rows_per_source, seed=args.seed
        ),
    )
    trained = train_public(args.data_dir, config)
    print(json.dumps({k: v for k, v in trained.report.items() if k != "reference_predictions"}, indent=2))  # noqa: T201
    if not args.dry_run:
        write_weights(trained.tuned, trained.heads, trained.report)
        model_card.write(trained.report)
        logger.info("wrote %s/ and models/MODEL_CARD.md", WEIGHTS_DIR.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
