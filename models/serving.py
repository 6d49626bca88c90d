"""Load the served model from a model store entry: ONNX Runtime (default) or torch.

A model store entry (``make model``, ``models/build.py``) holds::

    tokenizer.json    the backbone's fast tokenizer
    heads.json        label sets, pooled layers, token limit
    model.onnx        the whole network, fp32
    model.int8.onnx   the same, int8 weights
    onnx.json         the default precision (chosen on the dev splits by
                      models/quantization_gate.py), the parity and each graph's cost
                      model (models/batching.py) measured at build

``MODEL_BACKEND=torch`` runs the same network in eager PyTorch instead, rebuilt from the
committed weights (``models/weights/``) and the packaged backbone: a development path
(parity checks, comparisons) that needs the training dependencies; the container has none.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from models.batching import CostModel
from models.onnx_model import GRAPHS, OnnxModel

ONNX_RECORD = "onnx.json"
BACKENDS = ("onnx", "torch")
PRECISIONS = ("auto", *GRAPHS)


class ServedModel(Protocol):
    name: str
    # ONNX: "cost" (length-aware, the default) or "arrival", settable; torch: "token-budget",
    # its encoder's own length groups (models/network.py), fixed.
    grouping: str
    max_tokens: int  # the model reads at most this many tokens of a text

    def predict(self, texts: list[str]) -> dict[str, NDArray[np.float32]]: ...

    def score(self, texts: list[str]) -> tuple[dict[str, NDArray[np.float32]], list[int]]:
        """``predict``'s probabilities and each text's length in tokens before truncation."""
        ...


def read_record(model_dir: Path) -> dict[str, Any]:
    return dict(json.loads((model_dir / ONNX_RECORD).read_text()))


def max_tokens(model_dir: Path) -> int:
    return int(json.loads((model_dir / "heads.json").read_text())["max_seq_length"])


def load_model(
    model_dir: Path, backend: str = "onnx", precision: str = "auto", threads: int = 2
) -> ServedModel:
    """The model of the store entry at ``model_dir``; ``precision`` auto = the entry's default."""
    if backend == "torch":
        return TorchModel(threads)
    if backend != "onnx":
        raise ValueError(f"unknown model backend {backend!r}; one of {BACKENDS}")
    record = read_record(model_dir)
    if precision == "auto":
        precision = str(record["default_precision"])
    if precision not in GRAPHS:
        raise ValueError(f"unknown precision {precision!r}; one of {PRECISIONS}")
    cost = CostModel(**record["cost"][precision])
    return OnnxModel(model_dir, precision, max_tokens(model_dir), threads, cost)


class TorchModel:
    """The eager PyTorch network from the committed weights (development only)."""

    def __init__(self, threads: int) -> None:
        import torch

        from models.artifacts import write_model_dir
        from models.network import FingerprintModel

        torch.set_num_threads(threads)
        self.name = "torch-fp32"
        self.grouping = "token-budget"
        with tempfile.TemporaryDirectory() as folder:
            write_model_dir(Path(folder))
            self.model = FingerprintModel(Path(folder))
        self.max_tokens = self.model.config.max_seq_length

    def predict(self, texts: list[str]) -> dict[str, NDArray[np.float32]]:
        return {name: value.numpy() for name, value in self.model.predict(texts).items()}

    def score(self, texts: list[str]) -> tuple[dict[str, NDArray[np.float32]], list[int]]:
        tokens = [len(ids) for ids in self.model.encoder.tokenizer(texts, verbose=False)["input_ids"]]
        return self.predict(texts), tokens
