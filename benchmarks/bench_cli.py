"""`miyraa score` against the service's saturation throughput, on the documents mix.

    make bench-cli          # about 4 minutes; fails (exit 1) under 0.90 x saturation
    make bench-cli-smoke    # seconds-long: every step on 300 texts, judges nothing (CI)
    python benchmarks/bench_cli.py --concurrency 2 --batch-size 32   # other CLI settings

1. starts the service (`bentoml serve`, the settings `make bench` measures with:
   benchmarks/bench.py SERVICE_SETTINGS);
2. measures its saturation throughput as `make bench` does: a closed loop of 32 clients,
   each sending POST /fingerprint with the next of the documents mix's 400 texts
   (loadtest/texts.py), for --duration seconds after a warm-up;
3. writes --texts texts of the documents mix (another seed: distinct texts) to a CSV file
   and runs `miyraa score` on it against the same service, timed from the command's
   start to its exit (its start-up, reading and writing the files included);
4. prints both rates and their ratio, writes reports/bench_cli.json, and exits 1 when the
   ratio is under --target (not with --smoke) or when a row was not scored.
Both loads run on this machine beside the service, as in `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench import CLIENTS, service_settings  # noqa: E402
from loadtest.drive import closed_loop  # noqa: E402
from loadtest.serving import start_service, stop  # noqa: E402
from loadtest.texts import MIXES  # noqa: E402

MIX = "documents"
SATURATION_TEXTS = 400  # as make bench
SCORE_SEED = 1  # the texts scored: not the ones the saturation loop sent


def saturation(url: str, duration: float) -> dict[str, float]:
    texts = MIXES[MIX](SATURATION_TEXTS, 0)
    asyncio.run(closed_loop(url, texts, 4, 1.0))  # warm up, as make bench
    return asyncio.run(closed_loop(url, texts, max(CLIENTS), duration)).summary()


def score(url: str, n: int, folder: Path, cli_flags: list[str]) -> dict[str, Any]:
    """`miyraa score` on ``n`` texts: its rate, from the command's start to its exit."""
    source, out = folder / "texts.csv", folder / "scored.csv"
    with source.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text"])
        writer.writerows([text] for text in MIXES[MIX](n, SCORE_SEED))
    command = [str(Path(sys.executable).parent / "miyraa"), "score", str(source), "--out", str(out)]
    command += ["--url", url, *cli_flags]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    with out.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    scored = sum(1 for row in rows if row["emotion"] and not row["error"])
    return {
        "texts": n,
        "rows_out": len(rows),
        "scored": scored,
        "distinct_rows": len({row["row"] for row in rows}),
        "exit_status": done.returncode,
        "seconds": round(seconds, 2),
        "rows_per_s": round(scored / seconds, 1),
        "summary": done.stdout.strip().splitlines(),
        "stderr_tail": done.stderr.strip().splitlines()[-3:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=10_000, help="texts for miyraa score")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of the saturation loop")
    parser.add_argument("--target", type=float, default=0.90, help="least CLI rate / saturation")
    parser.add_argument("--concurrency", type=int, help="miyraa score --concurrency (default: its own)")
    parser.add_argument("--batch-size", type=int, help="miyraa score --batch-size (default: its own)")
    parser.add_argument("--smoke", action="store_true", help="300 texts, 3-second loop, no target")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_cli.json")
    args = parser.parse_args()
    if args.smoke:
        args.texts, args.duration = 300, 3.0
    flags = [
        f"--{name.replace('_', '-')}={value}"
        for name in ("concurrency", "batch_size")
        if (value := getattr(args, name)) is not None
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)

    process, url, _ = start_service(args.out.parent / "bench-cli-service.log", **service_settings())
    try:
        loop = saturation(url, args.duration)
        with tempfile.TemporaryDirectory() as folder:
            cli = score(url, args.texts, Path(folder), flags)
    finally:
        stop(process)
    ratio = cli["rows_per_s"] / loop["throughput_rps"] if loop["throughput_rps"] else 0.0
    complete = cli["scored"] == cli["texts"] == cli["distinct_rows"] and cli["exit_status"] == 0
    held = complete and (args.smoke or ratio >= args.target)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "make bench-cli-smoke" if args.smoke else "make bench-cli",
        "mix": MIX,
        "service_settings": service_settings(),
        "saturation": {"clients": max(CLIENTS), "duration_s": args.duration, **loop},
        "cli": {"flags": flags, **cli},
        "ratio": round(ratio, 3),
        "target": None if args.smoke else args.target,
        "held": held,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"service saturation ({max(CLIENTS)} clients, POST /fingerprint): "
        f"{loop['throughput_rps']:.1f} texts/s"
    )
    print(f"miyraa score, {cli['texts']:,} texts: {cli['rows_per_s']:.1f} rows/s ({cli['seconds']:.1f} s)")
    print(f"ratio: {ratio:.2f}" + ("" if args.smoke else f" (target >= {args.target:.2f})"))
    if not complete:
        print(f"not every row was scored once: {json.dumps(cli)}")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
