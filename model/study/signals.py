"""The signals that stop a run: Ctrl-C (SIGINT), SIGTERM and SIGHUP.

The command line turns them into exceptions so that every temporary file is removed on the way
out; worker processes ignore them (a terminal sends them to the whole process group), so that
only the parent stops the pool and cleans up.
"""

from __future__ import annotations

import signal

__all__ = ["STOP_SIGNALS", "ignore_stop_signals"]

#: Signals that stop a run, by name (SIGHUP is absent on Windows).
STOP_SIGNALS = tuple(
    getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)
)


def ignore_stop_signals() -> None:
    """Ignore the stop signals in this process (a pool worker's initializer)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
