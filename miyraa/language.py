"""Which language a text is written in, and whether the model can read it.

The model reads English only (its backbone and training data); other languages get
confident wrong answers. Each scrubbed text is identified by py3langid (a naive Bayes
model over byte n-grams that ships in its wheel; chosen by measurement over lingua:
docs/LANGUAGE.md), restricted to ``LANGUAGES``, the languages a caller is likely to
send: without the restriction, English slang and headlines went to Nigerian Pidgin,
Sesotho or Tagalog.

A text is *unsupported* when the identifier's best guess is not English and either
- its letters are mostly of a non-Latin script (Cyrillic, Arabic, CJK...), which the
  model's English vocabulary cannot read, whatever the guess's confidence (a Russian text
  splits its confidence between Russian, Ukrainian and Bulgarian), or
- it is in Latin script and the guess's confidence is at least ``CONFIDENCE_BOUND``.
Short or ambiguous texts ("ok", "lol", names, emoji, placeholders such as ``[URL]``) stay
supported: fewer than ``MIN_LETTERS`` letters are not identified at all (``und``), and
the other Latin-script guesses fall below the bound.

Only the first ``PREFIX_CHARS`` characters are read (about what the model itself reads
of a text at its 256-token limit), so the cost per text is bounded: about 0.1 ms for a
chat line, 1 ms at the bound.
"""

from __future__ import annotations

import io
import lzma
import re
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

SUPPORTED = ("en",)
UNDETERMINED = "und"  # ISO 639-2: too little text to tell
CONFIDENCE_BOUND = 0.5
MIN_LETTERS = 3
PREFIX_CHARS = 1_000
# What the identifier chooses among: the world's most written languages (ISO 639-1).
LANGUAGES = (
    "en", "es", "fr", "de", "it", "pt", "nl", "tr", "ru", "zh", "ja", "ko", "ar", "fa", "he",
    "hi", "bn", "ur", "id", "ms", "vi", "th", "pl", "uk", "cs", "sk", "sl", "hr", "sr", "bs",
    "bg", "mk", "ro", "hu", "el", "sv", "da", "no", "nn", "fi", "et", "lv", "lt", "ca", "eu",
    "gl", "sq", "az", "kk", "uz", "ka", "hy", "ta", "te", "ml", "kn", "mr", "gu", "pa", "ne",
    "si", "my", "km", "lo", "am", "sw", "tl", "af", "is", "ga", "cy",
)  # fmt: skip
# Label values of miyraa_language_total: English, the 20 most common others, und, other.
METRIC_LANGUAGES = (
    "en", "es", "fr", "de", "pt", "it", "nl", "ru", "zh", "ja", "ko", "ar", "tr", "hi", "id",
    "pl", "vi", "uk", "fa", "th", "sv", UNDETERMINED,
)  # fmt: skip
OTHER = "other"

# The scrubber's placeholders ([EMAIL], [URL]...) and GoEmotions' [NAME]: English-looking
# words that are not the writer's.
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")
_LETTER = re.compile(r"[^\W\d_]")
# Letters outside Latin (Basic, Latin-1, Extended-A/B, Extended Additional: Vietnamese).
_NON_LATIN_LETTER = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


@dataclass(frozen=True)
class Detection:
    code: str
    confidence: float
    supported: bool

    @property
    def metric_label(self) -> str:
        return self.code if self.code in METRIC_LANGUAGES else OTHER


class LanguageIdentifier:
    """py3langid over ``LANGUAGES``, with the rules of the module docstring."""

    def __init__(self) -> None:
        # py3langid has no type information. Its model is sliced to LANGUAGES before the
        # identifier is made: ``set_languages`` would keep the full 28 MB table as well.
        from py3langid.langid import MODEL_DIR, MODEL_FILE
        from py3langid.langid import LanguageIdentifier as Py3LangId

        per_feature, prior, classes, moves, rows, outputs = _load_model(MODEL_DIR / MODEL_FILE)
        keep = [i for i, code in enumerate(classes) if code in LANGUAGES]
        self._model: Any = Py3LangId(
            np.ascontiguousarray(per_feature[:, keep]),
            prior[keep],
            [classes[i] for i in keep],
            moves,
            outputs,
            norm_probs=True,
            tk_row=rows,
        )

    def detect(self, text: str) -> Detection:
        prefix = _PLACEHOLDER.sub(" ", text[:PREFIX_CHARS])
        letters = len(_LETTER.findall(prefix))
        if letters < MIN_LETTERS:
            return Detection(UNDETERMINED, 0.0, True)
        code, confidence = self._model.classify(prefix)
        code, confidence = str(code), round(float(confidence), 4)
        if code in SUPPORTED:
            return Detection(code, confidence, True)
        non_latin = len(_NON_LATIN_LETTER.findall(prefix)) * 2 > letters
        return Detection(code, confidence, not (non_latin or confidence >= CONFIDENCE_BOUND))


def _load_model(path: Path) -> tuple[Any, ...]:
    """py3langid's ``modelio.load_model``, decompressed in memory: the library's own
    decompresses into a temporary file (68 MB), which a container's small read-write /tmp
    (64 MB in docs/DEPLOYMENT.md) cannot hold. The 68 MB are transient."""
    with lzma.open(path) as src:
        buffer = io.BytesIO(src.read())
    with np.load(buffer, allow_pickle=False) as data:
        return (
            data["ptc"],
            data["pc"],
            data["classes"].tolist(),
            _to_array(data["nextmove"]),
            _to_array(data["nextmove_row"]),
            data["out_feat"].tolist(),
        )


def _to_array(values: Any) -> array[int]:
    """An unsigned-int numpy array as the stdlib array py3langid's tokenizer reads."""
    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


@lru_cache(maxsize=1)
def language_identifier() -> LanguageIdentifier:
    """One per process: loading the model takes about 0.6 s and 60 MB."""
    return LanguageIdentifier()
