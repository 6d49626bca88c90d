"""The runner's heap: memory a large batch freed goes back to the system.

A pass over long texts allocates tens of MB at a time (activations, attention scores)
that glibc keeps after they are freed, spread over one malloc arena per thread that
ever allocated (the event loop, the inference thread, ONNX Runtime's intra-op pool).
Measured in the container (`make container-test`'s load: 4 batches of 64 texts past the
token limit, then 16 short requests), the runner held 300-370 MB after the load where it
started at 245-270 MB, and the spread made the container's total swing by 100 MB from
run to run. Two glibc calls bound it:

- ``mallopt(M_ARENA_MAX, 2)``, what ``MALLOC_ARENA_MAX=2`` does, made before the
  model's threads start (arenas that already exist stay);
- ``malloc_trim(0)`` after a batch of at least ``TRIM_TOKENS`` tokens: it returns the
  free pages of every arena, a few milliseconds beside the hundreds such a batch takes.
  Short batches skip it: their memory is reused by the next one.

Elsewhere than glibc (macOS, musl) both are skipped.
"""

from __future__ import annotations

import ctypes
import logging

from miyraa.metrics import HEAP_TRIMS

logger = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h
MAX_ARENAS = 2
# Tokens the model read in a batch (each text's count capped at the model's limit) from
# which the batch's memory is given back: 8 texts at the 256-token limit.
TRIM_TOKENS = 2048


class Heap:
    """glibc's allocator for this process; ``available`` is False where it is not glibc."""

    def __init__(self) -> None:
        self._libc = _glibc()
        self.available = self._libc is not None

    def limit_arenas(self, arenas: int = MAX_ARENAS) -> bool:
        """At most ``arenas`` malloc arenas for the threads started from now on."""
        return self._libc is not None and bool(self._libc.mallopt(M_ARENA_MAX, arenas))

    def after_batch(self, tokens: int) -> bool:
        """Give the freed memory back after a batch that read ``tokens`` tokens, if it was large;
        True when it did."""
        if self._libc is None or tokens < TRIM_TOKENS:
            return False
        self._libc.malloc_trim(0)
        HEAP_TRIMS.inc()
        return True


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded: the C library python runs on
        libc.malloc_trim.argtypes, libc.mallopt.argtypes = [ctypes.c_size_t], [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError, TypeError):  # no C library by that name, or not glibc
        logger.info("not glibc: the runner's heap is not trimmed")
        return None
    return libc
