"""Fine-tune the top layers of the MiniLM backbone on every head's labels at once.

Frozen features reach a ceiling on OLID (offensive ROC-AUC 0.83-0.84 with linear or
MLP heads, any pooling); tuning the top two transformer layers for one epoch lifts
it past 0.85 (see models/README.md). The lower layers and the embeddings stay as
shipped, so the repository carries only the tuned layers (``tuned_state``) and the
runtime architecture stays "MiniLM backbone + heads".

Training heads here are throwaway: linear layers on the mean-pooled last layer, one
per task, with the masked losses of ``models.train.head_loss``. The served heads are
refitted afterwards on pooled features of the tuned backbone (``models.train_public``).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import torch
from torch import nn

from miyraa.labels import HEADS
from models.network import EMBEDDING_DIM, Encoder, mean_pool
from models.public_data import Labelled
from models.train import head_loss, safety_pos_weight

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneConfig:
    layers: int = 2  # top transformer layers tuned; the rest stay frozen
    epochs: int = 1
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    max_seq_length: int = 128  # training only; serving keeps the backbone's 256
    seed: int = 0


def tuned_prefix(layer: int) -> str:
    return f"encoder.layer.{layer}."


def tuned_layer_ids(encoder: Encoder, config: FinetuneConfig) -> list[int]:
    total = len(encoder.model.encoder.layer)
    return list(range(total - config.layers, total))


def tuned_state(encoder: Encoder, layer_ids: list[int]) -> dict[str, torch.Tensor]:
    """The tuned layers' weights, named as in the backbone's model.safetensors."""
    prefixes = tuple(tuned_prefix(i) for i in layer_ids)
    return {
        name: value.detach().clone().contiguous()
        for name, value in encoder.model.state_dict().items()
        if name.startswith(prefixes)
    }


def finetune(encoder: Encoder, data: Labelled, config: FinetuneConfig) -> dict[str, torch.Tensor]:
    """Tune the top layers of ``encoder.model`` in place; return their weights."""
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    model = encoder.model
    layer_ids = tuned_layer_ids(encoder, config)
    for p in model.parameters():
        p.requires_grad_(False)
    tuned = [p for i in layer_ids for p in model.encoder.layer[i].parameters()]
    for p in tuned:
        p.requires_grad_(True)
    heads = nn.ModuleDict({name: nn.Linear(EMBEDDING_DIM, len(labels)) for name, labels in HEADS.items()})
    optimiser = torch.optim.AdamW(
        [{"params": tuned, "lr": config.lr}, {"params": heads.parameters(), "lr": config.head_lr}],
        weight_decay=config.weight_decay,
    )
    y = data.tensors()
    pos_weight = safety_pos_weight(y["safety"], cap=10.0)
    # Length-sorted batches (little padding), visited in a seeded random order.
    order = sorted(range(len(data)), key=lambda i: len(data.texts[i]))
    batches = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
    started = time.perf_counter()
    model.train()
    for epoch in range(config.epochs):
        rng.shuffle(batches)
        for step, batch in enumerate(batches, start=1):
            tokens = encoder.tokenizer(
                [data.texts[i] for i in batch],
                padding="longest",
                truncation=True,
                max_length=config.max_seq_length,
                return_tensors="pt",
            )
            hidden = model(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])
            pooled = mean_pool(hidden.last_hidden_state, tokens["attention_mask"])
            ones = torch.ones(len(batch))
            # A tensor start (not sum's int 0) keeps the total a tensor; 0 + x is x exactly.
            loss = sum(
                (
                    head_loss(name, head(pooled), y[name][batch], ones, pos_weight)
                    for name, head in heads.items()
                ),
                torch.zeros(()),
            )
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
            optimiser.step()
            if step % 200 == 0:
                logger.info(
                    "fine-tune epoch %d step %d/%d %.0f s",
                    epoch,
                    step,
                    len(batches),
                    time.perf_counter() - started,
                )
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return tuned_state(encoder, layer_ids)


def round_to_half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Store in float16 (half the bytes in git); features are computed from the rounded weights."""
    return {name: value.half() for name, value in state.items()}


def load_tuned(encoder: Encoder, state: dict[str, torch.Tensor]) -> None:
    """Put tuned (possibly float16) layers into an encoder's float32 backbone."""
    missing = set(state) - set(encoder.model.state_dict())
    if missing:
        raise ValueError(f"tuned weights name layers the backbone lacks: {sorted(missing)[:3]}")
    encoder.model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
