"""The parametric families: fixed, uniform, loguniform, normal, lognormal, triangular, PERT,
beta, gamma, discrete and bernoulli, each a small frozen class looked up in :data:`FAMILIES`."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import optimize, special

from model.inputs.distributions.base import (
    Z95,
    Distribution,
    as_where,
    format_value,
    number,
    order_fix,
    require,
)

#: Smallest beta shape parameter accepted (and the reciprocal the largest).
BETA_MIN_SHAPE = 1e-3


def _stats():
    """scipy.stats, imported on first use: only the frozen scipy equivalents need it, and its
    import costs about half a second of every command's start-up."""
    from scipy import stats

    return stats


class Fixed(Distribution):
    """A known constant: ``value``."""

    value: float

    family = "fixed"
    spellings = (("value",),)
    continuous = False

    def _setup(self, w, g):
        self._set(value=number(g, "value"))

    @property
    def is_fixed(self) -> bool:
        return True

    def _base_ppf(self, u):
        return np.full(np.shape(u), self.value)

    def _base_cdf(self, x):
        return (np.asarray(x) >= self.value).astype(float)

    def _base_support(self):
        return (self.value, self.value)

    def _base_mean(self):
        return self.value

    def _base_var(self):
        return 0.0

    def _base_scipy(self):
        return None


class Uniform(Distribution):
    """Uniform on [low, high]."""

    low: float
    high: float

    family = "uniform"
    spellings = (("low", "high"),)

    def _setup(self, w, g):
        lo, hi = number(g, "low"), number(g, "high")
        require(
            w,
            lo < hi,
            "uniform needs low < high",
            f"low={format_value(lo)}, high={format_value(hi)}",
            order_fix(lo, hi),
        )
        self._set(low=lo, high=hi)

    def _base_ppf(self, u):
        return self.low + (self.high - self.low) * u

    def _base_cdf(self, x):
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def _base_support(self):
        return (self.low, self.high)

    def _base_mean(self):
        return 0.5 * (self.low + self.high)

    def _base_var(self):
        return (self.high - self.low) ** 2 / 12.0

    def _base_scipy(self):
        return _stats().uniform(self.low, self.high - self.low)


class LogUniform(Distribution):
    """Log-uniform (reciprocal) on [low, high], 0 < low."""

    low: float
    high: float
    log_lo: float
    log_r: float

    family = "loguniform"
    spellings = (("low", "high"),)

    def _setup(self, w, g):
        lo, hi = number(g, "low"), number(g, "high")
        require(
            w,
            lo > 0,
            "loguniform needs low > 0",
            f"low={format_value(lo)}",
            "use uniform, or low > 0",
        )
        require(
            w,
            lo < hi,
            "loguniform needs low < high",
            f"low={format_value(lo)}, high={format_value(hi)}",
            order_fix(lo, hi),
        )
        self._set(low=lo, high=hi, log_lo=math.log(lo), log_r=math.log(hi / lo))

    def _base_ppf(self, u):
        return np.exp(self.log_lo + self.log_r * u)

    def _base_cdf(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.clip((np.log(np.maximum(x, 1e-300)) - self.log_lo) / self.log_r, 0.0, 1.0)

    def _base_support(self):
        return (self.low, self.high)

    def _base_mean(self):
        return (self.high - self.low) / self.log_r

    def _base_var(self):
        return (self.high**2 - self.low**2) / (2 * self.log_r) - self._base_mean() ** 2

    def _base_scipy(self):
        return _stats().loguniform(self.low, self.high)


class Normal(Distribution):
    """Normal from ``mean``+``sd`` or from a 90% interval ``p05``+``p95``."""

    mu: float
    sd: float

    family = "normal"
    spellings = (("mean", "sd"), ("p05", "p95"))

    def _setup(self, w, g):
        if "p05" in g:
            a, b = number(g, "p05"), number(g, "p95")
            require(
                w,
                a < b,
                "normal needs p05 < p95",
                f"p05={format_value(a)}, p95={format_value(b)}",
                order_fix(a, b),
            )
            mu, sd = 0.5 * (a + b), (b - a) / (2 * Z95)
        else:
            mu, sd = number(g, "mean"), number(g, "sd")
            require(
                w, sd > 0, "normal needs sd > 0", f"sd={format_value(sd)}", "give a positive sd"
            )
        self._set(mu=mu, sd=sd)

    def _base_ppf(self, u):
        x = special.ndtri(u)
        x *= self.sd
        x += self.mu
        return x

    def _base_isf_exact(self, s):
        return self.mu - self.sd * special.ndtri(s)

    def ppf_from_normal(self, z):
        if self.truncate is not None:
            return super().ppf_from_normal(z)
        return self.mu + self.sd * z

    def _base_cdf(self, x):
        return special.ndtr((x - self.mu) / self.sd)

    def _base_sf(self, x):
        return special.ndtr((self.mu - x) / self.sd)

    def _base_support(self):
        return (-math.inf, math.inf)

    def _base_mean(self):
        return self.mu

    def _base_var(self):
        return self.sd**2

    def _base_scipy(self):
        return _stats().norm(self.mu, self.sd)

    def to_scipy(self):
        if self.truncate is None:
            return self._base_scipy()
        a, b = ((t - self.mu) / self.sd for t in self.truncate)
        return _stats().truncnorm(a, b, loc=self.mu, scale=self.sd)


class LogNormal(Distribution):
    """Lognormal from ``median``+``gsd``, ``p05``+``p95`` or arithmetic ``mean``+``sd``."""

    mu: float  # of log x
    s: float  # sd of log x

    family = "lognormal"
    spellings = (("median", "gsd"), ("p05", "p95"), ("mean", "sd"))

    def _setup(self, w, g):
        if "p05" in g:
            a, b = number(g, "p05"), number(g, "p95")
            require(
                w,
                a > 0,
                "lognormal needs p05 > 0",
                f"p05={format_value(a)}",
                "use normal, or p05 > 0",
            )
            require(
                w,
                a < b,
                "lognormal needs p05 < p95",
                f"p05={format_value(a)}, p95={format_value(b)}",
                order_fix(a, b),
            )
            mu, s = 0.5 * (math.log(a) + math.log(b)), (math.log(b) - math.log(a)) / (2 * Z95)
        elif "median" in g:
            m, gsd = number(g, "median"), number(g, "gsd")
            require(
                w,
                m > 0,
                "lognormal needs median > 0",
                f"median={format_value(m)}",
                "give median > 0",
            )
            require(
                w,
                gsd > 1,
                "lognormal needs gsd > 1",
                f"gsd={format_value(gsd)}",
                "gsd = p95/median^(1/1.645)",
            )
            mu, s = math.log(m), math.log(gsd)
        else:
            m, sd = number(g, "mean"), number(g, "sd")
            require(
                w, m > 0, "lognormal needs mean > 0", f"mean={format_value(m)}", "give mean > 0"
            )
            require(
                w, sd > 0, "lognormal needs sd > 0", f"sd={format_value(sd)}", "give a positive sd"
            )
            s2 = math.log1p((sd / m) ** 2)
            mu, s = math.log(m) - 0.5 * s2, math.sqrt(s2)
        self._set(mu=mu, s=s)

    def _base_ppf(self, u):
        x = special.ndtri(u)
        x *= self.s
        x += self.mu
        return np.exp(x, out=x)

    def _base_isf_exact(self, s):
        return np.exp(self.mu - self.s * special.ndtri(s))

    def ppf_from_normal(self, z):
        if self.truncate is not None:
            return super().ppf_from_normal(z)
        return np.exp(self.mu + self.s * z)

    def _base_cdf(self, x):
        with np.errstate(divide="ignore"):
            return special.ndtr((np.log(np.maximum(x, 0.0)) - self.mu) / self.s)

    def _base_sf(self, x):
        with np.errstate(divide="ignore"):
            return special.ndtr((self.mu - np.log(np.maximum(x, 0.0))) / self.s)

    def _base_support(self):
        return (0.0, math.inf)

    def _base_mean(self):
        return math.exp(self.mu + 0.5 * self.s**2)

    def _base_var(self):
        return math.expm1(self.s**2) * math.exp(2 * self.mu + self.s**2)

    def _base_scipy(self):
        return _stats().lognorm(self.s, scale=math.exp(self.mu))


def _check_lmh(w, family, lo, mode, hi):
    require(
        w,
        lo < hi,
        f"{family} needs low < high",
        f"low={format_value(lo)}, high={format_value(hi)}",
        order_fix(lo, hi),
    )
    require(
        w,
        lo <= mode <= hi,
        f"{family} needs low <= mode <= high",
        f"low={format_value(lo)}, mode={format_value(mode)}, high={format_value(hi)}",
        "move mode inside [low, high]",
    )


class Triangular(Distribution):
    """Triangular on [low, high] with peak at ``mode``."""

    low: float
    mode: float
    high: float
    fc: float  # cdf at the mode

    family = "triangular"
    spellings = (("low", "mode", "high"),)

    def _setup(self, w, g):
        lo, mode, hi = number(g, "low"), number(g, "mode"), number(g, "high")
        _check_lmh(w, "triangular", lo, mode, hi)
        self._set(low=lo, mode=mode, high=hi, fc=(mode - lo) / (hi - lo))

    def _base_ppf(self, u):
        lo, m, hi = self.low, self.mode, self.high
        r = hi - lo
        left = lo + np.sqrt(u * (r * (m - lo)))
        right = hi - np.sqrt((1.0 - u) * (r * (hi - m)))
        return np.where(u < self.fc, left, right)

    def _base_cdf(self, x):
        lo, m, hi = self.low, self.mode, self.high
        x = np.clip(np.asarray(x, dtype=float), lo, hi)
        r = hi - lo
        with np.errstate(divide="ignore", invalid="ignore"):
            left = (x - lo) ** 2 / (r * (m - lo))
            right = 1.0 - (hi - x) ** 2 / (r * (hi - m))
        return np.where(x <= m, np.where(m > lo, left, 0.0), np.where(hi > m, right, 1.0))

    def _base_support(self):
        return (self.low, self.high)

    def _base_mean(self):
        return (self.low + self.mode + self.high) / 3.0

    def _base_var(self):
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    def _base_scipy(self):
        return _stats().triang(self.fc, loc=self.low, scale=self.high - self.low)


class _BetaLike(Distribution):
    """Shared exact kernels for beta-shaped families (scaled to [loc, loc + scale])."""

    a: float
    b: float
    loc: float
    scale: float

    tabulated = True

    def _base_ppf_exact(self, u):
        return self.loc + self.scale * special.betaincinv(self.a, self.b, u)

    def _base_isf_exact(self, s):
        return self.loc + self.scale * special.betainccinv(self.a, self.b, s)

    _base_ppf = _base_ppf_exact

    def _base_cdf(self, x):
        z = np.clip((np.asarray(x, dtype=float) - self.loc) / self.scale, 0.0, 1.0)
        return special.betainc(self.a, self.b, z)

    def _base_sf(self, x):
        z = np.clip((np.asarray(x, dtype=float) - self.loc) / self.scale, 0.0, 1.0)
        return special.betaincc(self.a, self.b, z)

    def _base_support(self):
        return (self.loc, self.loc + self.scale)

    def _base_mean(self):
        return self.loc + self.scale * self.a / (self.a + self.b)

    def _base_var(self):
        a, b = self.a, self.b
        return self.scale**2 * a * b / ((a + b) ** 2 * (a + b + 1))

    def _base_scipy(self):
        return _stats().beta(self.a, self.b, loc=self.loc, scale=self.scale)


class Pert(_BetaLike):
    """PERT (scaled beta) from ``low``, ``mode``, ``high`` and optional ``lambda`` (default 4)."""

    family = "pert"
    spellings = (("low", "mode", "high"),)
    optional = ("lambda",)

    def _setup(self, w, g):
        lo, mode, hi = number(g, "low"), number(g, "mode"), number(g, "high")
        lam = float(g.get("lambda", 4.0))
        _check_lmh(w, "pert", lo, mode, hi)
        require(
            w, lam > 0, "pert needs lambda > 0", f"lambda={format_value(lam)}", "use the default 4"
        )
        r = hi - lo
        self._set(
            a=1 + lam * (mode - lo) / r, b=1 + lam * (hi - mode) / r, loc=lo, scale=r, lam=lam
        )


def _fit_beta_quantiles(p05: float, p95: float) -> tuple[float, float] | None:
    """Beta(a, b) with the given 5% and 95% quantiles, or None if the fit fails."""
    m = 0.5 * (p05 + p95)
    sd = min((p95 - p05) / (2 * Z95), 0.9 * math.sqrt(m * (1 - m)))
    k = max(m * (1 - m) / sd**2 - 1, 0.05)
    x0 = np.log([max(m * k, 1e-3), max((1 - m) * k, 1e-3)])
    target = special.logit([p05, p95])

    def resid(x):
        a, b = np.exp(np.clip(x, -20, 20))
        q = special.betaincinv(a, b, [0.05, 0.95])
        return special.logit(np.clip(q, 1e-300, 1 - 1e-16)) - target

    sol = optimize.least_squares(resid, x0, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    a, b = np.exp(sol.x)
    q = special.betaincinv(a, b, [0.05, 0.95])
    if not np.allclose(q, [p05, p95], rtol=1e-7, atol=1e-12):
        return None
    return float(a), float(b)


class Beta(_BetaLike):
    """Beta on [0, 1] from ``alpha``+``beta``, ``mean``+``sd`` or ``p05``+``p95`` (fitted)."""

    family = "beta"
    spellings = (("alpha", "beta"), ("mean", "sd"), ("p05", "p95"))

    def _setup(self, w, g):
        if "alpha" in g:
            a, b = number(g, "alpha"), number(g, "beta")
            require(
                w,
                a > 0 and b > 0,
                "beta needs alpha > 0 and beta > 0",
                f"alpha={format_value(a)}, beta={format_value(b)}",
                "give positive shape parameters",
            )
        elif "mean" in g:
            m, sd = number(g, "mean"), number(g, "sd")
            require(
                w, 0 < m < 1, "beta needs 0 < mean < 1", f"mean={format_value(m)}", "give a share"
            )
            require(w, sd > 0, "beta needs sd > 0", f"sd={format_value(sd)}", "give a positive sd")
            lim = math.sqrt(m * (1 - m))
            require(
                w,
                sd < lim,
                f"beta with mean={format_value(m)} needs sd < sqrt(mean(1-mean)) = {lim:.4g}",
                f"sd={format_value(sd)}",
                "reduce sd",
            )
            k = m * (1 - m) / sd**2 - 1
            a, b = m * k, (1 - m) * k
        else:
            p05, p95 = number(g, "p05"), number(g, "p95")
            require(
                w,
                p05 > 0 and p95 < 1,
                "beta needs 0 < p05 and p95 < 1",
                f"p05={format_value(p05)}, p95={format_value(p95)}",
                "give shares strictly inside (0, 1)",
            )
            require(
                w,
                p05 < p95,
                "beta needs p05 < p95",
                f"p05={format_value(p05)}, p95={format_value(p95)}",
                order_fix(p05, p95),
            )
            fit = _fit_beta_quantiles(p05, p95)
            require(
                w,
                fit is not None,
                "no beta distribution has these quantiles",
                f"p05={format_value(p05)}, p95={format_value(p95)}",
                "use alpha+beta or mean+sd",
            )
            a, b = fit
        require(
            w,
            min(a, b) >= BETA_MIN_SHAPE and max(a, b) <= 1 / BETA_MIN_SHAPE,
            f"beta shapes must lie in [{BETA_MIN_SHAPE:g}, {1 / BETA_MIN_SHAPE:g}] "
            "(outside, draws round to 0, 1 or one value)",
            f"alpha={format_value(a)}, beta={format_value(b)}",
            "use bernoulli for an all-or-nothing share, or fixed for a certain one",
        )
        self._set(a=a, b=b, loc=0.0, scale=1.0)


class Gamma(Distribution):
    """Gamma from ``shape``+``scale`` or ``mean``+``sd``."""

    k: float  # shape
    theta: float  # scale

    family = "gamma"
    spellings = (("shape", "scale"), ("mean", "sd"))
    tabulated = True

    def _setup(self, w, g):
        if "shape" in g:
            k, th = number(g, "shape"), number(g, "scale")
            require(
                w,
                k > 0 and th > 0,
                "gamma needs shape > 0 and scale > 0",
                f"shape={format_value(k)}, scale={format_value(th)}",
                "give positive numbers",
            )
        else:
            m, sd = number(g, "mean"), number(g, "sd")
            require(w, m > 0, "gamma needs mean > 0", f"mean={format_value(m)}", "give mean > 0")
            require(w, sd > 0, "gamma needs sd > 0", f"sd={format_value(sd)}", "give a positive sd")
            k, th = (m / sd) ** 2, sd * sd / m
        self._set(k=k, theta=th)

    def _base_ppf_exact(self, u):
        return self.theta * special.gammaincinv(self.k, u)

    def _base_isf_exact(self, s):
        return self.theta * special.gammainccinv(self.k, s)

    _base_ppf = _base_ppf_exact

    def _base_cdf(self, x):
        return special.gammainc(self.k, np.maximum(x, 0.0) / self.theta)

    def _base_sf(self, x):
        return special.gammaincc(self.k, np.maximum(x, 0.0) / self.theta)

    def _base_support(self):
        return (0.0, math.inf)

    def _base_mean(self):
        return self.k * self.theta

    def _base_var(self):
        return self.k * self.theta**2

    def _base_scipy(self):
        return _stats().gamma(self.k, scale=self.theta)


class Discrete(Distribution):
    """Finite distribution: ``values`` with ``weights`` summing to 1 (within 1e-9)."""

    values: np.ndarray
    weights: np.ndarray
    cum: np.ndarray

    family = "discrete"
    spellings = (("values", "weights"),)
    continuous = False

    def _setup(self, w, g):
        v = np.asarray(g["values"], dtype=float)
        p = np.asarray(g["weights"], dtype=float)
        require(
            w,
            v.size == p.size,
            "discrete needs as many weights as values",
            f"{v.size} values, {p.size} weights",
            "give one weight per value",
        )
        require(
            w,
            bool(np.all(p >= 0)),
            "discrete needs weights >= 0",
            f"weights={format_value(list(p))}",
            "remove negative weights",
        )
        s = float(p.sum())
        require(
            w,
            abs(s - 1.0) <= 1e-9,
            "discrete weights must sum to 1",
            f"sum={s:.12g}",
            f"divide each weight by {s:.6g}",
        )
        order = np.argsort(v, kind="stable")
        v, p = v[order], p[order]
        cum = np.cumsum(p)
        cum[-1] = np.inf  # never index past the last value
        self._set(values=v, weights=p, cum=cum)

    def _base_ppf(self, u):
        return self.values.take(np.searchsorted(self.cum, u, side="left"))

    def _base_cdf(self, x):
        c = np.cumsum(self.weights)
        idx = np.searchsorted(self.values, x, side="right")
        return np.where(idx > 0, c[np.maximum(idx - 1, 0)], 0.0)

    def _base_support(self):
        return (float(self.values[0]), float(self.values[-1]))

    def _base_mean(self):
        return float(self.weights @ self.values)

    def _base_var(self):
        m = self._base_mean()
        return float(self.weights @ (self.values - m) ** 2)

    def _base_scipy(self):
        return None


class Bernoulli(Distribution):
    """1 with probability ``p``, else 0."""

    prob: float
    u0: float  # uniforms above u0 give 1

    family = "bernoulli"
    spellings = (("p",),)
    continuous = False

    def _setup(self, w, g):
        p = number(g, "p")
        require(
            w,
            0 <= p <= 1,
            "bernoulli needs 0 <= p <= 1",
            f"p={format_value(p)}",
            "give a probability",
        )
        self._set(prob=p, u0=1.0 - p)

    def _base_ppf(self, u):
        return (np.asarray(u) > self.u0).astype(float)

    def _base_cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x < 0, 0.0, np.where(x < 1, self.u0, 1.0))

    def _base_support(self):
        return (0.0, 1.0)

    def _base_mean(self):
        return self.prob

    def _base_var(self):
        return self.prob * (1 - self.prob)

    def _base_scipy(self):
        return _stats().bernoulli(self.prob)


#: Family name -> class; dispatch is by this table, never by isinstance chains.
FAMILIES: dict[str, type[Distribution]] = {
    c.family: c
    for c in (
        Fixed,
        Uniform,
        LogUniform,
        Normal,
        LogNormal,
        Triangular,
        Pert,
        Beta,
        Gamma,
        Discrete,
        Bernoulli,
    )
}


def family_from_spec(spec: Mapping[str, Any], where: Any = None) -> Distribution:
    """Build one of :data:`FAMILIES` from a spec table with a ``dist`` key (``value`` alone =
    fixed).

    Examples
    --------
    >>> family_from_spec({"dist": "lognormal", "p05": 10, "p95": 30}).describe()
    'lognormal(p05=10, p95=30)'
    """
    w = as_where(where)
    name = spec.get("dist")
    if name is None:
        if "value" in spec:
            name = "fixed"
        else:
            raise w.error(
                "no distribution", "no 'dist' key", f"add dist = one of {', '.join(FAMILIES)}"
            )
    if not isinstance(name, str) or name not in FAMILIES:
        close = difflib.get_close_matches(str(name), list(FAMILIES), n=1, cutoff=0.5)
        fix = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(FAMILIES)}"
        raise w.error("unknown distribution", f"dist={name!r}", fix)
    return FAMILIES[name].from_spec(spec, w)
