"""Parameters as immutable value objects: :class:`Parameter`, :class:`Correlation` and
:class:`ParameterSet` (the Gaussian-copula transform from the unit hypercube to data units,
``replace``, tables and dict round trips). Reading them from TOML files is
:mod:`model.inputs.paramfiles`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import special

from model.errors import ParamFileError
from model.inputs.distributions import Distribution, Expert, expert_index, from_spec
from model.inputs.distributions.base import PYTHON, format_value

__all__ = [
    "KINDS",
    "Correlation",
    "Parameter",
    "ParameterSet",
    "check_kind",
    "expert_indicators",
    "freeze",
    "pearson_matrix",
    "short_description",
]

_INF = math.inf
#: Allowed kinds and the interval their values must lie in.
KINDS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "share": (0.0, 1.0),
        "probability": (0.0, 1.0),
        "count": (0.0, _INF),
        "money": (0.0, _INF),
        "money_per_year": (0.0, _INF),
        "money_per_entity": (0.0, _INF),
        "hours": (0.0, _INF),
        "years": (0.0, _INF),
        "ratio": (0.0, _INF),
        "multiplier": (0.0, _INF),
        "elasticity_abs": (0.0, _INF),
        "rate": (-1.0, _INF),
        "real": (-_INF, _INF),
    }
)


# --------------------------------------------------------------------------- value objects
def short_description(text: str, limit: int = 60, *, lower: bool = True) -> str:
    """A parameter description short enough for a sentence: no parentheses, cut at a word.

    ``lower`` lower-cases the first letter unless it starts an acronym.

    Examples
    --------
    >>> short_description("Share of reachable (in-jurisdiction, non-malicious) risk deterred")
    'share of reachable risk deterred'
    >>> short_description("Early growth rate of downstream developers (logistic)", 31)
    'early growth rate of downstream…'
    >>> short_description("LLM uplift share")
    'LLM uplift share'
    """
    t = re.sub(r"\s*\([^()]*\)", "", str(text or "")).strip()
    t = re.sub(r"\s+", " ", t).rstrip(" ,;:.")
    if len(t) > limit:
        cut = t[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
        t = (cut or t[:limit]) + "…"
    if lower and len(t) > 1 and t[0].isupper() and not t[1].isupper():
        t = t[0].lower() + t[1:]
    return t


@dataclass(frozen=True)
class Parameter:
    """One uncertain (or fixed) input: its metadata, distribution and the file it came from."""

    name: str
    description: str
    unit: str
    kind: str
    source: str
    dist: Distribution
    file: str

    @property
    def is_fixed(self) -> bool:
        return self.dist.is_fixed

    @property
    def experts(self) -> tuple[Expert, ...]:
        """The expert judgements pooled into this parameter (``dist = "pool"``), else ``()``.

        Each is an :class:`~model.inputs.distributions.Expert`: ``name``, ``weight``, ``dist``
        (a Distribution; ``dist.describe()`` for text) and ``source``.
        """
        return getattr(self.dist, "experts", ())

    def __str__(self) -> str:
        return f"{self.name} = {self.dist.describe()} [{self.unit}]"


@dataclass(frozen=True)
class Correlation:
    """A Spearman rank correlation ``rho`` between parameters ``a`` and ``b``."""

    a: str
    b: str
    rho: float
    source: str = ""
    file: str = field(default="", compare=False)


def freeze(x: Any) -> Any:
    if isinstance(x, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in x.items()})
    if isinstance(x, list):
        return tuple(freeze(v) for v in x)
    return x


def _thaw(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {k: _thaw(v) for k, v in x.items()}
    return x


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class ParameterSet(Mapping):
    """An immutable, validated collection of parameters (a read-only mapping name -> Parameter).

    Use :func:`load_params` to build one; :meth:`replace` returns a modified copy.
    :meth:`transform` maps the unit hypercube to data units (Gaussian copula, then each
    parameter's inverse CDF); sampling and sensitivity analysis both go through it.
    """

    name: str
    names: tuple[str, ...]
    parameters: Mapping[str, Parameter]
    correlations: tuple[Correlation, ...] = ()
    structure: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    structure_files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    files: tuple[str, ...] = ()
    file_hashes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    title: str = ""
    extends: str | None = None
    scenarios: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        uncertain = tuple(n for n in self.names if not self.parameters[n].is_fixed)
        pos = {n: i for i, n in enumerate(uncertain)}
        active = [c for c in self.correlations if c.a in pos and c.b in pos]
        idx = sorted({pos[c.a] for c in active} | {pos[c.b] for c in active})
        chol = None
        if idx:
            r = pearson_matrix(active, [uncertain[i] for i in idx])
            chol = _readonly(np.linalg.cholesky(r))
        object.__setattr__(self, "_uncertain", uncertain)
        object.__setattr__(self, "_corr_idx", _readonly(np.array(idx, dtype=np.intp)))
        object.__setattr__(self, "_chol", chol)

    # pickling (mapping proxies are not picklable: ship plain dicts, re-freeze on arrival)
    def __getstate__(self) -> dict:
        return {k: _thaw(v) for k, v in self.__dict__.items()}

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, freeze(v) if isinstance(v, dict) else v)

    # Mapping interface
    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise self._unknown(name) from None

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def __hash__(self) -> int:
        return hash((self.name, self.names, tuple(self.file_hashes.items())))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParameterSet):
            return NotImplemented
        return (
            self.names == other.names
            and all(self.parameters[n].dist == other.parameters[n].dist for n in self.names)
            and self.correlations == other.correlations
        )

    @property
    def uncertain_names(self) -> tuple[str, ...]:
        """Names of parameters that are not fixed (one random dimension each), in order."""
        return self._uncertain

    def uncertain_frame(self, draws: np.ndarray):
        """The uncertain parameters' columns of ``draws`` (rows of every parameter, in
        :attr:`names` order) as a pandas DataFrame: a run's inputs, as analyses read them."""
        import pandas as pd

        columns = [self.names.index(n) for n in self._uncertain]
        return pd.DataFrame(draws[:, columns], columns=list(self._uncertain))

    def _unknown(self, name: str) -> ParamFileError:
        close = difflib.get_close_matches(name, self.names, n=1)
        fix = f"did you mean '{close[0]}'?" if close else "check the parameter files"
        return ParamFileError(PYTHON, name, "unknown parameter", f"{len(self)} parameters", fix)

    # ------------------------------------------------------------------ modification
    def replace(self, **changes: Any) -> ParameterSet:
        """Copy with some distributions replaced.

        A number means fixed; a dict spec (``{"dist": "uniform", "low": 0, "high": 1}``) or a
        :class:`~model.inputs.distributions.Distribution` gives a new distribution; kinds are
        checked.
        """
        params = dict(self.parameters)
        for name, new in changes.items():
            if name not in self.parameters:
                raise self._unknown(name)
            old = self.parameters[name]
            if isinstance(new, Distribution):
                dist = new
            elif isinstance(new, Mapping):
                dist = from_spec(new, (PYTHON, name))
            elif isinstance(new, (int, float, np.integer, np.floating)) and not isinstance(
                new, bool
            ):
                dist = from_spec({"value": float(new)}, (PYTHON, name))
            else:
                raise ParamFileError(
                    PYTHON,
                    name,
                    "replace() takes a number, a dict spec or a Distribution",
                    f"{type(new).__name__}",
                    "e.g. replace(x=3) or replace(x={'dist': ...})",
                )
            err = check_kind(PYTHON, name, old.kind, dist)
            if err is not None:
                raise err
            params[name] = Parameter(
                name,
                old.description,
                old.unit,
                old.kind,
                "set in Python via replace()",
                dist,
                PYTHON,
            )
        return ParameterSet(
            name=self.name,
            names=self.names,
            parameters=MappingProxyType(params),
            correlations=self.correlations,
            structure=self.structure,
            structure_files=self.structure_files,
            files=self.files,
            file_hashes=self.file_hashes,
            title=self.title,
            extends=self.extends,
            scenarios=self.scenarios,
        )

    # ------------------------------------------------------------------ unit cube -> data
    def transform(self, u: np.ndarray) -> np.ndarray:
        """Map points of the unit hypercube to data units.

        Parameters
        ----------
        u : ndarray, shape (m, d)
            Uniforms in (0, 1); ``d`` is either ``len(self)`` (columns of fixed parameters are
            ignored) or ``len(self.uncertain_names)`` (one column per uncertain parameter).

        Returns
        -------
        ndarray, shape (m, len(self))
            Draws in data units, columns in ``self.names`` order. Correlated parameters go
            through the Gaussian copula first (rank correlations as declared).
        """
        u = np.asarray(u, dtype=float)
        if u.ndim != 2:
            raise ValueError(f"transform needs a 2-D array (m, d); got shape {u.shape}")
        d_all, d_unc = len(self.names), len(self._uncertain)
        if u.shape[1] == d_all and d_all != d_unc:
            cols = [i for i, n in enumerate(self.names) if not self.parameters[n].is_fixed]
            u = u[:, cols]
        elif u.shape[1] != d_unc:
            raise ValueError(
                f"transform needs {d_all} or {d_unc} columns (all or uncertain parameters); "
                f"got {u.shape[1]}"
            )
        ut = np.array(u.T, dtype=float, order="C")
        return self.transform_rows(ut).T

    def transform_rows(self, ut: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """:meth:`transform` on uniforms laid out (d_uncertain, m), C-ordered, modified in place
        (the sampler fills rows of a run's table with it, no copies).

        Returns an array of shape (len(self), m).
        """
        z = None
        if self._chol is not None:
            # einsum, not @: a BLAS product this small only spins threads (4x the CPU time
            # with a dozen correlated parameters)
            z = np.einsum("ij,jm->im", self._chol, special.ndtri(ut[self._corr_idx]))
            zrow = {int(k): r for r, k in enumerate(self._corr_idx)}
        m = ut.shape[1]
        if out is None:
            out = np.empty((len(self.names), m))
        k = 0
        for j, n in enumerate(self.names):
            dist = self.parameters[n].dist
            if dist.is_fixed:
                out[j] = dist.value
                continue
            if z is not None and k in zrow:
                out[j] = dist.ppf_from_normal(z[zrow[k]])
            else:
                out[j] = dist.ppf(ut[k])
            k += 1
        return out

    # ------------------------------------------------------------------ display
    def to_frame(self):
        """One row per parameter: name, description, unit, kind, distribution, p05, median, p95,
        source, file (pandas DataFrame)."""
        import pandas as pd

        rows = []
        for n in self.names:
            p = self.parameters[n]
            q = p.dist.ppf(np.array([0.05, 0.5, 0.95]), exact=True)
            rows.append(
                {
                    "name": n,
                    "description": p.description,
                    "unit": p.unit,
                    "kind": p.kind,
                    "distribution": p.dist.describe(),
                    "p05": q[0],
                    "median": q[1],
                    "p95": q[2],
                    "source": p.source,
                    "file": p.file,
                }
            )
        cols = ["name", "description", "unit", "kind", "distribution"]
        cols += ["p05", "median", "p95", "source", "file"]
        return pd.DataFrame(rows, columns=cols)

    def experts_frame(self):
        """One row per expert judgement of every pooled parameter: parameter, method, expert,
        weight, distribution, source (pandas DataFrame; empty if nothing is pooled)."""
        import pandas as pd

        rows = [
            {
                "parameter": n,
                "method": self.parameters[n].dist.method,
                "expert": e.name,
                "weight": e.weight,
                "distribution": e.dist.describe(),
                "source": e.source,
            }
            for n in self.names
            for e in self.parameters[n].experts
        ]
        cols = ["parameter", "method", "expert", "weight", "distribution", "source"]
        return pd.DataFrame(rows, columns=cols)

    def _repr_html_(self) -> str:
        head = f"<p><b>ParameterSet {self.name}</b>: {self.summary()}</p>"
        return head + self.to_frame().drop(columns=["file"]).to_html(index=False)

    def summary(self) -> str:
        """E.g. ``62 parameters (58 uncertain), 3 correlations, extends none``."""
        return (
            f"{len(self)} parameters ({len(self._uncertain)} uncertain), "
            f"{len(self.correlations)} correlations, extends {self.extends or 'none'}"
        )

    def __str__(self) -> str:
        rows = [("name", "distribution", "p05", "median", "p95", "unit")]
        for n in self.names:
            p = self.parameters[n]
            q = p.dist.ppf(np.array([0.05, 0.5, 0.95]), exact=True)
            rows.append((n, p.dist.describe(), *(f"{x:.4g}" for x in q), p.unit))
        widths = [min(max(len(r[i]) for r in rows), 48) for i in range(6)]
        lines = [f"ParameterSet {self.name}: {self.summary()}"]
        for r in rows:
            lines.append("  ".join(c[:48].ljust(w) for c, w in zip(r, widths, strict=True)))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ParameterSet {self.name}: {self.summary()}>"


def pearson_matrix(corrs: Iterable[Correlation], names: list[str]) -> np.ndarray:
    """Pearson correlations of the normal scores that give the declared rank correlations."""
    pos = {n: i for i, n in enumerate(names)}
    r = np.eye(len(names))
    for c in corrs:
        i, j = pos[c.a], pos[c.b]
        r[i, j] = r[j, i] = 2.0 * math.sin(math.pi * c.rho / 6.0)
    return r


def expert_indicators(params: ParameterSet, draws: Any, *, rng: Any = 0):
    """Per-draw expert index of every linearly pooled parameter, for EVPPI on the disagreement.

    Parameters
    ----------
    params : ParameterSet
    draws : Draws or DataFrame
        Draws in data units with one column per parameter (``model.sample(...)`` output).
    rng : seed or SeedSequence
        Seeds the one uniform per draw that picks the expert from its posterior given the
        value (see :func:`model.inputs.distributions.expert_index`); one independent stream per
        parameter.

    Returns
    -------
    DataFrame (n, number of linear pools)
        Column ``NAME`` holds 0-based indices into ``params[NAME].experts``. Pass it to
        ``model.voi.evppi(nb, frame)``: the EVPPI of a column is the value of learning which
        expert is right.
    """
    import pandas as pd

    frame = draws.to_frame() if hasattr(draws, "to_frame") else pd.DataFrame(draws)
    pooled = [n for n in params.names if params[n].experts and params[n].dist.method == "linear"]
    seeds = np.random.SeedSequence(rng).spawn(len(pooled)) if pooled else []
    out = {}
    for n, ss in zip(pooled, seeds, strict=True):
        if n not in frame.columns:
            raise ParamFileError(PYTHON, n, "no column for this pooled parameter in the draws")
        out[n] = expert_index(params[n].dist, frame[n].to_numpy(dtype=float), rng=ss)
    return pd.DataFrame(out, index=frame.index)


def _interval(lo: float, hi: float) -> str:
    left = "(" if lo == -_INF else "["
    right = ")" if hi == _INF else "]"
    return f"{left}{format_value(lo)}, {format_value(hi)}{right}"


def check_kind(f: str, name: str, kind: str, dist: Distribution) -> ParamFileError | None:
    lo, hi = KINDS[kind]
    a, b = dist.support
    if a >= lo and b <= hi:
        return None
    outside = [
        e.name
        for e in getattr(dist, "experts", ())
        if e.dist.support[0] < lo or e.dist.support[1] > hi
    ]
    if outside:
        fix = f"truncate = {_interval(lo, hi)} in the table of expert '{outside[0]}'"
        fix = fix.replace("inf)", "<max>]").replace("(-inf", "[<min>")
    elif kind in ("share", "probability"):
        fix = "use beta, or truncate = [0, 1]"
    elif lo == 0:
        fix = "use lognormal, gamma or loguniform, or truncate = [0, <max>]"
    else:
        fix = "truncate = [-1, <max>]"
    return ParamFileError(
        f,
        name,
        f"kind '{kind}' needs support inside {_interval(lo, hi)}",
        f"{dist.describe()} with support ({format_value(a)}, {format_value(b)})",
        fix,
    )
