"""Safety probabilities that mean what they say, and the threshold that flags them.

After the heads are fitted (``models.train_public``), each safety category gets a
temperature ``T`` fitted on a calibration split that the heads were not fitted on and
the fine-tuning did not train on (its early stopping read the split's loss; part of
OLID's train split and of the team corpus's train split): the
category's logit is divided by ``T``, chosen on a grid to minimise the log loss of the
known cells. ``T`` is folded into the category's row of the linear head (weights and bias
divided by ``T``), so the served graph is unchanged in shape and calibrated as it stands.

The default SAFETY_THRESHOLD is then chosen on the same split: the threshold with the best
offensive macro-F1 (OLID's subtask A against the toxic probability), up to ``F1_TOLERANCE``:
of the thresholds that close to the best, the one that flags fewest of the team's safe
calibration texts (everyday messages and hard negatives, any category), reported beside
that share.

The emotion head is fitted with inverse-frequency class weights (good macro-F1, but it
rarely says "neutral"). ``correct_emotion_prior`` adds ``alpha * log(prior)`` to its logits,
the prior being the label mix of a GoEmotions calibration split (natural, neutral-heavy),
with ``alpha`` the one of best accuracy that keeps macro-F1 within ``MAX_F1_LOSS`` of the
uncorrected head; the shift is folded into the head's bias.
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
F1_TOLERANCE = 0.01
ALPHAS = np.round(np.arange(0.0, 1.51, 0.05), 2)
MAX_F1_LOSS = 0.005


def expected_calibration_error(truth: NDArray[np.float64], probs: NDArray[np.float64]) -> float:
    """ECE over ``BINS`` equal-width bins of predicted probability (``evaluation.reliability``)."""
    return ev.reliability(truth, probs, BINS)[0]


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
    """The threshold of best offensive macro-F1 on OLID's calibration rows, up to
    ``F1_TOLERANCE``, that flags fewest of the team's safe calibration texts; with both
    figures and the best without the tolerance beside it."""
    f1 = offensive_macro_f1(heads, olid_x, olid_safety, [float(t) for t in THRESHOLDS])
    safe = (team_safety.numpy() == 0).all(axis=1)
    safe_max = safety_probs(heads, team_x)[safe].max(axis=1)
    flags = {t: float((safe_max >= t).mean()) if len(safe_max) else 0.0 for t in f1}
    unconstrained = max(f1, key=lambda t: (f1[t], -abs(t - 0.5)))
    allowed = [t for t in f1 if f1[t] >= f1[unconstrained] - F1_TOLERANCE]
    best = min(allowed, key=lambda t: (flags[t], -f1[t]))
    return {
        "threshold": best,
        "olid_macro_f1": f1[best],
        "team_safe_flagged": flags[best],
        "f1_tolerance": F1_TOLERANCE,
        "olid_macro_f1_at_0.5": f1[0.5],
        "unconstrained_threshold": unconstrained,
        "unconstrained_olid_macro_f1": f1[unconstrained],
        "unconstrained_team_safe_flagged": flags[unconstrained],
    }


def offensive_macro_f1(
    heads: MultiTaskHeads, x: torch.Tensor, safety: torch.Tensor, thresholds: list[float]
) -> dict[float, float]:
    """Per threshold, OLID's offensive macro-F1 (subtask A against the toxic probability)."""
    toxic = SAFETY_CATEGORIES.index("toxic")
    offensive = (safety[:, toxic].numpy() > 0.5).astype(np.int64)
    p_toxic = safety_probs(heads, x)[:, toxic]
    return {t: ev.macro_f1(offensive, (p_toxic >= t).astype(np.int64), 2) for t in thresholds}


def correct_emotion_prior(heads: MultiTaskHeads, x: torch.Tensor, emotion: torch.Tensor) -> dict[str, Any]:
    """Fold ``alpha * log(prior)`` into the emotion head's bias (see the module's docstring);
    return alpha, the prior and the split's accuracy and macro-F1 before and after."""
    with torch.inference_mode():
        logits = heads(x)["emotion"].double().numpy()
    truth = emotion.numpy().argmax(axis=1)
    n_classes = logits.shape[1]
    prior = np.bincount(truth, minlength=n_classes) / len(truth)
    log_prior = np.log(np.clip(prior, 1e-4, None))

    def scores(alpha: float) -> tuple[float, float]:
        predicted = (logits + alpha * log_prior).argmax(axis=1)
        return ev.accuracy(truth, predicted), ev.macro_f1(truth, predicted, n_classes)

    measured = {float(a): scores(float(a)) for a in ALPHAS}
    floor = measured[0.0][1] - MAX_F1_LOSS
    alpha = max((a for a in measured if measured[a][1] >= floor), key=lambda a: (measured[a][0], -a))
    layer = heads.heads["emotion"]
    assert isinstance(layer, torch.nn.Linear)
    with torch.no_grad():
        layer.bias.add_(torch.as_tensor(alpha * log_prior, dtype=layer.bias.dtype))
    return {
        "alpha": alpha,
        "prior": [round(float(p), 4) for p in prior],
        "accuracy_before": measured[0.0][0],
        "macro_f1_before": measured[0.0][1],
        "accuracy": measured[alpha][0],
        "macro_f1": measured[alpha][1],
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
