"""The served model without torch: a fast tokenizer and one ONNX Runtime graph.

The graph (written by ``models/export.py``) is the whole network: the tuned MiniLM
backbone, the pooling of several layers, the heads and their activations. Inputs
``input_ids`` and ``attention_mask`` (int64, batch x tokens); outputs one probability
matrix per head (``OUTPUTS``). Texts are tokenized by the ``tokenizers`` library from
the backbone's own ``tokenizer.json`` (ids identical to transformers' BertTokenizer;
truncated at the model's token limit, never padded by the tokenizer), then run in
groups chosen by cost (``models/batching.py``). Only the ratios of the cost model's
constants decide the groups, so constants measured on the build machine serve elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.batching import CostModel, arrival_groups, cost_groups, padded

OUTPUTS = ("emotion", "vad", "safety", "style", "intent")
GRAPHS = {"fp32": "model.onnx", "int8": "model.int8.onnx"}
TOKENIZER = "tokenizer.json"
MAX_GROUP = 64
# Padded tokens per pass at most (8 texts at the 256-token limit): a pass's memory grows with
# its tokens and its attention with their square; a pass of 64 such texts took 1.4 GB.
MAX_PASS_TOKENS = 2048


def tokenizer(path: Path, max_tokens: int):  # type: ignore[no-untyped-def]  # tokenizers has no stubs
    """The backbone's fast tokenizer, truncating at ``max_tokens`` and never padding."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.enable_truncation(max_tokens)
    tok.no_padding()
    return tok


class OnnxModel:
    """Texts in, probabilities per head out (numpy, one row per text, input order)."""

    def __init__(
        self,
        model_dir: Path,
        precision: str,
        max_tokens: int,
        threads: int = 2,
        cost: CostModel | None = None,
    ) -> None:
        """``cost``: the backend's cost model (``models/serving.py`` reads the one measured at
        build time); measured here when not given (about a second)."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # warnings about unused initializers are noise here
        # Idle intra-op threads sleep instead of spinning: between batches the cores belong
        # to the API worker (and, in a benchmark, the load generator) on the same machine.
        # Measured: the runner's CPU fell by a third (16 -> 11 s per 10 s) at the same throughput.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.name = f"onnx-{precision}"
        self.session = ort.InferenceSession(
            str(model_dir / GRAPHS[precision]), options, providers=["CPUExecutionProvider"]
        )
        # The memory arena goes back after each pass: kept, it holds the largest pass's memory
        # for good (runner 540 MB after long texts, 315 MB with this; the same speed).
        self.run_options = ort.RunOptions()
        self.run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.tokenizer = tokenizer(model_dir / TOKENIZER, max_tokens)
        self.max_tokens = max_tokens
        self.grouping = "cost"  # or "arrival": one padded pass per MAX_GROUP texts, in order
        self.cost = cost or CostModel.measure(self._timed_pass)

    def encode(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """The ids the model reads (truncated at ``max_tokens``) and each text's whole length in
        tokens, special tokens included: the tokenizer keeps what truncation cut as overflow
        pieces, each with its own special tokens, so the count costs no second pass."""
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
        special = self.tokenizer.num_special_tokens_to_add(False)
        lengths = [len(e.ids) + sum(len(o.ids) - special for o in e.overflowing) for e in encodings]
        return [e.ids for e in encodings], lengths

    def forward(self, ids: list[list[int]]) -> list[NDArray[np.float32]]:
        """One pass over ``ids``, padded to the longest: the outputs in ``OUTPUTS`` order."""
        input_ids, mask = padded(ids)
        outputs: list[NDArray[np.float32]] = self.session.run(
            OUTPUTS, {"input_ids": input_ids, "attention_mask": mask}, self.run_options
        )
        return outputs

    def predict(self, texts: list[str]) -> dict[str, NDArray[np.float32]]:
        return self.score(texts)[0]

    def score(self, texts: list[str]) -> tuple[dict[str, NDArray[np.float32]], list[int]]:
        """Probabilities per head and each text's length in tokens before truncation."""
        ids, tokens = self.encode(texts)
        lengths = [len(x) for x in ids]
        if self.grouping == "cost":
            groups = cost_groups(lengths, self.cost, MAX_GROUP, MAX_PASS_TOKENS)
        else:
            groups = arrival_groups(lengths, MAX_GROUP)  # the baseline, uncapped
        out: dict[str, NDArray[np.float32]] = {}
        for group in groups:
            for name, value in zip(OUTPUTS, self.forward([ids[i] for i in group]), strict=True):
                if name not in out:
                    out[name] = np.empty((len(texts), value.shape[1]), dtype=np.float32)
                out[name][group] = value
        return out, tokens

    def _timed_pass(self, n: int, t: int) -> None:
        self.forward([[101] + [1000] * (t - 2) + [102]] * n)
