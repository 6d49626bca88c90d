"""Safety probabilities that mean what they say, and the threshold that flags them.

After the heads are fitted (``models.train_public``), each safety category gets a
temperature ``T`` fitted on a calibration split that neither the fine-tuning nor the
heads saw (part of OLID's train split and of the team corpus's train split): the
category's logit is divided by ``T``, chosen on a grid to minimise the log loss of the
known cells. ``T`` is folded into the category's row of the linear head (weights and bias
divided by ``T``), so the served graph is unchanged in shape and calibrated as it stands.

The default SAFETY_THRESHOLD is then chosen on the same split: the threshold with the best
offensive macro-F1 (OLID's subtask A against the toxic probability), reported beside the
share of the team's safe calibration texts it flags.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from miyraa.labels import SAFETY_CATEGORIES
from models import evaluation as ev
from models.network import MultiTaskHeads, activate
from models.public_data import UNKNOWN

TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(8.0), 80))
THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.01), 2)
BINS = 10


def expected_calibration_error(truth: NDArray[np.float64], probs: NDArray[np.float64]) -> float:
    """ECE over ``BINS`` equal-width bins of predicted probability."""
    which = np.clip((probs * BINS).astype(np.int64), 0, BINS - 1)
    return float(
        sum(
            (which == b).mean() * abs(probs[which == b].mean() - truth[which == b].mean())
            for b in range(BINS)
            if (which == b).any()
        )
    )


def _log_loss(truth: NDArray[np.float64], logits: NDArray[np.float64], temperature: float) -> float:
    p = 1 / (1 + np.exp(-logits / temperature))
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-(truth * np.log(p) + (1 - truth) * np.log(1 - p)).mean())


def fit_temperatures(heads: MultiTaskHeads, x: torch.Tensor, safety: torch.Tensor) -> dict[str, float]:
    """Per safety category, the grid temperature of least log loss on the known cells."""
    with torch.inference_mode():
        logits = heads(x)["safety"].double().numpy()
    truth = safety.double().numpy()
    temperatures = {}
    for i, category in enumerate(SAFETY_CATEGORIES):
        known = truth[:, i] != UNKNOWN
        if len(set(truth[known, i].tolist())) < 2:
            temperatures[category] = 1.0
            continue
        losses = [_log_loss(truth[known, i], logits[known, i], float(t)) for t in TEMPERATURES]
        temperatures[category] = float(TEMPERATURES[int(np.argmin(losses))])
    return temperatures


def fold_temperatures(heads: MultiTaskHeads, temperatures: dict[str, float]) -> None:
    """Divide each safety category's row of the linear head by its temperature, in place."""
    layer = heads.heads["safety"]
    assert isinstance(layer, torch.nn.Linear)
    with torch.no_grad():
        for i, category in enumerate(SAFETY_CATEGORIES):
            layer.weight[i] /= temperatures[category]
            layer.bias[i] /= temperatures[category]


def safety_probs(heads: MultiTaskHeads, x: torch.Tensor) -> NDArray[np.float64]:
    with torch.inference_mode():
        return activate(heads(x))["safety"].double().numpy()


def choose_threshold(
    heads: MultiTaskHeads,
    olid_x: torch.Tensor,
    olid_safety: torch.Tensor,
    team_x: torch.Tensor,
    team_safety: torch.Tensor,
) -> dict[str, Any]:
    """The threshold of best offensive macro-F1 on OLID's calibration rows, and what it flags
    of the team's safe calibration texts."""
    toxic = SAFETY_CATEGORIES.index("toxic")
    offensive = (olid_safety[:, toxic].numpy() > 0.5).astype(np.int64)
    p_toxic = safety_probs(heads, olid_x)[:, toxic]
    f1 = {float(t): ev.macro_f1(offensive, (p_toxic >= t).astype(np.int64), 2) for t in THRESHOLDS}
    best = max(f1, key=lambda t: (f1[t], -abs(t - 0.5)))
    safe = (team_safety.numpy() == 0).all(axis=1)
    flagged = (safety_probs(heads, team_x)[safe] >= best).any(axis=1)
    return {
        "threshold": best,
        "olid_macro_f1": f1[best],
        "olid_macro_f1_at_0.5": f1[0.5],
        "team_safe_flagged": float(flagged.mean()) if len(flagged) else 0.0,
    }


def calibration_report(heads: MultiTaskHeads, x: torch.Tensor, safety: torch.Tensor) -> dict[str, float]:
    """ECE per safety category on the known cells of a split."""
    probs = safety_probs(heads, x)
    truth = safety.double().numpy()
    report = {}
    for i, category in enumerate(SAFETY_CATEGORIES):
        known = truth[:, i] != UNKNOWN
        if known.any():
            report[category] = expected_calibration_error(truth[known, i], probs[known, i])
    return report
