"""Executors for ``simulate`` and ``sweep``: any ``concurrent.futures.Executor``, or one by spec.

Specs (the CLI's ``--executor``): ``serial``, ``processes:N`` (a ``ProcessPoolExecutor``),
``dask-local:N`` (a Dask ``LocalCluster`` of N single-threaded worker processes) and
``dask://HOST:PORT`` (a running Dask scheduler). Results do not depend on the executor.
"""

from __future__ import annotations

import logging
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from model.errors import ExecutorSpecError
from model.study.signals import ignore_stop_signals

__all__ = [
    "SPECS",
    "ExecutorSpecError",
    "cpu_count",
    "executor_from_spec",
    "map_tasks",
    "worker_count",
]

SPECS = "serial, processes:N, dask-local:N, dask://HOST:PORT"


def _bad(spec: str, why: str = "unknown executor") -> ExecutorSpecError:
    return ExecutorSpecError(f"{why} {spec!r}; use one of: {SPECS} (N >= 1)")


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _workers(spec: str, text: str) -> int:
    """N of a local ``processes:N`` or ``dask-local:N``: 1 up to this machine's CPU count."""
    if not re.fullmatch(r"[1-9][0-9]*", text.strip()):
        raise _bad(spec, "bad number of workers in executor")
    cpus = cpu_count()
    if int(text) > cpus:
        kind = spec.strip().partition(":")[0]
        raise ExecutorSpecError(
            f"executor {spec!r}: this machine has {cpus} CPU(s); use {kind}:{cpus} or fewer"
        )
    return int(text)


def _distributed(spec: str):
    try:
        import distributed
    except ImportError:
        raise ExecutorSpecError(
            f"executor {spec!r} needs Dask: install headwater[dask] (pip install 'headwater[dask]')"
        ) from None
    return distributed


@contextmanager
def executor_from_spec(spec: str) -> Iterator[Executor | None]:
    """Start the executor a spec names, yield it, and shut it down afterwards.

    Parameters
    ----------
    spec : str
        ``serial`` (yields None: tasks run in this process), ``processes:N``,
        ``dask-local:N`` or ``dask://HOST:PORT``.

    Raises
    ------
    ExecutorSpecError
        (a ValueError) one line: a malformed spec, Dask not installed, or no scheduler at the
        address.

    Examples
    --------
    >>> with executor_from_spec("processes:2") as ex:  # doctest: +SKIP
    ...     res = simulate(params, n=10**6, rng=1, executor=ex, keep="summary")
    """
    if not isinstance(spec, str):
        raise _bad(str(spec))
    s = spec.strip()
    kind, _, arg = s.partition(":")
    if s == "serial":
        yield None
    elif kind == "processes" and arg:
        workers = _workers(spec, arg)
        with ProcessPoolExecutor(max_workers=workers, initializer=ignore_stop_signals) as ex:
            yield ex
    elif kind == "dask-local" and arg:
        n = _workers(spec, arg)
        d = _distributed(spec)
        with (
            d.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            d.Client(cluster) as client,
        ):
            yield client.get_executor()
    elif kind == "dask" and re.fullmatch(r"//[^\s/:]+:[0-9]+", arg):
        d = _distributed(spec)
        address = "tcp:" + arg
        try:
            client = d.Client(address, timeout="5s")
        except (OSError, TimeoutError) as e:
            raise ExecutorSpecError(
                f"cannot reach a Dask scheduler at {address} ({type(e).__name__}); start one "
                "with `dask scheduler` and workers with `dask worker ADDRESS`, or use dask-local:N"
            ) from None
        with client:
            yield client.get_executor()
    else:
        raise _bad(spec)


def worker_count(executor: Executor | None) -> int:
    """Number of parallel workers behind ``executor`` (1 for None; CPU count if unknown)."""
    if executor is None:
        return 1
    n = getattr(executor, "_max_workers", None)  # ProcessPoolExecutor, ThreadPoolExecutor
    if isinstance(n, int) and n > 0:
        return n
    client = getattr(executor, "_client", None)  # distributed.client.ClientExecutor
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # a scheduler that does not answer: fall back
            pass
    return os.cpu_count() or 1


def map_tasks(task: Callable, args: list[tuple], executor, progress: bool) -> Iterator:
    """Run tasks serially or on ``executor``, yielding results in submission order.

    Each result is released as soon as it is consumed, so memory holds at most the results of
    tasks that finished early, not of every task.
    """
    if executor is None:
        results = (task(*a) for a in args)
    else:
        futures = deque(executor.submit(task, *a) for a in args)

        def ordered():
            try:
                while futures:
                    yield futures[0].result()
                    futures.popleft()
            finally:
                for f in futures:
                    f.cancel()

        results = ordered()
    if progress:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(args), desc="tasks", unit="task", leave=False)
    return iter(results)
