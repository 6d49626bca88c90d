"""Held-out metrics in plain numpy: accuracy, macro-F1, Pearson r, ROC-AUC, F1."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def accuracy(y_true: NDArray[np.int64], y_pred: NDArray[np.int64]) -> float:
    return float(np.mean(y_true == y_pred))


def f1_per_class(y_true: NDArray[np.int64], y_pred: NDArray[np.int64], n_classes: int) -> list[float]:
    scores = []
    for k in range(n_classes):
        tp = int(np.sum((y_pred == k) & (y_true == k)))
        fp = int(np.sum((y_pred == k) & (y_true != k)))
        fn = int(np.sum((y_pred != k) & (y_true == k)))
        scores.append(binary_f1_counts(tp, fp, fn))
    return scores


def binary_f1_counts(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def macro_f1(y_true: NDArray[np.int64], y_pred: NDArray[np.int64], n_classes: int) -> float:
    """Mean F1 over the classes present in y_true or y_pred."""
    present = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    per_class = f1_per_class(y_true, y_pred, n_classes)
    return float(np.mean([per_class[k] for k in present]))


def binary_f1(y_true: NDArray[np.int64], y_pred: NDArray[np.int64]) -> float:
    tp = int(np.sum((y_pred == 1) & (y_true == 1)))
    fp = int(np.sum((y_pred == 1) & (y_true == 0)))
    fn = int(np.sum((y_pred == 0) & (y_true == 1)))
    return binary_f1_counts(tp, fp, fn)


def pearson_r(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    x = x - x.mean()
    y = y - y.mean()
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return 0.0 if denominator == 0 else float((x * y).sum() / denominator)


def roc_auc(y_true: NDArray[np.int64], scores: NDArray[np.float64]) -> float:
    """Mann-Whitney form: the chance a random positive outscores a random negative."""
    positives = scores[y_true == 1]
    negatives = scores[y_true == 0]
    if len(positives) == 0 or len(negatives) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([positives, negatives]), kind="mergesort")
    ranks = np.empty(len(order), dtype=np.float64)
    ranks[order] = np.arange(1, len(order) + 1)
    # average the ranks of ties
    combined = np.concatenate([positives, negatives])
    for value in np.unique(combined):
        tied = combined == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    rank_sum = ranks[: len(positives)].sum()
    n_pos, n_neg = len(positives), len(negatives)
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def reliability(
    truth: NDArray[np.int64] | NDArray[np.float64], probs: NDArray[np.floating], bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error over ``bins`` equal-width bins of predicted probability, and
    each non-empty bin's (mean p, observed rate, n)."""
    which = np.clip((probs * bins).astype(np.int64), 0, bins - 1)
    ece, table = 0.0, []
    for b in range(bins):
        inside = which == b
        if not inside.any():
            continue
        mean_p, rate = float(probs[inside].mean()), float(truth[inside].mean())
        ece += inside.mean() * abs(mean_p - rate)
        table.append(
            {"bin": b, "mean_p": round(mean_p, 4), "observed": round(rate, 4), "n": float(inside.sum())}
        )
    return float(ece), table
