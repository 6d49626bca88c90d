"""Temperature scaling of the safety head: fitted, folded into the weights, measured."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from miyraa.labels import SAFETY_CATEGORIES
from models import calibration as cal
from models.network import HeadsConfig, MultiTaskHeads
from models.public_data import UNKNOWN, Labelled
from models.train_public import carve

DIM = 384  # one pooled layer


def heads_with_safety_logits(scale: float) -> MultiTaskHeads:
    """Heads whose safety logits are ``scale`` times the first feature, for every category."""
    heads = MultiTaskHeads(HeadsConfig(pooling_layers=(6,)))
    with torch.no_grad():
        for layer in heads.heads.values():
            assert isinstance(layer, torch.nn.Linear)
            layer.weight.zero_()
            layer.bias.zero_()
        safety = heads.heads["safety"]
        assert isinstance(safety, torch.nn.Linear)
        safety.weight[:, 0] = scale
    return heads


def sample(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and labels drawn so that P(unsafe | x) = sigmoid(x0): calibrated at scale 1."""
    rng = np.random.default_rng(seed)
    x0 = rng.normal(0, 2, n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-x0))).astype(np.float32)
    x = torch.zeros(n, DIM)
    x[:, 0] = torch.tensor(x0, dtype=torch.float32)
    return x, torch.tensor(np.repeat(labels[:, None], len(SAFETY_CATEGORIES), axis=1))


def test_an_overconfident_head_gets_its_temperature_back_and_its_calibration_error_falls():
    x, y = sample(20_000, seed=1)
    heads = heads_with_safety_logits(3.0)  # logits 3x too large: overconfident
    before = cal.calibration_report(heads, x, y)
    temperatures = cal.fit_temperatures(heads, x, y)
    cal.fold_temperatures(heads, temperatures)
    after = cal.calibration_report(heads, x, y)
    assert all(abs(t - 3.0) < 0.25 for t in temperatures.values()), temperatures
    assert all(after[c] < 0.02 < before[c] for c in SAFETY_CATEGORIES), (before, after)


def test_unknown_cells_are_left_out_and_a_category_without_both_labels_keeps_temperature_one():
    x, y = sample(2_000, seed=2)
    y[:, SAFETY_CATEGORIES.index("threatening")] = UNKNOWN
    heads = heads_with_safety_logits(1.0)
    temperatures = cal.fit_temperatures(heads, x, y)
    assert temperatures["threatening"] == 1.0


def test_expected_calibration_error_is_the_gap_between_confidence_and_outcome():
    probs = np.array([0.05, 0.05, 0.95, 0.95])
    assert cal.expected_calibration_error(np.array([0.0, 0.0, 1.0, 1.0]), probs) == pytest.approx(0.05)
    assert cal.expected_calibration_error(np.array([1.0, 1.0, 0.0, 0.0]), probs) == pytest.approx(0.95)


def test_carve_takes_the_fraction_of_each_safety_pattern_and_keeps_rows_whole():
    data = Labelled("olid_train")
    for i in range(100):
        data.add(f"text {i}", safety=[1.0 if i < 20 else 0.0, 0.0, 0.0, 0.0])
    rest, part = carve(data, 0.1, seed=0, name="olid_calib")
    assert (len(rest), len(part)) == (90, 10)
    assert sum(row[0] for row in part.targets["safety"]) == 2  # 10% of the 20 offensive rows
    assert sorted(rest.texts + part.texts) == sorted(data.texts)
    for split in (rest, part):
        for text, row in zip(split.texts, split.targets["safety"], strict=True):
            assert row[0] == (1.0 if int(text.split()[1]) < 20 else 0.0)
