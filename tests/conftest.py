"""Markers by folder: tests/unit -> unit, tests/integration -> integration, tests/e2e -> e2e, ..."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")

TESTS = Path(__file__).parent
# tests/container needs a built image and a Docker engine: `make container-test` runs it.
collect_ignore = [] if os.environ.get("MIYRAA_IMAGE") else ["container"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(item.path).relative_to(TESTS).parts[0]
        if folder in ("unit", "integration", "e2e", "container"):
            item.add_marker(getattr(pytest.mark, folder))
