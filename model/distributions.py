"""Probability distributions for parameters: named keys in, vectorised inverse CDFs out.

Each family is a small frozen class with one interface: ``ppf(u)`` maps uniforms in (0, 1) to
data units, plus ``cdf``, ``support``, ``mean``, ``var``, ``describe`` and ``to_scipy``. Families
are looked up by name in :data:`FAMILIES` and built with ``from_spec(spec, where)`` from a
parameter-file table such as ``{"dist": "lognormal", "p05": 10, "p95": 30}``.

Speed: normal and lognormal use ``scipy.special.ndtri``; uniform, loguniform, triangular,
discrete and bernoulli use closed forms or ``np.searchsorted``. Beta, gamma and PERT (whose exact
inverse CDFs cost about 1 us a value) use a quantile table built once per distribution on a
uniform grid in ``t = logit(u)``, read by direct index and linear interpolation; the table's
maximum absolute error (``table_error``) is measured when it is built and is at most
``TABLE_RTOL`` times the distribution's 1%-99% range. ``ppf(u, exact=True)`` is the exact path.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, ClassVar

import numpy as np
from scipy import optimize, special, stats

from model.errors import ParamFileError

__all__ = [
    "COMBINERS",
    "FAMILIES",
    "TABLE_RTOL",
    "U_MAX",
    "U_MIN",
    "Distribution",
    "Expert",
    "Pool",
    "expert_index",
    "from_spec",
]

#: Smallest and largest uniforms used anywhere (open interval, so unbounded ppfs stay finite).
U_MIN = 2.0**-53
U_MAX = 1.0 - 2.0**-53
#: Quantile tables are refined until their error is below this share of the 1%-99% range.
TABLE_RTOL = 1e-6
_T_MAX = math.log(U_MAX / U_MIN)  # logit range covered by quantile tables (about 36.74)
_Z95 = 1.6448536269514722  # standard normal 95% quantile
_PYTHON = "<python>"


def _fmt(x: Any) -> str:
    """Format a number or list compactly for messages and descriptions."""
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return repr(x)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


@dataclass(frozen=True, eq=False)
class _Where:
    file: str
    key: str | None

    def error(self, problem: str, got: str | None = None, fix: str | None = None):
        return ParamFileError(self.file, self.key, problem, got, fix)


def _where(where: Any) -> _Where:
    if isinstance(where, _Where):
        return where
    if where is None:
        return _Where(_PYTHON, None)
    if isinstance(where, tuple):
        return _Where(str(where[0]), None if where[1] is None else str(where[1]))
    return _Where(_PYTHON, str(where))


def _check_keys(w: _Where, spec: Mapping[str, Any], allowed: set, what: str, takes: str) -> None:
    """One-line error for the first key of ``spec`` not in ``allowed``, with a close match."""
    for k in spec:
        if k not in allowed:
            close = difflib.get_close_matches(k, sorted(allowed), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise w.error(f"unknown key '{k}' for {what}", f"{k}={_fmt(spec[k])}", hint + takes)


class _QuantileTable:
    """Linear interpolation of a quantile function on a uniform grid in ``t = logit(u)``.

    Nodes cover ``t`` in ``[-T, T]`` with ``T = logit(1 - 2**-53)``; the upper half is computed
    from the survival side (``isf``) so nothing is lost near ``u = 1``. ``error`` is 1.5 times the
    largest error observed at interval midpoints plus a rounding allowance: the stated bound.
    """

    def __init__(self, exact_lower, exact_upper, scale: float, rtol: float = TABLE_RTOL):
        k = 2**13
        while True:
            t = np.linspace(-_T_MAX, _T_MAX, k + 1)
            q = self._eval(t, exact_lower, exact_upper)
            tm = 0.5 * (t[:-1] + t[1:])
            qm = self._eval(tm, exact_lower, exact_upper)
            err = float(np.max(np.abs(0.5 * (q[:-1] + q[1:]) - qm)))
            if err <= rtol * scale or k >= 2**17:
                break
            k *= 2
        self.k = k
        self.q = q
        self.slope = np.append(np.diff(q), 0.0)
        self.inv_h = k / (2.0 * _T_MAX)
        self.error = 1.5 * err + 8.0 * np.finfo(float).eps * float(np.max(np.abs(q)))

    @staticmethod
    def _eval(t, lower, upper):
        out = np.empty_like(t)
        lo = t <= 0
        out[lo] = lower(special.expit(t[lo]))
        out[~lo] = upper(special.expit(-t[~lo]))
        return out

    def _cells(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Table cell ``i`` of each uniform and its position ``x`` in [0, 1) within the cell."""
        x = 1.0 - u
        with np.errstate(divide="ignore"):
            np.divide(u, x, out=x)
            np.log(x, out=x)
        x += _T_MAX
        x *= self.inv_h
        np.clip(x, 0.0, float(self.k), out=x)
        i = x.astype(np.intp)
        x -= i
        return i, x

    def __call__(self, u: np.ndarray) -> np.ndarray:
        i, x = self._cells(np.asarray(u, dtype=float))
        x *= self.slope.take(i)
        x += self.q.take(i)
        return x


@dataclass(frozen=True)
class Distribution:
    """Base class: one frozen instance per parameter distribution.

    Subclasses declare ``family``, ``spellings`` (alternative sets of named keys) and implement
    ``_setup`` (validate, compute canonical parameters) and the ``_base_*`` methods for the
    untruncated distribution. ``given`` keeps the user's keys for ``describe``; ``truncate`` is the
    optional truncation interval in data units.
    """

    given: tuple[tuple[str, Any], ...]
    truncate: tuple[float, float] | None = None
    _p: dict = field(default_factory=dict, repr=False, compare=False)

    family: ClassVar[str] = ""
    spellings: ClassVar[tuple[tuple[str, ...], ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()
    continuous: ClassVar[bool] = True
    tabulated: ClassVar[bool] = False

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], where: Any = None) -> Distribution:
        """Build from a spec table (the ``dist`` key, if present, is ignored here).

        Raises ParamFileError naming the key and the fix for unknown, missing or mixed keys,
        non-finite numbers and values outside the family's domain.
        """
        w = _where(where)
        keys = {k: v for k, v in spec.items() if k != "dist"}
        allowed = {k for s in cls.spellings for k in s} | set(cls.optional)
        if cls.continuous:
            allowed.add("truncate")
        spell_txt = " | ".join("+".join(s) for s in cls.spellings)
        _check_keys(
            w,
            keys,
            allowed,
            cls.family,
            f"{cls.family} takes {spell_txt}" + (" (+ truncate)" if cls.continuous else ""),
        )
        touched = [s for s in cls.spellings if set(s) & set(keys)]
        if len(touched) > 1:
            a, b = touched[0], touched[1]
            raise w.error(
                f"{cls.family} mixes two spellings ({'+'.join(a)} and {'+'.join(b)})",
                ", ".join(f"{k}={_fmt(keys[k])}" for k in keys if k in set(a) | set(b)),
                "keep one spelling",
            )
        spelling = touched[0] if touched else cls.spellings[0]
        missing = [k for k in spelling if k not in keys]
        if missing:
            others = [("+".join(s)) for s in cls.spellings if s != spelling]
            got = ", ".join(f"{k}={_fmt(v)}" for k, v in keys.items()) or "no distribution keys"
            fix = f"add {', '.join(missing)}" + (
                f" (or use {' or '.join(others)})" if others else ""
            )
            raise w.error(f"{cls.family} needs {'+'.join(spelling)}", got, fix)
        for k, v in keys.items():
            cls._check_value(w, k, v)
        trunc = keys.pop("truncate", None)
        given = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in keys.items())
        trunc_t = None if trunc is None else (float(trunc[0]), float(trunc[1]))
        obj = cls(given=given, truncate=trunc_t)
        obj._setup(w, dict(keys))
        if trunc_t is not None:
            obj._setup_truncation(w)
        return obj

    @classmethod
    def _check_value(cls, w: _Where, k: str, v: Any) -> None:
        if k in ("values", "weights", "truncate"):
            if not isinstance(v, (list, tuple)) or not v:
                raise w.error(
                    f"'{k}' must be a non-empty list of numbers", _fmt(v), f"write {k} = [...]"
                )
            if k == "truncate" and len(v) != 2:
                raise w.error("truncate needs [lo, hi]", _fmt(v), "give two numbers in data units")
            items = v
        else:
            items = [v]
        for x in items:
            if not _is_number(x):
                raise w.error(f"'{k}' must be a number", f"{k}={x!r}", "write a plain number")
            if math.isnan(x):
                raise w.error(f"'{k}' is NaN", f"{k}={_fmt(v)}", "give a finite number")
            if math.isinf(x):
                raise w.error(f"'{k}' is infinite", f"{k}={_fmt(v)}", "give a finite number")

    def _setup(self, w: _Where, g: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set(self, **kw: Any) -> None:
        self._p.update(kw)

    def __getattr__(self, name: str) -> Any:
        p = self.__dict__.get("_p")
        if p is not None and name in p:
            return p[name]
        raise AttributeError(name)

    def _setup_truncation(self, w: _Where) -> None:
        lo, hi = self.truncate
        if not lo < hi:
            raise w.error(
                "truncate needs lo < hi", f"truncate={_fmt([lo, hi])}", "write truncate = [lo, hi]"
            )
        f_lo = float(self._base_cdf(np.array([lo]))[0])
        f_hi = float(self._base_cdf(np.array([hi]))[0])
        s_hi = float(self._base_sf(np.array([hi]))[0])
        if not f_hi - f_lo > 0:
            raise w.error(
                f"truncate [{_fmt(lo)}, {_fmt(hi)}] has zero probability under {self.describe()}",
                f"P(lo < x < hi)={f_hi - f_lo:.3g}",
                "widen the truncation or move the distribution",
            )
        self._p.update(f_lo=f_lo, f_w=f_hi - f_lo, s_hi=s_hi)

    # ----------------------------------------------------------------- interface
    @property
    def is_fixed(self) -> bool:
        """True for distributions with a single value (no random dimension)."""
        return False

    @property
    def support(self) -> tuple[float, float]:
        """(lo, hi) after truncation."""
        lo, hi = self._base_support()
        if self.truncate is not None:
            lo, hi = max(lo, self.truncate[0]), min(hi, self.truncate[1])
        return (float(lo), float(hi))

    def ppf(self, u: np.ndarray, *, exact: bool = False) -> np.ndarray:
        """Inverse CDF: uniforms in (0, 1) -> data units, vectorised; ``exact`` skips tables."""
        u = np.asarray(u, dtype=float)
        if self.tabulated and not exact:
            return self._table(u)
        if self.truncate is None:
            return self._base_ppf(u) if not exact else self._base_ppf_exact(u)
        if self.tabulated or exact:
            return self._trunc_exact(u)
        return self._base_ppf(self.f_lo + u * self.f_w)

    def ppf_from_normal(self, z: np.ndarray) -> np.ndarray:
        """``ppf(ndtr(z))``: the Gaussian-copula path (normal scores in, data units out)."""
        return self.ppf(special.ndtr(z))

    def _trunc_exact(self, u: np.ndarray) -> np.ndarray:
        out = np.empty_like(u)
        lo = u <= 0.5
        out[lo] = self._base_ppf_exact(self.f_lo + u[lo] * self.f_w)
        out[~lo] = self._base_isf_exact(self.s_hi + (1.0 - u[~lo]) * self.f_w)
        return out

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Cumulative distribution function (after truncation), vectorised."""
        x = np.asarray(x, dtype=float)
        if self.truncate is None:
            return self._base_cdf(x)
        xc = np.clip(x, self.truncate[0], self.truncate[1])
        return np.clip((self._base_cdf(xc) - self.f_lo) / self.f_w, 0.0, 1.0)

    def mean(self) -> float:
        """Mean (closed form; numerical integration via scipy when truncated)."""
        if self.truncate is None:
            return float(self._base_mean())
        return float(self._trunc_moments()[0])

    def var(self) -> float:
        """Variance (closed form; numerical integration via scipy when truncated)."""
        if self.truncate is None:
            return float(self._base_var())
        return float(self._trunc_moments()[1])

    @cached_property
    def _trunc_moments_cache(self) -> tuple[float, float]:
        d = self._base_scipy()
        lo, hi = self.support
        m = d.expect(lambda x: x, lb=lo, ub=hi, conditional=True)
        m2 = d.expect(lambda x: (x - m) ** 2, lb=lo, ub=hi, conditional=True)
        return float(m), float(m2)

    def _trunc_moments(self) -> tuple[float, float]:
        return self._trunc_moments_cache

    def describe(self) -> str:
        """Short human text, e.g. ``lognormal(p05=10, p95=30)``."""
        parts = [f"{k}={_fmt(v)}" for k, v in self.given]
        if self.truncate is not None:
            parts.append(f"truncate={_fmt(list(self.truncate))}")
        return f"{self.family}({', '.join(parts)})"

    def __str__(self) -> str:
        return self.describe()

    def spec(self) -> dict[str, Any]:
        """The parameter-file keys that rebuild this distribution (``from_spec(d.spec())``)."""
        out: dict[str, Any] = {"dist": self.family}
        out |= {k: list(v) if isinstance(v, tuple) else v for k, v in self.given}
        if self.truncate is not None:
            out["truncate"] = list(self.truncate)
        return out

    def to_scipy(self):
        """Frozen scipy.stats equivalent, or None where scipy has none (e.g. most truncations)."""
        if self.truncate is None:
            return self._base_scipy()
        return None

    @property
    def table_error(self) -> float:
        """Stated maximum absolute error of the fast ``ppf`` (0.0 for exact kernels)."""
        return self._table.error if self.tabulated else 0.0

    @cached_property
    def _table(self) -> _QuantileTable:
        try:
            hash(self)
        except TypeError:  # a spec with unhashable values: not shared
            return self._build_table()
        return _shared_table(self)

    def _build_table(self) -> _QuantileTable:
        if self.truncate is None:
            lower, upper = self._base_ppf_exact, self._base_isf_exact
        else:

            def lower(u):
                return self._base_ppf_exact(self.f_lo + u * self.f_w)

            def upper(s):
                return self._base_isf_exact(self.s_hi + s * self.f_w)

        q01, q99 = lower(np.array([0.01])), upper(np.array([0.01]))
        return _QuantileTable(lower, upper, scale=float(q99[0] - q01[0]))

    # defaults for the untruncated distribution
    def _base_ppf_exact(self, u):
        return self._base_ppf(u)

    def _base_isf_exact(self, s):
        return self._base_ppf_exact(1.0 - s)

    def _base_sf(self, x):
        return 1.0 - self._base_cdf(x)


def _num(g: dict, k: str) -> float:
    return float(g[k])


def _need(w: _Where, ok: bool, problem: str, got: str, fix: str) -> None:
    if not ok:
        raise w.error(problem, got, fix)


@lru_cache(maxsize=128)
def _shared_table(dist: Distribution) -> _QuantileTable:
    """One table per distinct spec (family, given keys, truncation) in a process: scenario
    and sweep points rebuild their parameter sets with mostly unchanged distributions."""
    return dist._build_table()


class Fixed(Distribution):
    """A known constant: ``value``."""

    family = "fixed"
    spellings = (("value",),)
    continuous = False

    def _setup(self, w, g):
        self._set(value=_num(g, "value"))

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

    family = "uniform"
    spellings = (("low", "high"),)

    def _setup(self, w, g):
        lo, hi = _num(g, "low"), _num(g, "high")
        _need(
            w, lo < hi, "uniform needs low < high", f"low={_fmt(lo)}, high={_fmt(hi)}", "swap them"
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
        return stats.uniform(self.low, self.high - self.low)


class LogUniform(Distribution):
    """Log-uniform (reciprocal) on [low, high], 0 < low."""

    family = "loguniform"
    spellings = (("low", "high"),)

    def _setup(self, w, g):
        lo, hi = _num(g, "low"), _num(g, "high")
        _need(w, lo > 0, "loguniform needs low > 0", f"low={_fmt(lo)}", "use uniform, or low > 0")
        _need(
            w,
            lo < hi,
            "loguniform needs low < high",
            f"low={_fmt(lo)}, high={_fmt(hi)}",
            "swap them",
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
        return stats.loguniform(self.low, self.high)


class Normal(Distribution):
    """Normal from ``mean``+``sd`` or from a 90% interval ``p05``+``p95``."""

    family = "normal"
    spellings = (("mean", "sd"), ("p05", "p95"))

    def _setup(self, w, g):
        if "p05" in g:
            a, b = _num(g, "p05"), _num(g, "p95")
            _need(w, a < b, "normal needs p05 < p95", f"p05={_fmt(a)}, p95={_fmt(b)}", "swap them")
            mu, sd = 0.5 * (a + b), (b - a) / (2 * _Z95)
        else:
            mu, sd = _num(g, "mean"), _num(g, "sd")
            _need(w, sd > 0, "normal needs sd > 0", f"sd={_fmt(sd)}", "give a positive sd")
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
        return stats.norm(self.mu, self.sd)

    def to_scipy(self):
        if self.truncate is None:
            return self._base_scipy()
        a, b = ((t - self.mu) / self.sd for t in self.truncate)
        return stats.truncnorm(a, b, loc=self.mu, scale=self.sd)


class LogNormal(Distribution):
    """Lognormal from ``median``+``gsd``, ``p05``+``p95`` or arithmetic ``mean``+``sd``."""

    family = "lognormal"
    spellings = (("median", "gsd"), ("p05", "p95"), ("mean", "sd"))

    def _setup(self, w, g):
        if "p05" in g:
            a, b = _num(g, "p05"), _num(g, "p95")
            _need(w, a > 0, "lognormal needs p05 > 0", f"p05={_fmt(a)}", "use normal, or p05 > 0")
            _need(
                w, a < b, "lognormal needs p05 < p95", f"p05={_fmt(a)}, p95={_fmt(b)}", "swap them"
            )
            mu, s = 0.5 * (math.log(a) + math.log(b)), (math.log(b) - math.log(a)) / (2 * _Z95)
        elif "median" in g:
            m, gsd = _num(g, "median"), _num(g, "gsd")
            _need(w, m > 0, "lognormal needs median > 0", f"median={_fmt(m)}", "give median > 0")
            _need(
                w,
                gsd > 1,
                "lognormal needs gsd > 1",
                f"gsd={_fmt(gsd)}",
                "gsd = p95/median^(1/1.645)",
            )
            mu, s = math.log(m), math.log(gsd)
        else:
            m, sd = _num(g, "mean"), _num(g, "sd")
            _need(w, m > 0, "lognormal needs mean > 0", f"mean={_fmt(m)}", "give mean > 0")
            _need(w, sd > 0, "lognormal needs sd > 0", f"sd={_fmt(sd)}", "give a positive sd")
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
        return stats.lognorm(self.s, scale=math.exp(self.mu))


def _check_lmh(w, family, lo, mode, hi):
    _need(w, lo < hi, f"{family} needs low < high", f"low={_fmt(lo)}, high={_fmt(hi)}", "swap them")
    _need(
        w,
        lo <= mode <= hi,
        f"{family} needs low <= mode <= high",
        f"low={_fmt(lo)}, mode={_fmt(mode)}, high={_fmt(hi)}",
        "move mode inside [low, high]",
    )


class Triangular(Distribution):
    """Triangular on [low, high] with peak at ``mode``."""

    family = "triangular"
    spellings = (("low", "mode", "high"),)

    def _setup(self, w, g):
        lo, mode, hi = _num(g, "low"), _num(g, "mode"), _num(g, "high")
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
        return stats.triang(self.fc, loc=self.low, scale=self.high - self.low)


class _BetaLike(Distribution):
    """Shared exact kernels for beta-shaped families (scaled to [loc, loc + scale])."""

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
        return stats.beta(self.a, self.b, loc=self.loc, scale=self.scale)


class Pert(_BetaLike):
    """PERT (scaled beta) from ``low``, ``mode``, ``high`` and optional ``lambda`` (default 4)."""

    family = "pert"
    spellings = (("low", "mode", "high"),)
    optional = ("lambda",)

    def _setup(self, w, g):
        lo, mode, hi = _num(g, "low"), _num(g, "mode"), _num(g, "high")
        lam = float(g.get("lambda", 4.0))
        _check_lmh(w, "pert", lo, mode, hi)
        _need(w, lam > 0, "pert needs lambda > 0", f"lambda={_fmt(lam)}", "use the default 4")
        r = hi - lo
        self._set(
            a=1 + lam * (mode - lo) / r, b=1 + lam * (hi - mode) / r, loc=lo, scale=r, lam=lam
        )


def _fit_beta_quantiles(p05: float, p95: float) -> tuple[float, float] | None:
    """Beta(a, b) with the given 5% and 95% quantiles, or None if the fit fails."""
    m = 0.5 * (p05 + p95)
    sd = min((p95 - p05) / (2 * _Z95), 0.9 * math.sqrt(m * (1 - m)))
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
            a, b = _num(g, "alpha"), _num(g, "beta")
            _need(
                w,
                a > 0 and b > 0,
                "beta needs alpha > 0 and beta > 0",
                f"alpha={_fmt(a)}, beta={_fmt(b)}",
                "give positive shape parameters",
            )
        elif "mean" in g:
            m, sd = _num(g, "mean"), _num(g, "sd")
            _need(w, 0 < m < 1, "beta needs 0 < mean < 1", f"mean={_fmt(m)}", "give a share")
            _need(w, sd > 0, "beta needs sd > 0", f"sd={_fmt(sd)}", "give a positive sd")
            lim = math.sqrt(m * (1 - m))
            _need(
                w,
                sd < lim,
                f"beta with mean={_fmt(m)} needs sd < sqrt(mean(1-mean)) = {lim:.4g}",
                f"sd={_fmt(sd)}",
                "reduce sd",
            )
            k = m * (1 - m) / sd**2 - 1
            a, b = m * k, (1 - m) * k
        else:
            p05, p95 = _num(g, "p05"), _num(g, "p95")
            _need(
                w,
                p05 > 0 and p95 < 1,
                "beta needs 0 < p05 and p95 < 1",
                f"p05={_fmt(p05)}, p95={_fmt(p95)}",
                "give shares strictly inside (0, 1)",
            )
            _need(
                w,
                p05 < p95,
                "beta needs p05 < p95",
                f"p05={_fmt(p05)}, p95={_fmt(p95)}",
                "swap them",
            )
            fit = _fit_beta_quantiles(p05, p95)
            _need(
                w,
                fit is not None,
                "no beta distribution has these quantiles",
                f"p05={_fmt(p05)}, p95={_fmt(p95)}",
                "use alpha+beta or mean+sd",
            )
            a, b = fit
        self._set(a=a, b=b, loc=0.0, scale=1.0)


class Gamma(Distribution):
    """Gamma from ``shape``+``scale`` or ``mean``+``sd``."""

    family = "gamma"
    spellings = (("shape", "scale"), ("mean", "sd"))
    tabulated = True

    def _setup(self, w, g):
        if "shape" in g:
            k, th = _num(g, "shape"), _num(g, "scale")
            _need(
                w,
                k > 0 and th > 0,
                "gamma needs shape > 0 and scale > 0",
                f"shape={_fmt(k)}, scale={_fmt(th)}",
                "give positive numbers",
            )
        else:
            m, sd = _num(g, "mean"), _num(g, "sd")
            _need(w, m > 0, "gamma needs mean > 0", f"mean={_fmt(m)}", "give mean > 0")
            _need(w, sd > 0, "gamma needs sd > 0", f"sd={_fmt(sd)}", "give a positive sd")
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
        return stats.gamma(self.k, scale=self.theta)


class Discrete(Distribution):
    """Finite distribution: ``values`` with ``weights`` summing to 1 (within 1e-9)."""

    family = "discrete"
    spellings = (("values", "weights"),)
    continuous = False

    def _setup(self, w, g):
        v = np.asarray(g["values"], dtype=float)
        p = np.asarray(g["weights"], dtype=float)
        _need(
            w,
            v.size == p.size,
            "discrete needs as many weights as values",
            f"{v.size} values, {p.size} weights",
            "give one weight per value",
        )
        _need(
            w,
            bool(np.all(p >= 0)),
            "discrete needs weights >= 0",
            f"weights={_fmt(list(p))}",
            "remove negative weights",
        )
        s = float(p.sum())
        _need(
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

    family = "bernoulli"
    spellings = (("p",),)
    continuous = False

    def _setup(self, w, g):
        p = _num(g, "p")
        _need(w, 0 <= p <= 1, "bernoulli needs 0 <= p <= 1", f"p={_fmt(p)}", "give a probability")
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
        return stats.bernoulli(self.prob)


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


def from_spec(spec: Mapping[str, Any], where: Any = None) -> Distribution:
    """Build a distribution from a spec table with a ``dist`` key (or ``value`` alone = fixed).

    Examples
    --------
    >>> from_spec({"dist": "lognormal", "p05": 10, "p95": 30}).describe()
    'lognormal(p05=10, p95=30)'
    """
    w = _where(where)
    name = spec.get("dist")
    if name is None:
        if "value" in spec:
            name = "fixed"
        else:
            raise w.error(
                "no distribution", "no 'dist' key", f"add dist = one of {', '.join(FAMILIES)}"
            )
    if isinstance(name, str) and name in COMBINERS:
        return COMBINERS[name].from_spec(spec, w)
    if not isinstance(name, str) or name not in FAMILIES:
        close = difflib.get_close_matches(str(name), list(FAMILIES), n=1, cutoff=0.5)
        fix = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(FAMILIES)}"
        raise w.error("unknown distribution", f"dist={name!r}", fix)
    return FAMILIES[name].from_spec(spec, w)


# --------------------------------------------------------------------------- expert pooling
@dataclass(frozen=True)
class Expert:
    """One expert judgement inside a pooled parameter: name, weight, distribution, source."""

    name: str
    weight: float
    dist: Distribution
    source: str = ""

    def describe(self) -> str:
        return f"{self.name} {_fmt(self.weight)} {self.dist.describe()}"


def _frozen(d: Distribution):
    """The component's untruncated scipy.stats distribution, frozen once and cached."""
    fz = d._p.get("_frozen")
    if fz is None:
        fz = d._p["_frozen"] = d._base_scipy()
    return fz


def _comp_pdf(d: Distribution, x: np.ndarray) -> np.ndarray:
    """Density of a continuous component (after truncation)."""
    f = _frozen(d).pdf(x)
    if d.truncate is not None:
        lo, hi = d.truncate
        f = np.where((x >= lo) & (x <= hi), f / d.f_w, 0.0)
    return f


def _comp_logpdf(d: Distribution, x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        lf = _frozen(d).logpdf(x)
        if d.truncate is not None:
            lo, hi = d.truncate
            lf = np.where((x >= lo) & (x <= hi), lf - math.log(d.f_w), -np.inf)
    return lf


def _comp_sf(d: Distribution, x: np.ndarray) -> np.ndarray:
    if d.truncate is None:
        return d._base_sf(x)
    xc = np.clip(x, d.truncate[0], d.truncate[1])
    return np.clip((d._base_sf(xc) - d.s_hi) / d.f_w, 0.0, 1.0)


def _comp_isf(d: Distribution, s: np.ndarray) -> np.ndarray:
    if d.truncate is None:
        return d._base_isf_exact(s)
    return d._base_isf_exact(d.s_hi + s * d.f_w)


class _PoolTable(_QuantileTable):
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
            h = 2.0 * _T_MAX / k
            t = np.linspace(-_T_MAX, _T_MAX, k + 1)
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
                c = min(int((tb + _T_MAX) / h), k - 1)
                fb = (tb + _T_MAX) / h - c
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
        self.inv_h = k / (2.0 * _T_MAX)
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

    family = "pool"
    tabulated = True
    methods: ClassVar[tuple[str, ...]] = ("linear", "log")

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], where: Any = None) -> Pool:
        w = _where(where)
        _check_keys(
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
                _fmt(experts_raw),
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
            ew = _Where(w.file, f"{w.key} expert '{name}'" if w.key else f"expert '{name}'")
            if not isinstance(name, str):
                raise ew.error("expert name must be a string", _fmt(name))
            wt = e.get("weight")
            if not _is_number(wt) or not math.isfinite(wt) or wt <= 0:
                raise ew.error(
                    "expert weight must be a positive number", f"weight={_fmt(wt)}", "give w > 0"
                )
            src = e.get("source", "")
            if not isinstance(src, str):
                raise ew.error("expert source must be a string", _fmt(src))
            dspec = {k: v for k, v in e.items() if k not in ("name", "weight", "source", "notes")}
            if dspec.get("dist") == "pool":
                raise ew.error("pools cannot be nested", "dist='pool'", "list every expert once")
            d = from_spec(dspec, ew)
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
                "weights " + " + ".join(_fmt(e.weight) for e in experts) + f" = {total:.12g}",
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
        obj._set(method=method, experts=tuple(experts))
        if method == "log":
            lo = max(e.dist.support[0] for e in experts)
            hi = min(e.dist.support[1] for e in experts)
            if not lo < hi:
                sup = "; ".join(
                    f"{e.name} ({_fmt(e.dist.support[0])}, {_fmt(e.dist.support[1])})"
                    for e in experts
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
        return self._p["experts"]

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
            return sum(e.weight * _comp_pdf(e.dist, x) for e in self.experts)
        lo, hi = self.support
        with np.errstate(invalid="ignore"):
            lg = sum(e.weight * _comp_logpdf(e.dist, x) for e in self.experts)
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
            qs = np.array([_comp_isf(d, p) for d in ds])

            def g(x, pp, _):
                return pp - sum(wi * _comp_sf(d, x) for wi, d in zip(w, ds, strict=True))
        else:
            qs = np.array([d._trunc_exact(p) if d.truncate else d._base_ppf_exact(p) for d in ds])

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
        if self._p.get("log_z_scale"):
            with np.errstate(divide="ignore"):
                return np.log(np.maximum(x, 0.0))
        return np.asarray(x, dtype=float)

    def _from_z(self, z):
        return np.exp(z) if self._p.get("log_z_scale") else z

    def _log_integrate(self, n: int, z0: float, z1: float):
        from scipy.integrate import cumulative_simpson

        z = np.linspace(z0, z1, n + 1)
        x = self._from_z(z)
        lg = sum(e.weight * _comp_logpdf(e.dist, x) for e in self.experts)
        if self._p.get("log_z_scale"):
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
        qhi = max(float(_comp_isf(d, np.array([eps]))[0]) for d in ds)
        a, b = max(lo, qlo), min(hi, qhi)
        log_scale = a > 0 and b / a > 50
        self._p["log_z_scale"] = log_scale
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
    Regressing net benefit on this indicator (e.g. ``model.voi.evppi``) then gives the value
    of learning which expert is right. (Assigning the expert by the interval of the cumulative
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
    post = np.array([e.weight * _comp_pdf(e.dist, x) for e in dist.experts])
    tot = post.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum = np.cumsum(post, axis=0) / np.where(tot > 0, tot, 1.0)
    v = np.random.default_rng(rng).random(x.shape)
    idx = (cum < v).sum(axis=0)
    return np.minimum(idx, len(dist.experts) - 1).astype(np.intp)
