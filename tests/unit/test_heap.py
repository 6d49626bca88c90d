"""runners/heap.py against glibc itself: freed memory comes back only when trimmed."""

import ctypes
import threading

import pytest
from prometheus_client import REGISTRY

from runners.heap import TRIM_TOKENS, Heap

heap = Heap()
pytestmark = pytest.mark.skipif(not heap.available, reason="not glibc")
BLOCK = 4096  # under glibc's mmap threshold: served from an arena, kept there when freed
BLOCKS = 25_000  # about 100 MB


def resident_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def trims() -> float:
    return REGISTRY.get_sample_value("miyraa_runner_heap_trims_total") or 0.0


def freed_in_a_thread(libc: ctypes.CDLL) -> int:
    """100 MB allocated, written and freed by another thread, as the inference thread does;
    the last block stays allocated, so the freed ones are not at the top of the heap (where
    free() itself gives pages back). Returns that block, to free later."""
    kept = []

    def work() -> None:
        blocks = [libc.malloc(BLOCK) for _ in range(BLOCKS)]
        for block in blocks:
            ctypes.memset(block, 1, BLOCK)
        for block in blocks[:-1]:
            libc.free(block)
        kept.append(blocks[-1])

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return kept[0]


@pytest.fixture
def libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    heap.after_batch(TRIM_TOKENS)  # start from a heap with nothing free to reuse
    return libc


def test_a_large_batch_gives_freed_memory_back(libc):
    before = resident_mb()
    kept = freed_in_a_thread(libc)
    held = resident_mb()
    assert held - before > 80, "glibc gave the freed blocks back by itself: nothing to measure"
    count = trims()
    assert heap.after_batch(TRIM_TOKENS) is True
    assert trims() == count + 1
    assert resident_mb() - before < 20
    libc.free(kept)


def test_a_small_batch_leaves_the_heap_alone(libc):
    before = resident_mb()
    kept = freed_in_a_thread(libc)
    count = trims()
    assert heap.after_batch(TRIM_TOKENS - 1) is False
    assert trims() == count
    assert resident_mb() - before > 80
    heap.after_batch(TRIM_TOKENS)
    libc.free(kept)
