"""Fine-tuning changes only the top layers, deterministically, and masked heads get no loss."""

import torch

from miyraa.labels import EMOTIONS
from models.finetune import FinetuneConfig, finetune, load_tuned, round_to_half
from models.public_data import Labelled, one_hot
from models.train import default_encoder


def tiny_data() -> Labelled:
    data = Labelled("tiny")
    for i in range(6):
        data.add(f"what a lovely day number {i}", emotion=one_hot("joy", EMOTIONS))
        data.add(f"you absolute idiot number {i}", safety=[1.0, 0.0, -1.0, 1.0])
        data.add(f"a plain sentence number {i}", vad=[0.5, 0.3, 0.5])
    return data


def run(seed: int) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    encoder = default_encoder()
    before = {k: v.clone() for k, v in encoder.model.state_dict().items()}
    tuned = finetune(encoder, tiny_data(), FinetuneConfig(layers=1, batch_size=8, seed=seed))
    return before, encoder.model.state_dict(), tuned


def test_only_the_top_layer_moves_and_the_same_seed_gives_the_same_weights():
    before, after, tuned = run(seed=0)
    assert tuned and all(name.startswith("encoder.layer.5.") for name in tuned)
    assert all(torch.equal(after[n], before[n]) for n in after if n not in tuned)
    assert any(not torch.equal(after[n], before[n]) for n in tuned)
    _, _, again = run(seed=0)
    assert all(torch.equal(tuned[n], again[n]) for n in tuned)


def test_half_precision_round_trip_loads_into_a_fresh_backbone():
    _, _, tuned = run(seed=1)
    half = round_to_half(tuned)
    encoder = default_encoder()
    load_tuned(encoder, half)
    state = encoder.model.state_dict()
    assert all(torch.equal(state[n], half[n].float()) for n in half)
