"""Faults inside the runner's model, for tests/e2e/test_failures.py only.

On PYTHONPATH, Python imports this file at the start of every process of the server
under test (arbiter, API worker, runner worker). It wraps the ONNX Runtime model's
``score`` (what the runner calls) so that a text carrying a marker sets off a fault where production would
meet it, behind the real HTTP hop between the API and the runner:
- FAULT_RAISE: the model raises (a bug in a healthy runner);
- FAULT_NAN: the model answers NaN valence for that text (an output that fails validation);
- FAULT_SHORT: the runner answers one output fewer than it got texts.
"""

from __future__ import annotations

import math

from models import onnx_model
from runners import fingerprint

_score = onnx_model.OnnxModel.score
_runner_predict = fingerprint.FingerprintRunner._predict


def _faulty_score(self, texts):  # type: ignore[no-untyped-def]
    if any("FAULT_RAISE" in text for text in texts):
        raise RuntimeError(f"injected fault while reading {texts!r}")  # quotes the text, as bugs do
    out, tokens = _score(self, texts)
    for i, text in enumerate(texts):
        if "FAULT_NAN" in text:
            out["vad"][i, 0] = math.nan
    return out, tokens


def _short_predict(self, texts):  # type: ignore[no-untyped-def]
    outputs = _runner_predict(self, texts)
    return outputs[:-1] if any("FAULT_SHORT" in text for text in texts) else outputs


onnx_model.OnnxModel.score = _faulty_score  # type: ignore[method-assign]
fingerprint.FingerprintRunner._predict = _short_predict  # type: ignore[method-assign]
