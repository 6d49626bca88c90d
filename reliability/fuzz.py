"""schemathesis against the service's own OpenAPI document: zero 5xx, every answer as documented.

    make fuzz                                   # at least 1,000 generated cases
    python reliability/fuzz.py --examples 60    # bounded (CI)

Starts `bentoml serve` (per-client rate limit off: one fuzzer is one client), runs
`schemathesis run <url>/docs.json --checks all` over every operation with a fixed seed,
then counts 5xx answers independently in the service's access log. Exit 1 when
schemathesis reports a failure, when a 5xx was logged, or when fewer cases than
--min-cases were generated. Reports: reports/fuzz/ (schemathesis JSON and JUnit).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadtest.serving import start_service, stop  # noqa: E402

BIN = Path(sys.executable).parent


def server_errors(log: Path) -> int:
    """5xx answers in the service's JSON access log."""
    count = 0
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("logger") == "bentoml.access" and int(record.get("status", 0)) >= 500:
            count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=500, help="schemathesis --max-examples per operation")
    parser.add_argument("--min-cases", type=int, default=1000, help="fail when fewer cases were generated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "fuzz")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    log = args.out / "service.log"
    process, url, _ = start_service(log, LOG_LEVEL="INFO")  # INFO: the access log counts 5xx
    try:
        fuzz = subprocess.run(
            [
                str(BIN / "schemathesis"), "run", f"{url}/docs.json",
                "--checks", "all",
                "--max-examples", str(args.examples),
                "--seed", str(args.seed),
                "--generation-database", "none",  # the same cases here as on a clean clone
                "--workers", "1",
                "--continue-on-failure",
                "--report", "json,junit",
                "--report-dir", str(args.out),
            ],
            cwd=ROOT,
        )  # fmt: skip
    finally:
        stop(process)
    report = json.loads(max(args.out.glob("json-*.json"), key=lambda p: p.stat().st_mtime).read_text())
    cases = report["test_cases"]["generated"]
    failures = sum(f["count"] for f in report["failures"])
    five_xx = server_errors(log)
    print(
        f"fuzz: {cases} cases over {report['operations']['tested']} operations (seed {args.seed}), "
        f"{failures} schemathesis failures, {five_xx} 5xx in the service's access log"
    )
    ok = fuzz.returncode == 0 and failures == 0 and five_xx == 0 and cases >= args.min_cases
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
