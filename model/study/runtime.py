"""Process-level tuning for the numpy hot path.

glibc returns freed memory above its trim threshold to the operating system, so every chunk's
temporaries (a few MiB each) are page-faulted in again on the next chunk: measured at ~10,000
minor faults per 8,192-draw chunk and a third of the model's run time. ``tune_allocator`` keeps
arrays below 64 MiB on the heap and stops trimming; memory stays bounded by the chunk size
because the same blocks are reused.

It also stops numpy asking for transparent huge pages for large arrays (``madvise``): a
run's result tables (about 1.8 KiB a draw) are then faulted in 4 KiB pages instead of
waiting on the kernel's compaction for 2 MiB ones, measured on this machine at 7.3-8.5 s
against 10.2-11.7 s for a fresh 1e6-draw run (numpy documents the same switch as the
``NUMPY_MADVISE_HUGEPAGE=0`` environment variable, read at import).

Idempotent, a no-op off glibc, and disabled with the environment variable
``HEADWATER_NO_MALLOPT=1``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

import numpy as np

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_tuned = False


def tune_allocator() -> bool:
    """Keep chunk-sized temporaries on glibc's heap, without huge pages; True if tuned."""
    global _tuned
    if _tuned or os.environ.get("HEADWATER_NO_MALLOPT"):
        return _tuned
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is not None:
        _tuned = bool(mallopt(_M_MMAP_THRESHOLD, 64 << 20)) and bool(
            mallopt(_M_TRIM_THRESHOLD, 512 << 20)
        )
    core = getattr(np, "_core", None) or np.core  # numpy 2 / 1.26
    hugepages = getattr(core.multiarray, "_set_madvise_hugepage", None)
    if _tuned and hugepages is not None:
        hugepages(False)
    return _tuned
