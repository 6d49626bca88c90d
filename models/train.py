"""Fit the linear heads on pooled backbone features, and score them.

Linear heads fitted with full-batch L-BFGS on standardised features, by measurement:
see ``models/README.md`` ("How the method was chosen"). Deterministic: the head
initialisation derives from the seed and torch runs with deterministic algorithms.
Used by ``models.train_public`` (``make train``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES, VAD_DIMENSIONS
from models import evaluation as ev
from models.corpus import Example
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

EMBED_BATCH = 32


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    test_fraction: float = 0.2
    # L2 penalty per head on standardised features (or one per output of the head).
    l2: tuple[tuple[str, float | tuple[float, ...]], ...] = (
        ("emotion", 0.2),
        ("vad", 0.03),
        ("safety", 0.01),
        ("style", 0.1),
        ("intent", 0.1),
    )
    max_iter: int = 200
    # Safety positives are rare: each weighs (negatives / positives) negatives, at most this.
    pos_weight_cap: float = 10.0


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


def safety_pos_weight(safety: torch.Tensor, cap: float) -> torch.Tensor:
    """Per safety category: known negatives per positive, at most ``cap`` (positives are rare)."""
    known = safety != UNKNOWN
    positives = (safety == 1).sum(0)
    return ((known.sum(0) - positives) / positives.clamp(min=1)).clamp(max=cap)


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
    weight: dict[str, torch.Tensor] | None = None,
) -> MultiTaskHeads:
    """Each head: full-batch L-BFGS on its loss plus its L2 penalty (heads share no weights).

    Targets equal to UNKNOWN are left out of the loss; ``weight[head]`` weighs rows (default 1).
    """
    torch.manual_seed(config.seed)
    heads = MultiTaskHeads(HeadsConfig())
    heads.set_standardisation(x)
    z = heads.standardise(x)
    weight = weight or {}
    pos_weight = safety_pos_weight(y["safety"], config.pos_weight_cap)
    for name, l2 in config.l2:
        layer = heads.heads[name]
        assert isinstance(layer, nn.Linear)  # every head is one linear layer (MultiTaskHeads)
        rows = weight.get(name, torch.ones(len(x)))
        optimiser = torch.optim.LBFGS(
            layer.parameters(), lr=1, max_iter=config.max_iter, history_size=20, line_search_fn="strong_wolfe"
        )

        # One penalty for the whole head, or one per output (a row of the weight matrix).
        penalty = torch.as_tensor(l2, dtype=torch.float32).reshape(-1, 1)

        def closure(
            layer: nn.Linear = layer,
            name: str = name,
            rows: torch.Tensor = rows,
            penalty: torch.Tensor = penalty,
            opt: torch.optim.LBFGS = optimiser,
        ) -> torch.Tensor:
            opt.zero_grad()
            loss = head_loss(name, layer(z), y[name], rows, pos_weight) + (penalty * layer.weight**2).sum()
            loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
            return loss

        optimiser.step(closure)  # type: ignore[no-untyped-call]  # torch leaves LBFGS.step unannotated
    return heads.eval()


def evaluate(heads: MultiTaskHeads, x: torch.Tensor, y: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The metrics of every head with known targets in ``y`` (unknown rows and cells left out)."""
    with torch.inference_mode():
        probs = {k: v.numpy() for k, v in activate(heads(x)).items()}
    return score(probs, {k: v.numpy() for k, v in y.items()})


def score(probs: dict[str, np.ndarray], truth: dict[str, np.ndarray]) -> dict[str, Any]:
    """``evaluate`` on predicted probabilities: any backend's, numpy in."""
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


def default_encoder() -> Encoder:
    """The packaged backbone with the pooling and token limit the heads are built for."""
    backbone = backbone_path()
    return Encoder(backbone, backbone_max_seq_length(backbone), HeadsConfig().pooling_layers)
