"""Value of information by regression on existing PSA draws (no new model runs).

``nb`` is (n, k) net benefit with draws on axis 0; ``inputs`` is the (n, p) array or
DataFrame of parameter draws that produced it, row-aligned.

EVPPI(phi) = E_phi[max_d E(NB_d | phi)] - max_d E(NB_d). The inner conditional expectation
is estimated by regressing the incremental net benefit of each option (against the first)
on phi (Strong, Oakley & Brennan 2014), so EVPPI = mean(max(0, g_1..g_{k-1})) -
max(0, mean(g_1), ..., mean(g_{k-1})) with g the fitted values. Every estimate carries a
standard error, and :func:`research_priorities` reports beside it what the same estimator
gives columns of pure noise (:func:`noise_control`), the level an estimate must clear.

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
from scipy.linalg.lapack import dpotrf, dpotri, dpotrs, dtrtrs
from threadpoolctl import threadpool_limits

from model.analysis.decision import AnalysisInputError, as_matrix, evpi

__all__ = ["MIN_DRAWS", "EVPPIWarning", "evppi", "noise_control", "research_priorities"]


class EVPPIWarning(UserWarning):
    """An EVPPI estimate is not to be trusted as it stands: clipped to [0, EVPI], too few
    draws for the method, or a standard error above a tenth of EVPI."""


#: Fewest draws each estimator is used with without a warning: a P-spline on 400 bins
#: wants >= 2.5 draws a bin, the tensor spline ("gam pair") its 40 x 40 cells, the GP its
#: 1000-draw conditioning set plus a holdout, the block estimator 50 draws a block.
MIN_DRAWS = {
    "gam": 1000,
    "gam pair": 4000,
    "gp": 2000,
    "strong_oakley": 2500,
    "sadatsafavi": 1000,
}


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


def _uniform_scores(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Sort order of x, the probability-integral transform u in (0,1) (mid-ranks), sorted,
    and whether x has ties (without them u is (i + 0.5) / n, whatever x is).

    Ties get their mid-rank; numpy's unstable sort (5x faster than the stable one) is
    deterministic, so the draws on either side of a bin edge inside a run of ties are too."""
    n = x.size
    order = np.argsort(x)
    xs = x[order]
    r = np.arange(n, dtype=float)
    tied = bool(np.any(xs[1:] == xs[:-1]))
    if tied:  # average rank within each run of equal values
        start = np.r_[True, xs[1:] != xs[:-1]]
        run = np.cumsum(start) - 1
        first = np.flatnonzero(start)
        last = np.r_[first[1:], n] - 1
        r = ((first + last) / 2.0)[run]
    u_sorted = (r + 0.5) / n
    return order, u_sorted, tied


# ----------------------------------------------------------------------------- P-splines


def _bspline_basis(u: np.ndarray, n_seg: int, deg: int = 3):
    """Cubic B-spline basis on [0, 1] with equally spaced knots (sparse CSR)."""
    h = 1.0 / n_seg
    t = np.arange(-deg, n_seg + deg + 1) * h
    return t, BSpline.design_matrix(np.clip(u, 0.0, 1.0), t, deg, extrapolate=True)


def _cho_factor(a: np.ndarray) -> np.ndarray:
    """``scipy.linalg.cho_factor(a)[0]`` (upper factor, LAPACK potrf) without its input
    checks and batching, which cost more than the factorisation of these small matrices."""
    c, info = dpotrf(a, lower=False, clean=False)
    if info:
        raise np.linalg.LinAlgError(f"{info}-th leading minor not positive definite")
    return c


def _cho_solve(c: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``scipy.linalg.cho_solve((c, False), b)`` (LAPACK potrs), likewise unchecked."""
    x, info = dpotrs(c, b, lower=False)
    if info:
        raise ValueError(f"illegal value in argument {-info} of potrs")
    return x


def _upper_solve(c: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``scipy.linalg.solve_triangular(c, b)`` for an upper factor of :func:`_cho_factor`
    (LAPACK trtrs), likewise unchecked."""
    x, info = dtrtrs(c, b, lower=False)
    if info:
        raise np.linalg.LinAlgError(f"singular factor: trtrs info {info}")
    return x


def _penalty(q: int, order: int = 2) -> np.ndarray:
    d = np.diff(np.eye(q), n=order, axis=0)
    return d.T @ d


#: Smoothing parameters the 1-d P-spline's GCV chooses from (times the scale of X'WX).
LAMBDAS = np.logspace(-6, 4, 21)


class _SplineBins:
    """What the 1-d P-spline needs that depends on the sorted uniform scores u alone: the
    bins, the B-spline basis at the bin means, and the factor and effective degrees of
    freedom of the penalised normal equations for each of :data:`LAMBDAS`. The scores of
    an untied input are (i + 0.5) / n, so every untied input of a call shares one.

    It is fitted on ``n_bins`` quantile bins and evaluated at 10x finer bins (the fitted
    curve is a cubic in ``n_seg`` segments: bin means of 1/(10 n_bins) of the draws lose
    nothing).
    """

    def __init__(self, u: np.ndarray, n_bins: int, n_seg: int):
        n = u.size
        n_fine = min(10 * n_bins, n)
        self.fine = (np.arange(n_fine) * n) // n_fine
        self.f_count = np.diff(np.r_[self.fine, n]).astype(float)
        self.f_u = np.add.reduceat(u, self.fine) / self.f_count
        n_coarse = min(n_bins, n_fine)
        self.coarse = (np.arange(n_coarse) * n_fine) // n_coarse
        self.counts = np.add.reduceat(self.f_count, self.coarse)
        ubar = np.add.reduceat(self.f_u * self.f_count, self.coarse) / self.counts
        self.knots, xb = _bspline_basis(ubar, n_seg)
        self.basis = x = xb.toarray()
        xtwx = x.T @ (x * self.counts[:, None])
        penalty = _penalty(x.shape[1])
        scale = np.trace(xtwx) / np.trace(penalty)
        self.factors, self.edf = [], []
        for lam in LAMBDAS:
            a = xtwx + lam * scale * penalty + 1e-10 * scale * np.eye(xtwx.shape[0])
            cf = _cho_factor(a)
            self.factors.append(cf)
            self.edf.append(np.trace(_cho_solve(cf, xtwx)))


class _PSplineFit:
    """Weighted P-spline fit of bin means with GCV over :data:`LAMBDAS` (per column of y).

    GCV is computed for the equivalent raw-data problem: RSS = within-bin SS + sum_b
    n_b (ybar_b - g_b)^2 and tr(H) from the binned normal equations.
    """

    def __init__(self, bins: _SplineBins, ysum, y2sum, n):
        x = bins.basis  # (B, q) dense
        w = bins.counts
        ybar = ysum / w[:, None]
        xtwy = x.T @ ysum  # (q, m)
        within = y2sum - ysum**2 / w[:, None]  # (B, m)
        ss_within = within.sum(axis=0)
        coef = np.empty((len(bins.factors), ysum.shape[1], x.shape[1]))  # (lambdas, m, q)
        for i, cf in enumerate(bins.factors):
            coef[i] = _cho_solve(cf, xtwy).T
        coef = coef.transpose(0, 2, 1)  # each lambda's (q, m) column-major, as potrs returns it
        rss = ss_within + (w[:, None] * (ybar - x @ coef) ** 2).sum(axis=1)  # (lambdas, m)
        edf = np.array(bins.edf)
        gcv = n * rss / (n - edf[:, None]) ** 2
        best = np.argmin(gcv, axis=0)  # the first (smallest) lambda wins a tie
        at = np.arange(ysum.shape[1])
        self.coef = coef[best, :, at].T
        self.edf = edf[best]
        self.sigma2 = rss[best, at] / np.maximum(n - self.edf, 1.0)
        self.factors = [bins.factors[i] for i in best]


def _evppi_from_fitted(g: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """EVPPI from fitted incremental NB g (..., m, n_points) with point weights w.

    The reference option's zero is folded into running maxima rather than stacked onto
    ``g`` (the same numbers, without copying the posterior draws or reducing across them).
    """
    best = np.zeros((*g.shape[:-2], g.shape[-1]))
    for i in range(g.shape[-2]):
        np.maximum(best, g[..., i, :], out=best)
    if w is None:
        return best.mean(axis=-1) - np.maximum(g.mean(axis=-1).max(axis=-1), 0.0)
    w = w / w.sum()
    return (best * w).sum(axis=-1) - np.maximum((g * w).sum(axis=-1).max(axis=-1), 0.0)


def _outer_se(g: np.ndarray, w: np.ndarray | None = None) -> float:
    """Monte Carlo SE of the outer mean given the fit (delta method): sd of
    max(0, g) - g_(d*) over the points, d* the option with the largest mean, / sqrt(n)."""
    gg = np.vstack([np.zeros((1, g.shape[-1])), g])
    w = np.ones(g.shape[-1]) if w is None else np.asarray(w, float)
    best = int(np.argmax(gg @ w))
    h = gg.max(axis=0) - gg[best]
    mean = (h * w).sum() / w.sum()
    return float(np.sqrt((w * (h - mean) ** 2).sum() / w.sum() / w.sum()))


def _evppi_spline_1d(inb_t, order, bins: _SplineBins, *, n_sim, rng):
    """P-spline of each option's incremental NB (rows of inb_t, (m, n)) on the mid-rank
    scores of an input (``order`` sorts it; ``bins`` from its sorted scores)."""
    m, n = inb_t.shape
    ys = np.take(inb_t, order, axis=1)
    f_sum = np.add.reduceat(ys, bins.fine, axis=1)
    f_sq = np.add.reduceat(ys * ys, bins.fine, axis=1)
    ysum = np.add.reduceat(f_sum, bins.coarse, axis=1).T
    y2sum = np.add.reduceat(f_sq, bins.coarse, axis=1).T
    fit = _PSplineFit(bins, ysum, y2sum, n)
    g = BSpline(bins.knots, fit.coef, 3, extrapolate=True)(bins.f_u).T  # (m, fine bins)
    value = float(_evppi_from_fitted(g[None], bins.f_count)[0])
    se = _outer_se(g, bins.f_count)
    if n_sim:
        # Strong et al. (2014): sample the regression's posterior, evaluate at bin means.
        # With A = R'R (the penalised normal equations), c + sigma R^-1 z ~ N(c, sigma^2 A^-1).
        z = rng.standard_normal((m, bins.basis.shape[1], n_sim))
        coef = np.empty_like(z)
        for j in range(m):
            dev = _upper_solve(fit.factors[j], z[j]) * np.sqrt(fit.sigma2[j])
            coef[j] = fit.coef[:, [j]] + dev
        sims = np.matmul(coef.transpose(0, 2, 1), bins.basis.T)  # (m, n_sim, B)
        spread = np.std(_evppi_from_fitted(sims.transpose(1, 0, 2), bins.counts), ddof=1)
        se = float(np.hypot(se, spread))
    return value, se, float(np.sum(fit.edf) / m)


def _evppi_spline_2d(inb, x1, x2, *, n_bins2, n_seg2, rng):
    """Tensor-product P-spline on the uniform scores of two parameters (binned grid)."""
    n, m = inb.shape
    o1, u1s, _ = _uniform_scores(x1)
    o2, u2s, _ = _uniform_scores(x2)
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
            cf = _cho_factor(a)
            cc = _cho_solve(cf, xtwy)
            edf = np.trace(_cho_solve(cf, xtwx))
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
    return float(_evppi_from_fitted(g[None])[0]), _outer_se(g), np.nan


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


def _shrunk_trend(h: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares linear trend of each column of y on h (intercept first), its slopes
    shrunk by the positive-part James-Stein factor max(0, 1 - p / W), W the Wald statistic
    of the p slopes with the heteroscedasticity-consistent (HC0) covariance (White 1980).

    On a heavy-tailed output the slopes of irrelevant inputs are noisy enough for their
    fitted values to carry a sizeable share of EVPI; shrinkage removes that noise (W ~ p)
    and leaves a real trend (W >> p) nearly untouched (James & Stein 1961).
    """
    beta = np.linalg.lstsq(h, y, rcond=None)[0]
    bread = np.linalg.inv(h.T @ h)
    resid = y - h @ beta
    p = h.shape[1] - 1
    for j in range(y.shape[1]):
        meat = (h * resid[:, [j]] ** 2).T @ h
        cov = (bread @ meat @ bread)[1:, 1:]
        b = beta[1:, j]
        wald = float(b @ np.linalg.lstsq(cov, b, rcond=None)[0]) if np.any(b) else 0.0
        shrink = max(0.0, 1.0 - p / wald) if wald > 0 else 0.0
        beta[0, j] += (1.0 - shrink) * (h[:, 1:].mean(axis=0) @ b)
        beta[1:, j] = shrink * b
    return beta


def _gp_mean(z, r, sub, th):
    """The GP's posterior mean (hyperparameters th) given draws ``sub``, as a function of
    the rows of z at which it is evaluated."""
    d = z.shape[1]
    ls, sf2, sn2 = np.exp(th[:d]), np.exp(th[d]), np.exp(th[d + 1])
    a = z[sub] / ls
    a2 = (a * a).sum(1)
    k = sf2 * np.exp(-0.5 * np.maximum(a2[:, None] + a2[None, :] - 2.0 * a @ a.T, 0.0))
    k.flat[:: k.shape[0] + 1] += sn2 + 1e-8
    alpha = solve(k, r[sub], assume_a="pos")

    def mean(rows):
        b = z[rows] / ls
        dist = np.maximum((b * b).sum(1)[:, None] + a2[None, :] - 2.0 * b @ a.T, 0.0)
        return sf2 * np.exp(-0.5 * dist) @ alpha

    return mean


def _evppi_gp(inb_t, xs, *, n_fit, n_cond, rng, chunk: int = 4096):
    """Gaussian-process regression (Strong, Oakley & Brennan 2014), robust version.

    Inputs standardised to unit variance; a linear trend in the inputs is fitted by least
    squares on all n draws (slopes shrunk as :func:`_shrunk_trend`) and the GP
    (squared-exponential ARD kernel plus noise) models the residual. Hyperparameters
    maximise the marginal likelihood (L-BFGS-B, analytic gradients, three starts) on a
    random subsample of ``n_fit`` draws; the GP posterior mean given a random subsample of
    ``max(n_fit, n_cond)`` draws (containing the first) is evaluated at all n draws in
    chunks of ``chunk`` rows. The GP is kept only if it predicts a holdout of up to 20,000
    other draws better than the trend alone (squared error of the residual winsorised at
    its 1st and 99th training percentiles, paired difference > 2 standard errors): on a
    heavy-tailed output the marginal likelihood otherwise fits outliers as bumps, and a
    group of irrelevant inputs gets most of EVPI.
    """
    m, n = inb_t.shape
    z = _standardise(xs)
    if z.shape[1] == 0:
        return 0.0, np.nan, np.nan
    h = np.column_stack([np.ones(n), z])
    beta = _shrunk_trend(h, inb_t.T)
    g = beta.T @ h.T  # (m, n)
    perm = rng.permutation(n)
    sub = perm[: min(max(n_fit, n_cond), n)]
    hold = perm[sub.size : sub.size + 20_000]
    for j in range(m):
        r = inb_t[j] - g[j]
        sd = r[sub].std() or 1.0
        r = r / sd
        mean = _gp_mean(z, r, sub, _gp_fit(r[sub[:n_fit]], z[sub[:n_fit]]))
        if hold.size >= 100:
            lo, hi = np.percentile(r[sub], [1, 99])
            y_hold = np.clip(r[hold], lo, hi)
            gain = y_hold**2 - (y_hold - mean(hold)) ** 2
            if gain.mean() <= 2.0 * gain.std() / np.sqrt(gain.size):
                continue
        for s in range(0, n, chunk):
            g[j, s : s + chunk] += sd * mean(slice(s, s + chunk))
    return float(_evppi_from_fitted(g[None])[0]), _outer_se(g), np.nan


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
    n_sim: int = 100,
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
        Posterior draws of the single-parameter ``"gam"`` regression for its standard error
        (Strong et al. 2014, section 3.3); 0 leaves only the Monte Carlo part.
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        Index ``parameter`` (or group label); columns ``evppi``, ``se``, ``edf``
        (effective degrees of freedom of the smoother, a diagnostic), ``method``.
        ``se``: the Monte Carlo standard error of the outer expectation given the fit
        (delta method), combined for single-parameter ``"gam"`` with the regression's
        posterior spread (``n_sim``); NaN for the exact block and split estimators. The
        regression error of pairs and groups is not in it: judge those against
        :func:`noise_control`. Estimates are clipped to [0, EVPI]; an
        :class:`EVPPIWarning` is issued when the excess is more than 1% of EVPI (beyond
        regression noise), when ``se`` exceeds 10% of EVPI, and when n is below the
        method's :data:`MIN_DRAWS`.

    References
    ----------
    See the module docstring: Strong, Oakley & Brennan (2014); Strong & Oakley (2013);
    Sadatsafavi et al. (2013); Eilers & Marx (1996).
    """
    x = as_matrix(nb)
    n = x.shape[0]
    df = _inputs_frame(inputs, n)
    column = {c: i for i, c in enumerate(map(str, df.columns))}
    values = df.to_numpy(dtype=float)  # one array: pandas' indexing costs ~1 ms an input
    rng = np.random.default_rng(rng)
    total = evpi(x)
    inb_t = np.ascontiguousarray((x[:, 1:] - x[:, [0]]).T)  # (m, n): fast column gathers
    untied = None  # the P-spline bins every untied input shares, built on first use
    rows = []
    short = {}
    imprecise = []
    limiter = threadpool_limits(1)  # many small solves: BLAS threads only spin
    try:
        for label, members in _groups(groups, column):
            # column-major, as pandas gave it: the GP's sums over draws follow the layout
            cols = np.asfortranarray(values[:, [column[c] for c in members]])
            meth = method or ("gam" if len(members) <= 2 else "gp")
            se = edf = np.nan
            if meth in ("strong_oakley", "sadatsafavi") and len(members) != 1:
                raise AnalysisInputError(f"method '{meth}' is for single parameters, got {members}")
            if meth == "gam" and len(members) == 1:
                order, u, tied = _uniform_scores(cols[:, 0])
                bins = untied if untied is not None and not tied else _SplineBins(u, n_bins, n_seg)
                untied = untied if tied else bins
                val, se, edf = _evppi_spline_1d(inb_t, order, bins, n_sim=n_sim, rng=rng)
            elif meth == "gam" and len(members) == 2:
                val, se, edf = _evppi_spline_2d(
                    inb_t.T, cols[:, 0], cols[:, 1], n_bins2=40, n_seg2=8, rng=rng
                )
            elif meth in ("gam", "gp"):
                meth = "gp"
                val, se, edf = _evppi_gp(inb_t, cols, n_fit=n_fit, n_cond=n_cond, rng=rng)
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
            key = "gam pair" if meth == "gam" and len(members) == 2 else meth
            if n < MIN_DRAWS[key]:
                short[key] = MIN_DRAWS[key]
            if val > total * 1.01 or val < -0.01 * total:
                warnings.warn(
                    f"EVPPI for {label} = {val:.6g} clipped to [0, EVPI = {total:.6g}]",
                    EVPPIWarning,
                    stacklevel=2,
                )
            elif se > 0.1 * total:
                imprecise.append(se / total)
            val = min(max(val, 0.0), total)
            rows.append((label, val, se, edf, meth))
    finally:
        limiter.restore_original_limits()
    if imprecise:
        warnings.warn(
            f"EVPPI standard errors exceed 10% of EVPI for {len(imprecise)} of {len(rows)} "
            f"inputs or groups (median {np.median(imprecise):.0%}): imprecise at {n:,} draws",
            EVPPIWarning,
            stacklevel=2,
        )
    for what, need in short.items():
        warnings.warn(
            f"EVPPI by {what} from {n:,} draws: the method wants at least {need:,}",
            EVPPIWarning,
            stacklevel=2,
        )
    out = pd.DataFrame(rows, columns=["parameter", "evppi", "se", "edf", "method"])
    return out.set_index("parameter")


def noise_control(nb, inputs, *, groups=None, n_noise: int = 3, rng=None, **kwargs) -> pd.Series:
    """EVPPI of pure noise through the same estimator: the level an estimate must clear.

    For each group size in ``groups`` (default: single inputs), ``n_noise`` groups of that
    many independent uniform columns, independent of ``nb``, are run through
    :func:`evppi` with the same options; the true value is 0, so what the estimator returns
    is its bias and noise at this n on this net benefit. Their warnings are not raised.

    Returns
    -------
    pandas.Series
        Index ``size`` (inputs in the group); the largest noise EVPPI of that size.
    """
    x = as_matrix(nb)
    n = x.shape[0]
    sizes = sorted({len(m) for _, m in _groups(groups, _inputs_frame(inputs, n).columns)})
    gen = np.random.default_rng(rng)
    out = {}
    for size in sizes:
        noise = pd.DataFrame(gen.random((n, size * n_noise)))
        noise.columns = [f"noise{i}" for i in range(noise.shape[1])]
        cols = list(noise.columns)
        sets = {f"n{r}": cols[r * size : (r + 1) * size] for r in range(n_noise)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EVPPIWarning)
            table = evppi(x, noise, groups=sets, rng=gen, **kwargs)
        out[size] = float(table["evppi"].max())
    return pd.Series(out, name="noise").rename_axis("size")


def research_priorities(
    nb,
    inputs,
    *,
    groups=None,
    population=None,
    horizon=None,
    discount_rate=0.0,
    n_noise: int = 3,
    **kwargs,
) -> pd.DataFrame:
    """Rank parameters (or groups) by EVPPI, in money and as a share of EVPI, beside a
    pure-noise control.

    Parameters
    ----------
    nb, inputs, groups, **kwargs
        As :func:`evppi`.
    population, horizon, discount_rate
        Scale to population values as :func:`model.analysis.decision.evpi`.
    n_noise : int
        Noise groups per group size for :func:`noise_control` (0 skips it).

    Returns
    -------
    pandas.DataFrame
        Sorted by decreasing EVPPI: ``evppi``, ``se``, ``method``, ``population_evppi``
        (when population is given), ``share_of_evpi``, ``noise`` (the largest EVPPI of
        pure-noise groups of the same size), ``within_noise`` (``evppi - 2 se`` does not
        clear ``noise``: not distinguishable from no value), ``rank``.
    """
    x = as_matrix(nb)
    table = evppi(x, inputs, groups=groups, **kwargs)
    total = evpi(x)
    out = table[["evppi", "se", "method"]].copy()
    if population is not None:
        factor = evpi(x, population=population, horizon=horizon, discount_rate=discount_rate)
        out["population_evppi"] = out["evppi"] * (factor / total if total > 0 else 0.0)
    out["share_of_evpi"] = out["evppi"] / total if total > 0 else 0.0
    if n_noise:
        level = noise_control(x, inputs, groups=groups, n_noise=n_noise, **kwargs)
        sizes = [len(m) for _, m in _groups(groups, _inputs_frame(inputs, x.shape[0]).columns)]
        out["noise"] = level.reindex(sizes).to_numpy()
        out["within_noise"] = out["evppi"] - 2 * out["se"].fillna(0.0) <= out["noise"]
    out = out.sort_values("evppi", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out
