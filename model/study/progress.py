"""Progress over the named steps of a slow call (a tqdm bar on stderr, only when asked)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["steps"]


@contextmanager
def steps(desc: str, total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
    """Yield ``start(name)``, to call as each of ``total`` steps begins.

    >>> with steps("analysing", 2, enabled=False) as start:
    ...     start("decision")
    ...     start("sensitivity")
    """
    if not enabled:
        yield lambda name: None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit="step", leave=False) as bar:
        begun = 0

        def start(name: str) -> None:
            nonlocal begun
            if begun:
                bar.update()
            begun += 1
            bar.set_postfix_str(name)

        yield start
        bar.update(total - bar.n)
