"""A run's analysis and rule design on disk, beside the results saved by ``run --save``.

``save_analysis(directory, analysis, rule)`` writes ``directory/analysis/``: each table as
Parquet, every array in one ``arrays.npz`` and the structure (dataclasses, scalars, text) in
``analysis.json``, with the SHA-256 of each file and of the results' manifest, so that
``headwater report --from`` re-renders a report without recomputing anything. ``load_analysis``
returns None, with the reason, when there is nothing usable to load (an older run, or results
saved again since): the caller then recomputes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.discovery import Box, PrimResult
from model.study.analyse import Analysis
from model.study.design import RuleDesign, ThresholdDesign
from model.study.storage import sha256

__all__ = ["FOLDER", "load_analysis", "save_analysis"]

FOLDER = "analysis"
FORMAT = "headwater-analysis"
VERSION = 2  # 2: table attrs keep their types (dicts, lists, numbers)
_TYPES = {c.__name__: c for c in (Analysis, RuleDesign, ThresholdDesign, PrimResult, Box)}


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


def _decode(x, d: Path, arrays):
    if isinstance(x, dict) and "@type" in x:
        fields = {k: _decode(v, d, arrays) for k, v in x["fields"].items()}
        return _TYPES[x["@type"]](**fields)
    if isinstance(x, dict) and "@frame" in x:
        df = _tuples(pd.read_parquet(d / f"{x['@frame']}.parquet"))
        df.attrs.update(x["attrs"])
        return df
    if isinstance(x, dict) and "@array" in x:
        return arrays[x["@array"]]
    if isinstance(x, dict) and "@tuple" in x:
        return tuple(_decode(v, d, arrays) for v in x["@tuple"])
    return x


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
    d = Path(directory)
    frames: dict[str, pd.DataFrame] = {}
    arrays: dict[str, np.ndarray] = {}
    tree = _encode((analysis, rule), frames, arrays, "x")
    tmp = Path(tempfile.mkdtemp(prefix=f".{FOLDER}.", suffix=".partial", dir=d))
    try:
        for key, df in frames.items():
            df.to_parquet(tmp / f"{key}.parquet")
        with (tmp / "arrays.npz").open("wb") as f:
            np.savez(f, **arrays)
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "results_manifest": sha256(d / "manifest.json"),
            "settings": settings or {},
            "tree": tree,
            "files": {p.name: sha256(p) for p in sorted(tmp.iterdir())},
        }
        (tmp / "analysis.json").write_text(json.dumps(doc), "utf-8")
        shutil.rmtree(d / FOLDER, ignore_errors=True)
        tmp.rename(d / FOLDER)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return d / FOLDER


def load_analysis(
    directory: str | os.PathLike, settings: dict | None = None
) -> tuple[Analysis, RuleDesign | None] | str:
    """The analysis and rule design saved in ``directory``, or why they cannot be used."""
    d = Path(directory) / FOLDER
    try:
        doc = json.loads((d / "analysis.json").read_text("utf-8"))
    except (OSError, ValueError):
        return "no saved analysis (saved before analyses were kept)"
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        return "the saved analysis is in another format version"
    if doc.get("results_manifest") != sha256(Path(directory) / "manifest.json"):
        return "the results were saved again after the analysis"
    if settings is not None and any(doc["settings"].get(k) != v for k, v in settings.items()):
        return f"the saved analysis used other settings ({doc['settings']})"
    for name, digest in doc["files"].items():
        if not (d / name).is_file() or sha256(d / name) != digest:
            return f"the saved analysis file {name} is missing or modified"
    with np.load(d / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    analysis, rule = _decode(doc["tree"], d, arrays)
    return analysis, rule
