"""Parameter sweeps: every approach at each point of a grid of parameter values or scenarios.

Each point fixes the varied parameters (``params.replace(name=value)``) or applies one scenario
file, and runs a summary-mode :func:`~model.study.simulate.simulate` with the same seed as
every other point (common random numbers, so differences between points are not sampling
noise). A point is one task on the executor.
"""

from __future__ import annotations

import difflib
import itertools
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import ParamFileError, SweepSpecError
from model.inputs.parameters import ParameterSet
from model.inputs.paramfiles import load_params
from model.inputs.sampling import seed_entropy
from model.study.executors import map_tasks
from model.study.simulate import simulate, warm_tables

__all__ = ["SweepResult", "sweep"]

STATS = ("mean", "mcse", "p05", "p95", "prob_best", "prob_negative")


@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`sweep`.

    ``table`` is tidy: one row per point x approach, with columns ``point``, the varied
    parameters (or ``scenario``), ``approach``, ``mean`` (expected net benefit), ``mcse``,
    ``p05``, ``p95``, ``prob_best`` and ``prob_negative`` (P(NB < 0)). ``points`` has one row per
    point with its EVPI. Quantiles come from the summary sketch (relative accuracy 0.5%).
    """

    table: pd.DataFrame
    points: pd.DataFrame
    varied: tuple[str, ...]
    grid: bool
    provenance: dict = field(repr=False)

    def preferred(self) -> pd.DataFrame:
        """One row per point: the approach with the highest expected net benefit, its mean and
        P(best), and the point's EVPI."""
        t = self.table
        best = t.loc[t.groupby("point", sort=True)["mean"].idxmax()]
        out = best[["point", *self.varied, "approach", "mean", "prob_best"]].rename(
            columns={"approach": "preferred"}
        )
        return out.merge(self.points[["point", "evpi"]], on="point").reset_index(drop=True)


def _values(name: str, values) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise SweepSpecError(f"vary[{name!r}] must be a list of numbers; got {values!r}") from None
    if a.ndim != 1 or a.size == 0:
        raise SweepSpecError(f"vary[{name!r}] must be a non-empty 1-D list of numbers")
    if not np.isfinite(a).all():
        raise SweepSpecError(f"vary[{name!r}] has a non-finite value; got {a.tolist()}")
    return a


def _vary_points(
    params: ParameterSet, vary: Mapping, grid: bool
) -> list[tuple[dict, ParameterSet]]:
    if not vary:
        raise SweepSpecError("vary is empty; give {parameter name: [values, ...]}")
    columns = {}
    for name, values in vary.items():
        if name not in params:
            close = difflib.get_close_matches(str(name), params.names, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else "; see `headwater params`"
            raise SweepSpecError(f"unknown parameter {name!r} in vary{hint}")
        columns[name] = _values(name, values)
    names = list(columns)
    if grid:
        combos = list(itertools.product(*(columns[n].tolist() for n in names)))
    else:
        lengths = {n: len(v) for n, v in columns.items()}
        if len(set(lengths.values())) > 1:
            raise SweepSpecError(f"grid=False needs lists of equal length; got {lengths}")
        combos = list(zip(*(columns[n].tolist() for n in names), strict=True))
    return [(dict(zip(names, c, strict=True)), params.replace(**dict(zip(names, c, strict=True))))
            for c in combos]  # fmt: skip


def _scenario_points(params: ParameterSet, scenarios: Sequence) -> list[tuple]:
    if not scenarios:
        raise SweepSpecError("scenarios is empty; give a list of scenario files")
    if not params.files:
        raise SweepSpecError("scenarios need a parameter set loaded from a file (load_params)")
    top = params.files[0]
    # parameters set in Python (replace) are re-applied on top of each scenario
    overrides = {n: params[n].dist for n in params.names if params[n].file == "<python>"}
    points = []
    for s in scenarios:
        path = Path(s)
        if not path.is_file():
            raise ParamFileError(str(path), None, "scenario file not found", fix="check the path")
        p = load_params(top, scenarios=[path])
        points.append(({"scenario": path.stem}, p.replace(**overrides) if overrides else p))
    return points


def _run_point(params: ParameterSet, n: int, design: str, seed: int, chunk_size: int) -> dict:
    """One task: a summary-mode run at one point, reduced to its table rows and EVPI."""
    res = simulate(params, n=n, rng=seed, design=design, chunk_size=chunk_size, keep="summary")
    table = res.summary()
    table["prob_negative"] = res.prob_negative
    return {"table": table[list(STATS)].reset_index(), "evpi": res.evpi}


def sweep(
    params: ParameterSet,
    *,
    vary: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    scenarios: Sequence[str | os.PathLike] | None = None,
    n: int,
    rng: int | np.random.SeedSequence | None = None,
    design: str = "sobol",
    executor=None,
    grid: bool = True,
    chunk_size: int = 8192,
    progress: bool = False,
) -> SweepResult:
    """Run every approach at each point of a parameter grid or list of scenarios.

    Parameters
    ----------
    params : ParameterSet
        The base parameter set.
    vary : dict of parameter name -> list or 1-D array of values, optional
        Each point fixes these parameters at one combination of values.
    scenarios : list of path-like, optional
        Scenario files, each applied on top of ``params``' top file (one point each); give
        either ``vary`` or ``scenarios``.
    n : int
        Draws per point.
    rng : int, SeedSequence or None
        One seed for all points (common random numbers; None: fresh entropy, recorded).
    design : {"sobol", "lhs", "random"}
    executor : concurrent.futures.Executor, optional
        Each point is one task; default serial.
    grid : bool
        Full factorial over ``vary`` (True) or its lists zipped point by point (False).
    chunk_size : int
        Draws evaluated at a time within a point.
    progress : bool
        Show a progress bar over points.

    Returns
    -------
    SweepResult

    Raises
    ------
    SweepSpecError
        One line: unknown parameter, empty or non-numeric list, unequal lists with grid=False.
    ParamFileError
        A scenario file that is missing or wrong, or a value outside a parameter's kind.

    Examples
    --------
    >>> res = sweep(params, vary={"threshold_compute": np.geomspace(1e-3, 1, 7)},
    ...             n=20_000, rng=1)  # doctest: +SKIP
    >>> res.preferred()  # doctest: +SKIP
    """
    started = time.perf_counter()
    if (vary is None) == (scenarios is None):
        raise SweepSpecError("give vary={name: [values]} or scenarios=[files], one of the two")
    points = _vary_points(params, vary, grid) if vary is not None else _scenario_points(
        params, scenarios
    )  # fmt: skip
    seed = seed_entropy(rng)
    if executor is not None:  # build inverse-CDF tables once; they travel with each point
        for _, p in points:
            warm_tables(p)
    args = [(p, int(n), design, seed, int(chunk_size)) for _, p in points]
    varied = tuple(points[0][0])
    tables, rows = [], []
    for i, ((values, _), out) in enumerate(
        zip(points, map_tasks(_run_point, args, executor, progress), strict=True)
    ):
        tables.append(out["table"].assign(point=i, **values))
        rows.append({"point": i, **values, "evpi": out["evpi"]})
    table = pd.concat(tables, ignore_index=True)[["point", *varied, "approach", *STATS]]
    provenance = {
        "params": params.name,
        "files": {str(k): v for k, v in params.file_hashes.items()},
        "seed": seed,
        "design": design,
        "n": int(n),
        "points": len(points),
        "grid": grid,
        "run_seconds": time.perf_counter() - started,
    }
    return SweepResult(table, pd.DataFrame(rows), varied, bool(grid), provenance)
