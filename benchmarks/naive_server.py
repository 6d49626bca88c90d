"""The baseline: the same model behind a plain HTTP endpoint, the way the earlier service
served it: one forward pass per request, no batching, every text padded to 128 tokens.

    python benchmarks/naive_server.py --port 3900 --model-dir <model store entry path>

Used by benchmarks/bench.py only. POST /fingerprint {"text": ...} -> probabilities per head.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import torch
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from models.network import FingerprintModel, activate

PAD_TO = 128


def app_for(model: FingerprintModel) -> Starlette:
    lock = threading.Lock()  # one forward pass at a time, like a single model instance

    def predict(text: str) -> dict[str, list[float]]:
        encoder = model.encoder
        batch = encoder.tokenizer(
            [text], padding="max_length", truncation=True, max_length=PAD_TO, return_tensors="pt"
        )
        with lock, torch.inference_mode():
            probs = activate(model.heads(encoder.pooled(batch)))
        return {name: value[0].tolist() for name, value in probs.items()}

    async def fingerprint(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(await run_in_threadpool(predict, body["text"]))

    async def ready(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/fingerprint", fingerprint, methods=["POST"]), Route("/readyz", ready)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = FingerprintModel(args.model_dir)
    uvicorn.run(app_for(model), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
