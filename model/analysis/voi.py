"""Value of information by regression on existing PSA draws (no new model runs).

``nb`` is (n, k) net benefit with draws on axis 0; ``inputs`` is the (n, p) array or
DataFrame of parameter draws that produced it, row-aligned.

EVPPI(phi) = E_phi[max_d E(NB_d | phi)] - max_d E(NB_d). The inner conditional expectation
is estimated by regressing the incremental net benefit of each option (against the first)
on phi (Strong, Oakley & Brennan 2014), so EVPPI = mean(max(0, g_1..g_{k-1})) -
max(0, mean(g_1), ..., mean(g_{k-1})) with g the fitted values.

References
----------
.. [1] Strong M, Oakley JE, Brennan A (2014). Estimating multiparameter partial expected value
   of perfect information from a probabilistic sensitivity analysis sample: a nonparametric
   regression approach. Med Decis Making 34:311-326. doi:10.1177/0272989X13505910
.. [2] Strong M, Oakley JE (2013). An efficient method for computing single-parameter partial
   expected value of perfect information. Med Decis Making 33:755-766.
.. [3] Sadatsafavi M, Bansback N, Zafari Z, Najafzadeh M, Marra C (2013). Need for speed: an
   efficient algorithm for calculation of single-parameter expected value of partial perfect
   information. Value Health 16:438-448.
.. [4] Heath A, Kunst N, Jackson C (eds.) (2024). Value of Information for Healthcare Decision
   Making. CRC Press (R package ``voi``).
.. [5] Eilers PHC, Marx BD (1996). Flexible smoothing with B-splines and penalties.
   Statistical Science 11:89-121.
.. [6] Rasmussen CE, Williams CKI (2006). Gaussian Processes for Machine Learning. MIT Press
   (marginal likelihood and its gradient, section 5.4.1).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline
from scipy.linalg import cho_factor, cho_solve, solve
from scipy.linalg.lapack import dpotri
from threadpoolctl import threadpool_limits

from model.analysis.decision import AnalysisInputError, as_matrix, evpi

__all__ = ["EVPPIWarning", "evppi", "research_priorities"]


class EVPPIWarning(UserWarning):
    """An EVPPI estimate was clipped to [0, EVPI]."""


# ----------------------------------------------------------------------------- inputs


def _inputs_frame(inputs, n: int) -> pd.DataFrame:
    if isinstance(inputs, pd.DataFrame):
        df = inputs
    else:
        a = np.asarray(inputs, dtype=float)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise AnalysisInputError(f"inputs must be (n, p), got shape {a.shape}")
        df = pd.DataFrame(a, columns=[f"x{i}" for i in range(a.shape[1])])
    if df.shape[0] != n:
        raise AnalysisInputError(
            f"inputs has {df.shape[0]} rows but nb has {n} draws; they must be row-aligned"
        )
    try:
        vals = df.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise AnalysisInputError("inputs must be numeric") from exc
    if not np.all(np.isfinite(vals)):
        col = df.columns[np.flatnonzero(~np.isfinite(vals).all(axis=0))[0]]
        raise AnalysisInputError(f"inputs column '{col}' holds non-finite values")
    return df


def _groups(groups, columns) -> list[tuple[str, list[str]]]:
    cols = [str(c) for c in columns]
    if groups is None:
        return [(c, [c]) for c in cols]
    out = []
    items = groups.items() if isinstance(groups, dict) else groups
    for g in items:
        if isinstance(groups, dict):
            label, members = g[0], g[1]
        elif isinstance(g, str):
            label, members = g, [g]
        else:
            members = list(g)
            label = "+".join(map(str, members))
        members = [members] if isinstance(members, str) else [str(m) for m in members]
        for m in members:
            if m not in cols:
                raise AnalysisInputError(f"unknown parameter '{m}' in groups; known: {cols}")
        out.append((str(label), members))
    return out


def _uniform_scores(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort order of x and the probability-integral transform u in (0,1) (mid-ranks)."""
    n = x.size
    order = np.argsort(x, kind="stable")
    xs = x[order]
    r = np.arange(n, dtype=float)
    if np.any(xs[1:] == xs[:-1]):  # ties: average rank within each run of equal values
        start = np.r_[True, xs[1:] != xs[:-1]]
        run = np.cumsum(start) - 1
        first = np.flatnonzero(start)
        last = np.r_[first[1:], n] - 1
        r = ((first + last) / 2.0)[run]
    u_sorted = (r + 0.5) / n
    return order, u_sorted


# ----------------------------------------------------------------------------- P-splines


def _bspline_basis(u: np.ndarray, n_seg: int, deg: int = 3):
    """Cubic B-spline basis on [0, 1] with equally spaced knots (sparse CSR)."""
    h = 1.0 / n_seg
    t = np.arange(-deg, n_seg + deg + 1) * h
    return t, BSpline.design_matrix(np.clip(u, 0.0, 1.0), t, deg, extrapolate=True)


def _penalty(q: int, order: int = 2) -> np.ndarray:
    d = np.diff(np.eye(q), n=order, axis=0)
    return d.T @ d


class _PSplineFit:
    """Weighted P-spline fit of bin means with GCV over a log-spaced lambda grid.

    GCV is computed for the equivalent raw-data problem: RSS = within-bin SS + sum_b
    n_b (ybar_b - g_b)^2 and tr(H) from the binned normal equations.
    """

    def __init__(self, basis_rows, counts, ysum, y2sum, n, penalty, lambdas):
        x = basis_rows  # (B, q) dense
        w = counts
        xtwx = x.T @ (x * w[:, None])
        ybar = ysum / w[:, None]
        xtwy = x.T @ ysum  # (q, m)
        within = y2sum - ysum**2 / w[:, None]  # (B, m)
        ss_within = within.sum(axis=0)
        best = None
        scale = np.trace(xtwx) / np.trace(penalty)
        for lam in lambdas:
            a = xtwx + lam * scale * penalty + 1e-10 * scale * np.eye(xtwx.shape[0])
            cf = cho_factor(a)
            coef = cho_solve(cf, xtwy)
            edf = np.trace(cho_solve(cf, xtwx))
            fit = x @ coef
            rss = ss_within + (w[:, None] * (ybar - fit) ** 2).sum(axis=0)
            gcv = n * rss / (n - edf) ** 2
            if best is None:
                best = [gcv.copy(), coef.copy(), np.full(gcv.shape, edf), rss.copy(), [cf] * 1]
                best[4] = [cf for _ in range(gcv.size)]
            else:
                better = gcv < best[0]
                if np.any(better):
                    best[0][better] = gcv[better]
                    best[1][:, better] = coef[:, better]
                    best[2][better] = edf
                    best[3][better] = rss[better]
                    for j in np.flatnonzero(better):
                        best[4][j] = cf
        self.coef = best[1]
        self.edf = best[2]
        self.sigma2 = best[3] / np.maximum(n - best[2], 1.0)
        self.factors = best[4]


def _evppi_from_fitted(g: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """EVPPI from fitted incremental NB g (..., m, n_points) with point weights w."""
    zero = np.zeros((*g.shape[:-2], 1, g.shape[-1]))
    gg = np.concatenate([zero, g], axis=-2)
    if w is None:
        return gg.max(axis=-2).mean(axis=-1) - gg.mean(axis=-1).max(axis=-1)
    w = w / w.sum()
    return (gg.max(axis=-2) * w).sum(axis=-1) - (gg * w).sum(axis=-1).max(axis=-1)


def _evppi_spline_1d(inb, x, *, n_bins, n_seg, n_sim, rng):
    n, m = inb.shape
    order, u = _uniform_scores(x)
    ys = inb[order]
    n_bins = int(min(n_bins, n))
    starts = (np.arange(n_bins) * n) // n_bins
    counts = np.diff(np.r_[starts, n]).astype(float)
    ysum = np.add.reduceat(ys, starts, axis=0)
    y2sum = np.add.reduceat(ys * ys, starts, axis=0)
    ubar = np.add.reduceat(u, starts) / counts
    t, xb = _bspline_basis(ubar, n_seg)
    xb = xb.toarray()
    q = xb.shape[1]
    fit = _PSplineFit(xb, counts, ysum, y2sum, n, _penalty(q), np.logspace(-6, 4, 21))
    g = BSpline(t, fit.coef, 3, extrapolate=True)(u)  # (n, m) on sorted draws
    value = float(_evppi_from_fitted(g.T[None])[0])
    se = np.nan
    if n_sim:
        # Strong et al. (2014): sample the regression's posterior, evaluate at bin means.
        sims = np.empty((n_sim, m, n_bins))
        for j in range(m):
            cov = cho_solve(fit.factors[j], np.eye(q)) * fit.sigma2[j]
            cov = (cov + cov.T) / 2
            c = rng.multivariate_normal(fit.coef[:, j], cov, size=n_sim, method="cholesky")
            sims[:, j, :] = c @ xb.T
        se = float(np.std(_evppi_from_fitted(sims, counts), ddof=1))
    return value, se, float(np.sum(fit.edf) / m)


def _evppi_spline_2d(inb, x1, x2, *, n_bins2, n_seg2, rng):
    """Tensor-product P-spline on the uniform scores of two parameters (binned grid)."""
    n, m = inb.shape
    o1, u1s = _uniform_scores(x1)
    o2, u2s = _uniform_scores(x2)
    u1 = np.empty(n)
    u1[o1] = u1s
    u2 = np.empty(n)
    u2[o2] = u2s
    b = n_bins2
    cell = np.minimum((u1 * b).astype(int), b - 1) * b + np.minimum((u2 * b).astype(int), b - 1)
    counts = np.bincount(cell, minlength=b * b).astype(float)
    keep = counts > 0
    ysum = np.stack([np.bincount(cell, inb[:, j], b * b) for j in range(m)], axis=1)[keep]
    y2sum = np.stack([np.bincount(cell, inb[:, j] ** 2, b * b) for j in range(m)], 1)[keep]
    c1 = (np.bincount(cell, u1, b * b)[keep]) / counts[keep]
    c2 = (np.bincount(cell, u2, b * b)[keep]) / counts[keep]
    _, b1 = _bspline_basis(c1, n_seg2)
    _, b2 = _bspline_basis(c2, n_seg2)
    b1, b2 = b1.toarray(), b2.toarray()
    q = b1.shape[1]
    xb = (b1[:, :, None] * b2[:, None, :]).reshape(len(c1), q * q)
    p1 = np.kron(_penalty(q), np.eye(q))
    p2 = np.kron(np.eye(q), _penalty(q))
    w = counts[keep]
    xtwx = xb.T @ (xb * w[:, None])
    xtwy = xb.T @ ysum
    ybar = ysum / w[:, None]
    ssw = (y2sum - ysum**2 / w[:, None]).sum(axis=0)
    scale = np.trace(xtwx) / np.trace(p1)
    grid = np.logspace(-5, 3, 9)
    best_gcv = np.full(m, np.inf)
    coef = np.zeros((q * q, m))
    for l1 in grid:
        for l2 in grid:
            a = xtwx + scale * (l1 * p1 + l2 * p2) + 1e-9 * scale * np.eye(q * q)
            cf = cho_factor(a)
            cc = cho_solve(cf, xtwy)
            edf = np.trace(cho_solve(cf, xtwx))
            rss = ssw + (w[:, None] * (ybar - xb @ cc) ** 2).sum(axis=0)
            gcv = n * rss / (n - edf) ** 2
            better = gcv < best_gcv
            best_gcv[better] = gcv[better]
            coef[:, better] = cc[:, better]
    # evaluate at every draw
    _, d1 = _bspline_basis(u1, n_seg2)
    _, d2 = _bspline_basis(u2, n_seg2)
    d2 = d2.toarray()
    cmat = coef.reshape(q, q, m)
    g = np.stack([np.asarray(d1 @ cmat[:, :, j]) * d2 for j in range(m)]).sum(axis=2)
    return float(_evppi_from_fitted(g[None])[0]), np.nan, np.nan


def _standardise(xs: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit variance; constant columns dropped."""
    sd = xs.std(axis=0)
    keep = sd > 0
    return (xs[:, keep] - xs[:, keep].mean(axis=0)) / sd[keep]


def _gp_nll_grad(theta, y, d2):
    """Negative log marginal likelihood of a squared-exponential ARD GP and its gradient.

    theta = (log length-scales (d), log signal variance, log noise variance); d2 holds the
    per-dimension squared distances (d, m, m). Gradient: 0.5 tr((K^-1 - a a') dK/dtheta).
    """
    d = d2.shape[0]
    ls2 = np.exp(2.0 * theta[:d])
    sf2, sn2 = np.exp(theta[d]), np.exp(theta[d + 1])
    kf = sf2 * np.exp(-0.5 * np.tensordot(1.0 / ls2, d2, axes=1))
    k = kf.copy()
    k.flat[:: k.shape[0] + 1] += sn2 + 1e-8
    try:
        cf = cho_factor(k, lower=True)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    a = cho_solve(cf, y)
    nll = 0.5 * y @ a + np.log(np.diag(cf[0])).sum() + 0.5 * y.size * np.log(2 * np.pi)
    kinv, info = dpotri(cf[0], lower=1)
    if info:
        return 1e10, np.zeros_like(theta)
    kinv = np.tril(kinv) + np.tril(kinv, -1).T
    w = kinv - np.outer(a, a)
    wk = w * kf
    grad = np.empty_like(theta)
    grad[:d] = 0.5 * np.tensordot(d2, wk, axes=([1, 2], [0, 1])) / ls2
    grad[d] = 0.5 * wk.sum()
    grad[d + 1] = 0.5 * sn2 * np.trace(w)
    return nll, grad


def _gp_fit(y, z, n_restarts: int = 3):
    """ML type-II hyperparameters (L-BFGS-B, analytic gradients, restarts) on standardised z."""
    from scipy.optimize import minimize

    d = z.shape[1]
    d2 = (z.T[:, :, None] - z.T[:, None, :]) ** 2  # (d, m, m)
    # length-scales in units of each input's sd: 1 (the inputs' sd), smoother, rougher
    starts = [
        (0.0, np.log(0.5), np.log(0.5)),
        (np.log(3.0), np.log(0.2), np.log(0.8)),
        (np.log(0.5), np.log(0.5), np.log(0.3)),
    ][: max(1, n_restarts)]
    bounds = [(np.log(0.05), np.log(100.0))] * d + [(-12.0, 3.0), (np.log(1e-4), 1.0)]
    best = None
    for ll, lsf, lsn in starts:
        th0 = np.r_[np.full(d, ll), lsf, lsn]
        res = minimize(
            _gp_nll_grad,
            th0,
            args=(y, d2),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 200},
        )
        if best is None or res.fun < best.fun:
            best = res
    return best.x


def _evppi_gp(inb, xs, *, n_fit, n_cond, rng, chunk: int = 4096):
    """Gaussian-process regression (Strong, Oakley & Brennan 2014), robust version.

    Inputs standardised to unit variance; a linear trend in the inputs is fitted by least
    squares on all n draws and the GP (squared-exponential ARD kernel plus noise) models the
    residual. Hyperparameters maximise the marginal likelihood (L-BFGS-B, analytic gradients,
    three starts) on a random subsample of ``n_fit`` draws; the GP posterior mean given a
    random subsample of ``max(n_fit, n_cond)`` draws (containing the first) is then
    evaluated at all n draws in chunks of ``chunk`` rows.
    """
    n, m = inb.shape
    z = _standardise(xs)
    if z.shape[1] == 0:
        return 0.0, np.nan, np.nan
    h = np.column_stack([np.ones(n), z])
    beta = np.linalg.lstsq(h, inb, rcond=None)[0]
    resid = inb - h @ beta
    idx = rng.permutation(n)[: min(max(n_fit, n_cond), n)]
    hyp = idx[: min(n_fit, n)]
    zf = z[idx]
    g = (h @ beta).T  # (m, n)
    for j in range(m):
        r = resid[idx, j]
        sd = r.std() or 1.0
        th = _gp_fit(resid[hyp, j] / sd, z[hyp])
        d = zf.shape[1]
        ls, sf2, sn2 = np.exp(th[:d]), np.exp(th[d]), np.exp(th[d + 1])
        a = zf / ls
        a2 = (a * a).sum(1)
        k = sf2 * np.exp(-0.5 * np.maximum(a2[:, None] + a2[None, :] - 2.0 * a @ a.T, 0.0))
        k.flat[:: k.shape[0] + 1] += sn2 + 1e-8
        alpha = solve(k, r / sd, assume_a="pos")
        for s in range(0, n, chunk):
            b = z[s : s + chunk] / ls
            dist = np.maximum((b * b).sum(1)[:, None] + a2[None, :] - 2.0 * b @ a.T, 0.0)
            g[j, s : s + chunk] += sd * (sf2 * np.exp(-0.5 * dist) @ alpha)
    return float(_evppi_from_fitted(g[None])[0]), np.nan, np.nan


# ----------------------------------------------------------------------------- estimators


def _evppi_so(nb, x, n_blocks):
    n = nb.shape[0]
    if n % n_blocks:
        raise AnalysisInputError(f"n_blocks={n_blocks} must divide the number of draws {n}")
    o = np.argsort(x, kind="stable")
    means = nb[o].reshape(n_blocks, n // n_blocks, -1).mean(axis=1)
    return float(means.max(axis=1).mean() - nb.mean(axis=0).max())


def _evppi_sal(nb, x):
    """Sadatsafavi et al. (2013) with one split point per option pair (voi ``method="sal"``)."""
    n, k = nb.shape
    o = np.argsort(x, kind="stable")
    nbs = nb[o]
    seg = []
    for i in range(k - 1):
        for j in range(i + 1, k):
            cm = np.cumsum(nbs[:, i] - nbs[:, j]) / n
            lo, up = int(np.argmin(cm)), int(np.argmax(cm))
            use_up = cm[up] - max(cm[0], cm[-1]) > min(cm[0], cm[-1]) - cm[lo]
            sp = (up if use_up else lo) + 1  # voi's 1-based index
            if 1 < sp < n:
                seg.append(sp)
    if not seg:
        return 0.0
    pts = np.unique(np.r_[0, np.sort(seg), n])
    total = sum(nbs[a:b].sum(axis=0).max() / n for a, b in itertools.pairwise(pts))
    return float(total - nb.mean(axis=0).max())


def evppi(
    nb,
    inputs,
    *,
    groups=None,
    method: str | None = None,
    n_bins: int = 400,
    n_seg: int = 20,
    n_sim: int = 0,
    n_blocks: int | None = None,
    n_fit: int = 500,
    n_cond: int = 1000,
    rng=None,
) -> pd.DataFrame:
    """Expected value of partial perfect information by regression on existing draws.

    Parameters
    ----------
    nb : array_like, (n, k)
        Net benefit draws.
    inputs : array_like (n, p) or pandas.DataFrame
        Parameter draws, row-aligned with ``nb``.
    groups : None, sequence, or dict
        ``None``: every column alone. A sequence of names or of name lists, or a dict
        ``{label: [names]}``, for parameter groups (joint EVPPI).
    method : {"gam", "gp", "strong_oakley", "sadatsafavi"}, optional
        ``"gam"`` (default): penalised cubic regression spline (P-spline, 20 segments,
        second-order difference penalty, smoothing by GCV per option) of each option's
        incremental net benefit on the uniform scores (mid-ranks / n) of the parameter,
        fitted to ``n_bins`` quantile-bin means with the raw-data GCV and evaluated at
        every draw; for 2-parameter groups a tensor-product P-spline; for larger groups the
        Gaussian process below. ``"gp"``: linear trend (least squares on all draws) plus a
        Gaussian process (squared-exponential ARD kernel and noise) on the inputs
        standardised to unit variance; hyperparameters maximise the marginal likelihood
        (L-BFGS-B with analytic gradients, three starts, length-scales starting at the
        inputs' sd) on ``n_fit`` random draws, the posterior mean given ``n_cond`` random
        draws is evaluated at every draw in chunks. ``"strong_oakley"``: sorted-block estimator
        with ``n_blocks`` blocks (default 50 if it divides n). ``"sadatsafavi"``: one split
        point per option pair, as voi ``method="sal"``.
    n_fit, n_cond : int
        GP subsample sizes: hyperparameters (500) and conditioning set (1000).
    n_sim : int
        Posterior draws for the standard error of the single-parameter ``"gam"``
        estimate (Strong et al. 2014, section 3.3); 0 skips it (``se`` is NaN).
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        Index ``parameter`` (or group label); columns ``evppi``, ``se``, ``edf``
        (effective degrees of freedom of the smoother, a diagnostic), ``method``.
        Estimates are clipped to [0, EVPI], with an :class:`EVPPIWarning` when the
        excess is more than 1% of EVPI (beyond regression noise).

    References
    ----------
    See the module docstring: Strong, Oakley & Brennan (2014); Strong & Oakley (2013);
    Sadatsafavi et al. (2013); Eilers & Marx (1996).
    """
    x = as_matrix(nb)
    n = x.shape[0]
    df = _inputs_frame(inputs, n)
    rng = np.random.default_rng(rng)
    total = evpi(x)
    inb = x[:, 1:] - x[:, [0]]
    rows = []
    limiter = threadpool_limits(1)  # many small solves: BLAS threads only spin
    try:
        for label, members in _groups(groups, df.columns):
            cols = df[members].to_numpy(dtype=float)
            meth = method or ("gam" if len(members) <= 2 else "gp")
            se = edf = np.nan
            if meth in ("strong_oakley", "sadatsafavi") and len(members) != 1:
                raise AnalysisInputError(f"method '{meth}' is for single parameters, got {members}")
            if meth == "gam":
                if len(members) == 1:
                    val, se, edf = _evppi_spline_1d(
                        inb, cols[:, 0], n_bins=n_bins, n_seg=n_seg, n_sim=n_sim, rng=rng
                    )
                elif len(members) == 2:
                    val, se, edf = _evppi_spline_2d(
                        inb, cols[:, 0], cols[:, 1], n_bins2=40, n_seg2=8, rng=rng
                    )
                else:
                    val, se, edf = _evppi_gp(inb, cols, n_fit=n_fit, n_cond=n_cond, rng=rng)
            elif meth == "gp":
                val, se, edf = _evppi_gp(inb, cols, n_fit=n_fit, n_cond=n_cond, rng=rng)
            elif meth == "strong_oakley":
                nbk = n_blocks
                if nbk is None:
                    nbk = next((b for b in (50, 40, 20, 25, 10, 8, 5, 4, 2) if n % b == 0), 1)
                val = _evppi_so(x, cols[:, 0], nbk)
            elif meth == "sadatsafavi":
                val = _evppi_sal(x, cols[:, 0])
            else:
                raise AnalysisInputError(
                    f"unknown method '{meth}'; use gam, gp, strong_oakley or sadatsafavi"
                )
            if val > total * 1.01 or val < -0.01 * total:
                warnings.warn(
                    f"EVPPI for {label} = {val:.6g} clipped to [0, EVPI = {total:.6g}]",
                    EVPPIWarning,
                    stacklevel=2,
                )
            val = min(max(val, 0.0), total)
            rows.append((label, val, se, edf, meth))
    finally:
        limiter.restore_original_limits()
    out = pd.DataFrame(rows, columns=["parameter", "evppi", "se", "edf", "method"])
    return out.set_index("parameter")


def research_priorities(
    nb, inputs, *, groups=None, population=None, horizon=None, discount_rate=0.0, **kwargs
) -> pd.DataFrame:
    """Rank parameters (or groups) by EVPPI, in money and as a share of EVPI.

    Parameters
    ----------
    nb, inputs, groups, **kwargs
        As :func:`evppi`.
    population, horizon, discount_rate
        Scale to population values as :func:`model.analysis.decision.evpi`.

    Returns
    -------
    pandas.DataFrame
        Sorted by decreasing EVPPI: ``evppi``, ``population_evppi`` (when population is
        given), ``share_of_evpi``, ``rank``.
    """
    x = as_matrix(nb)
    table = evppi(x, inputs, groups=groups, **kwargs)
    total = evpi(x)
    out = table[["evppi", "se", "method"]].copy()
    if population is not None:
        factor = evpi(x, population=population, horizon=horizon, discount_rate=discount_rate)
        out["population_evppi"] = out["evppi"] * (factor / total if total > 0 else 0.0)
    out["share_of_evpi"] = out["evppi"] / total if total > 0 else 0.0
    out = out.sort_values("evppi", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out
