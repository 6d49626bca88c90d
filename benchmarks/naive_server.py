"""The baselines: the same model behind a plain HTTP endpoint, one forward pass per
request, no batching, one pass at a time (like a single model instance).

    python benchmarks/naive_server.py --port 3900 --model-dir <model store entry path>
    python benchmarks/naive_server.py --port 3901 --model-dir <...> --backend onnx --pad own

- the naive server (the defaults): the way the earlier service served the model, eager
  PyTorch, every text padded (and cut) to 128 tokens;
- the strongest simple alternative (``--backend onnx --pad own``): ONNX Runtime with the
  fp32 graph of the model store entry, every text at its own length (cut at the model's
  token limit), in a plain uvicorn + Starlette app.

Both tokenize with the entry's fast tokenizer. Used by benchmarks/bench.py.
POST /fingerprint {"text": ...} -> probabilities per head; GET /readyz -> 200.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import uvicorn
from numpy.typing import NDArray
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

Arrays = dict[str, NDArray[np.float32]]
Forward = Callable[[NDArray[np.int64], NDArray[np.int64]], Arrays]  # (input_ids, attention_mask) -> probs
PAD_TO = 128  # the earlier service's fixed length


def encoder(model_dir: Path, pad: int | None) -> Callable[[str], tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Text -> (input_ids, attention_mask) of one row: cut and padded to ``pad`` tokens,
    or, when ``pad`` is None, cut at the model's token limit and not padded."""
    from models.onnx_model import TOKENIZER, tokenizer
    from models.serving import max_tokens

    tok = tokenizer(model_dir / TOKENIZER, pad or max_tokens(model_dir))

    def encode(text: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        ids = tok.encode(text).ids
        input_ids = np.zeros((1, pad or len(ids)), dtype=np.int64)
        input_ids[0, : len(ids)] = ids
        mask = np.zeros_like(input_ids)
        mask[0, : len(ids)] = 1
        return input_ids, mask

    return encode


def torch_forward(model_dir: Path, threads: int) -> Forward:
    """Eager PyTorch: the network rebuilt from the committed weights the entry was built from."""
    import torch

    from models.network import activate
    from models.serving import TorchModel

    model = TorchModel(threads).model

    def forward(input_ids: NDArray[np.int64], mask: NDArray[np.int64]) -> Arrays:
        batch = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(mask)}
        with torch.inference_mode():
            probs = activate(model.heads(model.encoder.pooled(batch)))
        return {name: value.numpy() for name, value in probs.items()}

    return forward


def onnx_forward(model_dir: Path, threads: int) -> Forward:
    """ONNX Runtime, the entry's fp32 graph, ``threads`` intra-op threads."""
    import onnxruntime as ort

    from models.onnx_model import GRAPHS, OUTPUTS

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(
        str(model_dir / GRAPHS["fp32"]), options, providers=["CPUExecutionProvider"]
    )

    def forward(input_ids: NDArray[np.int64], mask: NDArray[np.int64]) -> Arrays:
        outputs = session.run(list(OUTPUTS), {"input_ids": input_ids, "attention_mask": mask})
        return dict(zip(OUTPUTS, outputs, strict=True))

    return forward


BACKENDS = {"torch": torch_forward, "onnx": onnx_forward}


def app_for(
    encode: Callable[[str], tuple[NDArray[np.int64], NDArray[np.int64]]], forward: Forward
) -> Starlette:
    lock = threading.Lock()  # one forward pass at a time, like a single model instance

    def predict(text: str) -> dict[str, list[float]]:
        input_ids, mask = encode(text)
        with lock:
            probs = forward(input_ids, mask)
        return {name: value[0].tolist() for name, value in probs.items()}

    async def fingerprint(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(await run_in_threadpool(predict, body["text"]))

    async def ready(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/fingerprint", fingerprint, methods=["POST"]), Route("/readyz", ready)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model-dir", type=Path, required=True, help="the model store entry's folder")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="torch")
    parser.add_argument("--pad", default=str(PAD_TO), help=f"tokens per text, or own (default {PAD_TO})")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    pad = None if args.pad == "own" else int(args.pad)
    app = app_for(encoder(args.model_dir, pad), BACKENDS[args.backend](args.model_dir, args.threads))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
