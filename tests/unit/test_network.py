import pytest
import torch

from miyraa.labels import HEADS
from models.network import HeadsConfig, MultiTaskHeads, activate, mean_pool


@pytest.mark.parametrize("hidden", [0, 64])
def test_head_output_shapes_and_ranges(hidden):
    torch.manual_seed(0)
    heads = MultiTaskHeads(HeadsConfig(hidden=hidden)).eval()
    probs = activate(heads(torch.randn(7, 384)))
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


def test_heads_config_round_trips(tmp_path):
    config = HeadsConfig(hidden=32, dropout=0.2)
    config.write(tmp_path / "heads.json")
    assert HeadsConfig.read(tmp_path / "heads.json") == config
