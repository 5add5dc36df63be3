"""Sensitivity analysis: variance-based (Sobol), screening (Morris), moment-independent
(delta), RBD-FAST, one-way (tornado, spider, switching values), two-way, and Monte Carlo
convergence.

A ``problem`` is either ParameterSet-like (duck type: ``.names`` and
``.transform(u: (m, d)) -> (m, d)`` mapping the unit hypercube to data units; for one-way
analyses also ``.parameters[name].dist.ppf(q)``) or a SALib-style dict (``names``,
``bounds``, optional ``dists``). ``func`` maps an (m, d) matrix of inputs in data units to
(m,) or (m, k) outputs in ONE vectorised call.

References
----------
.. [1] Saltelli A, Annoni P, Azzini I, Campolongo F, Ratto M, Tarantola S (2010). Variance
   based sensitivity analysis of model output. Design and estimator for the total
   sensitivity index. Comput Phys Commun 181:259-270. doi:10.1016/j.cpc.2009.09.018
.. [2] Saltelli A (2002). Making best use of model evaluations to compute sensitivity
   indices. Comput Phys Commun 145:280-297.
.. [3] Morris MD (1991). Factorial sampling plans for preliminary computational experiments.
   Technometrics 33:161-174; Campolongo F, Cariboni J, Saltelli A (2007). Environ Model
   Softw 22:1509-1518 (mu*).
.. [4] Plischke E, Borgonovo E, Smith CL (2013). Global sensitivity measures from given
   data. Eur J Oper Res 226:536-550; Borgonovo E (2007). Reliab Eng Syst Saf 92:771-784.
.. [5] Tarantola S, Gatelli D, Mara TA (2006). Random balance designs for the estimation of
   first order global sensitivity indices. Reliab Eng Syst Saf 91:717-727; Tissot JY,
   Prieur C (2012). Reliab Eng Syst Saf 107:205-213 (bias correction).
.. [6] Herman J, Usher W (2017). SALib: An open-source Python library for sensitivity
   analysis. J Open Source Softw 2(9):97.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache
from math import lgamma

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm, qmc
from threadpoolctl import threadpool_limits

from model.decision import AnalysisInputError, _as_matrix

__all__ = [
    "ConvergenceResult",
    "SobolResult",
    "convergence",
    "delta",
    "morris",
    "rbd_fast",
    "saltelli_design",
    "sobol",
    "spider",
    "switching_values",
    "tornado",
    "two_way",
]

_EPS_Q = 1e-12  # open-quantile clip for designs that touch 0 and 1


# ----------------------------------------------------------------------------- problems


def _is_dict_problem(problem) -> bool:
    return isinstance(problem, dict)


def _problem_names(problem) -> list[str]:
    if _is_dict_problem(problem):
        if "names" not in problem or "bounds" not in problem:
            raise AnalysisInputError("a dict problem needs 'names' and 'bounds' (SALib style)")
        return [str(s) for s in problem["names"]]
    if not hasattr(problem, "names") or not hasattr(problem, "transform"):
        raise AnalysisInputError(
            "problem must be a SALib-style dict or have .names and .transform(u)"
        )
    return [str(s) for s in problem.names]


def _unit_problem(names) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _transform(problem, u: np.ndarray) -> np.ndarray:
    """Map unit-cube rows (m, d) to data units."""
    if _is_dict_problem(problem):
        from SALib.util import scale_samples

        p = copy.deepcopy(problem)
        p.setdefault("num_vars", len(p["names"]))
        return np.asarray(scale_samples(np.array(u, dtype=float, copy=True), p), dtype=float)
    x = np.asarray(problem.transform(np.asarray(u, dtype=float)), dtype=float)
    if x.shape != u.shape:
        raise AnalysisInputError(f"problem.transform returned shape {x.shape}, expected {u.shape}")
    return x


def _marginal_ppf(problem, name: str, j: int, q: np.ndarray) -> np.ndarray:
    """Marginal inverse CDF of parameter ``name`` (column j) at quantiles q."""
    q = np.asarray(q, dtype=float)
    if _is_dict_problem(problem):
        d = len(problem["names"])
        u = np.full((q.size, d), 0.5)
        u[:, j] = q
        return _transform(problem, u)[:, j]
    params = getattr(problem, "parameters", None)
    if params is not None:
        return np.asarray(params[name].dist.ppf(q), dtype=float)
    d = len(problem.names)  # no marginals: fall back to the joint transform
    u = np.full((q.size, d), 0.5)
    u[:, j] = q
    return _transform(problem, u)[:, j]


def _call(func, x: np.ndarray) -> np.ndarray:
    y = np.asarray(func(x), dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise AnalysisInputError(
            f"func must return (m,) or (m, k) for {x.shape[0]} rows, got shape {y.shape}"
        )
    if not np.all(np.isfinite(y)):
        raise AnalysisInputError(f"func returned {np.count_nonzero(~np.isfinite(y))} NaN/inf")
    return y


def _seed_from(rng) -> int:
    return int(np.random.default_rng(rng).integers(1, 2**31 - 1))


# ----------------------------------------------------------------------------- Sobol


@dataclass(frozen=True)
class SobolResult:
    """Sobol indices, one row per output and one column per parameter.

    Attributes
    ----------
    names : tuple of str
    outputs : tuple of str
    first, total, first_conf, total_conf : numpy.ndarray (n_outputs, d)
        First-order and total indices and the half-widths of their bootstrap intervals
        (``conf`` level, normal approximation as SALib).
    second, second_conf : numpy.ndarray (n_outputs, d, d) or None
        Closed second-order indices (upper triangle; NaN elsewhere).
    n_evaluations : int
    n_base : int
    boot_seed : int
        Seed of the bootstrap resamples (``numpy.random.default_rng(boot_seed)``).
    """

    names: tuple[str, ...]
    outputs: tuple[str, ...]
    first: np.ndarray = field(repr=False)
    total: np.ndarray = field(repr=False)
    first_conf: np.ndarray = field(repr=False)
    total_conf: np.ndarray = field(repr=False)
    second: np.ndarray | None = field(repr=False, default=None)
    second_conf: np.ndarray | None = field(repr=False, default=None)
    n_evaluations: int = 0
    n_base: int = 0
    boot_seed: int = 0

    def to_frame(self) -> pd.DataFrame:
        """Long table indexed by (output, parameter) with S1, S1_conf, ST, ST_conf."""
        idx = pd.MultiIndex.from_product([self.outputs, self.names], names=["output", "parameter"])
        return pd.DataFrame(
            {
                "S1": self.first.ravel(),
                "S1_conf": self.first_conf.ravel(),
                "ST": self.total.ravel(),
                "ST_conf": self.total_conf.ravel(),
            },
            index=idx,
        )


def _counts(r: np.ndarray, n: int) -> np.ndarray:
    """(n_boot, n) multiplicity matrix of bootstrap index columns r (n, n_boot)."""
    nb = r.shape[1]
    flat = (r + n * np.arange(nb)[None, :]).T.ravel()
    return np.bincount(flat, minlength=n * nb).reshape(nb, n).astype(float)


def _sobol_indices(y, d, n, second_order, n_boot, conf, boot_seed):
    """Saltelli (2010) S1/ST and Saltelli (2002) S2 for one output, as SALib analyze.sobol.

    The bootstrap uses ``default_rng(boot_seed).integers(n, size=(n, n_boot))`` (SALib's
    resamples for the same seed) and computes every resample by matrix products.
    """
    y = (y - y.mean()) / y.std()
    step = 2 * d + 2 if second_order else d + 2
    a = y[0::step]
    b = y[step - 1 :: step]
    ab = np.stack([y[j + 1 :: step] for j in range(d)], axis=1)
    ba = np.stack([y[j + 1 + d :: step] for j in range(d)], axis=1) if second_order else None
    var = np.var(np.r_[a, b])
    s1 = np.mean(b[:, None] * (ab - a[:, None]), axis=0) / var
    st = 0.5 * np.mean((a[:, None] - ab) ** 2, axis=0) / var
    z = norm.ppf(0.5 + conf / 2)
    r = np.random.default_rng(boot_seed).integers(n, size=(n, n_boot))
    c = _counts(r, n)
    m1 = (c @ a + c @ b) / (2 * n)
    m2 = (c @ (a * a) + c @ (b * b)) / (2 * n)
    var_b = (m2 - m1**2)[:, None]
    s1_b = (c @ (b[:, None] * (ab - a[:, None]))) / n / var_b
    st_b = 0.5 * (c @ ((a[:, None] - ab) ** 2)) / n / var_b
    s1_conf = z * s1_b.std(axis=0, ddof=1)
    st_conf = z * st_b.std(axis=0, ddof=1)
    s2 = s2_conf = None
    if second_order:
        s2 = np.full((d, d), np.nan)
        s2_conf = np.full((d, d), np.nan)
        jj, kk = np.triu_indices(d, 1)
        vjk = np.mean(ba[:, jj] * ab[:, kk] - (a * b)[:, None], axis=0) / var
        s2[jj, kk] = vjk - s1[jj] - s1[kk]
        for lo in range(0, jj.size, 256):
            sl = slice(lo, lo + 256)
            vb = (c @ (ba[:, jj[sl]] * ab[:, kk[sl]] - (a * b)[:, None])) / n / var_b
            s2_conf[jj[sl], kk[sl]] = z * (vb - s1_b[:, jj[sl]] - s1_b[:, kk[sl]]).std(
                axis=0, ddof=1
            )
    return s1, st, s1_conf, st_conf, s2, s2_conf


def saltelli_design(d: int, n: int, second_order: bool, seed: int) -> np.ndarray:
    """SALib's ``sample.sobol.sample`` design on the unit cube, built by broadcasting.

    From a scrambled Sobol' base of ``2d`` columns (A | B), each of the ``n`` base points
    gives the rows A, AB_1..AB_d (A with column k from B), then BA_1..BA_d (B with column k
    from A) when ``second_order``, then B: ``n (d + 2)`` or ``n (2d + 2)`` rows. Equal to
    SALib's (which fills the same matrix element by element in Python loops; ~1 s at
    d = 85, n = 512) to the bit.
    """
    base = qmc.Sobol(2 * d, scramble=True, seed=seed).random(n)  # SALib's legacy seeding
    a, b = base[:, :d], base[:, d:]
    blocks = [a[:, None, :], np.repeat(a[:, None, :], d, axis=1)]
    cols = np.arange(d)
    blocks[1][:, cols, cols] = b
    if second_order:
        swapped = np.repeat(b[:, None, :], d, axis=1)
        swapped[:, cols, cols] = a
        blocks.append(swapped)
    blocks.append(b[:, None, :])
    return np.concatenate(blocks, axis=1).reshape(-1, d)


def sobol(
    func,
    problem,
    *,
    n: int = 1024,
    second_order: bool = False,
    rng=None,
    n_boot: int = 100,
    conf: float = 0.95,
    output_names=None,
) -> SobolResult:
    """Sobol first-order and total indices: design, model runs and estimation in one call.

    Builds SALib's ``sample.sobol`` Saltelli design (:func:`saltelli_design`; scrambled Sobol',
    ``n`` base rows, ``n * (d + 2)`` rows or ``n * (2d + 2)`` with second order) in the
    unit hypercube, maps it to data units (``problem.transform`` or SALib bounds/dists),
    calls ``func`` once on the whole design and estimates the indices per output column
    with the Saltelli (2010) first-order and Jansen total-order estimators SALib uses,
    with bootstrap intervals computed as matrix products (identical to SALib
    ``analyze.sobol`` with ``seed=boot_seed``).

    Parameters
    ----------
    func : callable (m, d) -> (m,) or (m, k)
    problem : ParameterSet-like or SALib-style dict
    n : int
        Base sample size N (a power of 2).
    second_order : bool
    rng : int or numpy.random.Generator, optional
        Seeds the scrambling and the bootstrap.
    n_boot : int
        Bootstrap resamples for the intervals.
    conf : float
        Interval level.

    Returns
    -------
    SobolResult
    """
    names = _problem_names(problem)
    d = len(names)
    if n < 2 or n & (n - 1):
        raise AnalysisInputError(
            f"n must be a power of 2 (got {n}); try {1 << max(n, 2).bit_length() - 1}"
        )
    gen = np.random.default_rng(rng)
    design_seed, boot_seed = (int(s) for s in gen.integers(1, 2**31 - 1, size=2))
    x = _transform(problem, saltelli_design(d, n, second_order, design_seed))
    y = _call(func, x)
    k = y.shape[1]
    outs = tuple(output_names) if output_names is not None else tuple(f"y{i}" for i in range(k))
    if len(outs) != k:
        raise AnalysisInputError(f"output_names has {len(outs)} entries, func returned {k}")
    res = []
    for j in range(k):
        if np.ptp(y[:, j]) <= np.finfo(float).eps:
            z = np.zeros(d)
            s2z = np.full((d, d), np.nan) if second_order else None
            res.append((z, z, z, z, s2z, s2z))
        else:
            res.append(_sobol_indices(y[:, j], d, n, second_order, n_boot, conf, boot_seed))
    stack = [np.stack([r[i] for r in res]) for i in range(4)]
    s2 = np.stack([r[4] for r in res]) if second_order else None
    s2c = np.stack([r[5] for r in res]) if second_order else None
    return SobolResult(
        names=tuple(names),
        outputs=outs,
        first=stack[0],
        total=stack[1],
        first_conf=stack[2],
        total_conf=stack[3],
        second=s2,
        second_conf=s2c,
        n_evaluations=int(x.shape[0]),
        n_base=n,
        boot_seed=boot_seed,
    )


# ----------------------------------------------------------------------------- Morris


def morris(
    func, problem, *, r: int = 20, levels: int = 4, rng=None, n_boot: int = 1000, conf=0.95
) -> pd.DataFrame:
    """Morris elementary-effects screening (SALib ``sample.morris`` + ``analyze.morris``).

    The trajectories are built in the unit hypercube, clipped to open quantiles
    (1e-12, 1 - 1e-12) before the transform (Morris grids touch 0 and 1, where unbounded
    inverse CDFs are infinite), and the elementary effects are measured per unit step of
    the [0, 1]-rescaled input (SALib's convention).

    Returns
    -------
    pandas.DataFrame
        Index ``parameter`` (and an ``output`` column when func has several outputs);
        columns ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    names = _problem_names(problem)
    up = _unit_problem(names)
    seed = _seed_from(rng)
    u = morris_sample.sample(up, r, num_levels=levels, seed=seed)
    x = _transform(problem, np.clip(u, _EPS_Q, 1 - _EPS_Q))
    y = _call(func, x)
    frames = []
    for j in range(y.shape[1]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            s = morris_analyze.analyze(
                up,
                u,
                y[:, j],
                num_resamples=n_boot,
                conf_level=conf,
                num_levels=levels,
                seed=seed,
            )
        f = pd.DataFrame(
            {k: np.asarray(s[k], dtype=float) for k in ("mu", "mu_star", "sigma", "mu_star_conf")},
            index=pd.Index(names, name="parameter"),
        )
        if y.shape[1] > 1:
            f.insert(0, "output", f"y{j}")
        frames.append(f)
    return pd.concat(frames) if len(frames) > 1 else frames[0]


# ----------------------------------------------------------------------------- given data


def _given_data(x, y, names):
    if isinstance(x, pd.DataFrame):
        names = list(x.columns) if names is None else names
        x = x.to_numpy(dtype=float)
    xm = _as_matrix(x, "X", min_k=1)
    yv = np.asarray(y, dtype=float).ravel()
    if yv.size != xm.shape[0]:
        raise AnalysisInputError(f"y has {yv.size} values but X has {xm.shape[0]} rows")
    if not np.all(np.isfinite(yv)):
        raise AnalysisInputError("y holds non-finite values")
    names = [f"x{i}" for i in range(xm.shape[1])] if names is None else [str(s) for s in names]
    if len(names) != xm.shape[1]:
        raise AnalysisInputError(f"{len(names)} names for {xm.shape[1]} columns of X")
    return xm, yv, names


_KDE_CUT = 10.0  # kernel terms beyond 10 bandwidths are dropped (exp(-50) ~ 2e-22)
_KDE_TAU = 0.5  # anchor spacing, in bandwidths, of the expansion
_KDE_TOL = 1e-17  # bound on each point's truncation error, relative to the kernel's peak
_KDE_MAX_REFINE = 64  # finer anchors than step / 64: evaluate that group directly


@cache
def _kde_terms(level: int, levels: int = 64) -> int:
    """Taylor terms P for anchor spacings tau <= _KDE_TAU * level / levels.

    The remainder after P terms of exp(-j tau delta) (|delta| <= tau / 2) is at most
    a^P / P! e^a with a = u tau / 2, u = |j| tau; weighted by the kernel exp(-u^2 / 2).
    """
    tau = _KDE_TAU * level / levels
    u = np.linspace(1e-3, _KDE_CUT, 2000)
    a = u * tau / 2
    for p in range(1, 60):
        if np.max(-(u**2) / 2 + a + p * np.log(a) - lgamma(p + 1)) < np.log(_KDE_TOL):
            return p
    raise AssertionError("unreachable: the series converges for tau <= 0.5")  # pragma: no cover


def _kde_grid(ys, starts, counts, g0: float, step: float, n_grid: int) -> np.ndarray:
    """Gaussian KDE of each contiguous group of ys on the grid g0 + k * step (as scipy).

    Each group gets scipy ``gaussian_kde(bw_method="silverman")``: bandwidth
    h = sd(ddof=1) * (3 c / 4) ** (-1/5). Instead of c x n_grid kernel evaluations, each
    value is attached to the nearest anchor of a grid of spacing tau * h (tau <= 0.5,
    a divisor of ``step``) and the kernel is expanded about the anchor:
    exp(-(j tau + delta)^2 / 2) = exp(-(j tau)^2 / 2) exp(-delta^2 / 2)
    sum_p (-j tau delta)^p / p!, so a group costs P moment sums per value and one
    (n_grid x anchors-in-reach x P) contraction, with P chosen so that each value's
    truncation error is below 1e-17 of the kernel's peak (a fast Gauss transform with
    an a-priori error bound; Greengard & Strain 1991). Groups whose bandwidth is below
    step / 32 are evaluated directly.

    Returns
    -------
    numpy.ndarray (n_groups, n_grid)
        NaN rows for groups SALib skips (fewer than two distinct values).
    """
    ng = counts.size
    out = np.full((ng, n_grid), np.nan)
    mean = np.add.reduceat(ys, starts) / counts
    dev = ys - np.repeat(mean, counts)
    var = np.add.reduceat(dev * dev, starts) / np.maximum(counts - 1, 1)
    ptp = np.maximum.reduceat(ys, starts) - np.minimum.reduceat(ys, starts)
    ok = (counts >= 2) & (ptp > 0)
    bw = np.sqrt(var) * (counts * 0.75) ** -0.2
    refine = np.ones(ng, dtype=np.int64)
    refine[ok] = np.ceil(step / (bw[ok] * _KDE_TAU))
    direct = ok & (refine > _KDE_MAX_REFINE)
    fgt = ok & ~direct
    grid = g0 + step * np.arange(n_grid)
    norm_c = 1.0 / (counts * np.where(ok, bw, 1.0) * np.sqrt(2 * np.pi))
    for g in np.flatnonzero(direct):
        yy = ys[starts[g] : starts[g] + counts[g]]
        zz = (grid[None, :] - yy[:, None]) / bw[g]
        out[g] = np.exp(-0.5 * zz * zz).sum(axis=0) * norm_c[g]
    if not fgt.any():
        return out
    n_anchor = refine * (n_grid - 1) + 1
    offset = np.r_[0, np.cumsum(np.where(fgt, n_anchor, 0))[:-1]]
    tau = step / refine / np.where(ok, bw, 1.0)  # anchor spacing in bandwidths, <= 0.5
    levels = np.minimum(np.ceil(tau / _KDE_TAU * 64).astype(int), 64)
    terms = np.zeros(ng, dtype=int)
    terms[fgt] = [_kde_terms(int(v)) for v in levels[fgt]]
    p_max = int(terms.max())
    sel = np.repeat(fgt, counts)
    gid = np.repeat(np.arange(ng), counts)[sel]
    yy = ys[sel]
    spacing = (step / refine)[gid]
    s = np.clip(np.rint((yy - g0) / spacing), 0, refine[gid] * (n_grid - 1))
    delta = (g0 + s * spacing - yy) / bw[gid]
    key = offset[gid] + s.astype(np.int64)
    total = int(offset[fgt][-1] + n_anchor[fgt][-1])
    mom = np.empty((total, p_max))
    w = np.exp(-0.5 * delta * delta)
    for p in range(p_max):
        mom[:, p] = np.bincount(key, w, minlength=total)
        w = w * delta
    fact = np.cumprod(np.r_[1.0, np.arange(1, p_max)])
    for g in np.flatnonzero(fgt):
        r, t, pg = int(refine[g]), float(tau[g]), int(terms[g])
        reach = int(min(np.ceil(_KDE_CUT / t), r * (n_grid - 1)))
        j = np.arange(-reach, reach + 1)
        x = j * t
        wts = np.exp(-0.5 * x * x)[:, None] * (-x[:, None]) ** np.arange(pg) / fact[:pg]
        padded = np.zeros((n_anchor[g] + 2 * reach, pg))
        padded[reach : reach + n_anchor[g]] = mom[offset[g] : offset[g] + n_anchor[g], :pg]
        idx = (np.arange(n_grid) * r)[:, None] + reach - j[None, :]
        out[g] = padded[idx].reshape(n_grid, -1) @ wts.ravel() * norm_c[g]
    return out


def _class_bounds(n: int, m_bins: int) -> np.ndarray:
    """Start positions of SALib's equal-rank classes (ordinal rank r in (m_k, m_k+1])."""
    return np.unique(np.floor(np.linspace(0, n, m_bins + 1)).astype(np.int64))


def _delta_sorted(ys, bounds, fy, grid):
    """d_hat (Plischke et al. 2013, eq. 26) and SALib's binned S1 for ys sorted by the input."""
    n = ys.size
    starts = bounds[:-1]
    counts = np.diff(bounds)
    step = (grid[-1] - grid[0]) / (grid.size - 1)
    fyc = _kde_grid(ys, starts, counts, grid[0], step, grid.size)
    ok = ~np.isnan(fyc[:, 0])
    dist = np.trapezoid(np.abs(fy[None, :] - fyc[ok]), grid, axis=1)
    d_hat = float(np.sum(counts[ok] / (2 * n) * dist))
    means = np.add.reduceat(ys, starts) / counts
    s1 = float(np.sum(counts / n * (means - ys.mean()) ** 2) / np.var(ys))
    return d_hat, s1


def _full_kde(yv, grid):
    step = (grid[-1] - grid[0]) / (grid.size - 1)
    return _kde_grid(yv, np.array([0]), np.array([yv.size]), grid[0], step, grid.size)[0]


def delta(x, y, names=None, *, n_boot: int = 0, conf: float = 0.95, rng=None) -> pd.DataFrame:
    """Borgonovo's moment-independent delta and a binned first-order index, from given draws.

    The estimator is SALib's ``calc_delta`` (Plischke, Borgonovo & Smith 2013, eq. 26): the
    output density is a Silverman-bandwidth Gaussian KDE on 100 grid points spanning
    [min y, max y], each input is cut into M classes of equal ordinal rank width (M from
    Plischke's formula, at most 48), and ``delta = sum_m n_m / (2n) * integral
    |f_Y - f_Y|class_m|`` by the trapezoid rule (classes with fewer than two distinct
    outputs skipped); S1 is SALib's ``sobol_first`` on the same classes.

    The KDEs are evaluated by an expansion about anchor points with an a-priori error
    bound (see ``_kde_grid``) instead of one kernel per value and grid point; the output
    density is computed once for all inputs. Point estimates equal SALib's
    ``calc_delta(y, grid, x_j, m)`` and ``sobol_first(y, x_j, m)`` on the same draws to
    ~1e-13. They are not SALib ``analyze``'s numbers: ``analyze`` resamples even its
    point estimate (``delta_raw``/``delta_balanced`` are means of 2 d_hat(resample) -
    d_hat(resample_b), S1 is on one resample) with the global ``numpy.random`` state.

    Intervals: ``n_boot`` ordinary bootstrap resamples of all n draws, shared by all
    inputs, on SALib's grid; each replicate is ``calc_delta``/``sobol_first`` of the
    resample (classes by rank in the resample, tied inputs ordered by draw index).
    0 skips them (NaN).

    Parameters
    ----------
    x : array_like (n, d) or pandas.DataFrame
        Input draws, draws on axis 0.
    y : array_like (n,)
    names : sequence of str, optional
    n_boot : int
    conf : float
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        Index ``parameter``; columns ``delta``, ``delta_conf``, ``S1``, ``S1_conf``.

    References
    ----------
    Borgonovo (2007) doi:10.1016/j.ress.2006.04.015; Plischke, Borgonovo & Smith (2013)
    doi:10.1016/j.ejor.2012.11.047; Greengard L, Strain J (1991) The fast Gauss
    transform, SIAM J Sci Stat Comput 12:79-94.
    """
    xm, yv, names = _given_data(x, y, names)
    n, d = xm.shape
    if np.ptp(yv) == 0:
        raise AnalysisInputError("y is constant: its density, and so delta, is undefined")
    exp = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    bounds = _class_bounds(n, int(np.round(min(int(np.ceil(n**exp)), 48))))
    grid = np.linspace(yv.min(), yv.max(), 100)
    order = np.argsort(xm.T, axis=1, kind="stable")  # (d, n): ordinal ranks, as rankdata
    z = norm.ppf(0.5 + conf / 2)
    res = np.full((d, 4), np.nan)
    with threadpool_limits(1):  # many small products: BLAS threads only spin
        fy = _full_kde(yv, grid)
        for j in range(d):
            res[j, [0, 2]] = _delta_sorted(yv[order[j]], bounds, fy, grid)
        if n_boot:
            gen = np.random.default_rng(rng)
            boot = np.empty((n_boot, d, 2))
            for b in range(n_boot):
                c = np.bincount(gen.integers(0, n, size=n), minlength=n)
                yb = np.repeat(yv, c)
                fy_b = _full_kde(yb, grid)
                for j in range(d):
                    o = order[j]
                    boot[b, j] = _delta_sorted(np.repeat(yv[o], c[o]), bounds, fy_b, grid)
            res[:, [1, 3]] = z * boot.std(axis=0, ddof=1)
    return pd.DataFrame(
        res,
        columns=["delta", "delta_conf", "S1", "S1_conf"],
        index=pd.Index(names, name="parameter"),
    )


def _zigzag_basis(n: int, m: int) -> np.ndarray:
    """(2m + 1, n): cos, sin of harmonics 1..m at the EASI zig-zag position of each rank; 1.

    Column r holds cos/sin(2 pi k t(r) / n) with t(r) = r/2 for even r and n - 1 - (r-1)/2
    for odd r (Plischke 2010), so ``y_sorted @ basis.T`` are the real and (minus) imaginary
    parts of the DFT of the zig-zag-permuted output (and, last, the sum). Angles are
    reduced exactly in integers. Stored (2m + 1, n): the product streams it contiguously.
    """
    r = np.arange(n)
    t = np.where(r % 2 == 0, r // 2, n - 1 - (r - 1) // 2)
    ang = np.arange(n) * (2.0 * np.pi / n)  # one table; harmonic k at t is entry k*t mod n
    kt = np.outer(t, np.arange(1, m + 1)) % n
    return np.concatenate([np.cos(ang)[kt].T, np.sin(ang)[kt].T, np.ones((1, n))], axis=0)


def _rbd_from_sorted(ys: np.ndarray, basis: np.ndarray, basis_sums: np.ndarray, m: int):
    """Bias-corrected RBD-FAST S1 for rows of ys (k, n) already sorted by the input.

    D1 / V of scipy's one-sided periodogram (detrended, boxcar): the first m harmonics from
    ``basis`` (:func:`_zigzag_basis`; ``basis_sums`` its row sums without the last) and V
    from Parseval, sum_k>0 |Y_k|^2 = n sum (y - ybar)^2 (the zig-zag permutation changes
    neither). Then Tissot & Prieur (2012). Rows should be roughly centred (the caller
    subtracts the full-sample mean) so that the one-pass variance loses no precision.
    """
    n = ys.shape[-1]
    coef = ys @ basis.T  # last row of ones: the sums
    mu = coef[:, -1:] / n
    coef = coef[:, :-1] - mu * basis_sums  # detrended without a copy
    power = coef[:, :m] ** 2 + coef[:, m:] ** 2
    k = np.arange(1, m + 1)
    wts = np.where(2 * k == n, 1.0, 2.0)  # one-sided: Nyquist counted once
    ss = np.array([row @ row for row in ys]) - n * mu[:, 0] ** 2  # BLAS dots beat einsum
    s1 = (power * wts).sum(axis=-1) / (n * ss)
    lam = 2 * m / n
    return s1 - lam / (1 - lam) * (1 - s1)


def _rbd_bootstrap(yc, order, m: int, n_boot: int, gen, threads: int | None) -> np.ndarray:
    """(d, n_boot) S1 of SALib's resamples: ``gen`` draws them in SALib's order on this
    thread, and blocks of resamples are sorted and transformed on ``threads`` threads
    (numpy releases the GIL in each step), so the numbers do not depend on the count."""
    n, d = order.shape
    half = n // 2
    basis = _zigzag_basis(half, m)
    basis_sums = basis[:-1].sum(axis=1)
    block = max(1, min(n_boot, 2**20 // half))  # resamples a block: the basis is read rarely
    boot = np.empty((d, n_boot))

    def resample_block(j, b0, rank, ysorted, draws):
        r = rank[draws]  # int32 ranks sort fastest; int64 draws gather with no conversion
        r.sort(axis=1)  # each resample in input order, as ranks
        boot[j, b0 : b0 + len(r)] = _rbd_from_sorted(ysorted[r], basis, basis_sums, m)

    threads = min(threads or os.cpu_count() or 1, 8)
    with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
        pending: deque = deque()
        for j in range(d):
            rank = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
            rank[order[:, j]] = np.arange(n, dtype=rank.dtype)
            ysorted = yc[order[:, j]]
            for b0 in range(0, n_boot, block):
                draws = gen.integers(0, n, size=(min(block, n_boot - b0), half))  # SALib's
                if pool is None:
                    resample_block(j, b0, rank, ysorted, draws)
                    continue
                pending.append(pool.submit(resample_block, j, b0, rank, ysorted, draws))
                while len(pending) > 2 * threads:  # bounded memory: a few blocks in flight
                    pending.popleft().result()
        for future in pending:
            future.result()
    return boot


def rbd_fast(
    x,
    y,
    names=None,
    *,
    m: int = 10,
    n_boot: int = 100,
    conf: float = 0.95,
    rng=None,
    threads: int | None = None,
) -> pd.DataFrame:
    """RBD-FAST first-order indices from given draws (SALib ``analyze.rbd_fast``).

    The output is reordered along each input (Plischke's EASI zig-zag permutation), the
    share of the variance in the first ``m`` harmonics of its periodogram is the
    first-order index, with the Tissot & Prieur (2012) bias correction. Intervals:
    ``n_boot`` resamples of ``n // 2`` draws with replacement, exactly SALib's (one
    ``rng.choice(n, size=n // 2)`` per resample, parameter after parameter, from
    ``numpy.random.default_rng(rng)``), and ``conf`` normal half-widths.

    Same numbers as SALib with far less work: each input is sorted once, and a resample
    sorted by that input is the full sort order restricted to the resample, so sorting the
    resample's integer ranks replaces the float argsort; the zig-zag permutation is folded
    into a precomputed basis of the ``m`` harmonics (one matrix product per block of
    resamples replaces a periodogram each), and the total variance comes from Parseval.

    Parameters
    ----------
    x : array_like (n, d) or pandas.DataFrame
        Input draws, draws on axis 0.
    y : array_like (n,)
        Output draws, row-aligned with ``x``.
    names : sequence of str, optional
    m : int
        Number of harmonics (SALib ``M``).
    n_boot : int
        Bootstrap resamples (SALib ``num_resamples``); 0 skips the intervals (NaN).
    conf : float
    rng : int or numpy.random.Generator, optional
        SALib ``seed``.
    threads : int, optional
        Threads for the bootstrap (default: the CPU count, at most 8). The draws are made
        in order on one thread, so the numbers do not depend on it.

    Returns
    -------
    pandas.DataFrame
        Index ``parameter``; columns ``S1``, ``S1_conf``. Equal to SALib
        ``analyze.rbd_fast(problem, x, y, M=m, num_resamples=n_boot, conf_level=conf,
        seed=rng)`` to ~1e-13 when ``x`` has no tied values. With ties (discrete inputs)
        SALib's order of tied draws within a resample is that of an unstable quicksort;
        ours is the full-sample order, so ``S1_conf`` can differ (``S1`` does not).

    References
    ----------
    Tarantola, Gatelli & Mara (2006); Plischke (2010) doi:10.1016/j.ress.2009.11.005;
    Tissot & Prieur (2012) doi:10.1016/j.ress.2012.06.010; Herman & Usher (2017).
    """
    xm, yv, names = _given_data(x, y, names)
    n, d = xm.shape
    half = int(n * 0.5)
    if 2 * m >= n or (n_boot and 2 * m >= half):
        need = 4 * m + 2 if n_boot else 2 * m + 1
        raise AnalysisInputError(
            f"rbd_fast with m={m} harmonics needs at least {need} draws "
            f"(2*m < n, and 2*m < n // 2 for the bootstrap), got {n}; lower m or add draws"
        )
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise AnalysisInputError(f"threads must be a positive integer or None, got {threads!r}")
    gen = np.random.default_rng(rng)
    z = norm.ppf(0.5 + conf / 2.0)
    yc = yv - yv.mean()  # the periodogram is shift-invariant; centring helps precision
    out = np.full((d, 2), np.nan)
    with threadpool_limits(1):  # many small products: BLAS threads only spin
        order = np.argsort(xm, axis=0)  # SALib's np.argsort (same tie order)
        r = np.arange(n)
        zigzag = np.concatenate([r[::2], r[1::2][::-1]])
        yp = yc[order[zigzag]].T  # (d, n): each input's zig-zag reordered output
        yp = yp - yp.mean(axis=1, keepdims=True)
        power = np.abs(np.fft.rfft(yp, axis=1)[:, 1 : m + 1]) ** 2
        wts = np.where(2 * np.arange(1, m + 1) == n, 1.0, 2.0)  # one-sided periodogram
        s1 = (power * wts).sum(axis=1) / (n * np.einsum("ij,ij->i", yp, yp))
        lam = 2 * m / n
        out[:, 0] = s1 - lam / (1 - lam) * (1 - s1)
        if n_boot:
            boot = _rbd_bootstrap(yc, order, m, n_boot, gen, threads)
            out[:, 1] = z * boot.std(axis=1, ddof=1)
    return pd.DataFrame(out, columns=["S1", "S1_conf"], index=pd.Index(names, name="parameter"))


# ----------------------------------------------------------------------------- one-way


def _base_row(problem, names) -> np.ndarray:
    return _transform(problem, np.full((1, len(names)), 0.5))[0]


def _select(names, which) -> list[int]:
    if which is None:
        return list(range(len(names)))
    which = [which] if isinstance(which, str) else list(which)
    bad = [w for w in which if w not in names]
    if bad:
        raise AnalysisInputError(f"unknown parameter '{bad[0]}'; known: {names}")
    return [names.index(w) for w in which]


def _reduce_output(y: np.ndarray, output, ref_row: np.ndarray | None = None) -> np.ndarray:
    """One output column: the chosen one, or best minus second best at the base row."""
    if y.shape[1] == 1:
        return y[:, 0]
    if output is not None:
        if not 0 <= int(output) < y.shape[1]:
            raise AnalysisInputError(f"output {output} out of range for {y.shape[1]} outputs")
        return y[:, int(output)]
    ref = y[0] if ref_row is None else ref_row
    first, second = np.argsort(ref)[::-1][:2]
    return y[:, first] - y[:, second]


def tornado(func, problem, *, low=0.05, high=0.95, output=None, names=None) -> pd.DataFrame:
    """One-way sensitivity on the marginals, sorted by swing.

    The base case is the median row ``problem.transform(0.5, ..., 0.5)``; each parameter in
    turn is set to its marginal ``low`` and ``high`` quantiles
    (``problem.parameters[name].dist.ppf``) with the others at the base case. With
    correlated inputs this is one-way on the marginals: the other inputs are *not* moved
    to their conditional values.

    Parameters
    ----------
    output : int, optional
        Output column when func returns (m, k). Default: the preferred option's net benefit
        minus the runner-up's at the base case (the decision-relevant difference).

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter, low_value, high_value, y_low, y_high, base, swing``.
    """
    pn = _problem_names(problem)
    cols = _select(pn, names)
    base = _base_row(problem, pn)
    rows = [base]
    vals = []
    for j in cols:
        v = _marginal_ppf(problem, pn[j], j, np.array([low, high]))
        vals.append(v)
        for vv in v:
            r = base.copy()
            r[j] = vv
            rows.append(r)
    y_all = _call(func, np.array(rows))
    y = _reduce_output(y_all, output)
    out = pd.DataFrame(
        {
            "parameter": [pn[j] for j in cols],
            "low_value": [v[0] for v in vals],
            "high_value": [v[1] for v in vals],
            "y_low": y[1::2],
            "y_high": y[2::2],
            "base": y[0],
        }
    )
    out["swing"] = (out["y_high"] - out["y_low"]).abs()
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def spider(func, problem, quantiles=None, *, output=None, names=None) -> pd.DataFrame:
    """One-way curves: each parameter across marginal quantiles, the others at the base case.

    Returns
    -------
    pandas.DataFrame
        Long table ``parameter, quantile, value, y``.
    """
    q = np.linspace(0.05, 0.95, 19) if quantiles is None else np.asarray(quantiles, float)
    pn = _problem_names(problem)
    cols = _select(pn, names)
    base = _base_row(problem, pn)
    rows, recs = [base], []
    for j in cols:
        for qq, vv in zip(q, _marginal_ppf(problem, pn[j], j, q), strict=True):
            r = base.copy()
            r[j] = vv
            rows.append(r)
            recs.append((pn[j], qq, vv))
    y = _reduce_output(_call(func, np.array(rows)), output)[1:]
    out = pd.DataFrame(recs, columns=["parameter", "quantile", "value"])
    out["y"] = y
    return out


def two_way(func, problem, a: str, b: str, grid=11, *, option_names=None) -> pd.DataFrame:
    """Preferred option (argmax over the k outputs) on a grid of two parameters.

    Both parameters move over marginal quantiles ``linspace(0.05, 0.95, grid)`` (or the
    given quantiles); the others stay at the base case.

    Returns
    -------
    pandas.DataFrame
        Index: values of ``a``; columns: values of ``b``; cells: the preferred option
        (its name when ``option_names`` is given, else its index).
    """
    pn = _problem_names(problem)
    ia, ib = _select(pn, [a, b])
    q = np.linspace(0.05, 0.95, grid) if np.isscalar(grid) else np.asarray(grid, float)
    va = _marginal_ppf(problem, a, ia, q)
    vb = _marginal_ppf(problem, b, ib, q)
    base = _base_row(problem, pn)
    x = np.tile(base, (q.size * q.size, 1))
    x[:, ia] = np.repeat(va, q.size)
    x[:, ib] = np.tile(vb, q.size)
    y = _call(func, x)
    best = np.argmax(y, axis=1).reshape(q.size, q.size)
    if option_names is not None:
        best = np.asarray(list(option_names), dtype=object)[best]
    return pd.DataFrame(best, index=pd.Index(va, name=a), columns=pd.Index(vb, name=b))


def switching_values(
    func, problem, names=None, *, n_grid: int = 41, q_range=(0.005, 0.995), option_names=None
) -> pd.DataFrame:
    """Values of each parameter at which the preferred option changes (one-way).

    The preferred option is the argmax of ``func`` at the base case (medians). Each
    parameter moves over a quantile grid in ``q_range``; where the preferred option's lead
    over the best alternative changes sign, the switching quantile is found with
    ``scipy.optimize.brentq`` and mapped to data units by the marginal inverse CDF.

    Returns
    -------
    pandas.DataFrame
        ``parameter, switching_value`` (first one, or None), ``quantile``,
        ``to_option`` and ``all_values`` (tuple of every switching value).
    """
    pn = _problem_names(problem)
    cols = _select(pn, names)
    base = _base_row(problem, pn)
    y0 = _call(func, base[None, :])[0]
    if y0.size < 2:
        raise AnalysisInputError("switching values need func to return k >= 2 outputs")
    star = int(np.argmax(y0))
    label = (lambda i: list(option_names)[i]) if option_names is not None else (lambda i: i)
    q = np.linspace(q_range[0], q_range[1], n_grid)

    def rows_for(j, qs):
        v = _marginal_ppf(problem, pn[j], j, np.atleast_1d(qs))
        x = np.tile(base, (v.size, 1))
        x[:, j] = v
        return x, v

    def lead(y):
        other = np.delete(y, star, axis=1).max(axis=1)
        return y[:, star] - other

    xs = np.concatenate([rows_for(j, q)[0] for j in cols])
    y_all = _call(func, xs).reshape(len(cols), n_grid, -1)
    recs = []
    for c, j in enumerate(cols):
        h = lead(y_all[c])
        found = []
        for i in np.flatnonzero(np.sign(h[:-1]) * np.sign(h[1:]) < 0):
            f = lambda qq, j=j: float(lead(_call(func, rows_for(j, qq)[0]))[0])  # noqa: E731
            qs = brentq(f, q[i], q[i + 1], xtol=1e-12)
            v = rows_for(j, qs)[1]
            found.append((float(v[0]), float(qs), label(int(np.argmax(y_all[c, i + 1])))))
        recs.append(
            (
                pn[j],
                found[0][0] if found else None,
                found[0][1] if found else None,
                found[0][2] if found else None,
                tuple(f[0] for f in found),
            )
        )
    return pd.DataFrame(
        recs, columns=["parameter", "switching_value", "quantile", "to_option", "all_values"]
    )


# ----------------------------------------------------------------------------- convergence


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
    x = _as_matrix(nb)
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
