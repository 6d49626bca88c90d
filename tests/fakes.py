"""Small fakes shared by unit tests."""

from __future__ import annotations


class Clock:
    """A clock the test moves by hand: ``clock.now += 5``."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
