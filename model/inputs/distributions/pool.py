"""Expert pooling: several judgements of one parameter as one distribution (``dist = "pool"``).

Linear pools (mixtures) and logarithmic pools; ``expert_index`` draws which expert a value of a
linear pool came from, so that value of information can ask whether the disagreement matters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from model.inputs.distributions.base import (
    T_MAX,
    TABLE_RTOL,
    Distribution,
    QuantileTable,
    Where,
    as_where,
    check_keys,
    format_value,
    is_number,
)
from model.inputs.distributions.families import family_from_spec


@dataclass(frozen=True)
class Expert:
    """One expert judgement inside a pooled parameter: name, weight, distribution, source."""

    name: str
    weight: float
    dist: Distribution
    source: str = ""

    def describe(self) -> str:
        return f"{self.name} {format_value(self.weight)} {self.dist.describe()}"


class _PoolTable(QuantileTable):
    """Quantile table on the uniform logit grid whose cells may be split at a breakpoint.

    A linear pool's quantile function has a kink (or a jump, across a gap between experts)
    where an expert's support ends. The cell holding such a breakpoint ``t_b`` is split there:
    it is interpolated linearly on each side, through the exact value at ``t_b`` (one-sided:
    the left limit on the left, the right limit on the right). A cell with two breakpoints is
    evaluated exactly. ``error`` is 1.5 x the largest error at (sub)interval midpoints plus a
    rounding allowance, plus ``base_error``, the stated error of the function tabulated.
    """

    def __init__(self, lower, upper, scale, breaks, exact, base_error=0.0, rtol=TABLE_RTOL):
        self.exact = exact
        k = 2**14
        while True:
            h = 2.0 * T_MAX / k
            t = np.linspace(-T_MAX, T_MAX, k + 1)
            q = self._eval(t, lower, upper)
            tm = 0.5 * (t[:-1] + t[1:])
            qm = self._eval(tm, lower, upper)
            bad = np.abs(0.5 * (q[:-1] + q[1:]) - qm)
            special = np.zeros(k + 1, dtype=np.int8)  # 0 plain, 1 split, 2 exact
            frac = np.zeros(k + 1)
            qb_lo = np.zeros(k + 1)
            qb_hi = np.zeros(k + 1)
            cuts = []
            for tb, left, right in breaks:
                c = min(int((tb + T_MAX) / h), k - 1)
                fb = (tb + T_MAX) / h - c
                cuts.append((c, fb, left, right))
                if fb == 0.0 and c > 0:  # on a node: the cell before ends at the left limit
                    cuts.append((c - 1, 1.0, left, left))
            for c, fb, left, right in cuts:
                special[c] = 2 if special[c] else 1
                frac[c], qb_lo[c], qb_hi[c] = fb, left, right
            for c, fb, left, right in cuts:
                if special[c] == 2:
                    bad[c] = 0.0
                    continue
                # errors of the two sub-intervals, at their midpoints
                ta, tb2 = t[c] + 0.5 * fb * h, t[c] + 0.5 * (1 + fb) * h
                qa, qb = self._eval(np.array([ta, tb2]), lower, upper)
                ea = abs(q[c] + 0.5 * (left - q[c]) - qa) if fb > 0 else 0.0
                eb = abs(right + 0.5 * (q[c + 1] - right) - qb) if fb < 1 else 0.0
                bad[c] = max(ea, eb)
            err = float(np.max(bad))
            if err <= rtol * scale or k >= 2**17:
                break
            k *= 2
        self.k, self.q, self.special = k, q, special
        self.frac, self.qb_lo, self.qb_hi = frac, qb_lo, qb_hi
        self.slope = np.append(np.diff(q), 0.0)
        self.inv_h = k / (2.0 * T_MAX)
        self.any_special = bool(special.any())
        self.error = (
            1.5 * err + 8.0 * np.finfo(float).eps * float(np.max(np.abs(q))) + float(base_error)
        )

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        i, x = self._cells(u)
        if not self.any_special:
            x *= self.slope.take(i)
            x += self.q.take(i)
            return x
        sp = self.special.take(i)
        s_idx = np.flatnonzero(sp)
        f = x[s_idx]
        x *= self.slope.take(i)
        x += self.q.take(i)
        if s_idx.size:
            c = i[s_idx]
            fb = self.frac[c]
            with np.errstate(divide="ignore", invalid="ignore"):
                left = self.q[c] + (self.qb_lo[c] - self.q[c]) * (f / fb)
                right = self.qb_hi[c] + (self.q[np.minimum(c + 1, self.k)] - self.qb_hi[c]) * (
                    (f - fb) / (1.0 - fb)
                )
            val = np.where(f < fb, left, right)
            two = sp[s_idx] == 2
            if two.any():
                val[two] = self.exact(u[s_idx[two]])
            x[s_idx] = val
        return x


class Pool(Distribution):
    """Several expert judgements of one parameter, pooled linearly or logarithmically.

    ``method = "linear"``: the mixture ``f = sum w_i f_i`` (mean and variance in closed form;
    ppf by a quantile table on the mixture CDF, nodes found by safeguarded Newton iteration).
    ``method = "log"``: ``f proportional to prod f_i ** w_i`` on the intersection of the
    supports, normalised numerically (Simpson's rule on 2**16 intervals; the integration error
    is measured by halving the grid and added to ``table_error``).

    Built from ``{"dist": "pool", "method": ..., "experts": [{name, weight, source, dist,
    ...}, ...]}``; weights sum to 1 within 1e-9; experts need continuous distributions.

    References
    ----------
    .. [1] Genest C, Zidek JV (1986). Combining probability distributions: a critique and an
       annotated bibliography. Statistical Science 1:114-135.
    .. [2] O'Hagan A et al. (2006). Uncertain Judgements: Eliciting Experts' Probabilities.
       Wiley, ch. 9.
    """

    method: str
    pooled: tuple[Expert, ...]
    log_z_scale: bool

    family = "pool"
    tabulated = True
    methods: ClassVar[tuple[str, ...]] = ("linear", "log")

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], where: Any = None) -> Pool:
        w = as_where(where)
        check_keys(
            w,
            spec,
            {"dist", "method", "experts"},
            "a pool",
            "a pool takes method and [[...experts]] (truncate each expert instead)",
        )
        method = spec.get("method", "linear")
        if method not in cls.methods:
            raise w.error(
                "unknown pooling method", f"method={method!r}", 'use method = "linear" or "log"'
            )
        experts_raw = spec.get("experts", [])
        if not isinstance(experts_raw, list) or not all(
            isinstance(e, Mapping) for e in experts_raw
        ):
            raise w.error(
                "experts must be a list of tables",
                format_value(experts_raw),
                "write each as [[parameters.NAME.experts]]",
            )
        if len(experts_raw) < 2:
            raise w.error(
                "a pool needs at least two experts",
                f"{len(experts_raw)} expert(s)",
                "add another [[...experts]] table, or drop dist = 'pool' and give one distribution",
            )
        experts = []
        for i, e in enumerate(experts_raw):
            name = e.get("name", f"expert {i + 1}")
            ew = Where(w.file, f"{w.key} expert '{name}'" if w.key else f"expert '{name}'")
            if not isinstance(name, str):
                raise ew.error("expert name must be a string", format_value(name))
            wt = e.get("weight")
            if not is_number(wt) or not math.isfinite(wt) or wt <= 0:
                raise ew.error(
                    "expert weight must be a positive number",
                    f"weight={format_value(wt)}",
                    "give w > 0",
                )
            src = e.get("source", "")
            if not isinstance(src, str):
                raise ew.error("expert source must be a string", format_value(src))
            dspec = {k: v for k, v in e.items() if k not in ("name", "weight", "source", "notes")}
            if dspec.get("dist") == "pool":
                raise ew.error("pools cannot be nested", "dist='pool'", "list every expert once")
            d = family_from_spec(dspec, ew)
            if not d.continuous or d.is_fixed:
                raise ew.error(
                    f"pooled experts need a continuous distribution, not {d.family}",
                    d.describe(),
                    "use e.g. a narrow triangular or pert for a point judgement",
                )
            experts.append(Expert(name, float(wt), d, src))
        total = math.fsum(e.weight for e in experts)
        if abs(total - 1.0) > 1e-9:
            raise w.error(
                "expert weights must sum to 1",
                "weights "
                + " + ".join(format_value(e.weight) for e in experts)
                + f" = {total:.12g}",
                f"divide each weight by {total:.6g}",
            )
        names = [e.name for e in experts]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise w.error("two experts share a name", dup[0], "give each expert its own name")
        given = (
            ("method", method),
            ("experts", tuple((e.name, e.weight, e.dist.describe()) for e in experts)),
        )
        obj = cls(given=given, truncate=None)
        obj._set(method=method, pooled=tuple(experts))
        if method == "log":
            lo = max(e.dist.support[0] for e in experts)
            hi = min(e.dist.support[1] for e in experts)
            if not lo < hi:
                sup = "; ".join(
                    f"{e.name} ({', '.join(map(format_value, e.dist.support))})" for e in experts
                )
                raise w.error(
                    "log pool needs experts whose supports overlap",
                    f"supports {sup}",
                    'use method = "linear", or widen the experts\' ranges',
                )
        return obj

    def spec(self) -> dict[str, Any]:
        experts = [
            {"name": e.name, "weight": e.weight, "source": e.source, **e.dist.spec()}
            for e in self.experts
        ]
        return {"dist": "pool", "method": self.method, "experts": experts}

    # ----------------------------------------------------------------- shared
    @property
    def experts(self) -> tuple[Expert, ...]:
        """The pooled judgements, in file order: (name, weight, dist, source)."""
        return self.pooled

    @property
    def weights(self) -> np.ndarray:
        return np.array([e.weight for e in self.experts])

    def describe(self) -> str:
        """E.g. ``linear pool: Expert A 0.6 beta(alpha=2, beta=4); Expert B 0.4 uniform(...)``."""
        return f"{self.method} pool: " + "; ".join(e.describe() for e in self.experts)

    @property
    def support(self) -> tuple[float, float]:
        sup = [e.dist.support for e in self.experts]
        if self.method == "linear":
            return (min(s[0] for s in sup), max(s[1] for s in sup))
        return (max(s[0] for s in sup), min(s[1] for s in sup))

    def ppf(self, u: np.ndarray, *, exact: bool = False) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if exact:
            return self._exact_ppf(u)
        return self._table(u)

    def to_scipy(self):
        return None

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.method == "linear":
            return sum(e.weight * e.dist.cdf(x) for e in self.experts)
        g = self._log_grid
        return np.clip(np.interp(self._to_z(x), g["z"], g["cdf"], left=0.0, right=1.0), 0, 1)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density of the pooled distribution."""
        x = np.asarray(x, dtype=float)
        if self.method == "linear":
            return sum(e.weight * e.dist.pdf(x) for e in self.experts)
        lo, hi = self.support
        with np.errstate(invalid="ignore"):
            lg = sum(e.weight * e.dist.logpdf(x) for e in self.experts)
            out = np.exp(lg - self._log_grid["log_z"])
        return np.where((x >= lo) & (x <= hi) & np.isfinite(lg), out, 0.0)

    def mean(self) -> float:
        if self.method == "linear":
            return float(sum(e.weight * e.dist.mean() for e in self.experts))
        return self._log_grid["mean"]

    def var(self) -> float:
        if self.method == "linear":
            m = self.mean()
            s = sum(e.weight * (e.dist.var() + e.dist.mean() ** 2) for e in self.experts)
            return float(max(s - m * m, 0.0))
        return self._log_grid["var"]

    def _exact_ppf(self, u: np.ndarray) -> np.ndarray:
        out = np.empty_like(u)
        lo = u <= 0.5
        out[lo] = self._solve(u[lo], upper=False)
        out[~lo] = self._solve(1.0 - u[~lo], upper=True)
        return out

    def _solve(self, p: np.ndarray, *, upper: bool) -> np.ndarray:
        if self.method == "log":
            g = self._log_grid
            lp = np.log(np.maximum(p, 1e-300))
            if upper:  # log-probabilities: near-linear in z in the tails
                z = np.interp(lp, g["log_sf"][::-1], g["z"][::-1])
            else:
                z = np.interp(lp, g["log_cdf"], g["z"])
            return self._from_z(z)
        return self._mix_solve(p, upper=upper)

    @cached_property
    def _table(self) -> _PoolTable:
        def lower(u):
            return self._solve(u, upper=False)

        def upper(s):
            return self._solve(s, upper=True)

        q = self._exact_ppf(np.array([0.01, 0.99]))
        if self.method == "linear":
            breaks = []
            ends = sorted({b for e in self.experts for b in e.dist.support if math.isfinite(b)})
            for b in ends:
                ub = float(self.cdf(np.array([b]))[0])
                if 0.0 < ub < 1.0:
                    # left and right limits of the quantile function at ub (differ across a gap)
                    xl = float(self._exact_ppf(np.array([ub]))[0])
                    xl = min(xl, b)
                    xr = b
                    for b2 in ends:  # a flat CDF from b to b2: the right limit is b2
                        if b2 > b and float(self.cdf(np.array([b2]))[0]) <= ub:
                            xr = b2
                    breaks.append((math.log(ub / (1.0 - ub)), xl, xr))
            base_error = 0.0
        else:
            breaks, base_error = [], self._log_grid["error"]
        return _PoolTable(
            lower, upper, float(q[1] - q[0]), breaks, self._exact_ppf, base_error=base_error
        )

    # ----------------------------------------------------------------- linear pool
    def _mix_solve(self, p: np.ndarray, *, upper: bool) -> np.ndarray:
        """Solve sum w_i F_i(x) = p (or sum w_i S_i(x) = p when ``upper``), vectorised."""
        ds, w = [e.dist for e in self.experts], self.weights
        if upper:
            qs = np.array([d.isf(p) for d in ds])

            def g(x, pp, _):
                return pp - sum(wi * d.sf(x) for wi, d in zip(w, ds, strict=True))
        else:
            qs = np.array([d.ppf(p, exact=True) for d in ds])

            def g(x, pp, _):
                return sum(wi * d.cdf(x) for wi, d in zip(w, ds, strict=True)) - pp

        a, b = qs.min(axis=0), qs.max(axis=0)
        x = np.clip(w @ qs, a, b)
        act = np.flatnonzero(a < b)  # Newton steps inside a shrinking bracket, active set only
        eps = 4 * np.finfo(float).eps
        for _ in range(100):
            if act.size == 0:
                break
            xa, pa_ = x[act], p[act]
            gx = g(xa, pa_, act)
            neg = gx < 0
            aa = np.where(neg, xa, a[act])
            bb = np.where(neg, b[act], xa)
            with np.errstate(divide="ignore", invalid="ignore"):
                xn = xa - gx / self.pdf(xa)
            bad = ~((xn > aa) & (xn < bb))
            xn = np.where(bad, 0.5 * (aa + bb), xn)
            tol = eps * np.maximum(np.abs(xn), 1e-300)
            conv = (np.abs(xn - xa) <= tol) | (bb - aa <= tol) | (gx == 0)
            x[act] = np.where(gx == 0, xa, xn)
            a[act], b[act] = aa, bb
            act = act[~conv]
        return x

    # ----------------------------------------------------------------- log pool
    def _to_z(self, x):
        if self.log_z_scale:
            with np.errstate(divide="ignore"):
                return np.log(np.maximum(x, 0.0))
        return np.asarray(x, dtype=float)

    def _from_z(self, z):
        return np.exp(z) if self.log_z_scale else z

    def _log_integrate(self, n: int, z0: float, z1: float):
        from scipy.integrate import cumulative_simpson

        z = np.linspace(z0, z1, n + 1)
        x = self._from_z(z)
        lg = sum(e.weight * e.dist.logpdf(x) for e in self.experts)
        if self.log_z_scale:
            lg = lg + z  # dx = x dz
        lg = np.where(np.isfinite(lg), lg, -np.inf)
        top = float(np.max(lg))
        dens = np.exp(lg - top)
        cum = cumulative_simpson(dens, x=z, initial=0.0)
        rcum = cumulative_simpson(dens[::-1], x=-z[::-1], initial=0.0)[::-1]
        cum = np.maximum.accumulate(np.maximum(cum, 0.0))
        rcum = np.maximum.accumulate(np.maximum(rcum, 0.0)[::-1])[::-1]
        total = cum[-1]
        return z, cum / total, rcum / rcum[0], top + math.log(total), x, dens / total

    @cached_property
    def _log_grid(self) -> dict:
        lo, hi = self.support
        # the log pool's density is at most the mixture's / Z (weighted AM-GM), so the
        # mixture's 1e-20 quantiles bound where its mass lies (up to 1e-20 / Z)
        eps = 1e-20
        ds = [e.dist for e in self.experts]
        qlo = min(float(d.ppf(np.array([eps]), exact=True)[0]) for d in ds)
        qhi = max(float(d.isf(np.array([eps]))[0]) for d in ds)
        a, b = max(lo, qlo), min(hi, qhi)
        log_scale = a > 0 and b / a > 50
        self._set(log_z_scale=log_scale)
        z0, z1 = (math.log(a), math.log(b)) if log_scale else (a, b)
        # pass 1: locate the mass; pass 2: integrate finely over it
        z, cdf, sf, *_ = self._log_integrate(2**14, z0, z1)
        i0 = max(int(np.searchsorted(cdf, 1e-24)) - 2, 0)
        i1 = min(int(np.searchsorted(-sf, -1e-24)) + 2, z.size - 1)
        z0, z1 = z[i0], z[i1]
        z, cdf, sf, log_z, x, dens = self._log_integrate(2**16, z0, z1)
        z2, cdf2, sf2, *_ = self._log_integrate(2**15, z0, z1)
        # integration error: quantiles from the full and the halved grid, compared
        lu = np.log(
            np.concatenate([[2.0**-53], np.logspace(-15, -1, 57), np.linspace(0.1, 0.5, 41)])
        )

        def lg(a):
            return np.log(np.maximum(a, 1e-300))

        diff = max(
            float(np.max(np.abs(np.interp(lu, lg(cdf), z) - np.interp(lu, lg(cdf2), z2)))),
            float(
                np.max(
                    np.abs(
                        np.interp(lu, lg(sf[::-1]), z[::-1])
                        - np.interp(lu, lg(sf2[::-1]), z2[::-1])
                    )
                )
            ),
        )
        if log_scale:
            diff *= float(np.exp(z1))  # |dx| <= x_max |dz|
        from scipy.integrate import simpson

        m = float(simpson(x * dens, x=z))
        v = float(simpson((x - m) ** 2 * dens, x=z))
        return {
            "z": z,
            "cdf": cdf,
            "sf": sf,
            "log_cdf": np.log(np.maximum(cdf, 1e-300)),
            "log_sf": np.log(np.maximum(sf, 1e-300)),
            "log_z": log_z,
            "mean": m,
            "var": v,
            "error": 2.0 * diff,
        }


#: Distributions that combine other distributions, looked up by ``dist`` name.
COMBINERS: dict[str, type[Pool]] = {"pool": Pool}


def expert_index(dist: Pool, x: np.ndarray, *, rng: Any = None) -> np.ndarray:
    """Which expert each draw of a linear pool "came from": an (n,) int array.

    The index is drawn from its posterior given the value, ``P(i | x) = w_i f_i(x) / f(x)``,
    with one uniform per draw from ``rng`` (a seed or Generator), so that (x, index) has the
    joint distribution of "pick expert i with probability w_i, then draw from expert i".
    Regressing net benefit on this indicator (e.g. ``model.voi.evppi``) then gives the value of
    learning which expert is right. (Assigning the expert by the interval of the cumulative
    weights that contains the draw's uniform would have the right marginal but tie the index to
    whether x is below a quantile, so it measures something else.)

    Raises ValueError for a log pool: it is not a mixture, no draw comes from one expert.
    """
    if not isinstance(dist, Pool):
        raise ValueError(f"expert_index needs a pooled distribution, got {dist.describe()}")
    if dist.method != "linear":
        raise ValueError(
            "a log pool is not a mixture: no draw comes from one expert; use a linear pool "
            "to ask whether the experts' disagreement matters"
        )
    x = np.asarray(x, dtype=float)
    post = np.array([e.weight * e.dist.pdf(x) for e in dist.experts])
    tot = post.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum = np.cumsum(post, axis=0) / np.where(tot > 0, tot, 1.0)
    v = np.random.default_rng(rng).random(x.shape)
    idx = (cum < v).sum(axis=0)
    return np.minimum(idx, len(dist.experts) - 1).astype(np.intp)
