"""Sensitivity that holds on heavy tails: a global ranking checked for convergence, and
warnings when indices leave [0, 1] or a ranking changes between halves of the draws.

The ranking uses Borgonovo's delta, which is invariant to strictly monotone transforms of
the output (Borgonovo et al. 2014), estimated on the output's normal scores
Phi^-1((rank - 0.5) / n): the same measure, but the density estimates behind it are no
longer spread over a range set by a few extreme draws. Variance-based indices of a
heavy-tailed output have no such invariance and can leave [0, 1] at any practical n.

References
----------
.. [1] Borgonovo E, Tarantola S, Plischke E, Morris MD (2014). Transformations and
   invariance in the sensitivity analysis of computer experiments. J R Stat Soc B
   76:925-947.
.. [2] Sarrazin F, Pianosi F, Wagener T (2016). Global sensitivity analysis of environmental
   models: convergence and validation. Environ Model Softw 79:135-152 (ranking convergence).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import ndtri

from model.analysis.sensitivity.moment_independent import delta
from model.analysis.sensitivity.problem import given_data

__all__ = ["SensitivityWarning", "global_ranking", "index_problems", "rank_agreement"]

#: Share of the top inputs two halves of the draws must agree on before a ranking is stable.
AGREEMENT = 0.8

#: Pure-noise columns whose delta gives the estimator's null level (mean + 3 sd).
N_NOISE = 10


class SensitivityWarning(UserWarning):
    """A sensitivity index outside [0, 1], or a ranking that is not stable across draws."""


def rank_agreement(a: pd.Series, b: pd.Series, top: int = 10) -> float:
    """Share of the ``top`` largest entries of ``a`` that are among the ``top`` of ``b``."""
    top = min(top, len(a))
    if top == 0:
        return 1.0
    return len(set(a.nlargest(top).index) & set(b.nlargest(top).index)) / top


def index_problems(table: pd.DataFrame, columns=("S1", "ST"), tol: float = 0.05) -> list[str]:
    """One message per index column with estimates outside [-tol, 1 + tol] (an index is a
    share of variance: outside [0, 1] the estimator has not converged)."""
    out = []
    for c in columns:
        if c not in table:
            continue
        bad = table[c][(table[c] < -tol) | (table[c] > 1 + tol)]
        if len(bad):
            where = bad.index[np.argmax(np.abs(bad.to_numpy() - 0.5))]
            label = " / ".join(map(str, where)) if isinstance(where, tuple) else where
            out.append(
                f"{len(bad)} {c} indices outside [0, 1] (e.g. {label}: {bad[where]:.3g}): "
                "not converged at this sample size; rank inputs by a moment-independent measure"
            )
    return out


def global_ranking(
    x, y, names=None, *, top: int = 10, max_draws: int | None = 16384, rng=None
) -> pd.DataFrame:
    """Inputs ranked by the delta measure on the output's normal scores, with a convergence
    check and a pure-noise control.

    ``max_draws`` random draws (all when None) are split into two disjoint halves; delta
    is estimated on each half and averaged, beside ten columns of pure noise whose
    deltas give the estimator's null level (mean + 3 sd: delta is biased upwards, and an
    input must clear that level, ``above_noise``). The ranking is stable
    when the halves share at least 80% of their ``top`` inputs; otherwise, and for any
    delta outside [0, 1], a :class:`SensitivityWarning` is issued.

    Returns
    -------
    pandas.DataFrame
        Index ``parameter``, sorted by ``delta`` (the mean of the halves); columns
        ``delta``, ``delta_a``, ``delta_b`` (the halves), ``above_noise``, ``rank``.
        ``attrs``: ``agreement`` (share of the top inputs the halves agree on), ``noise``
        (the null level), ``n`` (draws used), ``warnings`` (tuple of messages).
    """
    from scipy.stats import rankdata  # on first use: scipy.stats costs half a second to import

    xm, yv, names = given_data(x, y, names)
    gen = np.random.default_rng(rng)
    if max_draws is not None and yv.size > max_draws:
        keep = gen.choice(yv.size, max_draws, replace=False)
        xm, yv = xm[keep], yv[keep]
    n = yv.size
    noise = [f"(noise {i})" for i in range(N_NOISE)]
    xm = np.column_stack([xm, gen.random((n, N_NOISE))])
    half = gen.permutation(n)
    cols = [*names, *noise]
    est = [
        delta(xm[p], ndtri((rankdata(yv[p]) - 0.5) / p.size), cols)["delta"]
        for p in (np.sort(half[: n // 2]), np.sort(half[n // 2 :]))
    ]
    both = (est[0] + est[1]) / 2
    null = both[noise]
    level = float(null.mean() + 3 * null.std(ddof=1))
    out = pd.DataFrame({"delta": both, "delta_a": est[0], "delta_b": est[1]}).drop(index=noise)
    out["above_noise"] = out["delta"] > level
    out = out.sort_values("delta", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    agreement = rank_agreement(out["delta_a"], out["delta_b"], top)
    notes = index_problems(out, ("delta", "delta_a", "delta_b"), tol=0.0)
    if agreement < AGREEMENT:
        notes.append(
            f"sensitivity ranking not stable: two halves of {n:,} draws agree on "
            f"{agreement:.0%} of their top {min(top, len(out))} inputs (delta measure)"
        )
    for msg in notes:
        warnings.warn(msg, SensitivityWarning, stacklevel=2)
    out.attrs = {"agreement": agreement, "noise": level, "n": n, "warnings": tuple(notes)}
    return out
