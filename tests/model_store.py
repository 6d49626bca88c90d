"""The model store entry the tests run against: the one `make model` builds for this corpus."""

from __future__ import annotations

import bentoml
import pytest


def built_model() -> bentoml.Model:
    from models.build import build_key, existing
    from models.train import TrainConfig

    model = existing(build_key(TrainConfig()))
    if model is None:
        pytest.fail("no model in the store for this corpus and config: run `make model` first")
    return model
