"""The shared problem definition: a ParameterSet-like object or a SALib-style dict, mapped from
the unit hypercube to data units, and the checks on given data (X, y).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from model.analysis.decision import AnalysisInputError, as_matrix


def is_dict_problem(problem) -> bool:
    return isinstance(problem, dict)


def problem_names(problem) -> list[str]:
    if is_dict_problem(problem):
        if "names" not in problem or "bounds" not in problem:
            raise AnalysisInputError("a dict problem needs 'names' and 'bounds' (SALib style)")
        return [str(s) for s in problem["names"]]
    if not hasattr(problem, "names") or not hasattr(problem, "transform"):
        raise AnalysisInputError(
            "problem must be a SALib-style dict or have .names and .transform(u)"
        )
    return [str(s) for s in problem.names]


def unit_problem(names) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def to_data_units(problem, u: np.ndarray) -> np.ndarray:
    """Map unit-cube rows (m, d) to data units."""
    if is_dict_problem(problem):
        from SALib.util import scale_samples

        p = copy.deepcopy(problem)
        p.setdefault("num_vars", len(p["names"]))
        return np.asarray(scale_samples(np.array(u, dtype=float, copy=True), p), dtype=float)
    x = np.asarray(problem.transform(np.asarray(u, dtype=float)), dtype=float)
    if x.shape != u.shape:
        raise AnalysisInputError(f"problem.transform returned shape {x.shape}, expected {u.shape}")
    return x


def marginal_ppf(problem, name: str, j: int, q: np.ndarray) -> np.ndarray:
    """Marginal inverse CDF of parameter ``name`` (column j) at quantiles q."""
    q = np.asarray(q, dtype=float)
    if is_dict_problem(problem):
        d = len(problem["names"])
        u = np.full((q.size, d), 0.5)
        u[:, j] = q
        return to_data_units(problem, u)[:, j]
    params = getattr(problem, "parameters", None)
    if params is not None:
        return np.asarray(params[name].dist.ppf(q), dtype=float)
    d = len(problem.names)  # no marginals: fall back to the joint transform
    u = np.full((q.size, d), 0.5)
    u[:, j] = q
    return to_data_units(problem, u)[:, j]


def call_model(func, x: np.ndarray) -> np.ndarray:
    y = np.asarray(func(x), dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise AnalysisInputError(
            f"func must return (m,) or (m, k) for {x.shape[0]} rows, got shape {y.shape}"
        )
    if not np.all(np.isfinite(y)):
        raise AnalysisInputError(f"func returned {np.count_nonzero(~np.isfinite(y))} NaN/inf")
    return y


def seed_from(rng) -> int:
    return int(np.random.default_rng(rng).integers(1, 2**31 - 1))


def given_data(x, y, names):
    if isinstance(x, pd.DataFrame):
        names = list(x.columns) if names is None else names
        x = x.to_numpy(dtype=float)
    xm = as_matrix(x, "X", min_k=1)
    yv = np.asarray(y, dtype=float).ravel()
    if yv.size != xm.shape[0]:
        raise AnalysisInputError(f"y has {yv.size} values but X has {xm.shape[0]} rows")
    if not np.all(np.isfinite(yv)):
        raise AnalysisInputError("y holds non-finite values")
    names = [f"x{i}" for i in range(xm.shape[1])] if names is None else [str(s) for s in names]
    if len(names) != xm.shape[1]:
        raise AnalysisInputError(f"{len(names)} names for {xm.shape[1]} columns of X")
    return xm, yv, names
