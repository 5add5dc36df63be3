"""Parameter files (TOML) -> validated, immutable :class:`ParameterSet`.

A parameter file declares uncertain inputs under ``[parameters.NAME]`` (description, unit, kind,
source and a distribution), rank correlations under ``[[correlations]]`` and any other top-level
table as "structure" (harms, instruments, approaches, ...). Files combine by ``include`` (merge
fragments; defining anything twice is an error) and ``extends`` (a scenario overrides its base).
See docs/parameters.md for the format. Every mistake is a one-line :class:`ParamFileError`.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import special

from model.distributions import Distribution, Expert, _fmt, expert_index, from_spec
from model.errors import ParamFileError, ParamFileErrors

__all__ = [
    "KINDS",
    "Correlation",
    "Parameter",
    "ParameterSet",
    "expert_indicators",
    "load_params",
    "validate_files",
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
_META = ("description", "unit", "kind", "source")
_OPTIONAL_META = ("notes",)
_TOP_KEYS = ("title", "include", "extends", "parameters", "correlations")
_PY = "<python>"


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

        Each is an :class:`~model.distributions.Expert`: ``name``, ``weight``, ``dist``
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


def _freeze(x: Any) -> Any:
    if isinstance(x, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in x.items()})
    if isinstance(x, list):
        return tuple(_freeze(v) for v in x)
    return x


def _thaw(x: Any) -> Any:
    if isinstance(x, MappingProxyType):
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
            r = _pearson_matrix(active, [uncertain[i] for i in idx])
            chol = _readonly(np.linalg.cholesky(r))
        object.__setattr__(self, "_uncertain", uncertain)
        object.__setattr__(self, "_corr_idx", _readonly(np.array(idx, dtype=np.intp)))
        object.__setattr__(self, "_chol", chol)

    # pickling (mapping proxies are not picklable: ship plain dicts, re-freeze on arrival)
    def __getstate__(self) -> dict:
        return {k: _thaw(v) for k, v in self.__dict__.items()}

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, _freeze(v) if isinstance(v, dict) else v)

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

    def _unknown(self, name: str) -> ParamFileError:
        close = difflib.get_close_matches(name, self.names, n=1)
        fix = f"did you mean '{close[0]}'?" if close else "check the parameter files"
        return ParamFileError(_PY, name, "unknown parameter", f"{len(self)} parameters", fix)

    # ------------------------------------------------------------------ modification
    def replace(self, **changes: Any) -> ParameterSet:
        """Copy with some distributions replaced.

        A number means fixed; a dict spec (``{"dist": "uniform", "low": 0, "high": 1}``) or a
        :class:`~model.distributions.Distribution` gives a new distribution. Kinds are checked.
        """
        params = dict(self.parameters)
        for name, new in changes.items():
            if name not in self.parameters:
                raise self._unknown(name)
            old = self.parameters[name]
            if isinstance(new, Distribution):
                dist = new
            elif isinstance(new, Mapping):
                dist = from_spec(new, (_PY, name))
            elif isinstance(new, (int, float, np.integer, np.floating)) and not isinstance(
                new, bool
            ):
                dist = from_spec({"value": float(new)}, (_PY, name))
            else:
                raise ParamFileError(
                    _PY,
                    name,
                    "replace() takes a number, a dict spec or a Distribution",
                    f"{type(new).__name__}",
                    "e.g. replace(x=3) or replace(x={'dist': ...})",
                )
            err = _check_kind(_PY, name, old.kind, dist)
            if err is not None:
                raise err
            params[name] = Parameter(
                name, old.description, old.unit, old.kind, "set in Python via replace()", dist, _PY
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
        return self._transform_rows(ut).T

    def _transform_rows(self, ut: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Core of :meth:`transform` on a (d_uncertain, m) C-ordered array, modified in place.

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


def _pearson_matrix(corrs: Iterable[Correlation], names: list[str]) -> np.ndarray:
    pos = {n: i for i, n in enumerate(names)}
    r = np.eye(len(names))
    for c in corrs:
        i, j = pos[c.a], pos[c.b]
        r[i, j] = r[j, i] = 2.0 * math.sin(math.pi * c.rho / 6.0)
    return r


# --------------------------------------------------------------------------- loading
def _disp(path: Path) -> str:
    """Path as shown in messages: relative to the working directory when below it."""
    p = os.path.normpath(str(path))
    try:
        rel = os.path.relpath(p)
    except ValueError:  # pragma: no cover - other drive on Windows
        return p
    return rel if not rel.startswith("..") else p


class _Errors:
    """Raise at the first error, or collect them all (for ``validate_files``)."""

    def __init__(self, collect: bool) -> None:
        self.collect = collect
        self.items: list[ParamFileError] = []

    def add(self, err: ParamFileError) -> None:
        if not self.collect:
            raise err
        self.items.append(err)


@dataclass
class _Tree:
    """Raw, merged content of a file and everything it includes or extends."""

    params: dict[str, tuple[dict, str]] = field(default_factory=dict)
    corrs: list[tuple[dict, str]] = field(default_factory=list)
    structure: dict[str, Any] = field(default_factory=dict)
    sfiles: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    title: str = ""
    extends: str | None = None


def _read(path: Path, errs: _Errors, tree: _Tree) -> dict | None:
    f = _disp(path)
    raw = path.read_bytes()
    tree.files.append(f)
    tree.hashes[f] = hashlib.sha256(raw).hexdigest()
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        errs.add(ParamFileError(f, None, "not valid TOML", str(e), "fix the TOML syntax"))
        return None


def _load_tree(
    path: Path,
    errs: _Errors,
    chain: tuple[Path, ...] = (),
    via: str = "",
    use_extends: bool = True,
) -> _Tree | None:
    rp = path.resolve()
    if rp in chain:
        loop = " -> ".join(_disp(p) for p in (*chain, rp))
        errs.add(ParamFileError(_disp(chain[-1]), via, f"cyclic {via}", loop, f"remove one {via}"))
        return None
    if not rp.is_file():
        if chain:
            errs.add(
                ParamFileError(
                    _disp(chain[-1]),
                    via,
                    f"{via} file not found",
                    _disp(path),
                    f"paths are relative to {_disp(chain[-1])}; chain "
                    + " -> ".join(_disp(p) for p in (*chain, path)),
                )
            )
        else:
            errs.add(ParamFileError(_disp(path), None, "file not found", fix="check the path"))
        return None
    tree = _Tree()
    data = _read(path, errs, tree)
    if data is None:
        return None
    f = _disp(path)
    here = (*chain, rp)
    for k, v in data.items():
        if k not in _TOP_KEYS and not isinstance(v, dict) and not _is_table_list(v):
            errs.add(
                ParamFileError(
                    f,
                    k,
                    f"unknown top-level key '{k}'",
                    f"{k} = {_fmt(v)}",
                    "top-level keys are title, include, extends; put data in a [table]",
                )
            )
    title = data.get("title", "")
    if not isinstance(title, str):
        errs.add(ParamFileError(f, "title", "title must be a string", _fmt(title)))
        title = ""
    tree.title = title
    includes = data.get("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        errs.add(ParamFileError(f, "include", "include must be a list of paths", _fmt(includes)))
        includes = []
    ok = True
    for inc in includes:
        sub = _load_tree(path.parent / inc, errs, here, "include")
        if sub is None:
            ok = False
            continue
        _merge_include(tree, sub, errs)
    own = _Tree()
    _collect_own(data, f, own, errs)
    _merge_include(tree, own, errs)
    ext = data.get("extends")
    if ext is not None and not isinstance(ext, str):
        errs.add(ParamFileError(f, "extends", "extends must be one path", _fmt(ext)))
        ext = None
    if ext is not None and use_extends:
        base = _load_tree(path.parent / ext, errs, here, "extends")
        if base is None:
            return None
        tree = _override(base, tree, errs)
        tree.extends = base.files[0] if base.files else ext
    return tree if ok else None


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _collect_own(data: dict, f: str, tree: _Tree, errs: _Errors) -> None:
    params = data.get("parameters", {})
    if not isinstance(params, dict):
        errs.add(ParamFileError(f, "parameters", "parameters must be a table", _fmt(params)))
        params = {}
    for name, spec in params.items():
        if not isinstance(spec, dict):
            errs.add(
                ParamFileError(
                    f,
                    name,
                    "a parameter must be a table",
                    f"{name} = {_fmt(spec)}",
                    f"write [parameters.{name}] with description, unit, kind, source, dist",
                )
            )
            continue
        tree.params[name] = (spec, f)
    corrs = data.get("correlations", [])
    if not _is_table_list(corrs) and corrs != []:
        errs.add(ParamFileError(f, "correlations", "write correlations as [[correlations]]"))
        corrs = []
    tree.corrs = [(c, f) for c in corrs]
    for k, v in data.items():
        if k in _TOP_KEYS or not (isinstance(v, dict) or _is_table_list(v)):
            continue
        tree.structure[k] = v
        if isinstance(v, dict):
            for k2 in v:
                tree.sfiles[f"{k}.{k2}"] = f
        else:
            tree.sfiles[k] = f


def _merge_include(tree: _Tree, sub: _Tree, errs: _Errors) -> None:
    """Merge ``sub`` into ``tree``; anything defined in both is a duplicate error."""
    for n, (spec, f) in sub.params.items():
        if n in tree.params:
            errs.add(
                ParamFileError(
                    f,
                    n,
                    f"duplicate parameter '{n}'",
                    f"defined in {tree.params[n][1]} and {f}",
                    "define it once (use extends to override)",
                )
            )
            continue
        tree.params[n] = (spec, f)
    tree.corrs.extend(sub.corrs)
    for k, v in sub.structure.items():
        if k not in tree.structure:
            tree.structure[k] = v if not isinstance(v, dict) else dict(v)
            continue
        mine = tree.structure[k]
        if not (isinstance(mine, dict) and isinstance(v, dict)):
            errs.add(ParamFileError(sub.sfiles.get(k, "?"), k, f"duplicate table '{k}'"))
            continue
        for k2, v2 in v.items():
            if k2 in mine:
                where = f"{k}.{k2}"
                errs.add(
                    ParamFileError(
                        sub.sfiles[where],
                        where,
                        f"duplicate key '{where}'",
                        f"defined in {tree.sfiles[where]} and {sub.sfiles[where]}",
                        "define it once (use extends to override)",
                    )
                )
                continue
            mine[k2] = v2
    tree.sfiles.update({k: v for k, v in sub.sfiles.items() if k not in tree.sfiles})
    for fl in sub.files:
        if fl not in tree.hashes:
            tree.files.append(fl)
    tree.hashes.update(sub.hashes)
    tree.title = tree.title or sub.title


def _deep_merge(base: Any, new: Any) -> Any:
    if isinstance(base, dict) and isinstance(new, dict):
        out = dict(base)
        for k, v in new.items():
            out[k] = _deep_merge(base[k], v) if k in base else v
        return out
    return new


def _is_dist_key(k: str) -> bool:
    return k not in _META and k not in _OPTIONAL_META


def _override(base: _Tree, top: _Tree, errs: _Errors) -> _Tree:
    """Apply the scenario ``top`` on ``base`` (``extends`` semantics)."""
    out = _Tree(
        params=dict(base.params),
        corrs=[],
        structure=_deep_merge(base.structure, top.structure),
        sfiles={**base.sfiles, **top.sfiles},
        files=list(top.files) + [f for f in base.files if f not in top.hashes],
        hashes={**base.hashes, **top.hashes},
        title=top.title or base.title,
    )
    for n, (spec, f) in top.params.items():
        if n not in base.params:
            out.params[n] = (spec, f)
            continue
        if "source" not in spec:
            errs.add(
                ParamFileError(
                    f,
                    n,
                    f"override of '{n}' needs its own source",
                    f"no source (base in {base.params[n][1]})",
                    'add source = "..." (the new number needs its own source)',
                )
            )
            continue
        old = base.params[n][0]
        merged = {k: v for k, v in old.items() if not _is_dist_key(k)}
        merged.update({k: v for k, v in spec.items() if not _is_dist_key(k)})
        if any(_is_dist_key(k) for k in spec):
            merged.update({k: v for k, v in spec.items() if _is_dist_key(k)})
        else:
            merged.update({k: v for k, v in old.items() if _is_dist_key(k)})
        out.params[n] = (merged, f)
    # correlations: the scenario's pairs replace the base's pairs with the same names
    top_pairs = {_pair_key(c) for c, _ in top.corrs}
    out.corrs = [(c, f) for c, f in base.corrs if _pair_key(c) not in top_pairs] + top.corrs
    return out


def _pair_key(c: dict) -> frozenset:
    return frozenset((str(c.get("a")), str(c.get("b"))))


# --------------------------------------------------------------------------- validation
def _interval(lo: float, hi: float) -> str:
    left = "(" if lo == -_INF else "["
    right = ")" if hi == _INF else "]"
    return f"{left}{_fmt(lo)}, {_fmt(hi)}{right}"


def _check_kind(f: str, name: str, kind: str, dist: Distribution) -> ParamFileError | None:
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
        f"{dist.describe()} with support ({_fmt(a)}, {_fmt(b)})",
        fix,
    )


def _build_parameter(name: str, spec: dict, f: str, errs: _Errors) -> Parameter | None:
    missing = [k for k in _META if k not in spec]
    if missing:
        errs.add(
            ParamFileError(
                f,
                name,
                f"parameter needs {', '.join(_META)}",
                f"no {', '.join(missing)}",
                "add " + ", ".join(f'{k} = "..."' for k in missing),
            )
        )
        return None
    for k in _META:
        if not isinstance(spec[k], str):
            errs.add(ParamFileError(f, name, f"'{k}' must be a string", _fmt(spec[k])))
            return None
    kind = spec["kind"]
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, list(KINDS), n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(KINDS)}"
        errs.add(ParamFileError(f, name, "unknown kind", f"kind={kind!r}", fix))
        return None
    dspec = {k: v for k, v in spec.items() if _is_dist_key(k)}
    try:
        dist = from_spec(dspec, (f, name))
    except ParamFileError as e:
        errs.add(e)
        return None
    err = _check_kind(f, name, kind, dist)
    if err is not None:
        errs.add(err)
        return None
    return Parameter(name, spec["description"], spec["unit"], kind, spec["source"], dist, f)


def _build_correlations(
    tree: _Tree, params: dict[str, Parameter], errs: _Errors
) -> list[Correlation]:
    out: list[Correlation] = []
    seen: dict[frozenset, str] = {}
    names = list(params)
    for c, f in tree.corrs:
        a, b, rho = c.get("a"), c.get("b"), c.get("rho")
        key = f"correlations {a}~{b}"
        extra = set(c) - {"a", "b", "rho", "source", "notes"}
        if extra:
            errs.add(
                ParamFileError(
                    f,
                    key,
                    f"unknown key '{sorted(extra)[0]}' in a correlation",
                    fix="a correlation takes a, b, rho, source",
                )
            )
            continue
        if a is None or b is None or rho is None:
            errs.add(ParamFileError(f, key, "a correlation needs a, b and rho", fix="add them"))
            continue
        bad = [x for x in (a, b) if x not in params]
        if bad:
            close = difflib.get_close_matches(str(bad[0]), names, n=1)
            fix = f"did you mean '{close[0]}'?" if close else "declare it under [parameters]"
            errs.add(
                ParamFileError(f, key, f"correlation names unknown parameter '{bad[0]}'", fix=fix)
            )
            continue
        if a == b:
            errs.add(ParamFileError(f, key, "a correlation needs two different parameters"))
            continue
        if not isinstance(rho, (int, float)) or isinstance(rho, bool) or not -1 <= rho <= 1:
            errs.add(
                ParamFileError(
                    f,
                    key,
                    "correlation rho must be in [-1, 1]",
                    f"rho={_fmt(rho)}",
                    "give a Spearman rank correlation",
                )
            )
            continue
        pk = frozenset((a, b))
        if pk in seen:
            errs.add(
                ParamFileError(
                    f, key, f"pair {a}~{b} listed twice", f"in {seen[pk]} and {f}", "keep one"
                )
            )
            continue
        seen[pk] = f
        out.append(Correlation(a, b, float(rho), str(c.get("source", "")), f))
    return out


def _check_positive_definite(
    corrs: list[Correlation], params: dict[str, Parameter], errs: _Errors
) -> bool:
    active = [c for c in corrs if not params[c.a].is_fixed and not params[c.b].is_fixed]
    if not active:
        return True
    names = sorted({c.a for c in active} | {c.b for c in active}, key=list(params).index)
    r = _pearson_matrix(active, names)
    w, v = np.linalg.eigh(r)
    if w[0] > 1e-10:
        return True
    vec = np.abs(v[:, 0])
    involved = {names[i] for i in np.flatnonzero(vec > 0.1 * vec.max())}
    pairs = [c for c in active if c.a in involved and c.b in involved] or active
    errs.add(
        ParamFileError(
            pairs[0].file,
            "correlations",
            f"correlations are not positive definite (smallest eigenvalue {w[0]:.3g})",
            "pairs " + ", ".join(f"{c.a}~{c.b} (rho={_fmt(c.rho)})" for c in pairs),
            "weaken one of these correlations",
        )
    )
    return False


def _build_set(tree: _Tree, name: str, errs: _Errors, scenarios=()) -> ParameterSet | None:
    n_err = len(errs.items)
    params: dict[str, Parameter] = {}
    for n, (spec, f) in tree.params.items():
        p = _build_parameter(n, spec, f, errs)
        if p is not None:
            params[n] = p
    if len(params) != len(tree.params):
        # keep checking correlations against the names that exist
        known = {n: params.get(n) for n in tree.params}
        _build_correlations(tree, {k: v for k, v in known.items() if v is not None}, errs)
        return None
    corrs = _build_correlations(tree, params, errs)
    if len(errs.items) > n_err:
        return None
    if not _check_positive_definite(corrs, params, errs):
        return None
    return ParameterSet(
        name=name,
        names=tuple(params),
        parameters=MappingProxyType(params),
        correlations=tuple(corrs),
        structure=_freeze(tree.structure),
        structure_files=MappingProxyType(dict(tree.sfiles)),
        files=tuple(tree.files),
        file_hashes=MappingProxyType(dict(tree.hashes)),
        title=tree.title,
        extends=tree.extends,
        scenarios=tuple(scenarios),
    )


# --------------------------------------------------------------------------- public API
def load_params(path: str | os.PathLike, *, scenarios: Iterable[str | os.PathLike] = ()):
    """Load and validate a parameter file (with its includes and extends).

    Parameters
    ----------
    path : path-like
        The top parameter file; ``ParameterSet.name`` is its stem.
    scenarios : iterable of path-like, optional
        Scenario files applied in order as overrides on top of ``path`` (their own ``extends``
        key is ignored).

    Returns
    -------
    ParameterSet

    Raises
    ------
    ParamFileError
        One line naming the file, the key and the fix, for the first mistake found.
    """
    errs = _Errors(collect=False)
    path = Path(path)
    tree = _load_tree(path, errs)
    scen = [Path(s) for s in scenarios]
    for s in scen:
        top = _load_tree(s, errs, use_extends=False)
        tree = _override(tree, top, errs)
    return _build_set(tree, path.stem, errs, [s.stem for s in scen])


def _expand(paths: Iterable[str | os.PathLike]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(p.rglob("*.toml")))
        else:
            out.append(p)
    return out


def validate_files(
    paths: Iterable[str | os.PathLike],
) -> tuple[list[str], list[ParamFileError]]:
    """Validate parameter files, collecting every error in every file.

    Parameters
    ----------
    paths : iterable of path-like
        Files, or directories searched recursively for ``*.toml``. A file included by another
        file in the selection is validated as part of its includer.

    Returns
    -------
    summaries : list of str
        One line per good file, e.g.
        ``params/baseline.toml: 62 parameters (58 uncertain), 3 correlations, extends none``.
    errors : list of ParamFileError
        Every error found (each one line), in file order, without duplicates.
    """
    files = _expand(paths)
    included: dict[Path, str] = {}
    for p in files:
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        inc = data.get("include", [])
        for i in [inc] if isinstance(inc, str) else inc if isinstance(inc, list) else []:
            if isinstance(i, str):
                included[(p.parent / i).resolve()] = _disp(p)
    summaries: list[str] = []
    errors: list[ParamFileError] = []
    seen: set[str] = set()
    for p in files:
        if p.resolve() in included and p.is_file():
            summaries.append(f"{_disp(p)}: included by {included[p.resolve()]}")
            continue
        errs = _Errors(collect=True)
        tree = _load_tree(p, errs)
        ps = _build_set(tree, p.stem, errs) if tree is not None else None
        for e in errs.items:
            if str(e) not in seen:
                seen.add(str(e))
                errors.append(e)
        if ps is not None and not errs.items:
            summaries.append(f"{_disp(p)}: {ps.summary()}")
    return summaries, errors


def expert_indicators(params: ParameterSet, draws: Any, *, rng: Any = 0):
    """Per-draw expert index of every linearly pooled parameter, for EVPPI on the disagreement.

    Parameters
    ----------
    params : ParameterSet
    draws : Draws or DataFrame
        Draws in data units with one column per parameter (``model.sample(...)`` output).
    rng : seed or SeedSequence
        Seeds the one uniform per draw that picks the expert from its posterior given the
        value (see :func:`model.distributions.expert_index`); one independent stream per
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
            raise ParamFileError(_PY, n, "no column for this pooled parameter in the draws")
        out[n] = expert_index(params[n].dist, frame[n].to_numpy(dtype=float), rng=ss)
    return pd.DataFrame(out, index=frame.index)


def raise_all(errors: list[ParamFileError]) -> None:
    """Raise the errors as one :class:`ParamFileErrors` (nothing if the list is empty)."""
    if errors:
        raise ParamFileErrors(errors)
