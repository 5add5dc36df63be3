"""Mergeable summaries of outcomes, so that a run of any ``n`` keeps memory bounded by the chunk.

Each chunk of draws becomes a :class:`Summary`; summaries merge into the summary of the union.
Two kinds of accumulator, kept apart so that results never depend on how chunks were grouped
into tasks or which worker ran them:

* :class:`Moments` (floating point: counts, means and M2 sums of squares by Chan et al.'s
  parallel formula, E[max_j NB_j] for the EVPI, risk reduction by year) are merged one chunk at a
  time in chunk order, so a given chunk size gives bit-identical results on any executor;
* :class:`Tallies` (integer counts, minima and maxima, and the :class:`QuantileSketch`) merge
  exactly, in any order.

Quantiles come from a DDSketch-style log-bucket histogram with relative accuracy ``alpha``
(default :data:`ALPHA` = 0.5%): for ``0 <= q <= 1``, with ``h = q (n - 1)``, ``k = floor(h)``
and ``x_(k)`` the order statistics,

    |sketch.quantile(q) - numpy.quantile(x, q)| <= alpha * max(|x_(k)|, |x_(k+1)|) + X_MIN

(``numpy``'s default linear interpolation; ``X_MIN`` = 1e-9 is the width of the zero bucket).

References
----------
.. [1] Chan TF, Golub GH, LeVeque RJ (1979). Updating formulae and a pairwise algorithm for
   computing sample variances. Stanford CS report STAN-CS-79-773.
.. [2] Masson C, Rim JE, Lee HK (2019). DDSketch: a fast and fully-mergeable quantile sketch with
   relative-error guarantees. PVLDB 12(12):2195-2205. doi:10.14778/3352063.3352135
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.analysis.decision import best_counts
from model.regulation import PAYERS, Outcomes

__all__ = [
    "ALPHA",
    "X_MIN",
    "Moments",
    "QuantileSketch",
    "Summary",
    "Tallies",
    "component_names",
    "component_stack",
]

ALPHA = 0.005
X_MIN = 1e-9


# --------------------------------------------------------------------------- components
def component_names(harms: tuple[str, ...]) -> tuple[str, ...]:
    """Outcome components summarised per approach (the rows of ``Results.components()``)."""
    return (
        "net_benefit",
        "risk_reduction",
        *(f"risk_reduction_{h}" for h in harms),
        *(f"burden_{p}" for p in PAYERS),
        "innovation_cost",
        "transfers",
        "regulated_entities",
        *(f"residual_{h}" for h in harms),
    )


def component_stack(o: Outcomes) -> np.ndarray:
    """(m, C, k) array of the components of :func:`component_names` for outcomes ``o``."""
    parts = [
        o.net_benefit[:, None],
        o.risk_reduction.sum(axis=2)[:, None],
        o.risk_reduction.transpose(0, 2, 1),
        o.burden.transpose(0, 2, 1),
        o.innovation_cost[:, None],
        o.transfers[:, None],
        o.entities[:, None],
        o.residual_harm.transpose(0, 2, 1),
    ]
    return np.concatenate(parts, axis=1)


# --------------------------------------------------------------------------- quantile sketch
@dataclass(frozen=True)
class QuantileSketch:
    """Log-bucket histograms of ``S`` series, merged exactly by adding counts.

    Bucket ``i`` holds ``|x|`` in ``(gamma**(i-1), gamma**i]`` with ``gamma = (1+alpha)/(1-alpha)``
    (a fixed, global grid); ``pos``/``neg`` store columns ``lo .. lo + W - 1`` of that grid for
    positive and negative values, ``zero`` counts ``|x| < X_MIN``. Non-finite values are skipped
    and counted in ``skipped``. Each bucket's value ``2 gamma**i / (gamma + 1)`` is within a
    relative ``alpha`` of every value in it.
    """

    alpha: float
    lo: int
    pos: np.ndarray  # (S, W) int64
    neg: np.ndarray  # (S, W) int64
    zero: np.ndarray  # (S,) int64
    skipped: np.ndarray  # (S,) int64

    @property
    def gamma(self) -> float:
        return (1.0 + self.alpha) / (1.0 - self.alpha)

    @property
    def count(self) -> np.ndarray:
        """(S,) number of finite values in each series."""
        return self.pos.sum(axis=1) + self.neg.sum(axis=1) + self.zero

    @classmethod
    def of(cls, x: np.ndarray, alpha: float = ALPHA) -> QuantileSketch:
        """Sketch the columns of ``x`` (m, S): one series per column."""
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1); got {alpha}")
        x = np.asarray(x, dtype=float)
        m, s = x.shape
        a = np.abs(x)
        valid = np.isfinite(x)
        big = valid & (a >= X_MIN)
        if not big.any():
            empty = np.zeros((s, 0), dtype=np.int64)
            zero = valid.sum(axis=0)
            return cls(alpha, 0, empty, empty.copy(), zero, m - zero)
        with np.errstate(invalid="ignore", divide="ignore"):
            idx = np.log(np.maximum(a, X_MIN, out=a), out=a)
        idx *= 1.0 / np.log1p(2 * alpha / (1 - alpha))
        np.ceil(idx, out=idx)
        lo = int(np.min(idx, where=big, initial=np.inf))
        width = int(np.max(idx, where=big, initial=-np.inf)) - lo + 1
        # one bincount over every value: bins neg (s, w), pos (s, w), zero (s), skipped (s)
        col = np.arange(s, dtype=np.int64)
        code = np.where(big, idx - lo, 0.0).astype(np.int64)
        code += (np.signbit(x) * s + col) * width
        special = np.where(valid, 2 * s * width + col, 2 * s * width + s + col)
        code = np.where(big, code, special)
        counts = np.bincount(code.ravel(), minlength=2 * s * (width + 1))
        pos_neg = counts[: 2 * s * width].reshape(2, s, width)
        return cls(alpha, lo, pos_neg[0], pos_neg[1], counts[-2 * s : -s], counts[-s:])

    def merge(self, other: QuantileSketch) -> QuantileSketch:
        """The sketch of both sets of values (exact: counts add on the shared grid)."""
        if other.alpha != self.alpha or other.zero.shape != self.zero.shape:
            raise ValueError("sketches differ in alpha or number of series; cannot merge")
        if other.pos.shape[1] == 0:
            return QuantileSketch(
                self.alpha,
                self.lo,
                self.pos,
                self.neg,
                self.zero + other.zero,
                self.skipped + other.skipped,
            )
        if self.pos.shape[1] == 0:
            return other.merge(self)
        lo = min(self.lo, other.lo)
        hi = max(self.lo + self.pos.shape[1], other.lo + other.pos.shape[1])
        pos = np.zeros((self.zero.size, hi - lo), dtype=np.int64)
        neg = np.zeros_like(pos)
        for part in (self, other):
            at = slice(part.lo - lo, part.lo - lo + part.pos.shape[1])
            pos[:, at] += part.pos
            neg[:, at] += part.neg
        return QuantileSketch(
            self.alpha, lo, pos, neg, self.zero + other.zero, self.skipped + other.skipped
        )

    def quantile(self, q: float) -> np.ndarray:
        """(S,) estimate of ``numpy.quantile(x, q)`` per series (nan for an empty series).

        Accuracy: see the module docstring.
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"q must be in [0, 1]; got {q}")
        g = self.gamma
        width = self.pos.shape[1]
        rep = 2.0 * g ** np.arange(self.lo, self.lo + width, dtype=float) / (g + 1.0)
        values = np.concatenate([-rep[::-1], [0.0], rep])
        counts = np.concatenate([self.neg[:, ::-1], self.zero[:, None], self.pos], axis=1)
        cum = np.cumsum(counts, axis=1)
        n = cum[:, -1]
        out = np.full(n.shape, np.nan)
        for j in np.flatnonzero(n):
            h = q * (n[j] - 1)
            k = int(np.floor(h))
            lower = values[np.searchsorted(cum[j], k, side="right")]
            upper = values[np.searchsorted(cum[j], min(k + 1, n[j] - 1), side="right")]
            out[j] = lower + (h - k) * (upper - lower)
        return out


# --------------------------------------------------------------------------- accumulators
@dataclass(frozen=True)
class Moments:
    """Floating-point accumulators; merge them in a fixed order for bit-identical results."""

    count: int
    mean: np.ndarray  # (C, k)
    m2: np.ndarray  # (C, k) sum of squared deviations from the mean
    mean_max: float  # mean over draws of max_j net_benefit_j
    risk_reduction_by_year: np.ndarray  # (k, H, T) sum over draws

    @classmethod
    def of(cls, stack: np.ndarray, o: Outcomes) -> Moments:
        mean = stack.mean(axis=0)
        m2 = ((stack - mean) ** 2).sum(axis=0)
        mean_max = float(o.net_benefit.max(axis=1).mean())
        return cls(stack.shape[0], mean, m2, mean_max, np.array(o.risk_reduction_by_year))

    def merge(self, other: Moments) -> Moments:
        """Chan et al.'s pairwise update of count, mean and M2."""
        na, nb = self.count, other.count
        n = na + nb
        delta = other.mean - self.mean
        mean = self.mean + delta * (nb / n)
        m2 = self.m2 + other.m2 + delta**2 * (na * nb / n)
        mean_max = self.mean_max + (other.mean_max - self.mean_max) * (nb / n)
        rr = self.risk_reduction_by_year + other.risk_reduction_by_year
        return Moments(n, mean, m2, mean_max, rr)


@dataclass(frozen=True)
class Tallies:
    """Exact accumulators (integers, extremes, sketch): merge order does not matter."""

    minimum: np.ndarray  # (C, k)
    maximum: np.ndarray  # (C, k)
    best: np.ndarray  # (k,) draws where the approach has the highest net benefit (ties split)
    negative: np.ndarray  # (k,) draws with net benefit < 0
    exceeds: np.ndarray  # (k, H) draws with residual harm above the acceptable level
    sketch: QuantileSketch  # series (C, k) flattened row-major

    @classmethod
    def of(cls, stack: np.ndarray, o: Outcomes, alpha: float = ALPHA) -> Tallies:
        m, c, k = stack.shape
        nb = o.net_benefit
        return cls(
            stack.min(axis=0),
            stack.max(axis=0),
            best_counts(nb),
            (nb < 0).sum(axis=0).astype(np.int64),
            o.exceeds_acceptable.sum(axis=0).astype(np.int64),
            QuantileSketch.of(stack.reshape(m, c * k), alpha),
        )

    def merge(self, other: Tallies) -> Tallies:
        return Tallies(
            np.minimum(self.minimum, other.minimum),
            np.maximum(self.maximum, other.maximum),
            self.best + other.best,
            self.negative + other.negative,
            self.exceeds + other.exceeds,
            self.sketch.merge(other.sketch),
        )


# --------------------------------------------------------------------------- summary
@dataclass(frozen=True)
class Summary:
    """Everything ``SummaryResults`` reports, for the draws summarised so far."""

    approaches: tuple[str, ...]
    harms: tuple[str, ...]
    moments: Moments
    tallies: Tallies

    @classmethod
    def of(cls, o: Outcomes, alpha: float = ALPHA) -> Summary:
        """Summary of one chunk of outcomes."""
        stack = component_stack(o)
        return cls(o.approaches, o.harms, Moments.of(stack, o), Tallies.of(stack, o, alpha))

    def merge(self, other: Summary) -> Summary:
        """Summary of both; ``a.merge(b)`` treats ``a``'s draws as coming first."""
        if other.approaches != self.approaches or other.harms != self.harms:
            raise ValueError("summaries of different approaches or harms cannot be merged")
        return Summary(
            self.approaches,
            self.harms,
            self.moments.merge(other.moments),
            self.tallies.merge(other.tallies),
        )

    # -- reading ---------------------------------------------------------------------------
    @property
    def components(self) -> tuple[str, ...]:
        return component_names(self.harms)

    @property
    def n(self) -> int:
        return self.moments.count

    def _row(self, component: str) -> int:
        try:
            return self.components.index(component)
        except ValueError:
            raise KeyError(
                f"no component {component!r}; have {', '.join(self.components)}"
            ) from None

    def mean(self, component: str = "net_benefit") -> np.ndarray:
        """(k,) mean of a component per approach."""
        return self.moments.mean[self._row(component)]

    def std(self, component: str = "net_benefit") -> np.ndarray:
        """(k,) sample standard deviation (ddof=1)."""
        return np.sqrt(self.moments.m2[self._row(component)] / max(self.n - 1, 1))

    def mcse(self, component: str = "net_benefit") -> np.ndarray:
        """(k,) Monte Carlo standard error of the mean."""
        return self.std(component) / np.sqrt(self.n)

    def quantile(self, component: str, q: float) -> np.ndarray:
        """(k,) quantile per approach from the sketch (clipped into the exact min/max)."""
        c = self._row(component)
        k = len(self.approaches)
        est = self.tallies.sketch.quantile(q)[c * k : (c + 1) * k]
        return np.clip(est, self.tallies.minimum[c], self.tallies.maximum[c])

    @property
    def prob_best(self) -> np.ndarray:
        return self.tallies.best / self.n

    @property
    def prob_negative(self) -> np.ndarray:
        return self.tallies.negative / self.n

    @property
    def prob_exceeds(self) -> np.ndarray:
        """(k, H) P(residual harm > acceptable level)."""
        return self.tallies.exceeds / self.n

    @property
    def evpi(self) -> float:
        """E[max_j NB_j] - max_j E[NB_j]."""
        return float(self.moments.mean_max - self.mean("net_benefit").max())
