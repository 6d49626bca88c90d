"""Fine-tuning changes only the tuned layers, deterministically, draws balanced batches
from every source, keeps the best epoch on the dev loss, and masked heads get no loss."""

import random
from collections import Counter

import torch

from miyraa.labels import EMOTIONS
from models.finetune import FinetuneConfig, epoch_rows, finetune, load_tuned, round_to_half
from models.public_data import Labelled, one_hot
from models.train import default_encoder


def tiny_sources() -> dict[str, Labelled]:
    joy, insults, plain = Labelled("joy"), Labelled("insults"), Labelled("plain")
    for i in range(6):
        joy.add(f"what a lovely day number {i}", emotion=one_hot("joy", EMOTIONS))
        insults.add(f"you absolute idiot number {i}", safety=[1.0, 0.0, -1.0, 1.0])
        plain.add(f"a plain sentence number {i}", vad=[0.5, 0.3, 0.5])
    plain.add("one more plain sentence", vad=[0.4, 0.2, 0.5])
    return {"joy": joy, "insults": insults, "plain": plain}


def run(seed: int, epochs: int = 1) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], object]:
    encoder = default_encoder()
    before = {k: v.clone() for k, v in encoder.model.state_dict().items()}
    sources = tiny_sources()
    config = FinetuneConfig(layers=1, epochs=epochs, rows_per_source=8, batch_size=8, seed=seed)
    result = finetune(encoder, sources, {"dev": sources["joy"]}, config)
    return before, encoder.model.state_dict(), result


def test_only_the_top_layer_moves_and_the_same_seed_gives_the_same_weights():
    before, after, result = run(seed=0)
    tuned = result.state
    assert tuned and all(name.startswith("encoder.layer.5.") for name in tuned)
    assert all(torch.equal(after[n], before[n]) for n in after if n not in tuned)
    assert any(not torch.equal(after[n], before[n]) for n in tuned)
    _, _, again = run(seed=0)
    assert all(torch.equal(tuned[n], again.state[n]) for n in tuned)


def test_every_epoch_draws_the_same_number_of_rows_from_each_source():
    sources = tiny_sources()  # 6, 6 and 7 rows
    rows = epoch_rows(sources, 15, random.Random(0))
    assert Counter(name for name, _ in rows) == {"joy": 15, "insults": 15, "plain": 15}
    plain = Counter(i for name, i in rows if name == "plain")
    assert set(plain) <= set(range(7)) and min(plain.values()) >= 2  # two whole passes, then a sample


def test_the_epoch_with_the_least_dev_loss_is_kept_and_loaded():
    _, after, result = run(seed=2, epochs=3)
    losses = [epoch["dev_loss_total"] for epoch in result.history]
    best = losses.index(min(losses))
    assert len(losses) <= 3 and (len(losses) == 3 or losses[-1] >= min(losses))  # stopped only on no gain
    assert best == len(losses) - 1 or len(losses) == best + 2  # patience 1: one stale epoch at most
    assert all(torch.equal(after[n], result.state[n]) for n in result.state)


def test_half_precision_round_trip_loads_into_a_fresh_backbone():
    _, _, result = run(seed=1)
    half = round_to_half(result.state)
    encoder = default_encoder()
    load_tuned(encoder, half)
    state = encoder.model.state_dict()
    assert all(torch.equal(state[n], half[n].float()) for n in half)
