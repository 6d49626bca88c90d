"""The ``miyraa`` command: the fingerprint of a text, or of every row of a file.

    miyraa fingerprint "We got the keys to our first flat today!!"   # a readable summary
    miyraa fingerprint --json - < message.txt                          # the API's answer
    miyraa score reviews.csv --out scored.csv                          # column "text"
    miyraa score posts.jsonl --out scored.jsonl --column body --id-column id
    miyraa score reviews.csv --out scored.csv --local                  # no server: the local model

Against the service at ``--url`` (MIYRAA_URL, default http://localhost:3000) with
``--api-key`` (MIYRAA_API_KEY), through ``miyraa.client``; or, with ``--local``, in this
process with the model of the BentoML store (``miyraa.local``: the service's own code,
the same answers). ``score`` is resumable and stops cleanly on Ctrl-C
(``miyraa/scoring.py``); what its files hold: ``miyraa/rowfiles.py``.

Exit status: 0 done; 1 some rows have an error, or the run stopped because the service
failed or a file could not be written; 2 bad input or options (a message, never a
traceback); 130 interrupted. An error of ours is one line too (its type, never a text);
MIYRAA_DEBUG=1 shows its traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import httpx

from miyraa.client import AsyncClient, Client, MiyraaError
from miyraa.progress import Progress
from miyraa.rowfiles import InputError, Sink, Source
from miyraa.schemas import Fingerprint, ItemError
from miyraa.scoring import Run, Scorer, Tally, describe

if TYPE_CHECKING:
    from miyraa.local import LocalModel

DEFAULT_URL = "http://localhost:3000"
# Measured with benchmarks/bench_cli.py (docs/PERFORMANCE.md): 4 batches of 16 texts in
# flight score the documents mix at the service's saturation throughput (1.00x; 2 of 8: 0.99x,
# so these leave headroom for a service with more cores).
CONCURRENCY = 4
BATCH_SIZE = 16
OK, ROW_ERRORS, BAD_INPUT, INTERRUPTED = 0, 1, 2, 130


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="miyraa", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = main.add_subparsers(dest="command", required=True)
    one = commands.add_parser("fingerprint", help="the fingerprint of one text")
    one.add_argument("text", help="the text; - reads it from standard input")
    one.add_argument("--json", action="store_true", help="print the API's JSON answer")
    many = commands.add_parser("score", help="score every row of a CSV or JSON Lines file")
    many.add_argument("input", type=Path, help="a .csv (with a header row) or .jsonl file, UTF-8")
    many.add_argument("--out", type=Path, required=True, help=".csv or .jsonl; an existing one is resumed")
    many.add_argument("--column", default="text", help="the field holding the text (default: text)")
    many.add_argument("--id-column", help="a field with a unique id per row: the output's key")
    many.add_argument("--drop-text", action="store_true", help="leave the text out of the output")
    many.add_argument(
        "--retry-errors", action="store_true", help="score again the rows the output has with an error"
    )
    many.add_argument(
        "--concurrency",
        type=_positive,
        default=CONCURRENCY,
        help=f"batches in flight (default {CONCURRENCY})",
    )
    many.add_argument(
        "--batch-size", type=_positive, default=BATCH_SIZE, help=f"texts per request (default {BATCH_SIZE})"
    )
    for command in (one, many):
        where = command.add_argument_group("where the model runs")
        where.add_argument(
            "--url", default=os.environ.get("MIYRAA_URL", DEFAULT_URL), help="the service (env MIYRAA_URL)"
        )
        where.add_argument(
            "--api-key",
            type=_api_key,
            default=os.environ.get("MIYRAA_API_KEY"),
            help="the service's API key (env MIYRAA_API_KEY)",
        )
        where.add_argument(
            "--local", action="store_true", help="run the model in this process, from the BentoML store"
        )
    return main


def _api_key(value: str) -> str:
    if not (value.isascii() and value.isprintable()):
        raise argparse.ArgumentTypeError("an API key is printable ASCII")
    return value


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {value!r}")
    return int(value)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "fingerprint":
            return fingerprint(args, sys.stdout)
        return score(args, sys.stdout)
    except InputError as exc:
        _complain(str(exc))
        return BAD_INPUT
    except MiyraaError as exc:
        _complain(describe(exc))
        return BAD_INPUT if exc.status in (400, 422) else ROW_ERRORS
    except KeyboardInterrupt:
        _complain("interrupted")
        return INTERRUPTED
    except httpx.InvalidURL as exc:
        _complain(f"--url {args.url!r} is not a URL: {exc}")
        return BAD_INPUT
    except OSError as exc:  # the output unwritable midway (a full disk...)
        _complain(f"stopped: {exc.strerror or exc}{f' ({exc.filename})' if exc.filename else ''}")
        return ROW_ERRORS
    except Exception as exc:
        if os.environ.get("MIYRAA_DEBUG"):
            raise
        _complain(f"internal error ({type(exc).__name__}); MIYRAA_DEBUG=1 shows where")
        return ROW_ERRORS


def _complain(message: str) -> None:
    sys.stderr.write(f"miyraa: {message}\n")


def fingerprint(args: argparse.Namespace, out: TextIO) -> int:
    text = _stdin_text() if args.text == "-" else args.text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 in the command line
        raise InputError("the text is not valid UTF-8") from None
    if args.local:
        answer = _local().fingerprint_sync([text])[0]
        if isinstance(answer, ItemError):  # what the service answers with a 422
            raise MiyraaError(answer.status, answer.model_dump(exclude={"status"}, mode="json"))
        result = answer
    else:
        with Client(args.url, args.api_key) as client:
            result = client.fingerprint(text)
    out.write(result.model_dump_json(indent=2) + "\n" if args.json else readable(result))
    return OK


def _stdin_text() -> str:
    try:
        return sys.stdin.buffer.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"standard input is not UTF-8 text (byte {exc.start})") from None


def readable(result: Fingerprint) -> str:
    """A few lines a person reads at a glance (values, labels and counts; no text)."""
    scores = sorted(result.emotion_scores.items(), key=lambda item: -item[1])
    runners_up = ", ".join(f"{label} {p:.0%}" for label, p in scores[1:3])
    safety = result.safety
    top = max(safety.categories, key=safety.categories.__getitem__)
    pii = ", ".join(f"{kind} x{n}" for kind, n in sorted(result.pii.counts.items())) or "none"
    vad = result.vad
    lines = [
        ("emotion", f"{result.emotion} {scores[0][1]:.0%} (then {runners_up})"),
        ("feeling", f"valence {vad.valence:.2f}, arousal {vad.arousal:.2f}, dominance {vad.dominance:.2f}"),
        ("safety", f"{'safe' if safety.safe else 'UNSAFE'}, risk {safety.risk:.2f} (highest: {top})"),
        ("style", result.style),
        ("intent", result.intent),
        ("PII removed", pii),
        ("read", _readable_language(result)),
        ("model", f"{result.model.name}:{result.model.version}, {result.processing_time_ms:.0f} ms"),
    ]
    lines += [("warning", warning.message) for warning in result.warnings]
    return "".join(f"{name:<12} {value}\n" for name, value in lines)


def _readable_language(result: Fingerprint) -> str:
    language = result.language
    supported = "supported" if language.supported else "NOT supported: the model reads English only"
    length = f"{result.tokens} tokens" + (" (truncated)" if result.truncated else "")
    return f"language {language.code} ({language.confidence:.2f}, {supported}), {length}"


def score(args: argparse.Namespace, out: TextIO) -> int:
    source = Source(args.input, args.column, args.id_column)
    sink = Sink(args.out, source, drop_text=args.drop_text, retry_errors=args.retry_errors)
    try:
        tally = asyncio.run(_score(args, source, sink))
    finally:
        sink.close()
    out.write("".join(line + "\n" for line in tally.summary(str(args.out))))
    if tally.interrupted and not tally.complete:
        return INTERRUPTED
    return ROW_ERRORS if tally.errors or tally.stopped else OK


async def _score(args: argparse.Namespace, source: Source, sink: Sink) -> Tally:
    scorer: Scorer = (
        _local() if args.local else AsyncClient(args.url, args.api_key, connections=args.concurrency)
    )
    run = Run(source, sink, scorer, concurrency=args.concurrency, batch_size=args.batch_size)
    if to_do := run.tally.total - run.tally.already:
        run.progress = Progress(to_do, sys.stderr)
    try:
        return await run()
    finally:
        await scorer.aclose()


def _local() -> LocalModel:
    from miyraa.local import LocalModel
    from miyraa.settings import get_settings

    return LocalModel(get_settings())
