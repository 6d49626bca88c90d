"""The trained model as committed files, and how a model folder is made from them.

``models/weights/`` holds what ``make train`` produced and ``make model`` builds from:

    backbone_top.safetensors  the fine-tuned top backbone layers (float16)
    heads.safetensors         the head weights
    heads.json                pooled layers, label sets, token limit
    metrics.json              training config, data sizes, dev metrics, reference predictions
    quantization.json         int8 against fp32 on the dev splits, and whether int8 is served
                              (``make quantization-gate``, models/quantization_gate.py)

A torch model folder (see ``models/network.py``) is the packaged backbone with the tuned
layers written over its own, plus the heads. The served folder, the model store entry
(see ``models/serving.py``), holds the ONNX graphs exported from it and the tokenizer.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from models.network import HeadsConfig, MultiTaskHeads, backbone_path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
FILES = ("backbone_top.safetensors", "heads.safetensors", "heads.json", "metrics.json", "quantization.json")


def write_weights(tuned: dict[str, torch.Tensor], heads: MultiTaskHeads, report: dict[str, Any]) -> None:
    WEIGHTS_DIR.mkdir(exist_ok=True)
    save_file({k: v.contiguous() for k, v in sorted(tuned.items())}, WEIGHTS_DIR / "backbone_top.safetensors")
    save_file({k: v.contiguous() for k, v in heads.state_dict().items()}, WEIGHTS_DIR / "heads.safetensors")
    heads.config.write(WEIGHTS_DIR / "heads.json")
    (WEIGHTS_DIR / "metrics.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")


def read_metrics(weights_dir: Path = WEIGHTS_DIR) -> dict[str, Any]:
    return dict(json.loads((weights_dir / "metrics.json").read_text()))


def read_quantization(weights_dir: Path = WEIGHTS_DIR) -> dict[str, Any]:
    return dict(json.loads((weights_dir / "quantization.json").read_text()))


def weights_sha256(weights_dir: Path = WEIGHTS_DIR) -> str:
    """One hash over the committed files: what makes two model builds interchangeable."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + (weights_dir / name).read_bytes())
    return digest.hexdigest()


def write_model_dir(
    target: Path, weights_dir: Path = WEIGHTS_DIR, source_backbone: Path | None = None
) -> None:
    """A complete model folder from the packaged backbone and the committed weights."""
    HeadsConfig.read(weights_dir / "heads.json")  # refuses label sets that differ from miyraa.labels
    source = source_backbone or backbone_path()
    shutil.copytree(
        source,
        target / "backbone",
        ignore=shutil.ignore_patterns(
            "README.md", ".gitattributes", "*.onnx", "onnx", "openvino", "model.safetensors"
        ),
        dirs_exist_ok=True,
    )
    state = load_file(source / "model.safetensors")
    tuned = load_file(weights_dir / "backbone_top.safetensors")
    unknown = set(tuned) - set(state)
    if unknown:
        raise ValueError(f"tuned weights name tensors the backbone lacks: {sorted(unknown)[:3]}")
    state.update({name: value.to(state[name].dtype) for name, value in tuned.items()})
    save_file(state, target / "backbone" / "model.safetensors", metadata={"format": "pt"})
    for name in ("heads.safetensors", "heads.json"):
        shutil.copy2(weights_dir / name, target / name)


def write_graphs(target: Path, weights_dir: Path = WEIGHTS_DIR) -> dict[str, Any]:
    """ONNX graphs, tokenizer and head config into ``target``; their parity and measured
    cost models (returned, ``models.export.check``). Refuses graphs whose fp32 variant
    differs from the torch network by more than ``MAX_FP32_DIFF`` in any probability."""
    from models.export import check, export
    from models.network import FingerprintModel

    with tempfile.TemporaryDirectory() as folder:
        torch_dir = Path(folder)
        write_model_dir(torch_dir, weights_dir)
        model = FingerprintModel(torch_dir)
        export(model, target)
        shutil.copy2(torch_dir / "backbone" / "tokenizer.json", target / "tokenizer.json")
        shutil.copy2(weights_dir / "heads.json", target / "heads.json")
        parity, cost = check(model, target)
    if parity["fp32_max_abs_diff"] > MAX_FP32_DIFF:
        raise ValueError(f"the ONNX graph differs from the torch network: {parity}")
    return {"parity": parity, "cost": cost}


def write_served_dir(target: Path, weights_dir: Path = WEIGHTS_DIR) -> dict[str, Any]:
    """The served folder (``write_graphs``) and its record: the precision the quantization
    gate chose, the parity and the cost models measured (returned, and written as ``onnx.json``)."""
    from models.serving import ONNX_RECORD

    measured = write_graphs(target, weights_dir)
    gate = read_quantization(weights_dir)
    record = {"default_precision": "int8" if gate["int8_default"] else "fp32", **measured}
    (target / ONNX_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    return record


MAX_FP32_DIFF = 1e-4
