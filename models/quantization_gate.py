"""Decide on the dev splits whether the int8 graph may be the served default.

    python -m models.quantization_gate --data-dir ../shared/data   # make quantization-gate

Exports both graphs from the committed weights, scores each on the splits the model
never trained on (GoEmotions dev, EmoBank dev, the OLID held-out part, the team split)
and writes ``models/weights/quantization.json``. int8 is the default only when, with it,
every dev target of the model (``DEV_TARGETS``) still holds, no headline metric is
more than ``MAX_METRIC_DROP`` below fp32's (every one is "higher is better"; a metric
that int8 improves is reported among the largest changes, not held against it), and it
names the same emotion as fp32 on at least ``MIN_AGREEMENT`` of GoEmotions dev.
Otherwise fp32 is served. ``make model`` reads the decision; nothing here runs at
serving time.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.artifacts import WEIGHTS_DIR, write_graphs
from models.onnx_model import GRAPHS, OnnxModel
from models.train import score
from models.train_public import (
    DEFAULT_DATA_DIR,
    DEV_TARGETS,
    EVAL_SETS,
    PublicConfig,
    dev_target_values,
    load_sets,
)

logger = logging.getLogger("models.quantization_gate")

MAX_METRIC_DROP = 0.01
MIN_AGREEMENT = 0.98
# The metrics compared between precisions (per-label F1 of rare labels moves with one text).
HEADLINE = ("emotion_accuracy", "emotion_macro_f1", "vad_pearson_r", "safety_roc_auc", "safety_f1",
            "style_accuracy", "intent_accuracy")  # fmt: skip


def headline(metrics: dict[str, dict[str, Any]]) -> dict[str, float]:
    """``set.metric[.label]`` -> value, for the ``HEADLINE`` metrics."""
    flat: dict[str, float] = {}
    for set_name, values in metrics.items():
        for name in HEADLINE:
            value = values.get(name)
            if isinstance(value, dict):
                flat.update({f"{set_name}.{name}.{k}": float(v) for k, v in value.items()})
            elif value is not None:
                flat[f"{set_name}.{name}"] = float(value)
    return flat


def gate(data_dir: Path) -> dict[str, Any]:
    sets = {name: s for name, s in load_sets(data_dir, PublicConfig()).items() if name in EVAL_SETS}
    with tempfile.TemporaryDirectory() as folder:
        graphs = Path(folder)
        parity = write_graphs(graphs)["parity"]
        max_tokens = json.loads((graphs / "heads.json").read_text())["max_seq_length"]
        probs: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        seconds: dict[str, float] = {}
        for precision in GRAPHS:
            model = OnnxModel(graphs, precision, max_tokens)
            started = time.perf_counter()
            probs[precision] = {name: model.predict(s.texts) for name, s in sets.items()}
            seconds[precision] = round(time.perf_counter() - started, 1)
    truth = {name: {h: v.numpy() for h, v in s.tensors().items()} for name, s in sets.items()}
    metrics = {p: {name: score(probs[p][name], truth[name]) for name in sets} for p in GRAPHS}
    fp32, int8 = headline(metrics["fp32"]), headline(metrics["int8"])
    drops = {k: round(fp32[k] - int8[k], 4) for k in fp32}
    emotions = {p: probs[p]["goemotions_dev"]["emotion"].argmax(1) for p in GRAPHS}
    agreement = float((emotions["fp32"] == emotions["int8"]).mean())
    targets = dev_target_values(metrics["int8"])
    checks = {
        "dev_targets_hold": all(targets[k] >= v for k, v in DEV_TARGETS.items()),
        f"no_metric_drops_over_{MAX_METRIC_DROP}": all(d <= MAX_METRIC_DROP for d in drops.values()),
        f"goemotions_agreement_at_least_{MIN_AGREEMENT}": agreement >= MIN_AGREEMENT,
    }
    return {
        "int8_default": all(checks.values()),
        "checks": checks,
        "goemotions_dev_emotion_agreement": round(agreement, 4),
        "int8_dev_target_values": targets,
        "largest_changes_fp32_minus_int8": dict(sorted(drops.items(), key=lambda kv: -abs(kv[1]))[:8]),
        "fp32": fp32,
        "int8": int8,
        "seconds_to_score": seconds,
        "parity": parity,
        "command": "make quantization-gate",
    }


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--dry-run", action="store_true", help="print only; leave models/weights/ alone")
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        logger.error("no dev data at %s (set DATA_DIR)", args.data_dir)
        return 2
    report = gate(args.data_dir)
    print(json.dumps({k: v for k, v in report.items() if k not in ("fp32", "int8")}, indent=2))  # noqa: T201
    if not args.dry_run:
        (WEIGHTS_DIR / "quantization.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
