import pytest
import torch

from miyraa.labels import HEADS, label_sets
from models.network import HeadsConfig, MultiTaskHeads, activate, mean_pool


@pytest.mark.parametrize("layers", [(6,), (0, 3, 6)])
def test_head_output_shapes_and_ranges(layers):
    torch.manual_seed(0)
    config = HeadsConfig(pooling_layers=layers)
    heads = MultiTaskHeads(config).eval()
    probs = activate(heads(torch.randn(7, 384 * len(layers))))
    assert {name: tuple(p.shape) for name, p in probs.items()} == {
        name: (7, len(labels)) for name, labels in HEADS.items()
    }
    for name in ("emotion", "style", "intent"):
        assert torch.allclose(probs[name].sum(dim=1), torch.ones(7), atol=1e-6)
    for name in ("vad", "safety"):
        assert bool(((probs[name] > 0) & (probs[name] < 1)).all())


def test_mean_pool_ignores_padding_and_normalises():
    hidden = torch.tensor([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    pooled = mean_pool(hidden, mask)
    assert torch.allclose(pooled, torch.tensor([[1.0, 0.0]]))


def test_standardisation_uses_the_training_features():
    heads = MultiTaskHeads(HeadsConfig(pooling_layers=(6,)))
    features = torch.randn(50, 384) * 3 + 5
    heads.set_standardisation(features)
    z = heads.standardise(features)
    assert torch.allclose(z.mean(0), torch.zeros(384), atol=1e-5)
    assert torch.allclose(z.std(0), torch.ones(384), atol=1e-5)


def test_heads_config_round_trips(tmp_path):
    config = HeadsConfig(pooling_layers=(2, 4, 6), max_seq_length=128)
    config.write(tmp_path / "heads.json")
    assert HeadsConfig.read(tmp_path / "heads.json") == config


def test_a_model_with_other_labels_is_refused(tmp_path):
    labels = label_sets()
    labels["emotion"] = list(reversed(labels["emotion"]))
    HeadsConfig(labels=labels).write(tmp_path / "heads.json")
    with pytest.raises(ValueError, match="label sets differ"):
        HeadsConfig.read(tmp_path / "heads.json")


def test_length_groups_cover_every_index_once_sorted_within_budget():
    from models.network import length_groups

    lengths = [5, 120, 7, 7, 300, 64, 3, 128, 9, 250]
    groups = length_groups(lengths, budget=400)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    flat = [lengths[i] for g in groups for i in g]
    assert flat == sorted(flat)
    for g in groups:
        assert len(g) == 1 or len(g) * max(lengths[i] for i in g) <= 400
    assert length_groups([], 100) == []
