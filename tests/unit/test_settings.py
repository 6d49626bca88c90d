import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from miyraa.settings import Settings

TEMPLATE = Path(__file__).parents[2] / ".env.template"


DEPLOYMENT_SECTION = "# --- Deployment"
COMPOSE = Path(__file__).parents[2] / "docker-compose.yml"


def template_values(section: str = "service") -> dict[str, str]:
    """Variables of the service part of .env.template, or of its docker compose part."""
    service, _, deployment = TEMPLATE.read_text().partition(DEPLOYMENT_SECTION)
    values = {}
    for line in (service if section == "service" else deployment).splitlines():
        if match := re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line):
            values[match[1]] = match[2]
    return values


def test_env_template_lists_exactly_the_settings():
    assert set(template_values()) == {name.upper() for name in Settings.model_fields}


def test_env_template_lists_exactly_the_compose_variables():
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text()))
    assert set(template_values("deployment")) == used


def test_env_template_defaults_equal_the_code_defaults(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    from_template = Settings(_env_file=None, **{k.lower(): v for k, v in template_values().items()})
    defaults = Settings(_env_file=None)
    assert from_template.model_dump() == defaults.model_dump()


def test_every_template_variable_has_a_comment():
    lines = TEMPLATE.read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert lines[i - 1].startswith("#"), f"{line} has no comment above it"


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("MAX_TEXT_CHARS", "100")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("LOG_FORMAT", "TEXT")
    settings = Settings(_env_file=None)
    assert (settings.max_text_chars, settings.log_level, settings.log_format) == (100, "DEBUG", "text")


@pytest.mark.parametrize(
    ("name", "value"),
    [("SAFETY_THRESHOLD", "1.5"), ("RUNNER_MAX_BATCH_SIZE", "1"), ("LOG_FORMAT", "xml"), ("RATE_LIMIT", "0")],
)
def test_invalid_values_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings(_env_file=None)


def test_hash_key_uses_the_secret_or_a_stable_random_key():
    assert Settings(_env_file=None, client_hash_secret="s3cret").hash_key() == b"s3cret"
    random_key = Settings(_env_file=None, client_hash_secret="").hash_key()
    assert len(random_key) == 32
    assert Settings(_env_file=None, client_hash_secret="").hash_key() == random_key


@pytest.mark.parametrize(
    ("value", "regions"),
    [("US,GB,FR,DE,ES,IT,IN", ["US", "GB", "FR", "DE", "ES", "IT", "IN"]), (" gb , fr,gb", ["GB", "FR"])],
)
def test_pii_phone_regions_are_a_checked_list(monkeypatch, value, regions):
    monkeypatch.setenv("PII_PHONE_REGIONS", value)
    assert Settings(_env_file=None).pii_phone_region_list() == regions


@pytest.mark.parametrize("value", ["US,XX", "UK", "", " , "])
def test_pii_phone_regions_refuse_unknown_codes(monkeypatch, value):
    monkeypatch.setenv("PII_PHONE_REGIONS", value)
    with pytest.raises(ValidationError, match="pii_phone_regions"):
        Settings(_env_file=None)


def test_the_default_safety_threshold_is_the_one_training_chose():
    """make train chooses the threshold on its calibration split (models/calibration.py) and
    records it; the service's default must follow the committed weights."""
    import json

    from models.artifacts import WEIGHTS_DIR

    chosen = json.loads((WEIGHTS_DIR / "metrics.json").read_text())["calibration"]["threshold"]
    assert Settings.model_fields["safety_threshold"].default == chosen
