"""Cost-chosen groups: every text once, optimal cuts, and the cost model's fit."""

import itertools

import numpy as np
import pytest

from models.batching import CostModel, arrival_groups, cost_groups, padded


def plan_cost(groups, lengths, cost):
    return sum(float(cost.seconds(len(g), max(lengths[i] for i in g))) for g in groups)


def brute_force_best(lengths, cost, max_group):
    """The cheapest split of the sorted lengths into contiguous runs, by trying every one."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    best = float("inf")
    for cuts in itertools.product([False, True], repeat=len(order) - 1):
        groups, current = [], [order[0]]
        for i, cut in zip(order[1:], cuts, strict=True):
            if cut:
                groups.append(current)
                current = []
            current.append(i)
        groups.append(current)
        if max(len(g) for g in groups) <= max_group:
            best = min(best, plan_cost(groups, lengths, cost))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_cost_groups_are_the_cheapest_contiguous_plan(seed):
    rng = np.random.default_rng(seed)
    lengths = [int(x) for x in rng.choice([5, 9, 14, 30, 60, 130, 256], size=9)]
    cost = CostModel(fixed_s=0.004, per_token_s=2e-5, per_token2_s=5e-8)
    groups = cost_groups(lengths, cost, max_group=4)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    assert max(len(g) for g in groups) <= 4
    assert plan_cost(groups, lengths, cost) == pytest.approx(brute_force_best(lengths, cost, 4))


def test_a_high_fixed_cost_makes_one_pass_and_no_fixed_cost_one_pass_per_length():
    lengths = [10, 200, 10, 12, 200]
    one_pass = cost_groups(lengths, CostModel(fixed_s=1.0, per_token_s=1e-6), max_group=64)
    assert one_pass == [[0, 2, 3, 1, 4]]
    by_length = cost_groups(lengths, CostModel(fixed_s=0.0, per_token_s=1e-6), max_group=64)
    assert by_length == [[0, 2], [3], [1, 4]]  # equal lengths share a pass: no padding, no cost


def test_empty_and_single():
    cost = CostModel(0.001, 1e-5)
    assert cost_groups([], cost) == []
    assert cost_groups([7], cost) == [[0]]


def test_arrival_groups_keep_order_and_size():
    assert arrival_groups([3, 1, 2, 5, 4], max_group=2) == [[0, 1], [2, 3], [4]]


def test_the_fit_recovers_a_known_cost_model():
    truth = CostModel(fixed_s=0.003, per_token_s=1.5e-5, per_token2_s=2e-8)
    shapes = [(1, 8), (1, 64), (1, 256), (4, 32), (8, 16), (8, 128), (16, 48)]
    seconds = [float(truth.seconds(n, t)) for n, t in shapes]
    fitted = CostModel.fit(shapes, seconds)
    assert fitted.fixed_s == pytest.approx(truth.fixed_s, rel=1e-6)
    assert fitted.per_token_s == pytest.approx(truth.per_token_s, rel=1e-6)
    assert fitted.per_token2_s == pytest.approx(truth.per_token2_s, rel=1e-4)


def test_measure_times_each_calibration_shape():
    seen = []
    CostModel.measure(lambda n, t: seen.append((n, t)), repeats=2)
    from models.batching import CALIBRATION_SHAPES

    assert seen == [s for s in CALIBRATION_SHAPES for _ in range(2)]


def test_padded_right_pads_with_zero_and_masks_real_tokens():
    ids, mask = padded([[101, 7, 102], [101, 102]])
    assert ids.tolist() == [[101, 7, 102], [101, 102, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert ids.dtype == mask.dtype == np.int64


def test_a_token_cap_splits_long_texts_and_lets_a_lone_text_through():
    lengths = [256] * 40 + [5000]  # 5000: more than the cap, alone
    groups = cost_groups(lengths, CostModel(fixed_s=1.0, per_token_s=1e-9), max_group=64, max_tokens=4096)
    assert sorted(i for g in groups for i in g) == list(range(41))
    for g in groups:
        assert len(g) == 1 or len(g) * max(lengths[i] for i in g) <= 4096
    assert len(groups) == 4  # as few passes as the cap allows: 40 texts in 3, the long one alone
    assert [40] in groups
