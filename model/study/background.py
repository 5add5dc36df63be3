"""One call run in a forked process while this one works on (the rule design beside the
analysis, on a second core).

The child inherits this process's memory under the fork start method, so the run's draws are
neither copied nor pickled; only the result comes back, pickled through a pipe. It runs the
same code on the same data with the same BLAS threads, so the result is bit-identical to the
call made here. Where fork is unavailable, on one CPU, or when the child fails (an error, a
result that does not pickle, a kill), :meth:`Pending.result` makes the call here instead, so
an error is raised where the caller expects it.
"""

from __future__ import annotations

import mmap
import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from model.study.executors import cpu_count
from model.study.signals import ignore_stop_signals

__all__ = ["Pending", "can_fork", "in_background", "on_two_cores", "shared_empty"]


def _child(conn, fn: Callable, args: tuple, kwargs: dict) -> None:
    """The forked child: make the call and send its result (None when it fails)."""
    ignore_stop_signals()  # the terminal signals the whole group; the parent stops the child
    try:
        conn.send(("ok", fn(*args, **kwargs)))
    except BaseException:  # the parent repeats the call and raises the error itself
        conn.send(None)
    finally:
        conn.close()


class Pending:
    """A call under way in a child process (or, without one, not yet made)."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, fork: bool) -> None:
        self._call = (fn, args, kwargs)
        self._process = self._conn = None
        if fork:
            ctx = multiprocessing.get_context("fork")
            self._conn, send = ctx.Pipe(duplex=False)
            self._process = ctx.Process(target=_child, args=(send, *self._call), daemon=True)
            self._process.start()
            send.close()

    def result(self) -> Any:
        """The call's result: the child's, or the call made here if there is no child's."""
        got = None
        if self._conn is not None:
            try:
                got = self._conn.recv()
            except (EOFError, OSError):  # the child died without reporting
                got = None
            self.close()
        if got is not None:
            return got[1]
        fn, args, kwargs = self._call
        return fn(*args, **kwargs)

    def close(self) -> None:
        """Stop the child if it still runs and release the pipe."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join()
            self._process = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def can_fork() -> bool:
    """Whether :func:`in_background` runs its call in a forked child (a second CPU and fork)."""
    return cpu_count() > 1 and "fork" in multiprocessing.get_all_start_methods()


def shared_empty(shape, dtype=float, order: str = "C") -> np.ndarray:
    """An uninitialised array (as ``np.empty``) in memory shared with the children this process
    forks afterwards (an anonymous mapping): what a forked child writes there, this process
    reads."""
    shape = tuple(int(x) for x in np.atleast_1d(shape))
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    flat = np.frombuffer(mmap.mmap(-1, max(size, 1)), dtype=dtype)[: int(np.prod(shape))]
    if order == "F":
        return flat.reshape(shape[::-1]).T
    return flat.reshape(shape)


@contextmanager
def in_background(fn: Callable, *args, **kwargs) -> Iterator[Pending]:
    """Start ``fn(*args, **kwargs)`` in a forked child when this machine has a second CPU.

    >>> with in_background(sum, [1, 2, 3]) as pending:
    ...     pending.result()
    6
    """
    pending = Pending(fn, args, kwargs, can_fork())
    try:
        yield pending
    finally:
        pending.close()


def on_two_cores(
    compute: Callable[[int, int], np.ndarray], shape: tuple[int, ...], split: int
) -> np.ndarray:
    """The float array of ``shape`` whose rows ``start..stop`` are ``compute(start, stop)``:
    rows ``split..`` computed by a forked child (:func:`in_background`) while this process
    computes rows ``..split``.

    Each row must depend only on its own index, so the result is bit-identical to one call.
    The child writes into memory shared with this process (an anonymous mapping made before
    the fork): nothing is pickled back. Without a child (one CPU, no fork, a failed child)
    this process computes its rows too."""
    rows = int(shape[0])
    if not 0 < split < rows:
        return np.asarray(compute(0, rows), dtype=float).reshape(shape)
    out = shared_empty(shape)

    def tail() -> bool:
        out[split:] = compute(split, rows)
        return True

    with in_background(tail) as pending:
        out[:split] = compute(0, split)
        pending.result()
    return out
