"""Percentiles near the ends of a run's draws (e.g. 5th and 95th), as ``np.quantile`` gives
them along the draws axis, bit for bit, in a fraction of the time.

numpy partitions every draw of a column to find the order statistics either side of a
percentile. Here they are selected from the draws beyond a cut read off every
:data:`STRIDE`-th draw: the cut leaves out only draws further from the percentile than all it
keeps, so the kept draws hold those order statistics exactly (a cut that keeps too few falls back
to every draw). numpy then interpolates between the two, so the arithmetic is its own. A column
holding a nan, or zeros of both signs where a zero is selected (numpy's choice between them is
its partition's), is left to numpy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STRIDE", "TAIL", "quantile"]

#: One draw in this many is read to place the cut.
STRIDE = 16
#: Percentiles this far from either end at most (as a share of the draws) are selected beyond a
#: cut; nearer the middle a cut keeps too many draws to gain on numpy, which does them.
TAIL = 0.125


def _margin(reach: int, size: int) -> int:
    """The sample's order statistic to cut at for the ``reach`` draws nearest an end: ~4 sd
    beyond where they should end, within the ``size`` of the sample."""
    k = reach // STRIDE
    return min(size - 1, k + 4 * int(np.sqrt(k)) + 8)


def _select(c: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
    """The order statistics of ``c`` at ``lower`` and ``upper`` (sorted ranks in its lower and
    upper half), from the draws beyond the cuts (in one pass); None when numpy must choose
    (zeros of both signs)."""
    n = c.size
    sample = c[::STRIDE]
    reach_low = int(lower[-1]) + 1 if lower.size else 0
    reach_high = n - int(upper[0]) if upper.size else 0
    at = [_margin(reach_low, sample.size)] if lower.size else []
    at += [sample.size - 1 - _margin(reach_high, sample.size)] if upper.size else []
    cuts = np.partition(sample, at)[at]
    keep, enough = None, True
    if lower.size:
        keep = c <= cuts[0]
        enough = np.count_nonzero(keep) >= reach_low
    if upper.size:
        high = c >= cuts[-1]
        enough = enough and np.count_nonzero(high) >= reach_high
        keep = high if keep is None else np.logical_or(keep, high, out=keep)
    kept = c[keep] if enough else c  # cuts crossed (few draws): every draw is kept
    ranks = np.concatenate([lower, upper - (n - kept.size)])
    got = np.partition(kept, ranks)[ranks]
    if (got == 0).any():
        zeros = np.signbit(kept[kept == 0])
        if zeros.any() and not zeros.all():
            return None
    return got


def _pairs(table: np.ndarray, ranks: list[np.ndarray]):
    """The columns of an (n, ...) table as rows (m, n), the order statistics of each at each
    pair of ``ranks`` as an (m, 2) array each, and which columns numpy must do itself."""
    x = np.asarray(table)
    n = x.shape[0]
    cols = np.ascontiguousarray(x.reshape(n, -1).T)
    flat = np.unique(np.concatenate(ranks))
    lower, upper = flat[flat < n // 2], flat[flat >= n // 2]
    stats = np.empty((cols.shape[0], flat.size))
    numpy_own = np.zeros(cols.shape[0], dtype=bool)
    for i, c in enumerate(cols):
        if np.isnan(c).any():
            numpy_own[i] = True
            continue
        got = _select(c, lower, upper)
        if got is None:
            numpy_own[i] = True
            continue
        stats[i] = got
    where = {int(r): j for j, r in enumerate(flat)}
    pairs = [stats[:, [where[int(a)], where[int(b)]]] for a, b in ranks]
    return cols, pairs, numpy_own


def quantile(table, q) -> np.ndarray:
    """``np.quantile(table, q, axis=0)`` (linear interpolation) of an (n, ...) table of draws:
    the same numbers."""
    x = np.asarray(table)
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    tails = (qs <= TAIL) | (qs >= 1.0 - TAIL)
    if x.dtype != np.float64 or x.shape[0] < 4 * STRIDE or not tails.all():
        return np.quantile(x, q, axis=0)
    n = x.shape[0]
    virtual = (n - 1) * qs
    below = np.floor(virtual)
    gamma = virtual - below  # numpy's weight of the order statistic above
    ranks = [np.array([int(b), min(int(b) + 1, n - 1)]) for b in below]
    cols, pairs, numpy_own = _pairs(x, ranks)
    out = np.stack([np.quantile(p, g, axis=1) for p, g in zip(pairs, gamma, strict=True)])
    for i in np.flatnonzero(numpy_own):
        out[:, i] = np.quantile(cols[i], qs)
    out = out.reshape((qs.size, *x.shape[1:]))
    return out if np.ndim(q) else out[0]
