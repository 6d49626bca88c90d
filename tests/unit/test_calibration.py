"""Temperature scaling of the safety head: fitted, folded into the weights, measured."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from miyraa.labels import EMOTIONS, SAFETY_CATEGORIES
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


def heads_with_emotion_logits(logits: torch.Tensor) -> tuple[MultiTaskHeads, torch.Tensor]:
    """Heads whose emotion logits are the first 11 features; features carrying ``logits``."""
    heads = heads_with_safety_logits(1.0)
    emotion = heads.heads["emotion"]
    assert isinstance(emotion, torch.nn.Linear)
    with torch.no_grad():
        emotion.weight[:, : logits.shape[1]] = torch.eye(logits.shape[1])
    x = torch.zeros(len(logits), DIM)
    x[:, : logits.shape[1]] = logits
    return heads, x


def test_the_prior_correction_recovers_accuracy_on_a_skewed_mix_without_losing_macro_f1():
    # 11 classes; class 0 ("neutral"-like) is 60% of the rows. The head is balanced: its logits
    # know the true class only weakly, with no bias toward class 0, so it under-predicts it.
    rng = np.random.default_rng(3)
    n, k = 6_000, len(EMOTIONS)
    truth = np.where(rng.random(n) < 0.6, 0, rng.integers(1, k, n))
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), truth] += 1.5
    heads, x = heads_with_emotion_logits(torch.tensor(logits, dtype=torch.float32))
    onehot = torch.tensor(np.eye(k)[truth], dtype=torch.float32)
    report = cal.correct_emotion_prior(heads, x, onehot)
    assert report["alpha"] > 0
    assert report["accuracy"] > report["accuracy_before"] + 0.05, report
    assert report["macro_f1"] >= report["macro_f1_before"] - cal.MAX_F1_LOSS
    with torch.inference_mode():  # the correction lives in the head now
        predicted = heads(x)["emotion"].argmax(1).numpy()
    assert (predicted == truth).mean() == pytest.approx(report["accuracy"])


def test_the_threshold_of_near_best_macro_f1_that_flags_fewest_safe_team_texts_is_chosen():
    # OLID-like rows: macro-F1 is flat near its best over a range of thresholds; the team's
    # safe texts score up to 0.45, so a near-best threshold above 0.45 flags none of them.
    rng = np.random.default_rng(4)
    olid_x0 = rng.normal(0, 2, 4_000)
    olid = (rng.random(4_000) < 1 / (1 + np.exp(-olid_x0))).astype(np.float32)
    x = torch.zeros(4_000, DIM)
    x[:, 0] = torch.tensor(olid_x0, dtype=torch.float32)
    olid_y = torch.tensor(np.repeat(olid[:, None], len(SAFETY_CATEGORIES), axis=1))
    team_p = np.linspace(0.05, 0.45, 200)
    team_x = torch.zeros(200, DIM)
    team_x[:, 0] = torch.tensor(np.log(team_p / (1 - team_p)), dtype=torch.float32)
    team_y = torch.zeros(200, len(SAFETY_CATEGORIES))
    heads = heads_with_safety_logits(1.0)
    chosen = cal.choose_threshold(heads, x, olid_y, team_x, team_y)
    assert chosen["olid_macro_f1"] >= chosen["unconstrained_olid_macro_f1"] - cal.F1_TOLERANCE
    assert chosen["team_safe_flagged"] <= chosen["unconstrained_team_safe_flagged"]
    f1 = cal.offensive_macro_f1(heads, x, olid_y, [float(t) for t in cal.THRESHOLDS])
    near_best = [t for t in f1 if f1[t] >= max(f1.values()) - cal.F1_TOLERANCE]
    assert chosen["threshold"] > 0.45 and chosen["team_safe_flagged"] == 0  # above every safe text
    # ... and of those that flag none, the one of best macro-F1
    assert f1[chosen["threshold"]] == max(f1[t] for t in near_best if t > 0.45)
