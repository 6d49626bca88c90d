import pytest
import torch

from miyraa.labels import EMOTIONS, SAFETY_CATEGORIES
from models.public_data import UNKNOWN, Labelled, olid_safety, one_hot
from models.train import TrainConfig, fit_heads, head_loss


@pytest.mark.parametrize(
    ("a", "b", "c", "expected"),
    [
        ("NOT", "NULL", "NULL", {"toxic": 0.0, "profane": 0.0, "threatening": 0.0, "harassment": 0.0}),
        ("OFF", "UNT", "NULL", {"toxic": 1.0, "profane": 1.0, "threatening": UNKNOWN, "harassment": 0.0}),
        ("OFF", "TIN", "IND", {"toxic": 1.0, "profane": UNKNOWN, "threatening": UNKNOWN, "harassment": 1.0}),
        ("OFF", "TIN", "GRP", {"toxic": 1.0, "profane": UNKNOWN, "threatening": UNKNOWN, "harassment": 0.0}),
        ("OFF", "TIN", "OTH", {"toxic": 1.0, "profane": UNKNOWN, "threatening": UNKNOWN, "harassment": 0.0}),
    ],
)
def test_olid_maps_onto_the_safety_categories(a, b, c, expected):
    row = {"subtask_a": a, "subtask_b": b, "subtask_c": c}
    assert dict(zip(SAFETY_CATEGORIES, olid_safety(row), strict=True)) == expected


def test_unknown_targets_do_not_move_the_loss():
    logits = torch.tensor([[2.0, -1.0, 0.0], [0.5, 0.5, 3.0]])
    known = torch.tensor([[1.0, 0.0, 0.0], [UNKNOWN, UNKNOWN, UNKNOWN]])
    only_first = head_loss("emotion", logits[:1], known[:1], torch.ones(1), torch.ones(3))
    assert head_loss("emotion", logits, known, torch.ones(2), torch.ones(3)) == pytest.approx(
        float(only_first)
    )
    cells = torch.tensor([[1.0, UNKNOWN], [0.0, 1.0]])
    safety_logits = torch.tensor([[1.0, 9.0], [-1.0, 2.0]])
    full = head_loss("safety", safety_logits, cells, torch.ones(2), torch.ones(2))
    changed = head_loss(
        "safety",
        safety_logits + torch.tensor([[0.0, -20.0], [0.0, 0.0]]),
        cells,
        torch.ones(2),
        torch.ones(2),
    )
    assert float(full) == pytest.approx(float(changed))


def test_a_head_trained_only_on_masked_rows_ignores_them():
    torch.manual_seed(0)
    x = torch.randn(40, 2688)
    labelled = Labelled("toy")
    for i in range(40):
        labelled.add(
            f"t{i}",
            emotion=one_hot("joy" if x[i, 0] > 0 else "anger", EMOTIONS),
        )
    y = labelled.tensors()
    heads = fit_heads(x, y, TrainConfig(l2=(("emotion", 0.01),)))
    assert y["vad"][0, 0] == UNKNOWN
    pred = heads(x)["emotion"].argmax(1)
    assert bool(((pred == 0) == (x[:, 0] > 0)).float().mean() > 0.9)
