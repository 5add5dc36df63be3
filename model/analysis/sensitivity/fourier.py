"""RBD-FAST first-order indices from given data, with SALib's bias correction and bootstrap.

References
----------
.. [1] Tarantola S, Gatelli D, Mara TA (2006). Reliab Eng Syst Saf 91:717-727; Tissot JY, Prieur C
   (2012). Reliab Eng Syst Saf 107:205-213.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np
import pandas as pd
from scipy.special import ndtri
from threadpoolctl import threadpool_limits

from model.analysis.decision import AnalysisInputError
from model.analysis.sensitivity.problem import (
    given_data,
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
    xm, yv, names = given_data(x, y, names)
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
    z = ndtri(0.5 + conf / 2.0)
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
