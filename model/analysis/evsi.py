"""Expected value of sample information by regression, and the expected net benefit of sampling.

EVSI(study of size n) = E_X[max_d E(NB_d | X)] - max_d E(NB_d), X the study's data. As the
voi R package's ``evsi(..., method="gam")`` does (Strong et al. 2015), for each PSA draw a
summary statistic of the study is simulated given that draw's parameters, and each option's
incremental net benefit is regressed on it: the fitted values estimate E(NB_d | X), so EVSI
is :func:`model.analysis.voi.evppi` of the simulated statistic (same smoother, standard
error and warnings). ENBS(n) = population-scaled EVSI(n) - cost(n).

References
----------
.. [1] Strong M, Oakley JE, Brennan A, Breeze P (2015). Estimating the expected value of
   sample information using the probabilistic sensitivity analysis sample: a fast,
   nonparametric regression-based method. Med Decis Making 35:570-583.
.. [2] Heath A, Kunst N, Jackson C (eds.) (2024). Value of Information for Healthcare
   Decision Making. CRC Press (R package ``voi``: ``evsi``, ``enbs``).
.. [3] Ades AE, Lu G, Claxton K (2004). Expected value of sample information calculations in
   medical decision modeling. Med Decis Making 24:207-227 (normal-normal closed form).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.decision import AnalysisInputError, as_matrix, evpi
from model.analysis.voi import evppi

__all__ = ["Measure", "Study", "enbs", "evsi", "study_statistics"]

LIKELIHOODS = ("binomial", "normal")


@dataclass(frozen=True)
class Measure:
    """What a study measures about one parameter, per respondent (or unit).

    ``"binomial"``: each of n respondents answers yes with probability = the parameter (a
    share in [0, 1]); the statistic is the share of yes. ``"normal"``: each observation is
    the parameter (its natural log when ``log``) plus normal error of sd ``sd``; the
    statistic is their mean.
    """

    parameter: str
    likelihood: str = "binomial"
    sd: float = 1.0
    log: bool = False

    def __post_init__(self):
        if self.likelihood not in LIKELIHOODS:
            raise AnalysisInputError(
                f"likelihood '{self.likelihood}' unknown; use {' or '.join(LIKELIHOODS)}"
            )
        if not self.sd > 0:
            raise AnalysisInputError(f"measurement sd must be > 0, got {self.sd}")


@dataclass(frozen=True)
class Study:
    """A proposed study: what it measures and what it costs (fixed + per respondent)."""

    measures: tuple[Measure, ...]
    cost_fixed: float = 0.0
    cost_per_unit: float = 0.0
    name: str = "study"

    def cost(self, n) -> np.ndarray:
        return self.cost_fixed + self.cost_per_unit * np.asarray(n, dtype=float)

    def describe(self) -> str:
        parts = []
        for m in self.measures:
            if m.likelihood == "binomial":
                parts.append(f"the share {m.parameter} (yes/no per respondent)")
            else:
                scale = f"log {m.parameter}" if m.log else m.parameter
                parts.append(f"{scale} with normal error (sd {m.sd:g} per respondent)")
        return f"{self.name}: measures " + " and ".join(parts)


def study_statistics(study: Study, inputs: pd.DataFrame, n: int, rng=None) -> pd.DataFrame:
    """One simulated summary statistic per measure and PSA draw, given the draw's parameters.

    Returns
    -------
    pandas.DataFrame
        (draws, measures), one column per measured parameter.
    """
    if n < 1:
        raise AnalysisInputError(f"study size must be >= 1, got {n}")
    gen = np.random.default_rng(rng)
    out = {}
    for m in study.measures:
        if m.parameter not in inputs:
            raise AnalysisInputError(f"study measures '{m.parameter}', which has no draws")
        theta = inputs[m.parameter].to_numpy(dtype=float)
        if m.likelihood == "binomial":
            if theta.min() < 0 or theta.max() > 1:
                raise AnalysisInputError(f"binomial measure of '{m.parameter}' needs [0, 1]")
            out[m.parameter] = gen.binomial(n, theta) / n
        else:
            if m.log and theta.min() <= 0:
                raise AnalysisInputError(f"log-scale measure of '{m.parameter}' needs > 0")
            mu = np.log(theta) if m.log else theta
            out[m.parameter] = mu + gen.standard_normal(theta.size) * m.sd / np.sqrt(n)
    return pd.DataFrame(out, index=inputs.index)


def evsi(nb, inputs, study: Study, n: int, *, rng=None, **kwargs) -> tuple[float, float]:
    """EVSI of ``study`` with ``n`` respondents, by regression on the PSA draws.

    Parameters
    ----------
    nb : array_like (draws, options)
    inputs : pandas.DataFrame
        Parameter draws, row-aligned with ``nb``.
    study : Study
    n : int
        Respondents (units) per measure.
    **kwargs
        Passed to :func:`model.analysis.voi.evppi` (e.g. ``method``).

    Returns
    -------
    (float, float)
        EVSI per decision and its standard error.
    """
    gen = np.random.default_rng(rng)
    stats = study_statistics(study, inputs, n, rng=gen)
    table = evppi(
        nb, stats, groups={f"{study.name} (n={n})": list(stats.columns)}, rng=gen, **kwargs
    )
    return float(table["evppi"].iloc[0]), float(table["se"].iloc[0])


def enbs(
    nb,
    inputs,
    study: Study,
    sizes,
    *,
    population=None,
    horizon=None,
    discount_rate: float = 0.0,
    rng=None,
    **kwargs,
) -> pd.DataFrame:
    """Expected net benefit of sampling over a grid of study sizes, and the optimal size.

    ENBS(n) = EVSI(n) x (population factor of :func:`model.analysis.decision.evpi`) -
    (``study.cost_fixed`` + ``study.cost_per_unit`` x n).

    Returns
    -------
    pandas.DataFrame
        Index ``n``; columns ``evsi``, ``se``, ``population_evsi``, ``cost``, ``enbs``.
        ``attrs``: ``optimal_n`` (the size with the largest ENBS, None when no size has
        ENBS > 0), ``evpi``, ``study`` (its description).
    """
    x = as_matrix(nb)
    total = evpi(x)
    factor = 1.0
    if population is not None and total > 0:
        factor = evpi(x, population=population, horizon=horizon, discount_rate=discount_rate)
        factor /= total
    gen = np.random.default_rng(rng)
    sizes = sorted({int(s) for s in np.atleast_1d(sizes)})
    rows = [evsi(x, inputs, study, s, rng=gen, **kwargs) for s in sizes]
    out = pd.DataFrame(rows, columns=["evsi", "se"], index=pd.Index(sizes, name="n"))
    out["population_evsi"] = out["evsi"] * factor
    out["cost"] = study.cost(out.index)
    out["enbs"] = out["population_evsi"] - out["cost"]
    best = out["enbs"].idxmax()
    out.attrs = {
        "optimal_n": int(best) if out.loc[best, "enbs"] > 0 else None,
        "evpi": total,
        "study": study.describe(),
    }
    return out
