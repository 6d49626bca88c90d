"""The benchmark's targets and its report: values judged, markdown tables, the doc section.

benchmarks/bench.py measures and assembles the report (reports/bench.json); this module
reads it: ``judge`` gives each target's value and whether it held, ``markdown`` the
tables written between the bench markers of docs/PERFORMANCE.md (``write_doc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md"
MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")
GROUPING_LABELS = {"arrival": "arrival order", "cost": "length-aware"}


@dataclass(frozen=True)
class Target:
    mix: str | None  # None: the whole run (cold start, memory)
    name: str  # a key of ``values``
    limit: float
    at_least: bool  # True: value >= limit; False: value <= limit
    label: str

    def held(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit


TARGETS = [
    Target("documents", "service_vs_ceiling", 0.7, True, "saturation >= 0.7 x the length-aware ceiling"),
    Target("documents", "service_vs_naive_8", 4.0, True, "service >= 4 x naive server, 8 clients"),
    Target("documents", "service_vs_naive_32", 4.0, True, "service >= 4 x naive server, 32 clients"),
    Target("documents", "half_load_p99_ms", 150.0, False, "half load P99 <= 150 ms"),
    Target("documents", "half_load_errors", 0, False, "half load, no errors"),
    Target("chat", "saturation_rps", 160.0, True, "saturation >= 160 req/s"),
    Target("chat", "half_load_p50_ms", 20.0, False, "half load P50 <= 20 ms"),
    Target("chat", "half_load_p95_ms", 50.0, False, "half load P95 <= 50 ms"),
    Target("chat", "half_load_p99_ms", 100.0, False, "half load P99 <= 100 ms"),
    Target("chat", "half_load_errors", 0, False, "half load, no errors"),
    Target(None, "cold_start_s", 4.0, False, "cold start <= 4 s (`bentoml serve` to /readyz 200)"),
    Target(None, "rss_total_mb", 450.0, False, "resident memory of all the service's processes <= 450 MB"),
]  # fmt: skip


def values(report: dict[str, Any]) -> dict[tuple[str | None, str], float]:
    """Every judged quantity of the report, by (mix, name)."""
    out: dict[tuple[str | None, str], float] = {
        (None, "cold_start_s"): report["cold_start_s"],
        (None, "rss_total_mb"): report["rss_total_mb"],
    }
    saturation = max(report["clients"])
    for mix, r in report["mixes"].items():
        half = r["service_half_load"]
        out |= {(mix, name): ratio for name, ratio in r["ratios"].items()}
        out[(mix, "saturation_rps")] = r["service"][saturation]["throughput_rps"]
        out |= {(mix, f"half_load_{q}_ms"): half[f"{q}_ms"] for q in ("p50", "p95", "p99")}
        out[(mix, "half_load_errors")] = half["errors"]
    return out


def judge(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets of the mixes measured: label, value, limit, held."""
    measured = values(report)
    return [
        {
            "mix": t.mix,
            "target": t.label,
            "value": measured[(t.mix, t.name)],
            "held": t.held(measured[(t.mix, t.name)]),
        }
        for t in TARGETS
        if (t.mix, t.name) in measured
    ]


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Run of {report['date']} on {report['machine']}: `{report['command']}`. In-process model "
        f"{report['model']['name']} ({report['model']['threads']} threads); closed loops of "
        f"{' and '.join(map(str, report['clients']))} clients, {report['duration_s']:g} s each; the service "
        f"with {', '.join(f'{k}={v}' for k, v in report['service_settings'].items())} (load shedding "
        "effectively off, so saturation measures the serving pipeline, not the admission).",
    ]
    for mix, r in report["mixes"].items():
        lines += ["", *_mix_section(mix, r, report)]
    lines += ["", "| target | value | |", "|---|---|---|"]
    lines += [
        f"| {(j['mix'] + ': ') if j['mix'] else ''}{j['target']} | {j['value']} | "
        f"{'met' if j['held'] else '**missed**'} |"
        for j in report["targets"]
    ]
    rss = "; ".join(f"`{k}` {v}" for k, v in report["rss_mb"].items())
    return "\n".join([*lines, "", f"Resident memory per process (MB): {rss}."])


def _mix_section(mix: str, r: dict[str, Any], report: dict[str, Any]) -> list[str]:
    words = r["words"]
    lines = [
        f"### {mix} mix: {r['texts']} texts, {words['mean']} words on average (P90 {words['p90']}, "
        f"max {words['max']})",
        "",
        "| what | clients | throughput (items/s) | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for grouping, best in r["ceiling_best"].items():
        lines.append(
            f"| model ceiling, in-process, {GROUPING_LABELS[grouping]}, batch {best['batch']} | | "
            f"{best['items_per_s']} | | | | |"
        )
    clients = sorted(report["clients"], reverse=True)
    lines += [_row("service", c, r["service"][c]) for c in clients]
    for name, baseline in report["baselines"].items():
        lines += [_row(baseline["label"], c, r[name][c]) for c in clients]
    half = r["service_half_load"]
    lines.append(_row(f"service at half load (open loop, {half['offered_rps']} req/s offered)", "", half))
    lines += ["", _ratios(r["ratios"], report)]
    lines += ["", "| batch size | arrival order (items/s) | length-aware (items/s) |", "|---|---|---|"]
    ceiling = r["ceiling_items_per_s"]
    lines += [
        f"| {size} | {ceiling['arrival'][size]} | {ceiling['cost'][size]} |" for size in ceiling["cost"]
    ]
    return lines


def _ratios(ratios: dict[str, float], report: dict[str, Any]) -> str:
    """The service's throughput over the ceiling's and over each baseline's, in words."""
    clients = sorted(report["clients"])
    over = [
        f"{b['label']} " + ", ".join(f"{ratios[f'service_vs_{name}_{c}']}x ({c} clients)" for c in clients)
        for name, b in report["baselines"].items()
    ]
    return (
        f"Service at saturation over the best length-aware ceiling: {ratios['service_vs_ceiling']}x. "
        f"Over the baselines at the same number of clients: {'; '.join(over)}."
    )


def _row(what: str, clients: int | str, run: dict[str, Any]) -> str:
    cells = (clients, run["throughput_rps"], run["p50_ms"], run["p95_ms"], run["p99_ms"], run["errors"])
    return f"| {what} | " + " | ".join(str(c) for c in cells) + " |"


def write_doc(table: str, doc: Path = DOC) -> None:
    """Replace what lies between the bench markers of ``doc`` with ``table``."""
    start, end = MARKERS
    head, _, rest = doc.read_text().partition(start)
    _, _, tail = rest.partition(end)
    doc.write_text(f"{head}{start}\n{table}\n{end}{tail}")
