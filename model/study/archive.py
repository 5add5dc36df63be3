"""A run's analysis, rule design and re-evaluations on disk, beside the results saved by
``run --save``.

``save_analysis(directory, analysis, rule)`` writes ``directory/analysis/`` and
``save_reevaluations(directory, reevaluations)`` ``directory/reevaluations/`` (what the report
evaluates beyond the analysis: :mod:`model.study.reevaluations`): each table as Parquet, every
array in one ``arrays.npz`` and the structure (dataclasses, scalars, text) in a JSON file with
its format version, the SHA-256 of each file and of the results' manifest, so that
``headwater report --from`` re-renders a report without recomputing anything. ``load_analysis``
and ``load_reevaluations`` return the reason instead when there is nothing usable to load (an
older run, or results saved again since): the caller then recomputes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from model.analysis.discovery import Box, PrimResult
from model.regulation import Outcomes
from model.study.analyse import Analysis
from model.study.central import CentralCase
from model.study.design import RuleDesign, ThresholdDesign
from model.study.digests import sha256
from model.study.judgements import SUBSAMPLE, Components
from model.study.reevaluations import STRUCTURAL_DRAWS, Reevaluations, attached
from model.study.structural import StructuralUncertainty

__all__ = [
    "FOLDER",
    "REEVALUATED",
    "load_analysis",
    "load_reevaluations",
    "save_analysis",
    "save_reevaluations",
]

FOLDER = "analysis"
FORMAT = "headwater-analysis"
VERSION = 2  # 2: table attrs keep their types (dicts, lists, numbers)
REEVALUATED = "reevaluations"
REEVALUATED_FORMAT = "headwater-reevaluations"
REEVALUATED_VERSION = 1
_SAVED = (Analysis, RuleDesign, ThresholdDesign, PrimResult, Box, StructuralUncertainty)
_TYPES = {c.__name__: c for c in (*_SAVED, CentralCase, Outcomes, Components)}


def _encode(x, frames: dict, arrays: dict, key: str):
    """JSON for ``x``; its tables and arrays go to ``frames`` and ``arrays`` under ``key``."""
    if dataclasses.is_dataclass(x) and type(x).__name__ in _TYPES:
        fields = {
            f.name: _encode(getattr(x, f.name), frames, arrays, f"{key}.{f.name}")
            for f in dataclasses.fields(x)
        }
        return {"@type": type(x).__name__, "fields": fields}
    if isinstance(x, pd.DataFrame):
        frames[key] = x
        return {"@frame": key, "attrs": _attr(x.attrs)}
    if isinstance(x, pd.Series):
        frames[key] = x.to_frame("values")
        return {"@series": key, "name": _encode(x.name, frames, arrays, f"{key}.name")}
    if isinstance(x, Mapping):  # keys of any type saved here (tuples, numbers, None)
        return {
            "@dict": [
                [
                    _encode(k, frames, arrays, f"{key}.{i}k"),
                    _encode(v, frames, arrays, f"{key}.{i}"),
                ]
                for i, (k, v) in enumerate(x.items())
            ]
        }
    if isinstance(x, np.ndarray):
        arrays[key] = x
        return {"@array": key}
    if isinstance(x, tuple | list):
        return {"@tuple": [_encode(v, frames, arrays, f"{key}.{i}") for i, v in enumerate(x)]}
    if isinstance(x, np.generic):
        return x.item()
    if x is None or isinstance(x, str | int | float | bool):
        return x
    raise TypeError(f"cannot save {type(x).__name__} at {key}")


def _attr(v):
    """A table's attrs as JSON: dicts, lists (from tuples), numbers, text; else its text."""
    if isinstance(v, dict):
        return {str(k): _attr(x) for k, x in v.items()}
    if isinstance(v, tuple | list):
        return [_attr(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)


def _tuples(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet gives list cells back as arrays; the analysis tables hold tuples."""
    for c in df.columns:
        if df[c].dtype == object and len(df) and isinstance(df[c].iloc[0], np.ndarray):
            df[c] = [tuple(v.tolist()) for v in df[c]]
    return df


def _frame(path: Path) -> pd.DataFrame:
    """A saved table, as ``pd.read_parquet`` reads it (pyarrow's own conversion, which is what
    pandas calls), without the dataset layer that ``pd.read_parquet`` loads (~0.1 s)."""
    return pq.ParquetFile(path, memory_map=True).read().to_pandas()


def _decode(x, d: Path, arrays):
    if isinstance(x, dict) and "@type" in x:
        fields = {k: _decode(v, d, arrays) for k, v in x["fields"].items()}
        return _TYPES[x["@type"]](**fields)
    if isinstance(x, dict) and "@frame" in x:
        df = _tuples(_frame(d / f"{x['@frame']}.parquet"))
        df.attrs.update(x["attrs"])
        return df
    if isinstance(x, dict) and "@series" in x:
        frame = _frame(d / f"{x['@series']}.parquet")
        return frame["values"].rename(_decode(x["name"], d, arrays))
    if isinstance(x, dict) and "@dict" in x:
        return {_decode(k, d, arrays): _decode(v, d, arrays) for k, v in x["@dict"]}
    if isinstance(x, dict) and "@array" in x:
        return arrays[x["@array"]]
    if isinstance(x, dict) and "@tuple" in x:
        return tuple(_decode(v, d, arrays) for v in x["@tuple"])
    return x


def _save(directory: Path, folder: str, doc: dict, x) -> Path:
    """Write ``x`` into ``directory/folder`` (replacing it) with ``doc``'s fields in its JSON."""
    frames: dict[str, pd.DataFrame] = {}
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(x, frames, arrays, "x")
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder}.", suffix=".partial", dir=directory))
    try:
        for key, df in frames.items():
            df.to_parquet(tmp / f"{key}.parquet")
        with (tmp / "arrays.npz").open("wb") as f:
            np.savez(f, **arrays)
        doc |= {
            "results_manifest": sha256(directory / "manifest.json"),
            "tree": tree,
            "files": {p.name: sha256(p) for p in sorted(tmp.iterdir())},
        }
        (tmp / f"{folder}.json").write_text(json.dumps(doc), "utf-8")
        shutil.rmtree(directory / folder, ignore_errors=True)
        tmp.rename(directory / folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory / folder


def _load(directory: Path, folder: str, what: str, fmt: str, version: int, settings: dict | None):
    """What :func:`_save` wrote into ``directory/folder``, or why it cannot be used."""
    d = directory / folder
    try:
        doc = json.loads((d / f"{folder}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return f"no saved {what} (saved by an earlier version)"
    if doc.get("format") != fmt or doc.get("version") != version:
        return f"the saved {what} is in another format version"
    if doc.get("results_manifest") != sha256(directory / "manifest.json"):
        return f"the results were saved again after the {what}"
    if settings is not None and any(doc["settings"].get(k) != v for k, v in settings.items()):
        return f"the saved {what} used other settings ({doc['settings']})"
    for name, digest in doc["files"].items():
        if not (d / name).is_file() or sha256(d / name) != digest:
            return f"the saved {what} file {name} is missing or modified"
    with np.load(d / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    return _decode(doc["tree"], d, arrays)


def save_analysis(
    directory: str | os.PathLike,
    analysis: Analysis,
    rule: RuleDesign | None = None,
    settings: dict | None = None,
) -> Path:
    """Write ``analysis`` (and ``rule``) into ``directory/analysis``, replacing any there.

    ``directory`` holds results written by :func:`model.study.storage.save_results`;
    ``settings`` (e.g. ``{"sobol_n": 512}``) are stored to be compared when loading.
    """
    doc = {"format": FORMAT, "version": VERSION, "settings": settings or {}}
    return _save(Path(directory), FOLDER, doc, (analysis, rule))


def load_analysis(
    directory: str | os.PathLike, settings: dict | None = None
) -> tuple[Analysis, RuleDesign | None] | str:
    """The analysis and rule design saved in ``directory``, or why they cannot be used."""
    got = _load(Path(directory), FOLDER, "analysis", FORMAT, VERSION, settings)
    if isinstance(got, str):
        return got
    analysis, rule = got
    return analysis, rule


def _reevaluation_settings() -> dict:
    return {"structural_draws": STRUCTURAL_DRAWS, "judgement_draws": SUBSAMPLE}


def save_reevaluations(directory: str | os.PathLike, r: Reevaluations) -> Path:
    """Write ``r`` (of the results saved in ``directory``) into ``directory/reevaluations``;
    the value judgements as the components evaluated so far."""
    doc = {
        "format": REEVALUATED_FORMAT,
        "version": REEVALUATED_VERSION,
        "settings": _reevaluation_settings(),
    }
    return _save(Path(directory), REEVALUATED, doc, r.detached())


def load_reevaluations(directory: str | os.PathLike, results) -> Reevaluations | str:
    """The re-evaluations saved in ``directory`` for its ``results``, or why they cannot be
    used."""
    got = _load(
        Path(directory),
        REEVALUATED,
        "re-evaluation",
        REEVALUATED_FORMAT,
        REEVALUATED_VERSION,
        _reevaluation_settings(),
    )
    if isinstance(got, str):
        return got
    return attached(results, got)
