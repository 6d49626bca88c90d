"""Which texts of a call run together: groups chosen by their measured cost.

A forward pass over a group of texts is padded to the group's longest text. Padding
is wasted work; every pass also has a fixed cost (a call into the runtime, small
matrix products that use the cores poorly). So neither extreme wins on real traffic:
one pass per text pays the fixed cost every time, one pass for a whole mixed call pads
chat lines to the length of an email (most of the FLOPs of a mixed batch, see
docs/PERFORMANCE.md). ``cost_groups`` sorts the texts by length and cuts the sorted
run where the cost model says that two passes are cheaper than one padded pass: the
optimal cut, by dynamic programming over contiguous runs of the sorted lengths.

The cost of a pass over ``n`` texts padded to ``t`` tokens is modelled as
``fixed + per_token * n*t + per_token2 * n*t*t`` (the last term: attention), with the
constants measured for the backend on the machine it runs on (``CostModel.fit``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Texts or tokens: one number, or one per candidate pass.
Counts = NDArray[np.integer[Any]] | NDArray[np.floating[Any]] | float

# Shapes timed to fit a backend's cost model: (texts, tokens) per pass.
CALIBRATION_SHAPES = ((1, 8), (1, 64), (1, 256), (4, 32), (8, 16), (8, 128), (16, 48))


@dataclass(frozen=True)
class CostModel:
    """Seconds for one forward pass over ``n`` texts padded to ``t`` tokens."""

    fixed_s: float
    per_token_s: float
    per_token2_s: float = 0.0

    def seconds(self, n: Counts, t: Counts) -> NDArray[np.float64]:
        return np.asarray(self.fixed_s + self.per_token_s * n * t + self.per_token2_s * n * t * t)

    @classmethod
    def fit(cls, shapes: list[tuple[int, int]], seconds: list[float]) -> CostModel:
        """Least squares over measured passes, each constant kept non-negative."""
        n = np.array([s[0] for s in shapes], dtype=np.float64)
        t = np.array([s[1] for s in shapes], dtype=np.float64)
        x = np.stack([np.ones_like(n), n * t, n * t * t], axis=1)
        # Relative error matters (a 2 ms pass and a 200 ms pass alike): weight by 1/seconds.
        y = np.array(seconds, dtype=np.float64)
        coef, *_ = np.linalg.lstsq(x / y[:, None], np.ones_like(y), rcond=None)
        fixed, per_token, per_token2 = (max(float(c), 0.0) for c in coef)
        return cls(fixed, per_token, per_token2)

    @classmethod
    def measure(cls, run: Callable[[int, int], object], repeats: int = 3) -> CostModel:
        """Time ``run(n, t)`` (one pass of ``n`` texts of ``t`` tokens) on the calibration
        shapes; the fastest of ``repeats`` runs counts (the others include noise)."""
        import time

        seconds = []
        for n, t in CALIBRATION_SHAPES:
            best = float("inf")
            for _ in range(repeats):
                started = time.perf_counter()
                run(n, t)
                best = min(best, time.perf_counter() - started)
            seconds.append(best)
        return cls.fit(list(CALIBRATION_SHAPES), seconds)


def cost_groups(
    lengths: list[int], cost: CostModel, max_group: int = 64, max_tokens: int | None = None
) -> list[list[int]]:
    """Indices into ``lengths`` in groups of contiguous sorted lengths, minimising the
    modelled time of all passes; at most ``max_group`` texts a group and, when given, at
    most ``max_tokens`` padded tokens (texts x longest) unless the group is one text: a
    pass's memory grows with its tokens (and its attention with their square). Every index once."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    sorted_lengths = np.array([lengths[i] for i in order], dtype=np.float64)
    n = len(order)
    best = np.zeros(n + 1)  # best[j]: cheapest plan for the first j sorted texts
    cut = np.zeros(n + 1, dtype=np.int64)  # where the last group of that plan starts
    for j in range(1, n + 1):
        starts = np.arange(max(0, j - max_group), j)
        totals = best[starts] + cost.seconds(j - starts, sorted_lengths[j - 1])
        if max_tokens is not None:
            too_big = ((j - starts) * sorted_lengths[j - 1] > max_tokens) & (j - starts > 1)
            totals[too_big] = np.inf
        k = int(np.argmin(totals))
        best[j], cut[j] = totals[k], starts[k]
    groups: list[list[int]] = []
    j = n
    while j > 0:
        groups.append(order[int(cut[j]) : j])
        j = int(cut[j])
    return groups[::-1]


def arrival_groups(lengths: list[int], max_group: int = 64) -> list[list[int]]:
    """The baseline: texts in arrival order, ``max_group`` a pass, each padded to its longest."""
    return [list(range(i, min(i + max_group, len(lengths)))) for i in range(0, len(lengths), max_group)]


def padded(ids: list[list[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Token ids right-padded with 0 to the longest, and the attention mask."""
    width = max(len(x) for x in ids)
    input_ids = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for row, x in enumerate(ids):
        input_ids[row, : len(x)] = x
        mask[row, : len(x)] = 1
    return input_ids, mask
