"""Runtime configuration: one pydantic-settings class read from the environment.

Every field here is listed, with its default and a comment, in ``.env.template``;
``tests/unit/test_settings.py`` keeps the two in step.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from miyraa.pii import DEFAULT_PHONE_REGIONS, parse_regions


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Model
    model_tag: str = Field("miyraa-fingerprint:latest", description="BentoML model store tag")
    model_backend: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx (served) or torch (development: needs the training dependencies)"
    )
    model_precision: Literal["auto", "fp32", "int8"] = Field(
        "auto", description="ONNX graph; auto: the one the quantization gate chose (models/serving.py)"
    )
    model_threads: int = Field(2, ge=1, le=64, description="intra-op threads of the runner's model")

    # Adaptive batching
    runner_max_batch_size: int = Field(64, ge=2, le=256)
    runner_max_latency_ms: int = Field(
        20_000,
        ge=100,
        le=600_000,
        description="BentoML's per-call budget: a backstop (runners/fingerprint.py)",
    )
    request_timeout_s: float = Field(30.0, gt=0, le=600)
    ready_probe_timeout_s: float = Field(1.0, gt=0, le=30)
    runner_call_timeout_s: float = Field(
        25.0,
        gt=0,
        le=600,
        description="cap of a runner call's budget (2 s + 1 ms a token); past it: 503, runner down",
    )
    runner_drain_s: float = Field(
        5.0, ge=0, le=120, description="after SIGTERM, the runner serves until idle, at most this"
    )
    admission_goal_ms: float = Field(
        250.0, gt=0, le=60_000, description="time in service the adaptive admission holds requests to"
    )

    # Input limits
    max_text_chars: int = Field(5000, ge=1, le=100_000)
    max_batch_texts: int = Field(64, ge=1, le=1024)
    max_request_chars: int = Field(
        100_000, ge=1, le=10_000_000, description="characters in all the texts of one request"
    )

    # Safety, language and PII
    safety_threshold: float = Field(
        0.57,
        ge=0.0,
        le=1.0,
        description="flags a category at this probability; default: chosen by make train (metrics.json)",
    )
    unsupported_language: Literal["annotate", "reject"] = Field(
        "annotate",
        description="a text the model cannot read (not English): annotate (answer with a warning) "
        "or reject (422; per item in a batch)",
    )
    pii_phone_regions: str = Field(
        ",".join(DEFAULT_PHONE_REGIONS),
        description="comma-separated ISO 3166 regions whose national phone numbers the scrubber reads",
    )

    # Rate limiting
    rate_limit: int = Field(600, ge=1, description="requests per window per client")
    rate_window: float = Field(60.0, gt=0, description="window length in seconds")
    rate_limit_max_clients: int = Field(10_000, ge=1, description="bound on tracked clients")
    client_hash_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(""),
        description="HMAC key for client hashes; a random per-process key when empty",
    )

    # Access (miyraa/guard.py)
    # MAX_REQUEST_CHARS characters as JSON may take 12 bytes each (an emoji escaped as
    # "\ud83d\ude02", what json.dumps writes by default): 1.2 MB at the default, plus the rest.
    max_body_bytes: int = Field(1_300_000, ge=1024, description="request body cap; larger: 413")
    body_timeout_s: float = Field(10.0, gt=0, le=300, description="whole body within this; else 408")
    api_keys: SecretStr = Field(
        default_factory=lambda: SecretStr(""),
        description="comma-separated keys for the fingerprint APIs; empty: open",
    )
    metrics_api_key: SecretStr = Field(
        default_factory=lambda: SecretStr(""), description="key for /metrics; empty: open"
    )

    cors_origins: str = Field("", description="comma-separated origins allowed by CORS; empty: none")
    docs_ui: bool = Field(True, description="serve the Swagger UI at /")
    ui: bool = Field(True, description="serve the fingerprint page at /ui (miyraa/page.py)")

    # Logging
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"

    @model_validator(mode="after")
    def _limits_nest(self) -> Settings:
        """A single text of the longest allowed length must fit the per-request total."""
        if self.max_text_chars > self.max_request_chars:
            raise ValueError(
                "need MAX_TEXT_CHARS <= MAX_REQUEST_CHARS, "
                f"got {self.max_text_chars} > {self.max_request_chars}"
            )
        return self

    @field_validator("log_level", "log_format", "unsupported_language", mode="before")
    @classmethod
    def _normalise_case(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        return value.lower() if value.lower() in ("json", "text", "annotate", "reject") else value.upper()

    @model_validator(mode="after")
    def _timeouts_nest(self) -> Settings:
        """A runner call must fail before the request it serves times out, and BentoML's
        dispatcher budget must not cut a call the API still waits for."""
        if not self.runner_max_latency_ms / 1000 <= self.runner_call_timeout_s < self.request_timeout_s:
            raise ValueError(
                "need RUNNER_MAX_LATENCY_MS / 1000 <= RUNNER_CALL_TIMEOUT_S < REQUEST_TIMEOUT_S, got "
                f"{self.runner_max_latency_ms} ms, {self.runner_call_timeout_s} s, {self.request_timeout_s} s"
            )
        return self

    @field_validator("pii_phone_regions")
    @classmethod
    def _known_regions(cls, value: str) -> str:
        return ",".join(parse_regions(value))

    def pii_phone_region_list(self) -> list[str]:
        return self.pii_phone_regions.split(",")

    def api_key_list(self) -> list[str]:
        return [k.strip() for k in self.api_keys.get_secret_value().split(",") if k.strip()]

    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def hash_key(self) -> bytes:
        """The HMAC key for client hashes (random, per process, when unset)."""
        key = self.client_hash_secret.get_secret_value()
        return key.encode() if key else _process_key()


@lru_cache(maxsize=1)
def _process_key() -> bytes:
    return secrets.token_bytes(32)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
