"""The API and runner services in this process, through their ASGI apps.

The runner is composed in-process here (``bentoml.depends`` resolves to a local
instance), so calls to it are direct; the batching test drives the runner's own
ASGI app, where BentoML's adaptive batcher lives. BentoML's metrics middleware is
off (it hangs in-process apps); ``miyraa_*`` metrics use the default registry.
"""

from __future__ import annotations

import os

import pytest
from starlette.testclient import TestClient

from tests.model_store import built_model


@pytest.fixture(scope="session")
def model_tag() -> str:
    return str(built_model().tag)


@pytest.fixture(scope="session")
def in_process(model_tag):
    os.environ["MODEL_TAG"] = model_tag
    os.environ["BENTOML_CONFIG_OPTIONS"] = (
        "services.miyraa.metrics.enabled=false services.miyraa_runner.metrics.enabled=false"
    )
    os.environ["RATE_LIMIT"] = "1000000"
    from miyraa.settings import get_settings

    get_settings.cache_clear()  # unit tests may have read the settings before these were set


@pytest.fixture(scope="session")
def api(in_process):
    from service import Miyraa

    with TestClient(Miyraa.to_asgi(), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def runner_app(in_process):
    from service import FingerprintRunner

    with TestClient(FingerprintRunner.to_asgi(is_main=False)) as client:
        yield client
