"""SHA-256 digests of a saved run's files, worked out in a background thread while this one does
other work (``report --from`` checks ~240 MB of Parquet while it imports pandas and the report).

hashlib releases the GIL while it hashes, so a digest started early costs no wall time beside
Python work. :func:`sha256` gives the digest made in the background when the file is unchanged
since it was started (same size, modification time and inode), else hashes the file there and
then. This module imports nothing heavy, so a command can start the digests before it imports
the rest.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

__all__ = ["prefetch", "sha256"]


class _Digest:
    """A digest under way in the background thread: ``hex`` once ``done`` (None if unreadable)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.hex: str | None = None


_started: dict[Path, tuple[tuple, _Digest]] = {}
_lock = threading.Lock()


def _stamp(path: Path) -> tuple:
    s = path.stat()
    return (s.st_size, s.st_mtime_ns, s.st_ino, s.st_dev)


def _hash(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks (hex)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file (hex): its background digest if :func:`prefetch` started one and
    the file has not changed since, else hashed now."""
    path = Path(path)
    with _lock:
        started = _started.get(path.absolute())
    if started is not None:
        stamp, digest = started
        digest.done.wait()
        try:
            if digest.hex is not None and _stamp(path) == stamp:
                return digest.hex
        except OSError:
            pass  # gone since: hashing it now raises as the caller expects
    return _hash(path)


def _work(jobs: list[tuple[Path, _Digest]]) -> None:
    for path, digest in jobs:
        try:
            digest.hex = _hash(path)
        except OSError:
            pass  # hashed again, and the error raised, where it is asked for
        finally:
            digest.done.set()


def prefetch(directory: str | os.PathLike) -> None:
    """Start hashing every file in ``directory`` and in its folders (one level down), in one
    background thread, the directory's own files first."""
    top = Path(directory).absolute()
    try:
        folders = [top, *sorted(p for p in top.iterdir() if p.is_dir())]
        files = [f for d in folders for f in sorted(d.iterdir()) if f.is_file()]
        jobs = [(f, _stamp(f), _Digest()) for f in files]
    except OSError:
        return  # the command reports a missing or unreadable directory itself
    with _lock:
        _started.update({f: (stamp, digest) for f, stamp, digest in jobs})
    work = [(f, digest) for f, _, digest in jobs]
    threading.Thread(target=_work, args=(work,), name="sha256", daemon=True).start()
