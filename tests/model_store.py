"""The model store entry the tests run against: the one `make model` builds from models/weights/."""

from __future__ import annotations

import bentoml
import pytest


def built_model() -> bentoml.Model:
    from models.build import build_key, existing

    model = existing(build_key())
    if model is None:
        pytest.fail("no model in the store for the committed weights: run `make model` first")
    return model
