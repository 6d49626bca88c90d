"""Throughput and latency side by side, in one run, on one machine, for both text mixes.

    make bench          # about 6 minutes; writes reports/bench.json and the tables in docs/PERFORMANCE.md
    make bench-smoke    # seconds; checks that every part runs, judges nothing (CI)
    python benchmarks/bench.py --mix documents          # one mix only

For each mix of loadtest/texts.py (chat: short messages from a few fixed texts;
documents: hundreds of distinct texts of 5 to 120 words):
1. the model's ceiling: the served model (models/serving.py) in-process, alone on the
   cores, at several batch sizes, in arrival order (each batch one padded pass) and
   length-aware (the model's cost-based groups); the best of each;
2. the service (`bentoml serve`, started once for both mixes): closed loops of 8 and 32
   clients sending POST /fingerprint for --duration seconds (32: saturation);
3. the naive server (benchmarks/naive_server.py): eager PyTorch, one forward pass per
   request padded to 128 tokens, no batching, under the same closed loops;
4. the strongest simple alternative: the same model with ONNX Runtime fp32, one forward
   pass per request at the text's own length, no batching (naive_server.py --backend
   onnx --pad own), under the same closed loops;
5. the service at half its saturation throughput: an open loop (fixed arrival times;
   latency counted from the scheduled time, so queueing is not hidden);
plus the service's cold start (`bentoml serve` to /readyz 200) and the resident memory of
each of its processes after all loads. The load generator runs in this process and shares
the cores with the server in 2-5, equally for every server. Exit 1 when a target misses
(benchmarks/report.py; not with --smoke).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import judge, markdown, write_doc  # noqa: E402
from loadtest.drive import closed_loop, open_loop, rss_mb  # noqa: E402
from loadtest.serving import free_port, start, start_service, stop  # noqa: E402
from loadtest.texts import MIXES  # noqa: E402

if TYPE_CHECKING:
    from models.serving import ServedModel

STARTED = time.perf_counter()
CLIENTS = (8, 32)  # closed loops; the largest is saturation
BATCH_SIZES = (1, 8, 16, 32, 64)
GROUPINGS = ("arrival", "cost")
# Settings of `bentoml serve` while measuring (each must be a field of miyraa/settings.py).
# The admission's latency goal at its maximum: shedding effectively off, so that saturation
# measures the serving pipeline and not how much the admission refuses.
SERVICE_SETTINGS = {"ADMISSION_GOAL_MS": "60000"}


class Baseline(NamedTuple):
    label: str
    flags: list[str]  # of benchmarks/naive_server.py


BASELINES = {
    "naive": Baseline("naive server (torch, padded to 128)", ["--backend", "torch", "--pad", "128"]),
    "onnx": Baseline("ONNX Runtime fp32, own length", ["--backend", "onnx", "--pad", "own"]),
}


def say(message: str) -> None:
    print(f"bench, {time.perf_counter() - STARTED:.0f} s: {message}", file=sys.stderr, flush=True)


def ceiling(
    model: ServedModel, texts: list[str], batch_sizes: tuple[int, ...]
) -> dict[str, dict[int, float]]:
    """Items/s of ``model.predict`` over ``texts`` in batches of each size, by grouping."""
    one_pass(model, texts, 16)  # warm up: every shape the runtime will see, once
    rates: dict[str, dict[int, float]] = {}
    for grouping in GROUPINGS:
        model.grouping = grouping
        rates[grouping] = {size: round(len(texts) / one_pass(model, texts, size), 1) for size in batch_sizes}
    return rates


def one_pass(model: ServedModel, texts: list[str], size: int) -> float:
    """Seconds to predict ``texts`` in consecutive batches of ``size``."""
    started = time.perf_counter()
    for i in range(0, len(texts), size):
        model.predict(texts[i : i + size])
    return time.perf_counter() - started


def best(rates: dict[int, float]) -> dict[str, float]:
    size = max(rates, key=rates.__getitem__)
    return {"batch": size, "items_per_s": rates[size]}


class ModelOptions(TypedDict):
    """The keyword arguments of models.serving.load_model, as the runner passes them."""

    backend: str
    precision: str
    threads: int


def model_options() -> ModelOptions:
    """How the service's runner loads the model: the same settings, the same environment."""
    from miyraa.settings import Settings

    settings = Settings()
    return {
        "backend": settings.model_backend,
        "precision": settings.model_precision,
        "threads": settings.model_threads,
    }


def measure_ceilings(
    model_dir: Path, mixes: dict[str, list[str]], batch_sizes: tuple[int, ...]
) -> tuple[dict[str, Any], dict[str, dict[str, dict[int, float]]]]:
    """The model (name, options) and its ceilings by mix; it is gone before any server starts."""
    from models.serving import load_model

    options = model_options()
    model = load_model(model_dir, **options)
    rates = {}
    for name, texts in mixes.items():
        say(f"in-process ceiling, {name} mix")
        rates[name] = ceiling(model, texts, batch_sizes)
    return {"name": model.name, **options}, rates


def closed_loops(url: str, texts: list[str], duration: float) -> dict[int, dict[str, float]]:
    asyncio.run(closed_loop(url, texts, 4, 1.0))  # warm up
    return {clients: asyncio.run(closed_loop(url, texts, clients, duration)).summary() for clients in CLIENTS}


def service_settings() -> dict[str, str]:
    """SERVICE_SETTINGS, refused when one names no setting (it would silently do nothing)."""
    from miyraa.settings import Settings

    unknown = [name for name in SERVICE_SETTINGS if name.lower() not in Settings.model_fields]
    if unknown:
        raise SystemExit(f"SERVICE_SETTINGS names no setting of miyraa/settings.py: {unknown}")
    return SERVICE_SETTINGS


def measure_service(mixes: dict[str, list[str]], duration: float, logs: Path) -> dict[str, Any]:
    process, url, cold = start_service(logs / "bench-service.log", **service_settings())
    runs: dict[str, Any] = {}
    try:
        for name, texts in mixes.items():
            say(f"service, {name} mix")
            loops = closed_loops(url, texts, duration)
            rate = max(1.0, loops[max(CLIENTS)]["throughput_rps"] / 2)
            half = asyncio.run(open_loop(url, texts, rate, duration)).summary()
            runs[name] = {"service": loops, "service_half_load": {**half, "offered_rps": round(rate, 1)}}
        rss = rss_mb(process.pid)
    finally:
        stop(process)
    return {"mixes": runs, "cold_start_s": round(cold, 2), "rss_mb": rss}


def measure_baseline(
    name: str, model_dir: Path, mixes: dict[str, list[str]], duration: float, logs: Path
) -> dict[str, dict[int, dict[str, float]]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = ROOT / "benchmarks" / "naive_server.py"
    command = [sys.executable, str(server), "--port", str(port), "--model-dir", str(model_dir)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process, _ = start([*command, *BASELINES[name].flags], url, env, logs / f"bench-{name}.log")
    try:
        runs = {}
        for mix, texts in mixes.items():
            say(f"{BASELINES[name].label}, {mix} mix")
            runs[mix] = closed_loops(url, texts, duration)
        return runs
    finally:
        stop(process)


def words(texts: list[str]) -> dict[str, float]:
    counts = np.array([len(t.split()) for t in texts])
    return {
        "mean": round(float(counts.mean()), 1),
        "p90": int(np.percentile(counts, 90)),
        "max": int(counts.max()),
    }


def mix_report(texts: list[str], rates: dict[str, dict[int, float]], runs: dict[str, Any]) -> dict[str, Any]:
    """One mix's figures and the service's throughput over the ceiling and each baseline."""
    r = {
        "texts": len(texts),
        "words": words(texts),
        "ceiling_items_per_s": rates,
        "ceiling_best": {grouping: best(rates[grouping]) for grouping in GROUPINGS},
        **runs,
    }
    service = {c: r["service"][c]["throughput_rps"] for c in CLIENTS}
    ratios = {"service_vs_ceiling": service[max(CLIENTS)] / r["ceiling_best"]["cost"]["items_per_s"]}
    for name in BASELINES:
        ratios |= {
            f"service_vs_{name}_{c}": service[c] / max(r[name][c]["throughput_rps"], 1e-9) for c in CLIENTS
        }
    r["ratios"] = {name: round(value, 2) for name, value in ratios.items()}
    return r


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mix", choices=[*MIXES, "all"], default="all")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per load phase")
    parser.add_argument("--texts", type=int, default=400, help="texts per mix")
    parser.add_argument("--smoke", action="store_true", help="seconds-long phases, no targets, no doc")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.json")
    args = parser.parse_args()
    sizes: tuple[int, ...] = BATCH_SIZES
    if args.smoke:
        args.duration, args.texts, sizes = 2.0, 64, (1, 16)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    logs = args.out.parent

    from tests.model_store import built_model

    model_dir = Path(built_model().path)
    names = list(MIXES) if args.mix == "all" else [args.mix]
    mixes = {name: MIXES[name](args.texts, 0) for name in names}
    model, rates = measure_ceilings(model_dir, mixes, sizes)
    service = measure_service(mixes, args.duration, logs)
    baselines = {name: measure_baseline(name, model_dir, mixes, args.duration, logs) for name in BASELINES}

    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{psutil.cpu_count()} CPUs, {round(psutil.virtual_memory().total / 2**30)} GiB",
        "command": "make bench-smoke" if args.smoke else "make bench",
        "duration_s": args.duration,
        "clients": list(CLIENTS),
        "model": model,
        "service_settings": SERVICE_SETTINGS,
        "baselines": {name: b._asdict() for name, b in BASELINES.items()},
        "mixes": {
            name: mix_report(
                texts,
                rates[name],
                {**service["mixes"][name], **{b: runs[name] for b, runs in baselines.items()}},
            )
            for name, texts in mixes.items()
        },
        "cold_start_s": service["cold_start_s"],
        "rss_mb": service["rss_mb"],
        "rss_total_mb": round(sum(service["rss_mb"].values()), 1),
    }
    report["targets"] = judge(report)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    print(table)
    if args.smoke:
        return 0
    write_doc(table)
    return 0 if all(t["held"] for t in report["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
