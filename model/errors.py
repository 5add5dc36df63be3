"""One exception root for user mistakes: :class:`HeadwaterError`.

Every user-facing error derives from it and reads as one line that names the file, the key
(parameter, table or column), what is wrong, what was received and how to fix it, so that the
CLI catches the root once, prints the line and exits with code 2.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AnalysisInputError",
    "ExecutorSpecError",
    "HeadwaterError",
    "PSAFileError",
    "ParamFileError",
    "ParamFileErrors",
    "SweepSpecError",
    "UsageError",
]


class HeadwaterError(Exception):
    """Root of every user-facing error: a mistake the user can fix, told in one line."""


class UsageError(HeadwaterError):
    """A user mistake found by the command line itself (a flag, a path, an output target)."""


class AnalysisInputError(HeadwaterError, ValueError):
    """Bad array input to an analysis function (shape, NaN, too few options, unknown name)."""


class SweepSpecError(HeadwaterError, ValueError):
    """A bad sweep: what to vary, or scenarios, given wrongly."""


class ExecutorSpecError(HeadwaterError, ValueError):
    """A bad ``--executor`` spec, or one that cannot be started here."""


class ParamFileError(HeadwaterError, ValueError):
    """A mistake in a parameter file (or in a parameter given from Python).

    Parameters
    ----------
    file : str
        The file the mistake is in (``"<python>"`` for values given in code).
    key : str or None
        The parameter or table concerned; None for file-level mistakes.
    problem : str
        What is wrong, e.g. ``"lognormal needs p05 < p95"``.
    got : str, optional
        What was received, e.g. ``"p05=30, p95=10"``.
    fix : str, optional
        How to fix it, e.g. ``"swap them"``.

    Examples
    --------
    >>> str(ParamFileError("params/x.toml", "n_dev", "lognormal needs p05 < p95",
    ...                    got="p05=30, p95=10", fix="swap them"))
    'params/x.toml [n_dev]: lognormal needs p05 < p95; got p05=30, p95=10; swap them'
    """

    def __init__(
        self,
        file: str,
        key: str | None,
        problem: str,
        got: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        self.got = got
        self.fix = fix
        super().__init__(self._line())

    def _line(self) -> str:
        where = self.file if self.key is None else f"{self.file} [{self.key}]"
        parts = [f"{where}: {self.problem}"]
        if self.got is not None:
            parts.append(f"got {self.got}")
        if self.fix is not None:
            parts.append(self.fix)
        return "; ".join(parts).replace("\n", " ")

    def __str__(self) -> str:
        return self._line()

    def __reduce__(self):
        return (type(self), (self.file, self.key, self.problem, self.got, self.fix))


class ParamFileErrors(ParamFileError):
    """Several parameter-file mistakes reported at once (``str`` = one line per error)."""

    def __init__(self, errors: Iterable[ParamFileError]) -> None:
        self.errors: list[ParamFileError] = list(errors)
        if not self.errors:
            raise ValueError("ParamFileErrors needs at least one error")
        first = self.errors[0]
        super().__init__(first.file, first.key, first.problem, first.got, first.fix)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def __iter__(self):
        return iter(self.errors)

    def __reduce__(self):
        return (type(self), (self.errors,))


class PSAFileError(ParamFileError):
    """A PSA CSV file that cannot be read: names the file, the column and the fix."""

    def __init__(self, file, key, problem, got=None, fix=None):
        self.file, self.key, self.problem, self.got, self.fix = file, key, problem, got, fix
        msg = f"{file}: {key}: {problem}"
        if got is not None:
            msg += f" (got {got})"
        if fix:
            msg += f"; {fix}"
        self._msg = msg
        ValueError.__init__(self, msg)

    def __str__(self) -> str:
        return self._msg
