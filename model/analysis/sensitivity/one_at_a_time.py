"""One-at-a-time and two-way analyses: tornado, spider, two-way grids and switching values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.analysis.decision import AnalysisInputError
from model.analysis.sensitivity.problem import (
    call_model,
    marginal_ppf,
    problem_names,
    to_data_units,
)


def _base_row(problem, names) -> np.ndarray:
    return to_data_units(problem, np.full((1, len(names)), 0.5))[0]


def _select(names, which) -> list[int]:
    if which is None:
        return list(range(len(names)))
    which = [which] if isinstance(which, str) else list(which)
    bad = [w for w in which if w not in names]
    if bad:
        raise AnalysisInputError(f"unknown parameter '{bad[0]}'; known: {names}")
    return [names.index(w) for w in which]


def _reduce_output(y: np.ndarray, output, ref_row: np.ndarray | None = None) -> np.ndarray:
    """One output column: the chosen one, or best minus second best at the base row."""
    if y.shape[1] == 1:
        return y[:, 0]
    if output is not None:
        if not 0 <= int(output) < y.shape[1]:
            raise AnalysisInputError(f"output {output} out of range for {y.shape[1]} outputs")
        return y[:, int(output)]
    ref = y[0] if ref_row is None else ref_row
    first, second = np.argsort(ref)[::-1][:2]
    return y[:, first] - y[:, second]


def tornado(func, problem, *, low=0.05, high=0.95, output=None, names=None) -> pd.DataFrame:
    """One-way sensitivity on the marginals, sorted by swing.

    The base case is the median row ``problem.transform(0.5, ..., 0.5)``; each parameter in
    turn is set to its marginal ``low`` and ``high`` quantiles
    (``problem.parameters[name].dist.ppf``) with the others at the base case. With
    correlated inputs this is one-way on the marginals: the other inputs are *not* moved
    to their conditional values.

    Parameters
    ----------
    output : int, optional
        Output column when func returns (m, k). Default: the preferred option's net benefit
        minus the runner-up's at the base case (the decision-relevant difference).

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter, low_value, high_value, y_low, y_high, base, swing``.
    """
    pn = problem_names(problem)
    cols = _select(pn, names)
    base = _base_row(problem, pn)
    rows = [base]
    vals = []
    for j in cols:
        v = marginal_ppf(problem, pn[j], j, np.array([low, high]))
        vals.append(v)
        for vv in v:
            r = base.copy()
            r[j] = vv
            rows.append(r)
    y_all = call_model(func, np.array(rows))
    y = _reduce_output(y_all, output)
    out = pd.DataFrame(
        {
            "parameter": [pn[j] for j in cols],
            "low_value": [v[0] for v in vals],
            "high_value": [v[1] for v in vals],
            "y_low": y[1::2],
            "y_high": y[2::2],
            "base": y[0],
        }
    )
    out["swing"] = (out["y_high"] - out["y_low"]).abs()
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def spider(func, problem, quantiles=None, *, output=None, names=None) -> pd.DataFrame:
    """One-way curves: each parameter across marginal quantiles, the others at the base case.

    Returns
    -------
    pandas.DataFrame
        Long table ``parameter, quantile, value, y``.
    """
    q = np.linspace(0.05, 0.95, 19) if quantiles is None else np.asarray(quantiles, float)
    pn = problem_names(problem)
    cols = _select(pn, names)
    base = _base_row(problem, pn)
    rows, recs = [base], []
    for j in cols:
        for qq, vv in zip(q, marginal_ppf(problem, pn[j], j, q), strict=True):
            r = base.copy()
            r[j] = vv
            rows.append(r)
            recs.append((pn[j], qq, vv))
    y = _reduce_output(call_model(func, np.array(rows)), output)[1:]
    out = pd.DataFrame(recs, columns=["parameter", "quantile", "value"])
    out["y"] = y
    return out


def two_way(func, problem, a: str, b: str, grid=11, *, option_names=None) -> pd.DataFrame:
    """Preferred option (argmax over the k outputs) on a grid of two parameters.

    Both parameters move over marginal quantiles ``linspace(0.05, 0.95, grid)`` (or the
    given quantiles); the others stay at the base case.

    Returns
    -------
    pandas.DataFrame
        Index: values of ``a``; columns: values of ``b``; cells: the preferred option
        (its name when ``option_names`` is given, else its index).
    """
    pn = problem_names(problem)
    ia, ib = _select(pn, [a, b])
    q = np.linspace(0.05, 0.95, grid) if np.isscalar(grid) else np.asarray(grid, float)
    va = marginal_ppf(problem, a, ia, q)
    vb = marginal_ppf(problem, b, ib, q)
    base = _base_row(problem, pn)
    x = np.tile(base, (q.size * q.size, 1))
    x[:, ia] = np.repeat(va, q.size)
    x[:, ib] = np.tile(vb, q.size)
    y = call_model(func, x)
    best = np.argmax(y, axis=1).reshape(q.size, q.size)
    if option_names is not None:
        best = np.asarray(list(option_names), dtype=object)[best]
    return pd.DataFrame(best, index=pd.Index(va, name=a), columns=pd.Index(vb, name=b))


#: Bisection steps that locate each switching quantile (an interval of 0.025 halved 44 times:
#: below 1e-14, as fine as a one-root-at-a-time Brent search).
BISECTIONS = 44

#: Rows whose evaluation costs about what a call of the model costs before its first row
#: (at the baseline ~6 ms a call and ~15 us a row): the exchange rate between the calls
#: and the rows of :func:`_levels`.
CALL_ROWS = 400


def _levels(brackets: int) -> int:
    """Bisection steps a call of the model takes for ``brackets`` brackets: the number (up to
    8) that costs the fewest calls and rows, a call evaluating every midpoint its steps could
    visit (2**steps - 1 a bracket). One bracket: 7 steps, 127 rows a call, 7 calls."""
    return min(range(1, 9), key=lambda s: -(-BISECTIONS // s) * (CALL_ROWS + brackets * (2**s - 1)))


def _midpoints(lo: np.ndarray, hi: np.ndarray, levels: int) -> np.ndarray:
    """The midpoints ``levels`` bisection steps of [lo, hi] could visit, as a heap (b, nodes):
    node i halves its interval, node 2i + 1 the lower half, 2i + 2 the upper one; each is
    computed as the bisection computes it, 0.5 * (lo + hi) of its own interval."""
    nodes = 2**levels - 1
    lows, highs, mids = (np.empty((lo.size, nodes)) for _ in range(3))
    lows[:, 0], highs[:, 0] = lo, hi
    for i in range(nodes):
        mids[:, i] = 0.5 * (lows[:, i] + highs[:, i])
        if 2 * i + 2 < nodes:
            lows[:, 2 * i + 1], highs[:, 2 * i + 1] = lows[:, i], mids[:, i]
            lows[:, 2 * i + 2], highs[:, 2 * i + 2] = mids[:, i], highs[:, i]
    return mids


def _bisect(brackets, q, h_all, rows, func, lead) -> np.ndarray:
    """The switching quantile inside every bracket (c, i) at once: each call of the model
    evaluates, for all brackets, the midpoints of the next :func:`_levels` steps (see
    :func:`_midpoints`), and the steps then walk them exactly as one call per step would."""
    if not brackets:
        return np.empty(0)
    lo = np.array([q[i] for _, i in brackets])
    hi = np.array([q[i + 1] for _, i in brackets])
    sign_lo = np.sign([h_all[c, i] for c, i in brackets])
    exact = np.zeros(lo.size, dtype=bool)  # a midpoint with a zero lead: the root itself
    at = np.arange(lo.size)
    step = _levels(len(brackets))
    for first in range(0, BISECTIONS, step):
        levels = min(step, BISECTIONS - first)
        mids = _midpoints(lo, hi, levels)
        x = np.concatenate([rows(c, m) for (c, _), m in zip(brackets, mids, strict=True)])
        signs = np.sign(lead(call_model(func, x))).reshape(mids.shape)
        node = np.zeros(lo.size, dtype=np.intp)
        for _ in range(levels):
            mid, s = mids[at, node], signs[at, node]
            left = s == sign_lo  # the lead keeps its sign up to the midpoint: the root is above
            lo = np.where(exact, lo, np.where(left, mid, lo))
            hi = np.where(exact, hi, np.where(left, hi, mid))
            now = ~exact & (s == 0)
            lo[now] = hi[now] = mid[now]
            exact |= now
            node = 2 * node + np.where(left, 2, 1)
    return 0.5 * (lo + hi)


def switching_values(
    func, problem, names=None, *, n_grid: int = 41, q_range=(0.005, 0.995), option_names=None
) -> pd.DataFrame:
    """Values of each parameter at which the preferred option changes (one-way).

    The preferred option is the argmax of ``func`` at the base case (medians). Each
    parameter moves over a quantile grid in ``q_range``; where the preferred option's lead
    over the best alternative changes sign, the switching quantile is found by bisection (every
    bracket at once) and mapped to data units by the marginal inverse CDF.

    Returns
    -------
    pandas.DataFrame
        ``parameter, switching_value`` (first one, or None), ``quantile``,
        ``to_option`` and ``all_values`` (tuple of every switching value).
    """
    pn = problem_names(problem)
    cols = _select(pn, names)
    base = _base_row(problem, pn)
    label = (lambda i: list(option_names)[i]) if option_names is not None else (lambda i: i)
    q = np.linspace(q_range[0], q_range[1], n_grid)

    def rows_for(j, qs):
        v = marginal_ppf(problem, pn[j], j, np.atleast_1d(qs))
        x = np.tile(base, (v.size, 1))
        x[:, j] = v
        return x, v

    def lead(y):
        other = np.delete(y, star, axis=1).max(axis=1)
        return y[:, star] - other

    # the base case and the grids in one call of the model (its rows are independent)
    y = call_model(func, np.concatenate([base[None, :], *(rows_for(j, q)[0] for j in cols)]))
    if y.shape[1] < 2:
        raise AnalysisInputError("switching values need func to return k >= 2 outputs")
    star = int(np.argmax(y[0]))
    y_all = y[1:].reshape(len(cols), n_grid, -1)
    h_all = np.stack([lead(y_all[c]) for c in range(len(cols))])
    brackets = [
        (c, i)
        for c in range(len(cols))
        for i in np.flatnonzero(np.sign(h_all[c, :-1]) * np.sign(h_all[c, 1:]) < 0)
    ]
    roots = _bisect(brackets, q, h_all, lambda c, qq: rows_for(cols[c], qq)[0], func, lead)
    found: dict[int, list] = {c: [] for c in range(len(cols))}
    for (c, i), qs in zip(brackets, roots, strict=True):
        v = rows_for(cols[c], qs)[1]
        found[c].append((float(v[0]), float(qs), label(int(np.argmax(y_all[c, i + 1])))))
    recs = []
    for c, j in enumerate(cols):
        first = found[c][0] if found[c] else (None, None, None)
        recs.append((pn[j], *first, tuple(f[0] for f in found[c])))
    return pd.DataFrame(
        recs, columns=["parameter", "switching_value", "quantile", "to_option", "all_values"]
    )
