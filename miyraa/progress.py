"""Progress of ``miyraa score`` on stderr: a bar with rate and ETA on a terminal, plain
lines every ``every_s`` seconds otherwise (a log file, CI). Counts only: never a text.
Hand-rolled: the one line it draws does not justify a dependency (tqdm is not among the
service's)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

BAR = 24


def duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(
        self,
        total: int,
        stream: TextIO,
        tty: bool | None = None,
        every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.stream, self.clock = total, stream, clock
        self.tty = stream.isatty() if tty is None else tty
        self.every_s = 0.1 if self.tty else every_s
        self.done = self.errors = 0
        self.started = self.shown = clock()

    def advance(self, rows: int, errors: int = 0) -> None:
        self.done += rows
        self.errors += errors
        if self.clock() - self.shown >= self.every_s:
            self.show()

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        share = self.done / self.total if self.total else 1.0
        eta = duration((self.total - self.done) / rate) if rate else "?"
        errors = f", {self.errors:,} error{'s' if self.errors != 1 else ''}" if self.errors else ""
        counts = f"{self.done:,}/{self.total:,} rows"
        if not self.tty:
            return (
                f"{counts} ({share:.0%}), {rate:.1f} rows/s, {duration(elapsed)} elapsed, ETA {eta}{errors}"
            )
        filled = round(BAR * share)
        bar = "#" * filled + "-" * (BAR - filled)
        return f"[{bar}] {counts} {share:4.0%} {rate:6.1f} rows/s ETA {eta}{errors}"

    def show(self) -> None:
        self.shown = self.clock()
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        """The last state; on a terminal, the bar's line is ended."""
        self.show()
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
