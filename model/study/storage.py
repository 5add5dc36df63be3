"""Results on disk: Parquet tables plus a JSON manifest, written atomically.

A results directory holds ``manifest.json`` (format name and version, provenance, approaches,
harms, payers, parameter names, the parameter set as data and the parameter files' text, and the
size and SHA-256 of every other file) and, for ``Results`` (all draws kept):

====================================  =========================================================
``draws.parquet``                     draw, one float64 column per parameter (``params.names``)
``outcomes_by_approach.parquet``      draw, approach, net_benefit, innovation_cost, transfers,
                                      entities, compliance (one row per draw x approach)
``outcomes_by_harm.parquet``          draw, approach, harm, risk_reduction, residual_harm,
                                      exceeds_acceptable
``burden.parquet``                    draw, approach, payer, burden
``outcomes_by_class.parquet``         draw, approach, developer_class, class_burden,
                                      class_entities, class_annual_cost
``class_value.parquet``               draw, developer_class, class_value
``status_quo_harm.parquet``           draw, harm, status_quo_harm
``risk_reduction_by_year.parquet``    approach, harm, year, risk_reduction (sum over draws)
====================================  =========================================================

or, for ``SummaryResults``, ``summary.parquet`` and ``components.parquet`` (the tables) and
``summary_state.npz`` (the mergeable accumulators, to reload them exactly). Tables are long
("tidy"), with dictionary-encoded names, one row group each (so a column reads back as one
chunk, not copied again), and read as they are by pandas, polars and DuckDB.

The directory is written under a temporary name beside the target and renamed into place, so a
reader never sees a half-written directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from model.errors import ParamFileError
from model.inputs.distributions import from_spec
from model.inputs.parameters import Correlation, Parameter, ParameterSet, freeze
from model.regulation import PAYERS, Outcomes, build_model
from model.regulation.evaluate import CLASS_TABLES
from model.study.digests import sha256
from model.study.outputs import remove_tree, temp_prefix
from model.study.simulate import Results, SummaryResults
from model.study.summaries import Moments, QuantileSketch, Summary, Tallies

__all__ = ["FORMAT", "VERSION", "is_results_dir", "load_results", "save_results"]

FORMAT = "headwater-results"
VERSION = 1
MANIFEST = "manifest.json"
_FIX_RERUN = "re-run the study and save it again (save_results or headwater run --save DIR)"


# --------------------------------------------------------------------------- JSON helpers
def _plain(x):
    """Mappings, tuples and numpy scalars as JSON-ready dicts, lists and Python numbers."""
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def _params_to_json(p: ParameterSet) -> dict:
    return _plain(
        {
            "name": p.name,
            "title": p.title,
            "extends": p.extends,
            "scenarios": p.scenarios,
            "files": p.files,
            "file_hashes": dict(p.file_hashes),
            "parameters": [
                {
                    "name": q.name,
                    "description": q.description,
                    "unit": q.unit,
                    "kind": q.kind,
                    "source": q.source,
                    "file": q.file,
                    "dist": q.dist.spec(),
                }
                for q in (p.parameters[n] for n in p.names)
            ],
            "correlations": [
                {"a": c.a, "b": c.b, "rho": c.rho, "source": c.source, "file": c.file}
                for c in p.correlations
            ],
            "structure": p.structure,
            "structure_files": dict(p.structure_files),
        }
    )


def _params_from_json(d: dict) -> ParameterSet:
    parameters = {
        q["name"]: Parameter(
            q["name"],
            q["description"],
            q["unit"],
            q["kind"],
            q["source"],
            from_spec(q["dist"], (q["file"], q["name"])),
            q["file"],
        )
        for q in d["parameters"]
    }
    return ParameterSet(
        name=d["name"],
        names=tuple(parameters),
        parameters=MappingProxyType(parameters),
        correlations=tuple(Correlation(**c) for c in d["correlations"]),
        structure=freeze(d["structure"]),
        structure_files=MappingProxyType(dict(d["structure_files"])),
        files=tuple(d["files"]),
        file_hashes=MappingProxyType(dict(d["file_hashes"])),
        title=d["title"],
        extends=d["extends"],
        scenarios=tuple(d["scenarios"]),
    )


def _file_texts(p: ParameterSet) -> dict[str, str | None]:
    """Each parameter file's text, if it is still on disk unchanged (else None)."""
    out: dict[str, str | None] = {}
    for f in p.files:
        try:
            raw = Path(f).read_bytes()
        except OSError:
            out[f] = None
            continue
        same = hashlib.sha256(raw).hexdigest() == p.file_hashes.get(f)
        out[f] = raw.decode("utf-8", errors="replace") if same else None
    return out


# --------------------------------------------------------------------------- tables
def _names(values: tuple[str, ...], n_repeat: int, n_tile: int) -> pa.DictionaryArray:
    """Dictionary-encoded names: each value repeated ``n_repeat`` times, all tiled ``n_tile``."""
    codes = np.tile(np.repeat(np.arange(len(values), dtype=np.int16), n_repeat), n_tile)
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(list(values)))


#: Rows of a row group: every row of a run's table in one (Parquet's own limit, 64 Mi rows, splits
#: larger ones).
_ROWS = 1 << 62


def _draw_column(n: int, per_draw: int) -> pa.Array:
    return pa.array(np.repeat(np.arange(n, dtype=np.int64), per_draw))


def _outcome_tables(res: Results) -> dict[str, pa.Table]:
    o, n = res.outcomes, res.n
    k, h, p = len(o.approaches), len(o.harms), len(PAYERS)
    t = o.risk_reduction_by_year.shape[2]
    draws = {"draw": pa.array(np.arange(n, dtype=np.int64))}
    draws |= {name: pa.array(res.draws[:, i]) for i, name in enumerate(res.params.names)}
    by_approach = {"draw": _draw_column(n, k), "approach": _names(o.approaches, 1, n)}
    for f in ("net_benefit", "innovation_cost", "transfers", "entities", "compliance"):
        by_approach[f] = pa.array(np.ascontiguousarray(getattr(o, f)).reshape(-1))
    by_harm = {
        "draw": _draw_column(n, k * h),
        "approach": _names(o.approaches, h, n),
        "harm": _names(o.harms, 1, n * k),
    }
    for f in ("risk_reduction", "residual_harm", "exceeds_acceptable"):
        by_harm[f] = pa.array(np.ascontiguousarray(getattr(o, f)).reshape(-1))
    burden = {
        "draw": _draw_column(n, k * p),
        "approach": _names(o.approaches, p, n),
        "payer": _names(PAYERS, 1, n * k),
        "burden": pa.array(np.ascontiguousarray(o.burden).reshape(-1)),
    }
    c = len(o.classes)
    by_class = {
        "draw": _draw_column(n, k * c),
        "approach": _names(o.approaches, c, n),
        "developer_class": _names(o.classes, 1, n * k),
    }
    for f in CLASS_TABLES:
        by_class[f] = pa.array(np.ascontiguousarray(getattr(o, f)).reshape(-1))
    class_value = {
        "draw": _draw_column(n, c),
        "developer_class": _names(o.classes, 1, n),
        "class_value": pa.array(np.ascontiguousarray(o.class_value).reshape(-1)),
    }
    sq = {
        "draw": _draw_column(n, h),
        "harm": _names(o.harms, 1, n),
        "status_quo_harm": pa.array(np.ascontiguousarray(o.status_quo_harm).reshape(-1)),
    }
    by_year = {
        "approach": _names(o.approaches, h * t, 1),
        "harm": _names(o.harms, t, k),
        "year": pa.array(np.tile(np.arange(t, dtype=np.int64), k * h)),
        "risk_reduction": pa.array(o.risk_reduction_by_year.reshape(-1)),
    }
    return {
        "draws": pa.table(draws),
        "outcomes_by_approach": pa.table(by_approach),
        "outcomes_by_harm": pa.table(by_harm),
        "burden": pa.table(burden),
        "outcomes_by_class": pa.table(by_class),
        "class_value": pa.table(class_value),
        "status_quo_harm": pa.table(sq),
        "risk_reduction_by_year": pa.table(by_year),
    }


def _summary_state(stats: Summary) -> dict[str, np.ndarray]:
    m, t, sk = stats.moments, stats.tallies, stats.tallies.sketch
    return {
        "count": np.array(m.count),
        "mean": m.mean,
        "m2": m.m2,
        "mean_max": np.array(m.mean_max),
        "risk_reduction_by_year": m.risk_reduction_by_year,
        "minimum": t.minimum,
        "maximum": t.maximum,
        "best": t.best,
        "negative": t.negative,
        "exceeds": t.exceeds,
        "sketch_alpha": np.array(sk.alpha),
        "sketch_lo": np.array(sk.lo),
        "sketch_pos": sk.pos,
        "sketch_neg": sk.neg,
        "sketch_zero": sk.zero,
        "sketch_skipped": sk.skipped,
    }


def _summary_from_state(s, approaches, harms) -> Summary:
    moments = Moments(
        int(s["count"]), s["mean"], s["m2"], float(s["mean_max"]), s["risk_reduction_by_year"]
    )
    sketch = QuantileSketch(
        float(s["sketch_alpha"]),
        int(s["sketch_lo"]),
        s["sketch_pos"],
        s["sketch_neg"],
        s["sketch_zero"],
        s["sketch_skipped"],
    )
    tallies = Tallies(s["minimum"], s["maximum"], s["best"], s["negative"], s["exceeds"], sketch)
    return Summary(tuple(approaches), tuple(harms), moments, tallies)


def _frame_table(df) -> pa.Table:
    flat = df.copy()
    if hasattr(flat.columns, "levels"):
        flat.columns = ["_".join(c) for c in flat.columns]
    return pa.Table.from_pandas(flat.reset_index(), preserve_index=False)


# --------------------------------------------------------------------------- save
def is_results_dir(path: Path) -> bool:
    """Does ``path`` hold a results directory written by :func:`save_results`?"""
    try:
        return json.loads((path / MANIFEST).read_text("utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def save_results(
    results: Results | SummaryResults, directory: str | os.PathLike, *, overwrite: bool = False
) -> Path:
    """Write ``results`` to ``directory`` atomically (see the module docstring for the layout).

    Parameters
    ----------
    results : Results or SummaryResults
    directory : path-like
        Created; its parent is created if needed.
    overwrite : bool
        Replace an existing results directory (never a directory of anything else).

    Returns
    -------
    Path
        The directory written.

    Raises
    ------
    ParamFileError
        ``directory`` exists (without ``overwrite``) or is not a results directory.
    """
    target = Path(directory)
    if target.exists():
        if not overwrite:
            raise ParamFileError(
                str(target), None, "already exists", fix="choose a new directory or overwrite=True"
            )
        if not (target.is_dir() and (is_results_dir(target) or not any(target.iterdir()))):
            raise ParamFileError(
                str(target),
                None,
                "exists and is not a Headwater results directory; refusing to replace it",
                fix="choose a new directory",
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = temp_prefix(target)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".partial", dir=target.parent))
    try:
        if isinstance(results, Results):
            kind = "draws"
            for name, table in _outcome_tables(results).items():
                # one row group: read back as one chunk a column, with no copy (_read)
                pq.write_table(table, tmp / f"{name}.parquet", row_group_size=_ROWS)
        elif isinstance(results, SummaryResults):
            kind = "summary"
            pq.write_table(_frame_table(results.summary()), tmp / "summary.parquet")
            pq.write_table(_frame_table(results.components()), tmp / "components.parquet")
            with (tmp / "summary_state.npz").open("wb") as f:
                np.savez(f, **_summary_state(results.stats))
        else:
            raise TypeError(f"save_results needs Results or SummaryResults; got {type(results)}")
        files = sorted(p.name for p in tmp.iterdir())
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "kind": kind,
            "n": results.n,
            "approaches": list(results.approaches),
            "labels": results.labels,
            "harms": list(results.harms),
            "payers": list(PAYERS),
            "parameter_names": list(results.params.names),
            "portfolios": results.provenance.get("portfolios", False),
            "provenance": _plain(results.provenance),
            "parameter_set": _params_to_json(results.params),
            "parameter_files": _file_texts(results.params),
            "files": {
                f: {"bytes": (tmp / f).stat().st_size, "sha256": sha256(tmp / f)} for f in files
            },
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str), "utf-8")
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            target.rename(old)
            try:
                tmp.rename(target)
            except BaseException:
                old.rename(target)  # the old results back in place
                raise
            remove_tree(old)
        else:
            tmp.rename(target)
    except BaseException:
        if tmp.exists():
            remove_tree(tmp)
        raise
    return target


# --------------------------------------------------------------------------- load
def _fail(path: Path, problem: str, fix: str = _FIX_RERUN) -> ParamFileError:
    return ParamFileError(str(path), None, problem, fix=fix)


def _is(x, kind: type) -> bool:
    """isinstance, with a bool counted as no number."""
    return isinstance(x, kind) and not (isinstance(x, bool) and kind is not bool)


def _names_list(x) -> bool:
    return isinstance(x, list) and all(isinstance(v, str) for v in x)


def _file_entry(name, info) -> bool:
    return (
        isinstance(name, str)
        and name == Path(name).name
        and name not in ("", ".", "..")
        and isinstance(info, dict)
        and _is(info.get("bytes"), int)
        and isinstance(info.get("sha256"), str)
    )


#: Manifest fields and their checks (a damaged manifest is a one-line error, never a traceback).
_FIELDS = {
    "kind": lambda x: x in ("draws", "summary"),
    "n": lambda x: _is(x, int) and x >= 1,
    "approaches": lambda x: _names_list(x) and bool(x),
    "harms": _names_list,
    "parameter_set": lambda x: isinstance(x, dict),
    "provenance": lambda x: isinstance(x, dict),
    "files": lambda x: isinstance(x, dict) and all(_file_entry(k, v) for k, v in x.items()),
}


def _manifest(d: Path) -> dict:
    if not d.exists():
        raise _fail(d, "no such results directory", "give a directory written by save_results")
    if not d.is_dir():
        raise _fail(d, "is not a directory", "give a directory written by save_results")
    path = d / MANIFEST
    if not path.is_file():
        raise _fail(
            d,
            f"not a Headwater results directory (no {MANIFEST})",
            "give a directory written by save_results or headwater run --save DIR",
        )
    try:
        m = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise _fail(path, f"unreadable manifest ({type(e).__name__})") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise _fail(
            path,
            f"not a Headwater results manifest (format {m.get('format')!r})"
            if isinstance(m, dict)
            else "not a Headwater results manifest",
            "give a directory written by save_results",
        )
    version = m.get("version")
    if not _is(version, int) or version < 1:
        raise _fail(
            path,
            f"bad results format version {version!r}",
            "give a directory written by save_results",
        )
    if version > VERSION:
        raise _fail(
            path,
            f"results format version {version!r} is newer than this Headwater reads ({VERSION})",
            "upgrade headwater",
        )
    for key, ok in _FIELDS.items():
        if key not in m or not ok(m[key]):
            raise _fail(path, f"damaged manifest (missing or bad: {key})")
    combos = m.get("portfolios", False)
    listed = isinstance(combos, list) and all(map(_names_list, combos))
    if not (isinstance(combos, bool) or listed):
        raise _fail(path, "damaged manifest (missing or bad: portfolios)")
    for name, info in m["files"].items():
        f = d / name
        if not f.is_file():
            raise _fail(f, "missing from the results directory")
        if f.stat().st_size != info["bytes"] or sha256(f) != info["sha256"]:
            raise _fail(f, "truncated or modified since it was saved (size or SHA-256 differs)")
    return m


def _read(d: Path, name: str, columns: list[str]) -> pa.Table:
    """The columns of a table, one chunk each when the file holds one row group (as
    :func:`save_results` writes them), so that :func:`_array` copies nothing."""
    path = d / f"{name}.parquet"
    try:  # memory-mapped: 2-4x faster here; ParquetFile keeps a row group one chunk
        table = pq.ParquetFile(path, memory_map=True).read(columns=columns)
    except (OSError, pa.ArrowException) as e:
        raise _fail(path, f"unreadable Parquet file ({type(e).__name__})") from None
    missing = sorted(set(columns or ()) - set(table.column_names))  # read() skips them
    if missing:
        raise _fail(path, f"no column {missing[0]!r}")
    return table


def _array(table: pa.Table, column: str, shape: tuple[int, ...]) -> np.ndarray:
    """A column as an array of ``shape``, not copied again (Results makes it read-only)."""
    return table.column(column).to_numpy().reshape(shape)


#: The tables of a results directory with all draws, and the columns read from each (None: all;
#: the draws table's parameter columns are picked once the parameter set is rebuilt).
_TABLES = {
    "draws": None,
    "outcomes_by_approach": [
        "net_benefit",
        "innovation_cost",
        "transfers",
        "entities",
        "compliance",
    ],
    "outcomes_by_harm": ["risk_reduction", "residual_harm", "exceeds_acceptable"],
    "burden": ["burden"],
    "status_quo_harm": ["status_quo_harm"],
    "outcomes_by_class": list(CLASS_TABLES),
    "class_value": ["class_value"],
    "risk_reduction_by_year": ["risk_reduction"],
}


class _Reading:
    """A directory's tables read in a background thread (pyarrow decodes without the GIL) while
    this one rebuilds the parameter set; :meth:`table` waits for one and raises its error."""

    def __init__(self, d: Path) -> None:
        self._tables: dict[str, pa.Table | BaseException] = {}
        self._thread = threading.Thread(target=self._read_all, args=(d,), daemon=True)
        self._thread.start()

    def _read_all(self, d: Path) -> None:
        for name, columns in _TABLES.items():
            try:
                self._tables[name] = _read(d, name, columns)
            except BaseException as e:  # raised where the table is asked for
                self._tables[name] = e

    def table(self, name: str) -> pa.Table:
        self._thread.join()
        got = self._tables[name]
        if isinstance(got, BaseException):
            raise got
        return got


def load_results(directory: str | os.PathLike) -> Results | SummaryResults:
    """Load what :func:`save_results` wrote, exactly (arrays equal bit for bit).

    The parameter set is rebuilt from the manifest (and the regulation model from it), so
    ``summary()``, ``components()`` and the report work without recomputing the draws.

    Raises
    ------
    ParamFileError
        One line naming the path and the fix, for a missing, foreign or damaged directory.
    """
    d = Path(directory)
    m = _manifest(d)
    reading = _Reading(d) if m["kind"] == "draws" else None
    try:
        params = _params_from_json(m["parameter_set"])
        regulation = build_model(params)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _fail(
            d / MANIFEST, f"cannot rebuild the parameter set ({type(e).__name__}: {e})"
        ) from None
    combos = m.get("portfolios")
    if combos is True:
        regulation = regulation.with_portfolios()
    elif combos:
        regulation = regulation.with_portfolios([tuple(c) for c in combos])
    approaches, harms, n = tuple(m["approaches"]), tuple(m["harms"]), int(m["n"])
    if regulation.approach_names != approaches or regulation.harm_names != harms:
        raise _fail(d / MANIFEST, "approaches or harms differ from the stored parameter set")
    provenance = dict(m["provenance"])
    if m["kind"] == "summary":
        path = d / "summary_state.npz"
        try:
            with np.load(path) as state:
                stats = _summary_from_state(dict(state), approaches, harms)
        except (OSError, ValueError, KeyError) as e:
            raise _fail(path, f"unreadable summary state ({type(e).__name__})") from None
        return SummaryResults(params, regulation, stats, provenance)

    k, h, p = len(approaches), len(harms), len(PAYERS)
    names = list(params.names)
    t_draws, t_app, t_harm, t_burden, t_sq, t_class, t_value, t_year = map(reading.table, _TABLES)
    missing = sorted(set(names) - set(t_draws.column_names))
    if missing:
        raise _fail(d / "draws.parquet", f"unreadable Parquet file (no column {missing[0]!r})")
    c = len(regulation.class_names)
    rows = [(t_draws, n), (t_app, n * k), (t_harm, n * k * h), (t_burden, n * k * p), (t_sq, n * h)]
    rows += [(t_class, n * k * c), (t_value, n * c)]
    for table, expected in rows:
        if table.num_rows != expected:
            raise _fail(d, f"a table has {table.num_rows} rows where {expected} were expected")
    draws = np.empty((n, len(names)))
    for i, name in enumerate(names):
        draws[:, i] = t_draws.column(name).to_numpy()
    outcomes = Outcomes(
        approaches=approaches,
        harms=harms,
        risk_reduction=_array(t_harm, "risk_reduction", (n, k, h)),
        burden=_array(t_burden, "burden", (n, k, p)),
        innovation_cost=_array(t_app, "innovation_cost", (n, k)),
        transfers=_array(t_app, "transfers", (n, k)),
        net_benefit=_array(t_app, "net_benefit", (n, k)),
        residual_harm=_array(t_harm, "residual_harm", (n, k, h)),
        exceeds_acceptable=_array(t_harm, "exceeds_acceptable", (n, k, h)),
        entities=_array(t_app, "entities", (n, k)),
        compliance=_array(t_app, "compliance", (n, k)),
        status_quo_harm=_array(t_sq, "status_quo_harm", (n, h)),
        **{f: _array(t_class, f, (n, k, c)) for f in CLASS_TABLES},
        class_value=_array(t_value, "class_value", (n, c)),
        risk_reduction_by_year=_array(t_year, "risk_reduction", (k, h, -1)),
        classes=regulation.class_names,
    )
    return Results(params, regulation, draws, outcomes, provenance)
