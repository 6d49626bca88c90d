"""Request and response bodies of the HTTP API, and what the runner returns per text.

The request bodies carry limits from the settings (MAX_TEXT_CHARS, MAX_BATCH_TEXTS):
``request_models`` makes them once at start-up (service.py), and BentoML validates each
request against them before the API runs. ``FingerprintRequest`` and ``BatchRequest``
below are their unbounded shapes, for type checking and clients.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from miyraa.labels import EMOTIONS, INTENTS, SAFETY_CATEGORIES, STYLES

ClientId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        description="optional caller label, logged as a keyed hash (rate limits count per key or address)",
    ),
]


class _Strict(BaseModel):
    """A request body: strict types, no unknown fields, and errors that never quote the input.

    Not ``extra="forbid"``: pydantic would name each unknown key in the error's ``loc``, and a
    key can be personal data (``{"jane@example.org": 1}``). Unknown keys are refused here by
    count; the schema still says ``additionalProperties: false``.
    """

    model_config = ConfigDict(
        extra="ignore",
        hide_input_in_errors=True,
        strict=True,
        json_schema_extra={"additionalProperties": False},
    )

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and (unknown := len(data.keys() - cls.model_fields.keys())):
            allowed = ", ".join(cls.model_fields)
            raise ValueError(f"{unknown} unknown field(s); the fields are: {allowed}")
        return data


class FingerprintRequest(_Strict):
    text: str
    client_id: ClientId | None = None


class BatchRequest(_Strict):
    texts: list[str]
    client_id: ClientId | None = None


def request_models(
    max_text_chars: int, max_batch_texts: int, max_request_chars: int
) -> tuple[type[FingerprintRequest], type[BatchRequest]]:
    """The request bodies with the service's limits on each text, on a batch's length and on
    the characters a batch holds in all (what the scrubber reads per request is bounded)."""
    text = Annotated[
        str,
        StringConstraints(min_length=1, max_length=max_text_chars, pattern=r"\S"),
        Field(description=f"1 to {max_text_chars} characters, not only whitespace"),
    ]
    single = create_model("FingerprintRequest", __base__=FingerprintRequest, text=(text, ...))

    def total_within_limit(cls: type[BatchRequest], texts: list[str]) -> list[str]:
        if (total := sum(len(t) for t in texts)) > max_request_chars:
            raise ValueError(f"the texts hold {total} characters in all; at most {max_request_chars}")
        return texts

    batch = create_model(
        "BatchRequest",
        __base__=BatchRequest,
        __validators__={"total_within_limit": field_validator("texts")(total_within_limit)},
        texts=(
            list[text],
            Field(
                min_length=1,
                max_length=max_batch_texts,
                description=f"1 to {max_batch_texts} texts, {max_request_chars} characters in all",
                # Machine-readable for clients (miyraa/client.py): JSON Schema has no word for it.
                json_schema_extra={"x-max-total-chars": max_request_chars},
            ),
        ),
    )
    return single, batch


class ModelOutput(BaseModel):
    """Probabilities for one text, as the runner returns them (label order of ``miyraa.labels``),
    and the text's length in the model's tokens, before truncation at ``max_tokens``."""

    emotion: list[float]
    vad: list[float]
    safety: list[float]
    style: list[float]
    intent: list[float]
    tokens: int = Field(ge=0)
    max_tokens: int = Field(ge=1)


class VAD(BaseModel):
    valence: float = Field(ge=0, le=1)
    arousal: float = Field(ge=0, le=1)
    dominance: float = Field(ge=0, le=1)


class Safety(BaseModel):
    safe: bool
    risk: float = Field(ge=0, le=1, description="the highest category probability")
    categories: dict[str, float] = Field(description=f"probabilities of {', '.join(SAFETY_CATEGORIES)}")


class PII(BaseModel):
    redacted: bool
    counts: dict[str, int] = Field(description="number of values replaced, by entity type")


class ModelInfo(BaseModel):
    name: str
    version: str


class Language(BaseModel):
    code: str = Field(
        description="ISO 639-1 code of the language identified (miyraa/language.py), "
        "or und: too few letters to tell"
    )
    confidence: float = Field(ge=0, le=1, description="the identifier's probability for that language")
    supported: bool = Field(
        description="false when the model (English only) cannot read the text; short or ambiguous "
        "texts (confidence under 0.5 in Latin script, under 3 letters) count as supported"
    )


class ResponseWarning(BaseModel):
    model_config = ConfigDict(title="Warning")

    code: Literal["unsupported_language", "truncated"] = Field(description="stable, for programs")
    message: str = Field(description="for people")


class Fingerprint(BaseModel):
    emotion: str = Field(description=f"one of {', '.join(EMOTIONS)}")
    emotion_scores: dict[str, float]
    vad: VAD
    safety: Safety
    style: str = Field(description=f"one of {', '.join(STYLES)}")
    intent: str = Field(description=f"one of {', '.join(INTENTS)}")
    pii: PII
    language: Language
    tokens: int = Field(ge=0, description="the text's length in the model's tokens (after scrubbing)")
    truncated: bool = Field(description="the text is over the model's 256-token limit: it read the start")
    warnings: list[ResponseWarning] = Field(
        description="what the client should know about this answer; empty if all is well"
    )
    model: ModelInfo
    processing_time_ms: float

    model_config = ConfigDict(protected_namespaces=())


class ItemError(BaseModel):
    """A batch item the service declined (UNSUPPORTED_LANGUAGE=reject), in place of its fingerprint."""

    error: str = Field(description="what was wrong, as in the error answers")
    status: int = Field(description="the status a single request would have had: 422")
    language: Language


class BatchResponse(BaseModel):
    results: list[Fingerprint | ItemError] = Field(
        description="one per text, in input order: a fingerprint, or an error object for a text refused"
    )
