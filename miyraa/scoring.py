"""The run of ``miyraa score``: input rows in batches to the service (or the local model),
``concurrency`` batches in flight, each row's result written as it comes, and a tally.

A row is written once, with its fingerprint or its error:
- a row that cannot be sent (no text, only whitespace, over MAX_TEXT_CHARS) gets its
  error without a request;
- a batch the service refuses or fails (400, 413, 500) is sent again row by row, so only
  the rows at fault get the error (with the service's message, never the text);
- when the service cannot go on serving this run (no answer, or still 429/503 after the
  client's retry budget; a wrong key or URL: 401, 403, 404, 405, 415) the run stops: the
  rows in flight are not written, and a later run scores them.
Ctrl-C (SIGINT) stops taking new batches and lets those in flight finish and be written;
a second Ctrl-C stops at once. Either way every written row stays, and the same command
resumes where the run stopped (miyraa/rowfiles.py).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from miyraa.client import Limits, MiyraaError
from miyraa.progress import Progress
from miyraa.rowfiles import Row, Sink, Source
from miyraa.schemas import Fingerprint, ItemError

# Answers that say this run cannot go on: a wrong API key or URL, or something not Miyraa.
FATAL = frozenset({401, 403, 404, 405, 415})


class Scorer(Protocol):
    """What a run needs of ``miyraa.client.AsyncClient`` (or ``miyraa.local.LocalModel``)."""

    async def fingerprint_batch(self, texts: Sequence[str]) -> list[Fingerprint | ItemError]: ...

    async def limits(self) -> Limits: ...

    async def aclose(self) -> None: ...


def describe(error: MiyraaError) -> str:
    """A row's error in words: the status, the service's message and problem types, the trace id."""
    detail = error.body.get("detail")
    kinds = (
        sorted({str(d.get("type")) for d in detail if isinstance(d, dict)})
        if isinstance(detail, list)
        else []
    )
    trace = error.body.get("trace_id")
    return (
        (f"{error.status}: {error.error}" if error.status else error.error)
        + (f" ({', '.join(kinds)})" if kinds else "")
        + (f" [trace_id {trace}]" if trace else "")
    )


@dataclass
class Tally:
    total: int = 0  # rows in the input
    already: int = 0  # rows the output held before this run
    scored: int = 0
    errors: int = 0
    unsafe: int = 0
    pii_rows: int = 0
    unsupported: int = 0  # rows in a language the model does not read (annotated)
    truncated: int = 0  # rows over the model's token limit
    emotions: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    interrupted: bool = False
    stopped: str | None = None  # why the run stopped before the end, other than Ctrl-C

    def add(self, result: Fingerprint) -> None:
        self.scored += 1
        self.emotions[result.emotion] += 1
        self.unsafe += not result.safety.safe
        self.pii_rows += result.pii.redacted
        self.pii.update(result.pii.counts)
        self.unsupported += not result.language.supported
        self.truncated += result.truncated

    @property
    def complete(self) -> bool:
        return self.already + self.scored + self.errors >= self.total

    def summary(self, out: str) -> list[str]:
        rate = (self.scored + self.errors) / self.seconds if self.seconds else 0.0
        lines = [
            f"{self.total:,} rows: {self.scored:,} scored, {self.errors:,} with an error"
            + (f" (see the 'error' field of {out})" if self.errors else "")
            + (f", {self.already:,} already in {out}" if self.already else ""),
        ]
        if self.scored:
            mix = ", ".join(f"{label} {n / self.scored:.1%}" for label, n in self.emotions.most_common())
            lines.append(f"emotion mix: {mix}")
            lines.append(f"flagged unsafe: {self.unsafe / self.scored:.1%} ({self.unsafe:,} rows)")
            pii = ", ".join(f"{kind} {n:,}" for kind, n in self.pii.most_common()) or "none"
            lines.append(f"PII removed: {pii}" + (f" (in {self.pii_rows:,} rows)" if self.pii_rows else ""))
            if self.unsupported or self.truncated:
                lines.append(
                    f"model could not read all: {self.unsupported:,} rows in a language it does not "
                    f"read, {self.truncated:,} truncated (see 'warnings')"
                )
        lines.append(f"{rate:.1f} rows/s ({self.seconds:.1f} s)")
        if self.stopped:
            lines.append(f"stopped: {self.stopped}; run the same command again to go on")
        elif self.interrupted and not self.complete:
            lines.append(f"interrupted: every finished row is in {out}; run the same command again to go on")
        return lines


class Run:
    def __init__(
        self,
        source: Source,
        sink: Sink,
        scorer: Scorer,
        *,
        concurrency: int,
        batch_size: int,
        progress: Progress | None = None,
    ) -> None:
        self.source, self.sink, self.scorer = source, sink, scorer
        self.concurrency, self.batch_size = concurrency, batch_size
        self.progress = progress
        to_do = sum(key not in sink.done for key in source.keys)
        self.tally = Tally(total=len(source.keys), already=len(source.keys) - to_do)
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def __call__(self) -> Tally:
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, self.interrupt)
        try:
            batches = self._batches(await self.scorer.limits())
            self.tasks = [asyncio.create_task(self._worker(batches)) for _ in range(self.concurrency)]
            await asyncio.wait(self.tasks)
            for task in self.tasks:  # a bug in a worker is raised, not swallowed
                if not task.cancelled() and (exc := task.exception()) is not None:
                    raise exc
        finally:
            loop.remove_signal_handler(signal.SIGINT)
            self.tally.seconds = time.perf_counter() - started
            if self.progress:
                self.progress.close()
        return self.tally

    def interrupt(self) -> None:
        """Ctrl-C: no new batches; the second time, the batches in flight are dropped too."""
        if self.stop.is_set():
            for task in self.tasks:
                task.cancel()
            return
        self.stop.set()
        self.tally.interrupted = True
        sys.stderr.write("\nstopping: finishing the batches in flight (Ctrl-C again to stop at once)\n")

    def _batches(self, limits: Limits) -> Iterator[list[Row]]:
        """Batches of rows to send; a row that cannot be sent is written with its error here."""
        batch: list[Row] = []
        for row in self.source.rows():
            if row.key in self.sink.done:
                continue
            problem = row.problem
            if problem is None and len(row.text) > (most := limits.max_text_chars):
                problem = f"text of {len(row.text):,} characters; the service takes at most {most:,}"
            if problem is not None:
                self._write([row], error=problem)
                continue
            batch.append(row)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    async def _worker(self, batches: Iterator[list[Row]]) -> None:
        # One event loop: next() on the shared generator is never entered by two workers at once.
        try:
            while not self.stop.is_set() and (batch := next(batches, None)) is not None:
                await self._score(batch)
        except Exception:
            self.stop.set()  # a failure here (the output unwritable, a bug) ends the run
            raise

    async def _score(self, rows: list[Row]) -> None:
        try:
            results = await self.scorer.fingerprint_batch([row.text for row in rows])
        except MiyraaError as exc:
            if exc.retryable or exc.status in FATAL or 300 <= exc.status < 400:  # 3xx: --url is wrong
                self.tally.stopped = self.tally.stopped or describe(exc)
                self.stop.set()
            elif len(rows) > 1:  # find the rows at fault: each alone
                for row in rows:
                    if not self.stop.is_set():
                        await self._score([row])
            else:
                self._write(rows, error=describe(exc))
            return
        self._write(rows, results)

    def _write(
        self, rows: list[Row], results: list[Fingerprint | ItemError] | None = None, error: str | None = None
    ) -> None:
        failed = 0
        for i, row in enumerate(rows):
            result = results[i] if results else None
            if isinstance(result, ItemError):  # refused for its language (UNSUPPORTED_LANGUAGE=reject)
                self.sink.write(row, None, f"{result.status}: {result.error}")
                result = None
            else:
                self.sink.write(row, result, error)
            if result:
                self.tally.add(result)
            else:
                self.tally.errors += 1
                failed += 1
        if self.progress:
            self.progress.advance(len(rows), failed)
