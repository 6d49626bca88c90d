"""Overload: offered 3x its saturation load, the service sheds the excess and recovers.

    make chaos          # with the fault checks; the burst lasts 60 s
    python reliability/overload.py --burst 10 --phase 5 --no-targets   # bounded (CI)

One `bentoml serve` (per-client rate limit off, so only the shedding acts), one text mix:
1. saturation: a closed loop of 32 clients -> S req/s served (the service's default
   settings: its adaptive admission sheds what it cannot serve within its latency goal);
2. half load: an open loop at S/2 -> the reference P99;
3. burst: an open loop at 3 x S for --burst seconds; RSS of every process sampled each second;
4. recovery: an open loop at S/2, started as the burst's sending ends.
Figures: goodput during the burst against S, share shed (503 + Retry-After) and how fast
(P99, max), the served requests' P99
against the half-load P99, other errors, workers alive with the same PIDs, memory growth
over the burst, and the seconds after the burst until latency is back to normal (three
seconds in a row with every answer a 200 and a P95 within 2x the half-load P99). The load
generator shares the machine's cores with the service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadtest.drive import Answer, Run, closed_loop, open_loop, percentiles, rss_mb  # noqa: E402
from loadtest.serving import start_service, stop  # noqa: E402
from loadtest.texts import MIXES  # noqa: E402

CLIENTS = 32  # the closed loop that measures saturation, as in make bench
TARGETS = {
    "goodput_vs_saturation": 0.9,  # served req/s during the burst / saturation req/s
    "shed_p99_ms": 100.0,  # a shed request is answered within 100 ms
    "served_p99_vs_half_load": 2.0,
    "other_errors": 0,
    "rss_growth_ratio": 1.10,  # peak RSS over the burst / RSS before it
    "recovery_s": 5.0,
}


def recovery_s(answers: list[Answer], bound_s: float, window_s: float = 1.0, settled: int = 3) -> float:
    """Seconds from the first answer until latency is back to normal: the start of the first
    run of ``settled`` ``window_s`` windows with no error and a P95 within ``bound_s`` (a
    lone slow second later on is noise that half load has too, not a slow recovery)."""
    start = answers[0].at_s
    windows: dict[int, list[Answer]] = {}
    for a in answers:
        windows.setdefault(int((a.at_s - start) // window_s), []).append(a)
    good = [
        all(a.status == 200 for a in group)
        and float(np.percentile([a.latency_s for a in group], 95)) <= bound_s
        for _, group in sorted(windows.items())
    ]
    for i in range(len(good)):
        if all(good[i : i + settled]):
            return round(i * window_s, 2)
    return round(len(good) * window_s, 2)


async def burst_then_recover(
    url: str, texts: list[str], burst_rps: float, burst_s: float, calm_rps: float, calm_s: float
) -> tuple[Run, Run]:
    async def calm_after_burst() -> Run:
        await asyncio.sleep(burst_s)
        return await open_loop(url, texts, calm_rps, calm_s)

    burst, calm = await asyncio.gather(open_loop(url, texts, burst_rps, burst_s), calm_after_burst())
    return burst, calm


async def sample_rss(pid: int, seconds: float, into: list[float]) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        into.append(round(sum(rss_mb(pid).values()), 1))
        await asyncio.sleep(1.0)


def measure(
    url: str, pid: int, texts: list[str], clients: int, phase_s: float, burst_s: float
) -> dict[str, Any]:
    asyncio.run(closed_loop(url, texts, 4, 1.0))  # warm up
    saturation = asyncio.run(closed_loop(url, texts, clients, phase_s)).summary()
    rate = saturation["throughput_rps"]
    half = asyncio.run(open_loop(url, texts, rate / 2, phase_s)).summary()
    before = rss_mb(pid)
    rss: list[float] = []

    async def burst_with_memory() -> tuple[Run, Run]:
        sampler = asyncio.create_task(sample_rss(pid, burst_s + 1, rss))
        runs = await burst_then_recover(url, texts, 3 * rate, burst_s, rate / 2, phase_s)
        await sampler
        return runs

    burst, calm = asyncio.run(burst_with_memory())
    after = rss_mb(pid)
    served = [a.latency_s for a in burst.answers if a.status == 200]
    shed = [a for a in burst.answers if a.status == 503]
    others = [a for a in burst.answers if a.status not in (200, 503)]
    bound_s = 2 * half["p99_ms"] / 1000
    return {
        "saturation": saturation,
        "half_load": half,
        "burst": {
            "offered_rps": round(3 * rate, 1),
            "seconds": burst_s,
            "requests": len(burst.answers),
            "served": len(served),
            "served_rps": round(len(served) / burst_s, 1),
            "shed": len(shed),
            "shed_share": round(len(shed) / max(len(burst.answers), 1), 3),
            "shed_with_retry_after": sum(a.retry_after for a in shed),
            "other_errors": len(others),
            "other_statuses": sorted({a.status for a in others}),
            "served_latency": percentiles(served),
            "shed_latency": {
                **percentiles([a.latency_s for a in shed]),
                "max_ms": round(max((a.latency_s for a in shed), default=0) * 1000, 1),
            },
        },
        "recovery": {"bound_ms": round(bound_s * 1000, 1), "seconds": recovery_s(calm.answers, bound_s)},
        "rss_total_mb": {"before": rss[0], "peak": max(rss), "end": rss[-1], "samples": rss},
        "workers_same": sorted(before) == sorted(after),
        "rss_mb_before": before,
        "rss_mb_after": after,
    }


def judge(r: dict[str, Any]) -> dict[str, bool]:
    burst = r["burst"]
    return {
        "goodput_vs_saturation": burst["served_rps"]
        >= TARGETS["goodput_vs_saturation"] * r["saturation"]["throughput_rps"],
        "shed_p99_ms": burst["shed_latency"]["p99_ms"] <= TARGETS["shed_p99_ms"],
        "shed_carries_retry_after": burst["shed_with_retry_after"] == burst["shed"],
        "served_p99_vs_half_load": burst["served_latency"]["p99_ms"]
        <= TARGETS["served_p99_vs_half_load"] * r["half_load"]["p99_ms"],
        "other_errors": burst["other_errors"] <= TARGETS["other_errors"],
        "workers_same": r["workers_same"],
        "rss_growth_ratio": r["rss_total_mb"]["peak"]
        <= TARGETS["rss_growth_ratio"] * r["rss_total_mb"]["before"],
        "recovery_s": r["recovery"]["seconds"] <= TARGETS["recovery_s"],
    }


def report_lines(r: dict[str, Any]) -> list[str]:
    b, h, mem = r["burst"], r["half_load"], r["rss_total_mb"]
    served, shed = b["served_latency"], b["shed_latency"]
    return [
        f"saturation {r['saturation']['throughput_rps']} req/s; "
        f"half load P50 {h['p50_ms']} / P99 {h['p99_ms']} ms",
        f"burst {b['offered_rps']} req/s offered for {b['seconds']:g} s: {b['requests']} requests, "
        f"served {b['served']} ({b['served_rps']} req/s, "
        f"{b['served_rps'] / max(r['saturation']['throughput_rps'], 1e-9):.2f}x saturation), "
        f"shed {b['shed']} ({b['shed_share']:.0%}, "
        f"{b['shed_with_retry_after']} with Retry-After), "
        f"other errors {b['other_errors']} {b['other_statuses']}",
        f"shed answered in P99 {shed['p99_ms']} ms (max {shed['max_ms']} ms); "
        f"served P50 {served['p50_ms']} / P99 {served['p99_ms']} ms "
        f"({served['p99_ms'] / max(h['p99_ms'], 1e-9):.2f}x the half-load P99)",
        f"RSS all processes before {mem['before']} MB, peak {mem['peak']} MB, end {mem['end']} MB; "
        f"workers unchanged: {r['workers_same']}",
        f"recovery: back to 200s with P95 within {r['recovery']['bound_ms']} ms "
        f"{r['recovery']['seconds']} s after the burst",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=float, default=60.0, help="seconds at 3x saturation")
    parser.add_argument("--phase", type=float, default=15.0, help="seconds of each other phase")
    parser.add_argument("--mix", choices=sorted(MIXES), default="chat", help="loadtest/texts.py")
    parser.add_argument("--no-targets", action="store_true", help="print the figures, judge nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "overload.json")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)

    process, url, _ = start_service(args.out.parent / "overload-service.log")
    try:
        result = measure(url, process.pid, MIXES[args.mix](400, 0), CLIENTS, args.phase, args.burst)
    finally:
        stop(process)
    result["targets"] = TARGETS
    result["targets_met"] = met = judge(result)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print("\n".join(report_lines(result)))
    print("targets:", ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()))
    return 0 if args.no_targets or all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
