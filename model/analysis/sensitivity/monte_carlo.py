"""Monte Carlo convergence of the decision: running means of each option and of the two
leaders' difference, with standard errors, as draws accumulate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.decision import AnalysisInputError, as_matrix


@dataclass(frozen=True)
class ConvergenceResult:
    """Running means with Monte Carlo standard errors.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table ``n, series, mean, se`` for each option and for ``diff`` (best minus
        second best by final mean).
    warning : str or None
        Set when the 95% interval of the final difference includes 0.
    """

    table: pd.DataFrame
    warning: str | None


def convergence(nb, names=None, n_points: int = 50) -> ConvergenceResult:
    """Running mean +/- standard error of each option and of the two leaders' difference.

    Returns
    -------
    ConvergenceResult
    """
    x = as_matrix(nb)
    n, k = x.shape
    names = [f"option_{i}" for i in range(k)] if names is None else [str(s) for s in names]
    if len(names) != k:
        raise AnalysisInputError(f"names has {len(names)} entries but nb has {k} options")
    top = np.argsort(x.mean(axis=0))[::-1][:2]
    series = np.column_stack([x, x[:, top[0]] - x[:, top[1]]])
    labels = [*names, f"diff: {names[top[0]]} - {names[top[1]]}"]
    pts = np.unique(np.geomspace(min(10, n), n, n_points).astype(int))
    centre = series.mean(axis=0)
    c = series - centre
    s1 = np.cumsum(c, axis=0)[pts - 1]
    s2 = np.cumsum(c * c, axis=0)[pts - 1]
    nn = pts[:, None].astype(float)
    mean = s1 / nn
    var = np.where(nn > 1, (s2 - nn * mean**2) / np.maximum(nn - 1, 1), np.nan)
    se = np.sqrt(np.maximum(var, 0) / nn)
    table = pd.DataFrame(
        {
            "n": np.repeat(pts, len(labels)),
            "series": labels * len(pts),
            "mean": (mean + centre).ravel(),
            "se": se.ravel(),
        }
    )
    d_mean, d_se = mean[-1, -1] + centre[-1], se[-1, -1]
    warn = None
    if abs(d_mean) <= 1.96 * d_se:
        warn = (
            f"ranking not stable at n={n}: {names[top[0]]} - {names[top[1]]} = "
            f"{d_mean:.4g} +/- {1.96 * d_se:.4g} (95%) includes 0; more draws needed"
        )
    return ConvergenceResult(table=table, warning=warn)
