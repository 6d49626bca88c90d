"""Throughput and latency side by side, in one run, on one machine, with the same texts.

    make bench          # about 3 minutes; writes reports/bench.json and the table in docs/PERFORMANCE.md
    make bench-smoke    # seconds; checks that every part runs, judges nothing (CI)

1. the model's ceiling: in-process forward passes (torch, 2 threads) at several batch
   sizes over the text mix in arrival order; the best items/s;
2. the service (`bentoml serve`) at saturation: a closed loop of --concurrency clients
   sending POST /fingerprint for --duration seconds;
3. a naive server (benchmarks/naive_server.py): the same model, one forward pass per
   request padded to 128 tokens, no batching, under the same closed loop;
4. the service at half its saturation throughput: an open loop (fixed arrival times;
   latency counted from the scheduled time, so queueing is not hidden);
plus the service's cold start (`bentoml serve` to /readyz 200) and the resident memory of
each of its processes. The load generator runs in this process and shares the 2 cores with
the server in 2-4, equally for both servers. Exit 1 when a target misses (not with --smoke).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadtest.drive import closed_loop, open_loop, rss_mb  # noqa: E402
from loadtest.serving import free_port, start, start_service, stop  # noqa: E402
from loadtest.texts import mix  # noqa: E402

BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
TARGETS = {
    "service_vs_ceiling": 0.7,
    "service_vs_naive": 3.0,
    "half_load_p50_ms": 25.0,
    "half_load_p95_ms": 60.0,
    "half_load_p99_ms": 120.0,
    "cold_start_s": 8.0,
    "rss_total_mb": 900.0,
}


def ceiling(model_dir: Path, texts: list[str], batch_sizes: list[int]) -> dict[int, float]:
    import torch

    from models.network import FingerprintModel

    torch.set_num_threads(2)
    model = FingerprintModel(model_dir)
    model.predict(texts[:32])  # warm up
    rates = {}
    for size in batch_sizes:
        started = time.perf_counter()
        for i in range(0, len(texts), size):
            model.predict(texts[i : i + size])
        rates[size] = round(len(texts) / (time.perf_counter() - started), 1)
    return rates


def markdown(r: dict[str, Any]) -> str:
    svc, naive, half, met = (
        r["service_saturation"],
        r["naive_saturation"],
        r["service_half_load"],
        r["targets_met"],
    )

    def row(what: str, run: dict[str, float]) -> str:
        cells = (run["throughput_rps"], run["p50_ms"], run["p95_ms"], run["p99_ms"], run["errors"])
        return f"| {what} | " + " | ".join(str(c) for c in cells) + " |"

    def target(what: str, value: str, name: str) -> str:
        return f"| {what} | {value} | {'met' if met[name] else '**missed**'} |"

    clients = r["concurrency"]
    ceiling_rows = ", ".join(f"batch {k}: {v}" for k, v in r["ceiling_items_per_s"].items())
    return "\n".join(
        [
            f"Run of {r['date']} on {r['machine']}: `{r['command']}`",
            "",
            "| what | throughput (items/s) | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---|---|---|---|---|",
            f"| model ceiling, in-process, batch {r['ceiling_best_batch']} | {r['ceiling_best']} | | | | |",
            row(f"service at saturation ({clients} clients)", svc),
            row(f"naive server at saturation ({clients} clients)", naive),
            row(f"service at half load (open loop, {r['half_load_offered_rps']} req/s offered)", half),
            "",
            f"Ceiling by batch size (items/s): {ceiling_rows}.",
            "",
            "| target | value | |",
            "|---|---|---|",
            target(
                "service >= 0.7 x model ceiling",
                f"{r['ratios']['service_vs_ceiling']} x",
                "service_vs_ceiling",
            ),
            target("service >= 3 x naive server", f"{r['ratios']['service_vs_naive']} x", "service_vs_naive"),
            target("half load P50 <= 25 ms", f"{half['p50_ms']} ms", "half_load_p50_ms"),
            target("half load P95 <= 60 ms", f"{half['p95_ms']} ms", "half_load_p95_ms"),
            target("half load P99 <= 120 ms", f"{half['p99_ms']} ms", "half_load_p99_ms"),
            target("half load, no errors", str(half["errors"]), "half_load_no_errors"),
            target(
                "cold start <= 8 s (`bentoml serve` to /readyz 200)", f"{r['cold_start_s']} s", "cold_start_s"
            ),
            target("resident memory of all processes <= 900 MB", f"{r['rss_total_mb']} MB", "rss_total_mb"),
            "",
            "Resident memory per process (MB): "
            + "; ".join(f"`{k}` {v}" for k, v in r["rss_mb"].items())
            + ".",
        ]
    )


def write_doc(table: str) -> None:
    text = DOC.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    DOC.write_text(f"{head}{start}\n{table}\n{end}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load phase")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--smoke", action="store_true", help="seconds-long phases, no targets, no doc")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.json")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.texts = 2.0, 64
    args.out.parent.mkdir(parents=True, exist_ok=True)
    logs = args.out.parent

    from tests.model_store import built_model

    model = built_model()
    texts = mix(args.texts)
    sizes = [1, 8, 16, 32, 64] if not args.smoke else [1, 16]
    rates = ceiling(Path(model.path), texts, sizes)
    best = max(rates, key=rates.__getitem__)

    # The batching pipeline's capacity: load shedding off, or the 32 clients would mostly be shed.
    process, url, cold = start_service(logs / "bench-service.log", MAX_INFLIGHT_TEXTS="10000")
    try:
        asyncio.run(closed_loop(url, texts, 4, 1.0))  # warm up
        saturation = asyncio.run(closed_loop(url, texts, args.concurrency, args.duration)).summary()
        half_rate = max(1.0, saturation["throughput_rps"] / 2)
        half = asyncio.run(open_loop(url, texts, half_rate, args.duration)).summary()
        rss = rss_mb(process.pid)
    finally:
        stop(process)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    naive_cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "naive_server.py"),
        "--port",
        str(port),
        "--model-dir",
        model.path,
    ]
    env = {**os.environ, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    process, _ = start(naive_cmd, url, env, logs / "bench-naive.log")
    try:
        asyncio.run(closed_loop(url, texts, 4, 1.0))
        naive = asyncio.run(closed_loop(url, texts, args.concurrency, args.duration)).summary()
    finally:
        stop(process)

    ratios = {
        "service_vs_ceiling": round(saturation["throughput_rps"] / rates[best], 2),
        "service_vs_naive": round(saturation["throughput_rps"] / max(naive["throughput_rps"], 1e-9), 2),
    }
    total_rss = round(sum(rss.values()), 1)
    values = {
        **ratios,
        "half_load_p50_ms": half["p50_ms"],
        "half_load_p95_ms": half["p95_ms"],
        "half_load_p99_ms": half["p99_ms"],
        "cold_start_s": round(cold, 2),
        "rss_total_mb": total_rss,
    }
    met = {
        name: (values[name] >= target if name.startswith("service_vs") else values[name] <= target)
        for name, target in TARGETS.items()
    }
    met["half_load_no_errors"] = half["errors"] == 0
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{psutil.cpu_count()} CPUs, {round(psutil.virtual_memory().total / 2**30)} GiB",
        "command": "make bench" if not args.smoke else "make bench-smoke",
        "texts": len(texts),
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "ceiling_items_per_s": rates,
        "ceiling_best_batch": best,
        "ceiling_best": rates[best],
        "service_saturation": saturation,
        "service_half_load": half,
        "half_load_offered_rps": round(half_rate, 1),
        "naive_saturation": naive,
        "ratios": ratios,
        "cold_start_s": round(cold, 2),
        "rss_mb": rss,
        "rss_total_mb": total_rss,
        "targets": TARGETS,
        "targets_met": met,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    print(table)
    if args.smoke:
        return 0
    write_doc(table)
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
