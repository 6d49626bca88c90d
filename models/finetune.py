"""Fine-tune the MiniLM backbone's transformer layers on every head's labels at once.

Frozen features reach a ceiling on OLID (offensive ROC-AUC 0.83-0.84 with linear or
MLP heads, any pooling); tuning the top two layers for one epoch lifted it past 0.85,
tuning all six for several epochs further (see models/README.md). The embeddings stay
as shipped, so the repository carries only the tuned layers (``tuned_state``) and the
runtime architecture stays "MiniLM backbone + heads".

Multi-task and balanced: every epoch draws ``rows_per_source`` rows from each source
(GoEmotions, EmoBank, OLID, the team corpus; a small source is repeated), so no data set
drowns the others. After each epoch the loss on the dev splits decides: the best epoch's
weights are kept, and training stops after ``patience`` epochs without improvement.

Training heads here are throwaway: linear layers on the mean-pooled last layer, one
per task, with the masked losses of ``models.train.head_loss``. The served heads are
refitted afterwards on pooled features of the tuned backbone (``models.train_public``).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from miyraa.labels import HEADS
from models.network import EMBEDDING_DIM, Encoder, mean_pool
from models.public_data import Labelled
from models.train import head_loss, safety_pos_weight

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneConfig:
    layers: int = 6  # top transformer layers tuned (6: all of them); the rest stay frozen
    epochs: int = 2  # at most; early stopping on the dev loss may end sooner
    rows_per_source: int = 9500  # drawn from every source each epoch (about OLID's size)
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float = 1e-3
    warmup: float = 0.06  # share of the steps with a rising learning rate, then linear decay
    weight_decay: float = 0.01
    max_seq_length: int = 128  # training only; serving keeps the backbone's 256
    safety_pos_weight_cap: float = 3.0
    patience: int = 1  # epochs without a better dev loss before stopping
    seed: int = 0


@dataclass
class FinetuneResult:
    state: dict[str, torch.Tensor]  # the best epoch's tuned layers
    history: list[dict[str, Any]] = field(default_factory=list)  # per epoch: dev losses, seconds


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


def epoch_rows(sources: dict[str, Labelled], per_source: int, rng: random.Random) -> list[tuple[str, int]]:
    """``per_source`` (source, row) pairs from each source: a seeded sample of a big source,
    whole passes (then a sample) of a small one."""
    rows: list[tuple[str, int]] = []
    for name in sorted(sources):
        n = len(sources[name])
        indices = list(range(n)) * (per_source // n)
        indices += rng.sample(range(n), per_source - len(indices))
        rows += [(name, i) for i in indices]
    return rows


def batch_loss(
    encoder: Encoder,
    heads: nn.ModuleDict,
    texts: list[str],
    y: dict[str, torch.Tensor],
    pos_weight: torch.Tensor,
    max_length: int,
) -> torch.Tensor:
    """The sum over heads of each head's masked mean loss on one batch."""
    tokens = encoder.tokenizer(
        texts, padding="longest", truncation=True, max_length=max_length, return_tensors="pt"
    )
    hidden = encoder.model(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])
    pooled = mean_pool(hidden.last_hidden_state, tokens["attention_mask"])
    ones = torch.ones(len(texts))
    # A tensor start (not sum's int 0) keeps the total a tensor; 0 + x is x exactly.
    return sum(
        (head_loss(name, head(pooled), y[name], ones, pos_weight) for name, head in heads.items()),
        torch.zeros(()),
    )


def dev_loss(
    encoder: Encoder,
    heads: nn.ModuleDict,
    dev: dict[str, Labelled],
    pos_weight: torch.Tensor,
    config: FinetuneConfig,
) -> dict[str, float]:
    """Per dev split, the mean batch loss (heads without labels in a split add nothing)."""
    encoder.model.eval()
    losses = {}
    with torch.inference_mode():
        for name, data in sorted(dev.items()):
            y = data.tensors()
            order = sorted(range(len(data)), key=lambda i: len(data.texts[i]))
            total = 0.0
            for start in range(0, len(order), 64):
                b = order[start : start + 64]
                texts = [data.texts[i] for i in b]
                loss = batch_loss(
                    encoder, heads, texts, {h: t[b] for h, t in y.items()}, pos_weight, config.max_seq_length
                )
                total += float(loss) * len(b)
            losses[name] = total / max(len(data), 1)
    return losses


def finetune(
    encoder: Encoder, sources: dict[str, Labelled], dev: dict[str, Labelled], config: FinetuneConfig
) -> FinetuneResult:
    """Tune the top layers of ``encoder.model`` in place on balanced draws from ``sources``;
    keep the epoch with the least total loss on ``dev``; return its weights and the history."""
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
    y = {name: data.tensors() for name, data in sources.items()}
    pos_weight = safety_pos_weight(
        torch.cat([y[name]["safety"] for name in sorted(sources)]), cap=config.safety_pos_weight_cap
    )
    steps_per_epoch = -(-config.rows_per_source * len(sources) // config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, round(total_steps * config.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / (total_steps - warmup))),
    )
    result = FinetuneResult(state=tuned_state(encoder, layer_ids))
    best, stale = float("inf"), 0
    started = time.perf_counter()
    for epoch in range(config.epochs):
        rows = epoch_rows(sources, config.rows_per_source, rng)
        # Length-sorted batches (little padding), visited in a seeded random order.
        rows.sort(key=lambda row: len(sources[row[0]].texts[row[1]]))
        batches = [rows[i : i + config.batch_size] for i in range(0, len(rows), config.batch_size)]
        rng.shuffle(batches)
        model.train()
        for step, batch in enumerate(batches, start=1):
            texts = [sources[name].texts[i] for name, i in batch]
            targets = {h: torch.stack([y[name][h][i] for name, i in batch]) for h in HEADS}
            loss = batch_loss(encoder, heads, texts, targets, pos_weight, config.max_seq_length)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
            optimiser.step()
            schedule.step()
            if step % 200 == 0:
                logger.info(
                    "fine-tune epoch %d step %d/%d loss %.3f %.0f s",
                    epoch,
                    step,
                    len(batches),
                    float(loss),
                    time.perf_counter() - started,
                )
        losses = dev_loss(encoder, heads, dev, pos_weight, config)
        total = sum(losses.values())
        result.history.append(
            {
                "epoch": epoch,
                "dev_loss": losses,
                "dev_loss_total": total,
                "seconds": time.perf_counter() - started,
            }
        )
        logger.info("fine-tune epoch %d dev loss %.4f %s", epoch, total, losses)
        if total < best:
            best, stale = total, 0
            result.state = tuned_state(encoder, layer_ids)
        else:
            stale += 1
            if stale >= config.patience:
                break
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    load_tuned(encoder, result.state)
    return result


def round_to_half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Store in float16 (half the bytes in git); features are computed from the rounded weights."""
    return {name: value.half() for name, value in state.items()}


def load_tuned(encoder: Encoder, state: dict[str, torch.Tensor]) -> None:
    """Put tuned (possibly float16) layers into an encoder's float32 backbone."""
    missing = set(state) - set(encoder.model.state_dict())
    if missing:
        raise ValueError(f"tuned weights name layers the backbone lacks: {sorted(missing)[:3]}")
    encoder.model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
