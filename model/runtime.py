"""Process-level tuning for the numpy hot path.

glibc returns freed memory above its trim threshold to the operating system, so every chunk's
temporaries (a few MiB each) are page-faulted in again on the next chunk: measured at ~10,000
minor faults per 8,192-draw chunk and a third of the model's run time. ``tune_allocator`` keeps
arrays below 64 MiB on the heap and stops trimming; memory stays bounded by the chunk size
because the same blocks are reused. It is idempotent, a no-op off glibc, and can be disabled
with the environment variable ``HEADWATER_NO_MALLOPT=1``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_tuned = False


def tune_allocator() -> bool:
    """Keep chunk-sized temporaries on glibc's heap; True if the allocator was tuned."""
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
    return _tuned
