"""Quantile tables kept on disk between processes.

Building the tables of a parameter set's beta, gamma and PERT distributions costs about 20 ms
each (their exact inverse CDFs cost about 1 us a value): three quarters of a second for the
baseline, paid by every command that samples. A table is a pure function of the distribution's
spec, this package's distribution code and scipy's version, so it is stored under a key of all
three and read back bit for bit; a missing, unreadable or malformed entry is rebuilt.

The cache lives in ``$HEADWATER_CACHE_DIR``, else ``$XDG_CACHE_HOME/headwater``, else
``~/.cache/headwater``; ``HEADWATER_NO_CACHE=1`` turns it off. Writes are atomic (a temporary
file moved into place) and a cache that cannot be written is skipped silently: it only saves
time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["cache_dir", "load", "store"]


def cache_dir() -> Path | None:
    """Where tables are kept (None when ``HEADWATER_NO_CACHE`` is set)."""
    if os.environ.get("HEADWATER_NO_CACHE"):
        return None
    root = os.environ.get("HEADWATER_CACHE_DIR")
    if root:
        return Path(root) / "quantile-tables"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "headwater" / "quantile-tables"


@cache
def _code_version() -> str:
    """A digest of the distribution code and scipy's version: any change makes new keys."""
    import scipy

    h = hashlib.sha256(scipy.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


def _path(spec: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(f"{_code_version()}|{spec}".encode()).hexdigest()
    return folder / f"{key}.npy"


def load(spec: str) -> tuple[np.ndarray, float] | None:
    """(nodes, error) of the table stored for ``spec``, or None (absent, unreadable, malformed)."""
    path = _path(spec)
    if path is None or not path.is_file():
        return None
    try:
        stored = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if stored.ndim != 1 or stored.size < 3 or not np.isfinite(stored).all():
        return None
    return stored[:-1], float(stored[-1])


def store(spec: str, nodes: np.ndarray, error: float) -> None:
    """Keep ``nodes`` and ``error`` for ``spec`` (silently skipped when the cache is unwritable)."""
    path = _path(spec)
    if path is None:
        return
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as f:
            np.save(f, np.append(nodes, error))
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
