"""Output targets, checked before any work and written as one transaction.

Every output a command writes (a report or table file, a results directory) is checked up
front by really creating and removing a probe beside it: the only test that root, read-only
mounts and ``/proc`` all answer truthfully. A target that is an input file, the other output,
a directory (for a file), a file (for a directory) or not a regular file (a FIFO, a device) is
refused. Temporary names carry the writer's process id, so the leftovers of a crashed run
(``.NAME.PID-*.tmp``, ``.NAME.PID-*.partial``, ``.NAME.old-PID-*``) are recognised and removed
while a live run's are left alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from model.errors import UsageError

__all__ = [
    "check_dir_target",
    "check_file_target",
    "remove_stale",
    "remove_tree",
    "temp_prefix",
]


def temp_prefix(target: Path) -> str:
    """Prefix of this process's temporaries beside ``target``: ``.NAME.PID-``."""
    return f".{target.name}.{os.getpid()}-"


def _existing_ancestor(path: Path) -> Path:
    probe = path.parent if str(path.parent) else Path(".")
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _probe(directory: Path, flag: str, target: Path) -> None:
    """Create and remove a file in ``directory``; a one-line UsageError if that fails."""
    try:
        fd, name = tempfile.mkstemp(prefix=temp_prefix(target), suffix=".tmp", dir=directory)
    except OSError as e:
        why = e.strerror or type(e).__name__
        raise UsageError(
            f"{flag} {target}: cannot write in {directory} ({why}); choose a writable location "
            f"or make it writable (chmod u+w {directory})"
        ) from None
    os.close(fd)
    os.unlink(name)


def _same_file(a: Path, b: str | os.PathLike) -> bool:
    """The same file under two names (a hard link too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _resolved(paths: Iterable[str | os.PathLike]) -> set[Path]:
    return {Path(p).resolve() for p in paths}


def _check_common(path: Path, flag: str, inputs: Iterable, others: Iterable) -> Path:
    """Refusals shared by file and directory targets; returns the existing ancestor."""
    real = path.resolve()
    if real in _resolved(inputs) or any(_same_file(path, p) for p in inputs):
        raise UsageError(f"{flag} {path}: is an input file of this run; choose another name")
    for other_flag, other in others:
        if other is None:
            continue
        o = Path(other).resolve()
        if real == o or o in real.parents or real in o.parents:
            raise UsageError(
                f"{flag} {path}: overlaps {other_flag} {other}; give the outputs different paths"
            )
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise UsageError(
            f"{flag} {path}: cannot write under {ancestor}, a file; choose another path"
        )
    return ancestor


def check_file_target(
    path: Path, flag: str = "--out", inputs: Iterable = (), others: Iterable = ()
) -> Path:
    """Check before any work that the file ``path`` can be written and replaced safely.

    ``inputs`` are the files the run reads (never overwritten); ``others`` are (flag, path)
    pairs of the run's other outputs (which must not overlap this one).
    """
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a directory; give a file name")
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        raise UsageError(f"{flag} {path}: is not a regular file (a FIFO or device); give a file")
    ancestor = _check_common(path, flag, inputs, others)
    _probe(ancestor, flag, path)
    return path


def check_dir_target(
    path: Path,
    is_results: bool,
    flag: str = "--save",
    inputs: Iterable = (),
    others: Iterable = (),
) -> Path:
    """Check before any work that the results directory ``path`` can be written (or replaced,
    when ``is_results`` says it holds earlier results) safely."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path}: is a file, not a directory; choose a new directory")
    if path.is_dir() and not is_results and any(path.iterdir()):
        raise UsageError(
            f"{flag} {path}: exists and is not a Headwater results directory; choose a new one"
        )
    real = path.resolve()
    if any(real in p.parents for p in _resolved(inputs)):
        raise UsageError(f"{flag} {path}: holds an input file of this run; choose another")
    ancestor = _check_common(path, flag, inputs, others)
    _probe(ancestor, flag, path)
    if path.is_dir():  # the old results are removed once the new ones are in place
        _probe(path, flag, path)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(target: Path) -> None:
    """Remove the temporaries a crashed run left beside ``target`` (never a live run's)."""
    name = re.escape(target.name)  # exactly the names temp_prefix, mkstemp and save_results make
    pattern = re.compile(
        rf"\.{name}\.(\d+)-[a-z0-9_]{{8}}\.(?:tmp|partial)|\.{name}\.old-(\d+)-[0-9a-f]{{8}}"
    )
    parent = target.parent if str(target.parent) else Path(".")
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            m = pattern.fullmatch(entry.name)
            pid = int(m.group(1) or m.group(2)) if m else None
            if pid is None or pid == os.getpid() or _pid_alive(pid):
                continue
            if entry.is_dir():
                remove_tree(entry)
            else:
                entry.unlink(missing_ok=True)


def remove_tree(path: Path) -> None:
    """Remove a directory tree, making read-only directories writable first if needed."""

    def retry(func, name, _exc):
        os.chmod(os.path.dirname(name) or ".", stat.S_IRWXU)
        func(name)

    shutil.rmtree(path, onerror=retry)
