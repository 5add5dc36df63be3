"""The delta moment-independent measure from given data (Plischke-Borgonovo estimator).

References
----------
.. [1] Plischke E, Borgonovo E, Smith CL (2013). Eur J Oper Res 226:536-550; Borgonovo E (2007).
   Reliab Eng Syst Saf 92:771-784.
"""

from __future__ import annotations

from functools import cache
from math import lgamma

import numpy as np
import pandas as pd
from scipy.special import ndtri
from threadpoolctl import threadpool_limits

from model.analysis.decision import AnalysisInputError
from model.analysis.sensitivity.problem import (
    given_data,
)

_KDE_CUT = 10.0  # kernel terms beyond 10 bandwidths are dropped (exp(-50) ~ 2e-22)


_KDE_TAU = 0.5  # anchor spacing, in bandwidths, of the expansion


_KDE_TOL = 1e-17  # bound on each point's truncation error, relative to the kernel's peak


_KDE_MAX_REFINE = 64  # finer anchors than step / 64: evaluate that group directly


_KDE_BATCH = 1 << 17  # values a _kde_grid call takes at most (several inputs' classes)


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
    mom = np.empty((p_max, total))  # term p of anchor a: mom[p, a], read up to each terms[g]
    w = np.exp(-0.5 * delta * delta)
    need = terms[gid]
    for p in range(p_max):
        if not (need > p).all():  # the groups done with p terms leave the sums
            keep = need > p
            key, w, delta, need = key[keep], w[keep], delta[keep], need[keep]
        mom[p] = np.bincount(key, w, minlength=total)
        w = w * delta
    fact = np.cumprod(np.r_[1.0, np.arange(1, p_max)])
    sign = (-1.0) ** np.arange(p_max)
    for g in np.flatnonzero(fgt):
        r, t, pg = int(refine[g]), float(tau[g]), int(terms[g])
        reach = int(min(np.ceil(_KDE_CUT / t), r * (n_grid - 1)))
        block = mom[:pg, offset[g] : offset[g] + n_anchor[g]].T
        out[g] = _contract(block, reach, t, r, n_grid, fact, sign) * norm_c[g]
    return out


def _contract(block, reach: int, t: float, r: int, n_grid: int, fact, sign) -> np.ndarray:
    """One group's KDE on the grid (before normalising): its anchors' moment sums ``block``
    (anchors x terms) against the kernel's Taylor weights at offsets j * t bandwidths,
    |j| <= reach, for grid points every ``r`` anchors.

    The weight at -j is the one at j with the odd powers negated (exactly: powers of a
    negated number), so only the offsets j >= 0 are raised to powers.
    """
    n_anchor, pg = block.shape
    j = np.arange(-reach, reach + 1)
    a = j[reach:] * t  # the offsets j >= 0
    half = np.exp(-0.5 * a * a)[:, None] * a[:, None] ** np.arange(pg) / fact[:pg]
    wts = np.concatenate([half[::-1], half[1:] * sign[:pg]])  # rows j = -reach .. reach
    padded = np.zeros((n_anchor + 2 * reach, pg))
    padded[reach : reach + n_anchor] = block
    return np.take(padded, _reach_index(n_grid, r, reach), axis=0).reshape(n_grid, -1) @ wts.ravel()


@cache
def _reach_index(n_grid: int, r: int, reach: int) -> np.ndarray:
    """Rows of the padded anchors each grid point reaches, offsets -reach..reach in order."""
    j = np.arange(-reach, reach + 1)
    idx = (np.arange(n_grid) * r)[:, None] + reach - j[None, :]
    idx.setflags(write=False)
    return idx


def _class_bounds(n: int, m_bins: int) -> np.ndarray:
    """Start positions of SALib's equal-rank classes (ordinal rank r in (m_k, m_k+1])."""
    return np.unique(np.floor(np.linspace(0, n, m_bins + 1)).astype(np.int64))


def _deltas_sorted(ys, bounds, fy, grid) -> np.ndarray:
    """d_hat (Plischke et al. 2013, eq. 26) and SALib's binned S1, (d, 2), for each row of
    ys (d, n): the output sorted by one input. The class KDEs of all rows are one
    ``_kde_grid`` call (each class's sums are its own, whatever else is in the call)."""
    d, n = ys.shape
    starts = bounds[:-1]
    counts = np.diff(bounds)
    step = (grid[-1] - grid[0]) / (grid.size - 1)
    rows = max(1, _KDE_BATCH // n)  # rows a call: few calls, moment sums that stay in cache
    fyc = np.concatenate(
        [
            _kde_grid(
                ys[a : a + rows].ravel(),
                (starts + n * np.arange(min(rows, d - a))[:, None]).ravel(),
                np.tile(counts, min(rows, d - a)),
                grid[0],
                step,
                grid.size,
            )
            for a in range(0, d, rows)
        ]
    ).reshape(d, counts.size, grid.size)
    out = np.empty((d, 2))
    for j, row in enumerate(ys):
        ok = ~np.isnan(fyc[j, :, 0])
        dist = np.trapezoid(np.abs(fy[None, :] - fyc[j, ok]), grid, axis=1)
        means = np.add.reduceat(row, starts) / counts
        out[j, 0] = np.sum(counts[ok] / (2 * n) * dist)
        out[j, 1] = np.sum(counts / n * (means - row.mean()) ** 2) / np.var(row)
    return out


def _stable_order(rows: np.ndarray) -> np.ndarray:
    """``np.argsort(rows, axis=1, kind="stable")``, 3x faster: a row without ties has one
    sort order, which numpy's default (vectorised) sort finds; only rows with ties are
    sorted again stably."""
    rows = np.ascontiguousarray(rows)
    order = np.argsort(rows, axis=1)
    ranked = np.take_along_axis(rows, order, axis=1)
    tied = np.flatnonzero((ranked[:, 1:] == ranked[:, :-1]).any(axis=1))
    order[tied] = np.argsort(rows[tied], axis=1, kind="stable")
    return order


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
    xm, yv, names = given_data(x, y, names)
    n, d = xm.shape
    if np.ptp(yv) == 0:
        raise AnalysisInputError("y is constant: its density, and so delta, is undefined")
    exp = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    bounds = _class_bounds(n, int(np.round(min(int(np.ceil(n**exp)), 48))))
    grid = np.linspace(yv.min(), yv.max(), 100)
    order = _stable_order(xm.T)  # (d, n): ordinal ranks, as rankdata
    z = ndtri(0.5 + conf / 2)
    res = np.full((d, 4), np.nan)
    with threadpool_limits(1):  # many small products: BLAS threads only spin
        fy = _full_kde(yv, grid)
        res[:, [0, 2]] = _deltas_sorted(yv[order], bounds, fy, grid)
        if n_boot:
            gen = np.random.default_rng(rng)
            boot = np.empty((n_boot, d, 2))
            for b in range(n_boot):
                c = np.bincount(gen.integers(0, n, size=n), minlength=n)
                yb = np.repeat(yv, c)
                fy_b = _full_kde(yb, grid)
                rows = np.stack([np.repeat(yv[o], c[o]) for o in order])
                boot[b] = _deltas_sorted(rows, bounds, fy_b, grid)
            res[:, [1, 3]] = z * boot.std(axis=0, ddof=1)
    return pd.DataFrame(
        res,
        columns=["delta", "delta_conf", "S1", "S1_conf"],
        index=pd.Index(names, name="parameter"),
    )
