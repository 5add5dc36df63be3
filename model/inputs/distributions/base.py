"""The distribution interface and the quantile tables behind the fast inverse CDFs.

Each family is a small frozen class with one interface: ``ppf(u)`` maps uniforms in (0, 1) to
data units, plus ``cdf``, ``pdf``, ``sf``, ``isf``, ``support``, ``mean``, ``var``, ``describe``
and ``to_scipy``; its parameters (``mu``, ``sd``, ``low``, ...) are plain attributes.

Speed: normal and lognormal use ``scipy.special.ndtri``; uniform, loguniform, triangular,
discrete and bernoulli use closed forms or ``np.searchsorted``. Beta, gamma and PERT (whose exact
inverse CDFs cost about 1 us a value) use a quantile table built once per distribution on a
uniform grid in ``t = logit(u)``, read by direct index and linear interpolation; the table's
maximum absolute error (``table_error``) is measured when it is built and is at most
``TABLE_RTOL`` times the distribution's 1%-99% range. ``ppf(u, exact=True)`` is the exact path.
Tables are kept on disk between processes (:mod:`~model.inputs.distributions.table_cache`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, ClassVar

import numpy as np
from scipy import special

from model.errors import ParamFileError
from model.inputs.distributions import table_cache

#: Smallest and largest uniforms used anywhere (open interval, so unbounded ppfs stay finite).
U_MIN = 2.0**-53
U_MAX = 1.0 - 2.0**-53
#: Quantile tables are refined until their error is below this share of the 1%-99% range.
TABLE_RTOL = 1e-6
T_MAX = math.log(U_MAX / U_MIN)  # logit range covered by quantile tables (about 36.74)
Z95 = 1.6448536269514722  # standard normal 95% quantile
PYTHON = "<python>"


def format_value(x: Any) -> str:
    """Format a number or list compactly for messages and descriptions."""
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in x) + "]"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return repr(x)


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


@dataclass(frozen=True, eq=False)
class Where:
    file: str
    key: str | None

    def error(self, problem: str, got: str | None = None, fix: str | None = None):
        return ParamFileError(self.file, self.key, problem, got, fix)


def as_where(where: Any) -> Where:
    if isinstance(where, Where):
        return where
    if where is None:
        return Where(PYTHON, None)
    if isinstance(where, tuple):
        return Where(str(where[0]), None if where[1] is None else str(where[1]))
    return Where(PYTHON, str(where))


def check_keys(w: Where, spec: Mapping[str, Any], allowed: set, what: str, takes: str) -> None:
    """One-line error for the first key of ``spec`` not in ``allowed``, with a close match."""
    for k in spec:
        if k not in allowed:
            pct = re.fullmatch(r"p(\d)", k)  # p5 -> p05, not p95
            close = [f"p0{pct[1]}"] if pct and f"p0{pct[1]}" in allowed else []
            close = close or difflib.get_close_matches(k, sorted(allowed), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise w.error(
                f"unknown key '{k}' for {what}", f"{k}={format_value(spec[k])}", hint + takes
            )


class QuantileTable:
    """Linear interpolation of a quantile function on a uniform grid in ``t = logit(u)``.

    Nodes cover ``t`` in ``[-T, T]`` with ``T = logit(1 - 2**-53)``; the upper half is computed
    from the survival side (``isf``) so nothing is lost near ``u = 1``. ``error`` is 1.5 times the
    largest error observed at interval midpoints plus a rounding allowance: the stated bound.
    """

    def __init__(self, exact_lower, exact_upper, scale: float, rtol: float = TABLE_RTOL):
        k = 2**13
        while True:
            t = np.linspace(-T_MAX, T_MAX, k + 1)
            q = self._eval(t, exact_lower, exact_upper)
            tm = 0.5 * (t[:-1] + t[1:])
            qm = self._eval(tm, exact_lower, exact_upper)
            err = float(np.max(np.abs(0.5 * (q[:-1] + q[1:]) - qm)))
            if err <= rtol * scale or k >= 2**17:
                break
            k *= 2
        self._set(q, 1.5 * err + 8.0 * np.finfo(float).eps * float(np.max(np.abs(q))))

    @classmethod
    def from_nodes(cls, q: np.ndarray, error: float) -> QuantileTable:
        """The table with nodes ``q`` and stated ``error`` (as built before, e.g. cached)."""
        table = cls.__new__(cls)
        table._set(np.asarray(q, dtype=float), float(error))
        return table

    def _set(self, q: np.ndarray, error: float) -> None:
        self.k = len(q) - 1
        self.q = q
        self.slope = np.append(np.diff(q), 0.0)
        self.inv_h = self.k / (2.0 * T_MAX)
        self.error = error

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
        x += T_MAX
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
        w = as_where(where)
        keys = {k: v for k, v in spec.items() if k != "dist"}
        allowed = {k for s in cls.spellings for k in s} | set(cls.optional)
        if cls.continuous:
            allowed.add("truncate")
        spell_txt = " | ".join("+".join(s) for s in cls.spellings)
        check_keys(
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
                ", ".join(f"{k}={format_value(keys[k])}" for k in keys if k in set(a) | set(b)),
                "keep one spelling",
            )
        spelling = touched[0] if touched else cls.spellings[0]
        missing = [k for k in spelling if k not in keys]
        if missing:
            others = [("+".join(s)) for s in cls.spellings if s != spelling]
            got = (
                ", ".join(f"{k}={format_value(v)}" for k, v in keys.items())
                or "no distribution keys"
            )
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
    def _check_value(cls, w: Where, k: str, v: Any) -> None:
        if k in ("values", "weights", "truncate"):
            if not isinstance(v, (list, tuple)) or not v:
                raise w.error(
                    f"'{k}' must be a non-empty list of numbers",
                    format_value(v),
                    f"write {k} = [...]",
                )
            if k == "truncate" and len(v) != 2:
                raise w.error(
                    "truncate needs [lo, hi]", format_value(v), "give two numbers in data units"
                )
            items = v
        else:
            items = [v]
        for x in items:
            if not is_number(x):
                raise w.error(f"'{k}' must be a number", f"{k}={x!r}", "write a plain number")
            if math.isnan(x):
                raise w.error(f"'{k}' is NaN", f"{k}={format_value(v)}", "give a finite number")
            if math.isinf(x):
                raise w.error(
                    f"'{k}' is infinite", f"{k}={format_value(v)}", "give a finite number"
                )

    def _setup(self, w: Where, g: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set(self, **kw: Any) -> None:
        """Store derived parameters as attributes (set once, while building)."""
        for k, v in kw.items():
            object.__setattr__(self, k, v)

    def _setup_truncation(self, w: Where) -> None:
        lo, hi = self.truncate
        if not lo < hi:
            raise w.error(
                "truncate needs lo < hi",
                f"truncate={format_value([lo, hi])}",
                "write truncate = [lo, hi]",
            )
        f_lo = float(self._base_cdf(np.array([lo]))[0])
        f_hi = float(self._base_cdf(np.array([hi]))[0])
        s_hi = float(self._base_sf(np.array([hi]))[0])
        if not f_hi - f_lo > 0:
            raise w.error(
                f"truncate {format_value([lo, hi])} has zero probability under {self.describe()}",
                f"P(lo < x < hi)={f_hi - f_lo:.3g}",
                "widen the truncation or move the distribution",
            )
        self._set(f_lo=f_lo, f_w=f_hi - f_lo, s_hi=s_hi)

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

    def sf(self, x: np.ndarray) -> np.ndarray:
        """Survival function (after truncation), vectorised."""
        x = np.asarray(x, dtype=float)
        if self.truncate is None:
            return self._base_sf(x)
        xc = np.clip(x, self.truncate[0], self.truncate[1])
        return np.clip((self._base_sf(xc) - self.s_hi) / self.f_w, 0.0, 1.0)

    def isf(self, s: np.ndarray) -> np.ndarray:
        """Inverse survival function (after truncation), exact."""
        s = np.asarray(s, dtype=float)
        if self.truncate is None:
            return self._base_isf_exact(s)
        return self._base_isf_exact(self.s_hi + s * self.f_w)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density of a continuous distribution (after truncation)."""
        f = self._scipy_base.pdf(x)
        if self.truncate is not None:
            lo, hi = self.truncate
            f = np.where((x >= lo) & (x <= hi), f / self.f_w, 0.0)
        return f

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density of a continuous distribution (after truncation)."""
        with np.errstate(divide="ignore"):
            lf = self._scipy_base.logpdf(x)
            if self.truncate is not None:
                lo, hi = self.truncate
                lf = np.where((x >= lo) & (x <= hi), lf - math.log(self.f_w), -np.inf)
        return lf

    @cached_property
    def _scipy_base(self):
        """The untruncated scipy.stats distribution, frozen once."""
        return self._base_scipy()

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
        parts = [f"{k}={format_value(v)}" for k, v in self.given]
        if self.truncate is not None:
            parts.append(f"truncate={format_value(list(self.truncate))}")
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
    def _table(self) -> QuantileTable:
        try:
            hash(self)
        except TypeError:  # a spec with unhashable values: not shared
            return self._build_table()
        return _shared_table(self)

    def _build_table(self) -> QuantileTable:
        """The table, from the disk cache when it holds this spec's (see ``table_cache``)."""
        spec = f"{self.family}|{self.given!r}|{self.truncate!r}"
        stored = table_cache.load(spec)
        if stored is not None:
            return QuantileTable.from_nodes(*stored)
        table = self._new_table()
        table_cache.store(spec, table.q, table.error)
        return table

    def _new_table(self) -> QuantileTable:
        if self.truncate is None:
            lower, upper = self._base_ppf_exact, self._base_isf_exact
        else:

            def lower(u):
                return self._base_ppf_exact(self.f_lo + u * self.f_w)

            def upper(s):
                return self._base_isf_exact(self.s_hi + s * self.f_w)

        q01, q99 = lower(np.array([0.01])), upper(np.array([0.01]))
        return QuantileTable(lower, upper, scale=float(q99[0] - q01[0]))

    # defaults for the untruncated distribution
    def _base_ppf_exact(self, u):
        return self._base_ppf(u)

    def _base_isf_exact(self, s):
        return self._base_ppf_exact(1.0 - s)

    def _base_sf(self, x):
        return 1.0 - self._base_cdf(x)


def number(g: dict, k: str) -> float:
    return float(g[k])


def order_fix(lo: float, hi: float) -> str:
    """The fix for a pair that must be increasing: swap them, or widen equal ones."""
    if lo > hi:
        return "swap them"
    return "make them differ (for a certain value write value = ... instead)"


def require(w: Where, ok: bool, problem: str, got: str, fix: str) -> None:
    if not ok:
        raise w.error(problem, got, fix)


@lru_cache(maxsize=128)
def _shared_table(dist: Distribution) -> QuantileTable:
    """One table per distinct spec (family, given keys, truncation) in a process: scenario
    and sweep points rebuild their parameter sets with mostly unchanged distributions."""
    return dist._build_table()
