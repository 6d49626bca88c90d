"""How well the served model's safety probabilities hold on data it was not trained on.

    python -m models.safety_eval --data-dir ../shared/data [--heldout models/heldout/safety_heldout.jsonl]

For the built model (``make model``; the ONNX graph the service runs):
- the team's held-out pass (``models/heldout/``: threats, harassment, hard negatives and
  everyday messages written in a separate pass, never trained on): ROC-AUC per category,
  the share of its threats and of its harassment flagged at SAFETY_THRESHOLD, the share of
  its hard negatives and everyday messages flagged (any category);
- OLID's held-out part (the same stratified split as training, ``models/public_data.py``):
  ROC-AUC and offensive macro-F1 at the threshold (toxic against subtask A), and the
  threshold that would give the best macro-F1;
- expected calibration error (10 equal-width bins) per category on each, with the
  reliability table (mean predicted probability against observed rate per bin).
Prints a table and writes reports/safety_eval.json. Issue 13's targets are listed beside
each figure; nothing here fails a build (a training run is judged by its model card).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from miyraa.labels import SAFETY_CATEGORIES
from miyraa.settings import Settings
from models import evaluation as ev
from models import public_data as pd
from models.artifacts import WEIGHTS_DIR
from models.corpus import Example, load_corpus

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger("models.safety_eval")
HELDOUT = ROOT / "models" / "heldout" / "safety_heldout.jsonl"
REPORT = ROOT / "reports" / "safety_eval.json"
BINS = 10
TARGETS = {
    "heldout threatening ROC-AUC": 0.95,
    "heldout harassment ROC-AUC": 0.95,
    "heldout threats flagged": 0.95,
    "heldout negatives flagged (at most)": 0.02,
    "OLID ROC-AUC": 0.90,
    "OLID macro-F1 at the threshold": 0.80,
    "ECE per category (at most)": 0.05,
}


def predict(texts: list[str]) -> NDArray[np.float32]:
    from miyraa.pii import scrub
    from models.serving import load_model
    from tests.model_store import built_model

    model = load_model(Path(built_model().path))
    scrubbed = [scrub(text).text for text in texts]
    rows = [model.predict(scrubbed[i : i + 64])["safety"] for i in range(0, len(scrubbed), 64)]
    return np.concatenate(rows).astype(np.float32)


def heldout_figures(examples: list[Example], threshold: float) -> dict[str, Any]:
    probs = predict([e.text for e in examples])
    truth = np.array([e.safety for e in examples], dtype=np.int64)
    flagged: NDArray[np.bool_] = np.asarray((probs >= threshold).any(axis=1))
    threats = truth[:, SAFETY_CATEGORIES.index("threatening")] == 1
    harassment = truth[:, SAFETY_CATEGORIES.index("harassment")] == 1
    negatives = truth.sum(axis=1) == 0
    figures: dict[str, Any] = {
        "texts": len(examples),
        "threats flagged": float(flagged[threats].mean()),
        "harassment flagged": float(flagged[harassment].mean()),
        "negatives flagged": float(flagged[negatives].mean()),
        "negatives": int(negatives.sum()),
    }
    for i, category in enumerate(SAFETY_CATEGORIES):
        if len(set(truth[:, i].tolist())) == 2:
            figures[f"{category} ROC-AUC"] = ev.roc_auc(truth[:, i], probs[:, i].astype(np.float64))
            figures[f"{category} ECE"], figures[f"{category} reliability"] = ev.reliability(
                truth[:, i], probs[:, i], BINS
            )
    return figures


def olid_split() -> tuple[float, int]:
    """The OLID held-out fraction and seed the committed weights were trained with: another
    seed would score rows the model trained on."""
    config = json.loads((WEIGHTS_DIR / "metrics.json").read_text())["config"]
    return float(config["olid_held_out"]), int(config["seed"])


def olid_figures(data_dir: Path, threshold: float) -> dict[str, Any]:
    _, held_out = pd.olid(data_dir, *olid_split())
    truth = (held_out.tensors()["safety"][:, 0].numpy() > 0.5).astype(np.int64)  # toxic = offensive
    probs = predict(held_out.texts)[:, SAFETY_CATEGORIES.index("toxic")]
    best = max(np.arange(0.05, 0.96, 0.01), key=lambda t: macro_f1(truth, probs, float(t)))
    ece, table = ev.reliability(truth, probs, BINS)
    return {
        "texts": len(truth),
        "ROC-AUC": ev.roc_auc(truth, probs.astype(np.float64)),
        "macro-F1 at the threshold": macro_f1(truth, probs, threshold),
        # Chosen on the split it is scored on: an upper bound, not the served figure.
        "best threshold here": round(float(best), 2),
        "macro-F1 at it (upper bound)": macro_f1(truth, probs, float(best)),
        "toxic ECE": ece,
        "toxic reliability": table,
    }


def macro_f1(truth: NDArray[np.int64], probs: NDArray[np.float32], threshold: float) -> float:
    return ev.macro_f1(truth, (probs >= threshold).astype(np.int64), 2)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--threshold", type=float, default=Settings.model_fields["safety_threshold"].default)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = {
        "threshold": args.threshold,
        "heldout": heldout_figures(load_corpus([args.heldout]), args.threshold),
        "olid_heldout": olid_figures(args.data_dir, args.threshold),
        "targets": TARGETS,
    }
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    for part in ("heldout", "olid_heldout"):
        for name, value in report[part].items():
            if not isinstance(value, list):
                shown = f"{value:.3f}" if isinstance(value, float) else str(value)
                logger.info("%-13s %-32s %s", part, name, shown)
    logger.info("targets: %s; written %s", TARGETS, REPORT.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
