"""Run the Locust profile headless, write its reports and a JSON summary, check thresholds.

    python loadtest/run.py                        # starts `bentoml serve` on a free port for the run
    python loadtest/run.py --mix documents        # the documents mix instead of the chat mix
    python loadtest/run.py --host http://localhost:3000 --users 32 --run-time 120s
    python loadtest/run.py --p95-ms 60 --p99-ms 120 --max-error-ratio 0

--mix picks the traffic: the Locust user classes of that mix (``MIX_USERS``), named on
Locust's command line. Writes to --out (default reports/loadtest/): Locust's CSV files
(locust_*.csv), its HTML report (locust.html) and summary.json: the mix and its user
classes, p50, p95, p99 (ms), requests/s, requests, failures and error ratio over all
requests, per endpoint too, the thresholds and whether each held.
Exits 1 when a threshold is missed, 2 when the run itself failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from loadtest.serving import start_service, stop

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The user classes of loadtest/locustfile.py that make each mix of loadtest/texts.py.
MIX_USERS = {"chat": ["ChatUser", "ReviewUser", "BatchUser"], "documents": ["DocumentsUser"]}


def summarise(stats_csv: Path) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The summary over all requests, and one per endpoint."""
    rows = list(csv.DictReader(stats_csv.open()))

    def row_summary(row: dict[str, str]) -> dict[str, float]:
        requests, failures = int(row["Request Count"]), int(row["Failure Count"])
        return {
            "requests": requests,
            "failures": failures,
            "error_ratio": failures / requests if requests else 0.0,
            "requests_per_s": round(float(row["Requests/s"]), 2),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }

    total = next(r for r in rows if r["Name"] == "Aggregated")
    return row_summary(total), {r["Name"]: row_summary(r) for r in rows if r["Name"] != "Aggregated"}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", help="a running service; default: start one on a free port")
    parser.add_argument("--mix", choices=sorted(MIX_USERS), default="chat")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--spawn-rate", type=float, default=4)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "loadtest")
    parser.add_argument("--p95-ms", type=float, default=120.0)
    parser.add_argument("--p99-ms", type=float, default=250.0)
    parser.add_argument("--max-error-ratio", type=float, default=0.0)
    parser.add_argument("--no-thresholds", action="store_true", help="report only (CI's smoke run)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    service = None
    host = args.host
    if host is None:
        service, host, _ = start_service(args.out / "service.log")
    try:
        command = [
            str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "locustfile.py"), "--host", host,
            "--headless", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
            "--run-time", args.run_time, "--csv", str(args.out / "locust"),
            "--html", str(args.out / "locust.html"), "--only-summary", "--exit-code-on-error", "0",
            *MIX_USERS[args.mix],
        ]  # fmt: skip
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)  # noqa: T201
            return 2
    finally:
        if service is not None:
            stop(service)

    summary, endpoints = summarise(args.out / "locust_stats.csv")
    thresholds: dict[str, float] = {
        "p95_ms": args.p95_ms,
        "p99_ms": args.p99_ms,
        "error_ratio": args.max_error_ratio,
    }
    held = {name: summary[name] <= limit for name, limit in thresholds.items()}
    report = {
        "host": host,
        "mix": args.mix,
        "user_classes": MIX_USERS[args.mix],
        "users": args.users,
        "run_time": args.run_time,
        **summary,
        "endpoints": endpoints,
        "thresholds": thresholds,
        "held": held,
    }
    (args.out / "summary.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "endpoints"}, indent=2))  # noqa: T201
    if not args.no_thresholds and not all(held.values()):
        print(f"thresholds missed: {[n for n, ok in held.items() if not ok]}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
