"""Parameter files (TOML) -> validated, immutable :class:`ParameterSet`.

A parameter file declares uncertain inputs under ``[parameters.NAME]`` (description, unit, kind,
source and a distribution), rank correlations under ``[[correlations]]`` and any other top-level
table as "structure" (harms, instruments, approaches, ...). Files combine by ``include`` (merge
fragments; defining anything twice is an error) and ``extends`` (a scenario overrides its base).
See docs/parameters.md for the format. Every mistake is a one-line :class:`ParamFileError`.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from model.errors import ParamFileError, ParamFileErrors
from model.inputs.distributions import from_spec
from model.inputs.distributions.base import format_value
from model.inputs.parameters import (
    KINDS,
    Correlation,
    Parameter,
    ParameterSet,
    check_kind,
    freeze,
    pearson_matrix,
)

__all__ = ["load_params", "raise_all", "validate_files"]

_META = ("description", "unit", "kind", "source")
_OPTIONAL_META = ("notes",)
_TOP_KEYS = ("title", "include", "extends", "parameters", "correlations")
MAX_DEPTH = 32  # files in one include/extends chain
MAX_NESTING = 16  # tables and arrays nested in one file


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
class _Load:
    """One load: the folder its files must stay in, and the files read so far."""

    root: Path
    read: dict[Path, str] = field(default_factory=dict)


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


def _nesting(x: Any, limit: int) -> int:
    """Depth of nested tables and arrays in ``x``, counted up to ``limit + 1``."""
    if limit < 0 or not isinstance(x, (dict, list)):
        return 0
    values = x.values() if isinstance(x, dict) else x
    return 1 + max((_nesting(v, limit - 1) for v in values), default=0)


def _read(path: Path, errs: _Errors, tree: _Tree) -> dict | None:
    f = _disp(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        errs.add(
            ParamFileError(f, None, f"cannot read ({e.strerror})", fix="check its permissions")
        )
        return None
    tree.files.append(f)
    tree.hashes[f] = hashlib.sha256(raw).hexdigest()
    if raw.startswith(codecs.BOM_UTF8):
        fix = "save it as UTF-8 without a BOM"
        errs.add(ParamFileError(f, None, "starts with a UTF-8 byte-order mark (BOM)", fix=fix))
        return None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        errs.add(ParamFileError(f, None, "not valid TOML", str(e), "fix the TOML syntax"))
        return None
    except RecursionError:
        data = None
    if data is None or _nesting(data, MAX_NESTING) > MAX_NESTING:
        fix = f"nest tables and arrays at most {MAX_NESTING} deep"
        errs.add(ParamFileError(f, None, "tables or arrays nested too deeply", fix=fix))
        return None
    return data


def _admit(path: Path, rp: Path, ctx: _Load, chain: tuple[Path, ...], via: str):
    """Why ``path`` may not be loaded here (outside the folder, too deep, twice), or None.

    The folder is the named file's; a scenario named on the command line may extend a base
    one folder up (``extends = "../baseline.toml"``), which widens it to the base's folder.
    """
    if not chain:
        return None
    f, shown = _disp(chain[-1]), _disp(path)
    if via == "extends" and len(chain) == 1 and rp.parent == ctx.root.parent:
        ctx.root = rp.parent
    if not rp.is_relative_to(ctx.root):
        return ParamFileError(
            f,
            via,
            f"{via} reaches outside the parameter folder {_disp(ctx.root)}",
            shown,
            f"move the file into {_disp(ctx.root)} or below",
        )
    if len(chain) >= MAX_DEPTH:
        return ParamFileError(
            f, via, f"{via} chain deeper than {MAX_DEPTH} files", shown, "merge some files"
        )
    if rp in ctx.read:
        return ParamFileError(
            f,
            via,
            f"file included more than once (also by {ctx.read[rp]})",
            shown,
            "include it once",
        )
    return None


def _load_tree(
    path: Path,
    errs: _Errors,
    chain: tuple[Path, ...] = (),
    via: str = "",
    use_extends: bool = True,
    ctx: _Load | None = None,
) -> _Tree | None:
    """Read ``path`` with everything it includes or extends, within ``ctx.root``."""
    rp = path.resolve()
    ctx = ctx or _Load(rp.parent)
    if rp in chain:
        loop = " -> ".join(_disp(p) for p in (*chain, rp))
        errs.add(ParamFileError(_disp(chain[-1]), via, f"cyclic {via}", loop, f"remove one {via}"))
        return None
    refused = _admit(path, rp, ctx, chain, via)
    if refused is not None:
        errs.add(refused)
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
        elif rp.exists():  # a FIFO, a device or a directory: never read
            errs.add(
                ParamFileError(_disp(path), None, "not a regular file", fix="give a .toml file")
            )
        else:
            errs.add(ParamFileError(_disp(path), None, "file not found", fix="check the path"))
        return None
    tree = _Tree()
    ctx.read[rp] = _disp(chain[-1]) if chain else "the command line"
    data = _read(path, errs, tree)
    if data is None:
        return None
    f = _disp(path)
    here = (*chain, rp)
    for k, v in data.items():
        close = difflib.get_close_matches(k, _TOP_KEYS, n=1, cutoff=0.8)
        if k not in _TOP_KEYS and close:
            errs.add(
                ParamFileError(
                    f, k, f"unknown top-level table '{k}'", fix=f"did you mean [{close[0]}]?"
                )
            )
        elif k not in _TOP_KEYS and not isinstance(v, dict) and not _is_table_list(v):
            errs.add(
                ParamFileError(
                    f,
                    k,
                    f"unknown top-level key '{k}'",
                    f"{k} = {format_value(v)}",
                    "top-level keys are title, include, extends; put data in a [table]",
                )
            )
    title = data.get("title", "")
    if not isinstance(title, str):
        errs.add(ParamFileError(f, "title", "title must be a string", format_value(title)))
        title = ""
    tree.title = title
    includes = data.get("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        errs.add(
            ParamFileError(f, "include", "include must be a list of paths", format_value(includes))
        )
        includes = []
    ok = True
    for inc in includes:
        sub = _load_tree(path.parent / inc, errs, here, "include", ctx=ctx)
        if sub is None:
            ok = False
            continue
        _merge_include(tree, sub, errs)
    own = _Tree()
    _collect_own(data, f, own, errs)
    _merge_include(tree, own, errs)
    ext = data.get("extends")
    if ext is not None and not isinstance(ext, str):
        errs.add(ParamFileError(f, "extends", "extends must be one path", format_value(ext)))
        ext = None
    if ext is not None and use_extends:
        base = _load_tree(path.parent / ext, errs, here, "extends", ctx=ctx)
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
        errs.add(
            ParamFileError(f, "parameters", "parameters must be a table", format_value(params))
        )
        params = {}
    for name, spec in params.items():
        if not isinstance(spec, dict):
            errs.add(
                ParamFileError(
                    f,
                    name,
                    "a parameter must be a table",
                    f"{name} = {format_value(spec)}",
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
            errs.add(ParamFileError(f, name, f"'{k}' must be a string", format_value(spec[k])))
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
    err = check_kind(f, name, kind, dist)
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
        if not (isinstance(a, str) and isinstance(b, str)):
            errs.add(
                ParamFileError(
                    f,
                    key,
                    "a and b must each name one parameter",
                    f"a = {format_value(a)}, b = {format_value(b)}",
                    'write a = "name", b = "other_name"',
                )
            )
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
                    f"rho={format_value(rho)}",
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
    r = pearson_matrix(active, names)
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
            "pairs " + ", ".join(f"{c.a}~{c.b} (rho={format_value(c.rho)})" for c in pairs),
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
        structure=freeze(tree.structure),
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
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
            continue  # reported when the file itself is validated
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


def raise_all(errors: list[ParamFileError]) -> None:
    """Raise the errors as one :class:`ParamFileErrors` (nothing if the list is empty)."""
    if errors:
        raise ParamFileErrors(errors)
