"""Export the torch model to the ONNX graphs the service runs (``make model`` calls it).

    model.onnx        fp32: backbone + pooling of several layers + heads + activations
    model.int8.onnx   the same, its weight matrices quantized to int8 (dynamic, per channel)

torch's exporter traces the network once (TorchScript-based exporter, opset 17, batch and
token axes dynamic); ONNX Runtime's own quantizer makes the int8 variant
(``quantize_int8``: which weights, and why). Whether int8 is good enough to serve is
decided on the dev splits by ``models/quantization_gate.py``, not here. Needs the
training dependencies (torch, onnx).
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from models.network import FingerprintModel, activate, mean_pool
from models.onnx_model import GRAPHS, OUTPUTS

logger = logging.getLogger(__name__)
OPSET = 17


class WholeNetwork(nn.Module):
    """Token ids and mask in, the probabilities of every head out (``OUTPUTS`` order)."""

    def __init__(self, model: FingerprintModel) -> None:
        super().__init__()
        self.backbone = model.encoder.model
        self.heads = model.heads
        self.pooling_layers = model.config.pooling_layers

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        hidden = self.backbone(
            input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
        ).hidden_states
        features = torch.cat([mean_pool(hidden[i], attention_mask) for i in self.pooling_layers], dim=1)
        probs = activate(self.heads(features))
        return tuple(probs[name] for name in OUTPUTS)


def export_fp32(model: FingerprintModel, target: Path) -> None:
    network = WholeNetwork(model).eval()
    sample = model.encoder.tokenizer(["a sample text to trace", "short"], padding=True, return_tensors="pt")
    dynamic = {"input_ids": {0: "texts", 1: "tokens"}, "attention_mask": {0: "texts", 1: "tokens"}}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes
        torch.onnx.export(
            network,
            (sample["input_ids"], sample["attention_mask"]),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=list(OUTPUTS),
            dynamic_axes={**dynamic, **{name: {0: "texts"} for name in OUTPUTS}},
            opset_version=OPSET,
            dynamo=False,
        )


def quantize_int8(source: Path, target: Path) -> None:
    """int8 weights for the attention projections and the embedding table (47 MB of the
    graph's 90 in fp32: the image's size budget); the feed-forward layers and the heads
    stay fp32. Measured on GoEmotions dev (models/README.md): int8 feed-forward layers, the
    first layer's above all, moved the emotion away from fp32's on 4-5% of texts; these
    weights on about 2%, for about 1.3x the speed."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = onnx.load(str(source), load_external_data=False).graph.node
    quantized = [n.name for n in nodes if n.op_type == "Gather" or ATTENTION.search(n.name)]
    logging.getLogger("root").setLevel(logging.ERROR)  # the quantizer's "run pre-processing" advice
    quantize_dynamic(
        str(source),
        str(target),
        per_channel=True,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Gather"],
        nodes_to_quantize=quantized,
    )


# The attention projections' weight products: query, key, value and the attention output.
ATTENTION = re.compile(r"/attention/(self/(query|key|value)|output/dense)/MatMul$")


def export(model: FingerprintModel, target_dir: Path) -> None:
    """Write both graphs into ``target_dir``."""
    export_fp32(model, target_dir / GRAPHS["fp32"])
    quantize_int8(target_dir / GRAPHS["fp32"], target_dir / GRAPHS["int8"])
    logger.info("exported %s", ", ".join(GRAPHS.values()))


# Texts the parity checks run on: everyday lines, the longest case (truncated), odd characters.
PARITY_TEXTS = (
    "I can't stop smiling, we got the apartment!",
    "My grandmother passed away last night and I keep crying.",
    "Honestly this is the worst service I've ever had, fix it now.",
    "I'm going to find you and hurt you.",
    "Please send the invoice to [EMAIL] before Friday.",
    "ok",
    "😂😂😂",
    "Estoy muy feliz, ¡hemos ganado el campeonato!",
    "ＦＵＬＬＷＩＤＴＨ and naïve café “quotes” — dashes",
    "The hotel was lovely. " * 80,
)


def check(model: FingerprintModel, target_dir: Path) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The graphs' parity and cost models. Parity: how far they are from the torch network
    on ``PARITY_TEXTS``, run as one padded batch and in groups chosen by cost: the largest
    probability difference of fp32 from torch and of int8 from fp32, and the share of
    texts where int8 names the same emotion. Cost: each graph's ``CostModel``, measured."""
    import numpy as np

    from models.onnx_model import OnnxModel

    texts = list(PARITY_TEXTS)
    reference = {k: v.numpy() for k, v in model.predict(texts).items()}
    result: dict[str, float] = {}
    graphs = {p: OnnxModel(target_dir, p, model.config.max_seq_length, threads=2) for p in GRAPHS}
    for precision, graph in graphs.items():
        base = reference if precision == "fp32" else graphs["fp32"].predict(texts)
        for grouping in ("arrival", "cost"):
            graph.grouping = grouping
            probs = graph.predict(texts)
            diff = max(float(np.abs(probs[k] - base[k]).max()) for k in OUTPUTS)
            key = f"{precision}_max_abs_diff"
            result[key] = max(result.get(key, 0.0), diff)
        if precision == "int8":
            agree = probs["emotion"].argmax(1) == base["emotion"].argmax(1)
            result["int8_emotion_agreement"] = float(agree.mean())
    return result, {p: asdict(graph.cost) for p, graph in graphs.items()}
