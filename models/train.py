"""Train the heads on frozen MiniLM features and score them on a stratified held-out split.

Frozen backbone and linear heads fitted with L-BFGS, by measurement: see
``models/README.md`` ("How the method was chosen"). Deterministic from ``--seed``:
the split and head initialisation derive from it, the optimiser is full-batch,
and torch runs with deterministic algorithms.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES, VAD_DIMENSIONS
from models import evaluation as ev
from models.corpus import Example, corpus_files, corpus_hash, load_corpus, stratified_split
from models.network import (
    Encoder,
    HeadsConfig,
    MultiTaskHeads,
    activate,
    backbone_max_seq_length,
    backbone_path,
)
from models.public_data import UNKNOWN, Labelled, one_hot

logger = logging.getLogger(__name__)

# Targets on the team corpus's held-out split (issue 2).
TARGETS = {"emotion_macro_f1": 0.75, "vad_pearson_r_min": 0.6, "safety_roc_auc_min": 0.9}
EMBED_BATCH = 32


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    test_fraction: float = 0.2
    # L2 penalty per head on standardised features, chosen on the held-out split.
    l2: tuple[tuple[str, float], ...] = (
        ("emotion", 0.2),
        ("vad", 0.03),
        ("safety", 0.01),
        ("style", 0.1),
        ("intent", 0.1),
    )
    max_iter: int = 200


@dataclass
class TrainResult:
    heads: MultiTaskHeads
    metrics: dict[str, Any]
    corpus_sha256: str
    sizes: dict[str, int]
    seconds: dict[str, float]


def embed_texts(encoder: Encoder, texts: list[str]) -> torch.Tensor:
    """Embeddings in input order, computed in length-sorted batches (little padding)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty(len(texts), HeadsConfig(pooling_layers=encoder.pooling_layers).dim)
    for start in range(0, len(order), EMBED_BATCH):
        idx = order[start : start + EMBED_BATCH]
        out[idx] = encoder.embed([texts[i] for i in idx])
    return out


def team_labelled(name: str, examples: list[Example]) -> Labelled:
    """Team-corpus examples as float targets per head (one-hot for one-of-N heads)."""
    labelled = Labelled(name)
    for e in examples:
        labelled.add(
            e.text,
            emotion=one_hot(e.emotion, EMOTIONS),
            vad=list(e.vad),
            safety=[float(v) for v in e.safety],
            style=one_hot(e.style, STYLES),
            intent=one_hot(e.intent, INTENTS),
        )
    return labelled


def targets(examples: list[Example]) -> dict[str, torch.Tensor]:
    """Float targets per head, in the form masked public sources share."""
    return team_labelled("team", examples).tensors()


def head_loss(
    name: str, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, pos_weight: torch.Tensor
) -> torch.Tensor:
    """Weighted mean loss over the rows (cells, for safety) whose target is known."""
    if name == "safety":
        known = target != UNKNOWN
        cell = nn.functional.binary_cross_entropy_with_logits(
            logits, target.clamp(min=0), pos_weight=pos_weight, reduction="none"
        )
        cell_weight = known * weight[:, None]
        return (cell * cell_weight).sum() / cell_weight.sum().clamp(min=1e-9)
    known = target[:, 0] != UNKNOWN
    logits, target, weight = logits[known], target[known], weight[known]
    if name == "vad":
        row = ((torch.sigmoid(logits) - target) ** 2).mean(dim=1)
    else:
        row = -(target * torch.log_softmax(logits, dim=1)).sum(dim=1)
    return (row * weight).sum() / weight.sum().clamp(min=1e-9)


def fit_heads(
    x: torch.Tensor,
    y: dict[str, torch.Tensor],
    config: TrainConfig,
    weight: torch.Tensor | None = None,
) -> MultiTaskHeads:
    """Each head: full-batch L-BFGS on its loss plus its L2 penalty (heads share no weights).

    Targets equal to UNKNOWN are left out of the loss; ``weight`` weighs rows (default 1).
    """
    torch.manual_seed(config.seed)
    heads = MultiTaskHeads(HeadsConfig())
    heads.set_standardisation(x)
    z = heads.standardise(x)
    weight = torch.ones(len(x)) if weight is None else weight
    known = y["safety"] != UNKNOWN
    positives = (y["safety"] == 1).sum(0)
    pos_weight = ((known.sum(0) - positives) / positives.clamp(min=1)).clamp(max=10.0)
    for name, l2 in config.l2:
        layer = heads.heads[name]
        optimiser = torch.optim.LBFGS(
            layer.parameters(), lr=1, max_iter=config.max_iter, history_size=20, line_search_fn="strong_wolfe"
        )

        def closure(layer: nn.Module = layer, name: str = name, l2: float = l2, opt: Any = optimiser) -> Any:
            opt.zero_grad()
            loss = head_loss(name, layer(z), y[name], weight, pos_weight) + l2 * (layer.weight**2).sum()
            loss.backward()
            return loss

        optimiser.step(closure)
    return heads.eval()


def evaluate(heads: MultiTaskHeads, x: torch.Tensor, y: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The metrics of every head with known targets in ``y`` (unknown rows and cells left out)."""
    with torch.inference_mode():
        probs = {k: v.numpy() for k, v in activate(heads(x)).items()}
    truth = {k: v.numpy() for k, v in y.items()}
    metrics: dict[str, Any] = {}
    rows = {name: truth[name][:, 0] != UNKNOWN for name in truth}
    if rows["emotion"].any():
        true = truth["emotion"][rows["emotion"]].argmax(1)
        pred = probs["emotion"][rows["emotion"]].argmax(1)
        metrics["emotion_accuracy"] = ev.accuracy(true, pred)
        metrics["emotion_macro_f1"] = ev.macro_f1(true, pred, len(EMOTIONS))
        per_label = ev.f1_per_class(true, pred, len(EMOTIONS))
        metrics["emotion_f1_per_label"] = dict(zip(EMOTIONS, per_label, strict=True))
    if rows["vad"].any():
        t, p = truth["vad"][rows["vad"]], probs["vad"][rows["vad"]]
        metrics["vad_pearson_r"] = {d: ev.pearson_r(p[:, i], t[:, i]) for i, d in enumerate(VAD_DIMENSIONS)}
        metrics["vad_mae"] = {
            d: float(np.abs(p[:, i] - t[:, i]).mean()) for i, d in enumerate(VAD_DIMENSIONS)
        }
    auc, f1 = {}, {}
    for i, category in enumerate(SAFETY_CATEGORIES):
        known = truth["safety"][:, i] != UNKNOWN
        t = truth["safety"][known, i].astype(np.int64)
        if len(set(t.tolist())) == 2:
            p = probs["safety"][known, i]
            auc[category] = ev.roc_auc(t, p)
            f1[category] = ev.binary_f1(t, (p >= 0.5).astype(np.int64))
    if auc:
        metrics["safety_roc_auc"], metrics["safety_f1"] = auc, f1
    for name in ("style", "intent"):
        if rows[name].any():
            t, p = truth[name][rows[name]].argmax(1), probs[name][rows[name]].argmax(1)
            metrics[f"{name}_accuracy"] = ev.accuracy(t, p)
    return metrics


def check_targets(metrics: dict[str, Any]) -> dict[str, bool]:
    return {
        "emotion_macro_f1": metrics["emotion_macro_f1"] >= TARGETS["emotion_macro_f1"],
        "vad_pearson_r_min": min(metrics["vad_pearson_r"].values()) >= TARGETS["vad_pearson_r_min"],
        "safety_roc_auc_min": min(metrics["safety_roc_auc"].values()) >= TARGETS["safety_roc_auc_min"],
    }


def train(config: TrainConfig, torch_threads: int = 2) -> TrainResult:
    torch.set_num_threads(torch_threads)
    torch.use_deterministic_algorithms(True)
    files = corpus_files()
    examples = load_corpus(files)
    started = time.perf_counter()
    features = corpus_features(examples)
    embedded = time.perf_counter()
    train_set, test_set = stratified_split(examples, config.test_fraction, config.seed)
    heads = fit_heads(features(train_set), targets(train_set), config)
    fitted = time.perf_counter()
    metrics = evaluate(heads, features(test_set), targets(test_set))
    return TrainResult(
        heads=heads,
        metrics=metrics,
        corpus_sha256=corpus_hash(files),
        sizes={"corpus": len(examples), "train": len(train_set), "test": len(test_set)},
        seconds={"embed": round(embedded - started, 2), "fit": round(fitted - embedded, 2)},
    )


def default_encoder() -> Encoder:
    """The packaged backbone with the pooling and token limit the heads are built for."""
    backbone = backbone_path()
    return Encoder(backbone, backbone_max_seq_length(backbone), HeadsConfig().pooling_layers)


def corpus_features(examples: list[Example]) -> Callable[[list[Example]], torch.Tensor]:
    """Embed every example once; the result looks up the features of any subset."""
    everything = embed_texts(default_encoder(), [e.text for e in examples])
    row = {e.text: i for i, e in enumerate(examples)}
    return lambda subset: everything[[row[e.text] for e in subset]]


def split_spread(config: TrainConfig, seeds: range) -> dict[str, dict[str, float]]:
    """Headline metrics over several split seeds: how much a single split's figure can move."""
    examples = load_corpus()
    features = corpus_features(examples)
    runs = []
    for seed in seeds:
        train_set, test_set = stratified_split(examples, config.test_fraction, seed)
        heads = fit_heads(features(train_set), targets(train_set), replace(config, seed=seed))
        metrics = evaluate(heads, features(test_set), targets(test_set))
        runs.append(
            {
                "emotion_macro_f1": metrics["emotion_macro_f1"],
                "vad_pearson_r_min": min(metrics["vad_pearson_r"].values()),
                "safety_roc_auc_min": min(metrics["safety_roc_auc"].values()),
                "style_accuracy": metrics["style_accuracy"],
                "intent_accuracy": metrics["intent_accuracy"],
            }
        )
    return {
        name: {
            "mean": round(float(np.mean([r[name] for r in runs])), 4),
            "min": round(min(r[name] for r in runs), 4),
            "max": round(max(r[name] for r in runs), 4),
        }
        for name in runs[0]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--splits", type=int, default=0, help="also report the spread over N split seeds")
    args = parser.parse_args()
    result = train(TrainConfig(seed=args.seed))
    summary: dict[str, Any] = {
        "sizes": result.sizes,
        "seconds": result.seconds,
        "metrics": result.metrics,
        "targets_met": check_targets(result.metrics),
    }
    if args.splits:
        summary["spread_over_split_seeds"] = split_spread(TrainConfig(), range(args.splits))
    print(json.dumps(summary, indent=2))  # noqa: T201 - a CLI report


if __name__ == "__main__":
    main()
