"""Decision rules on probabilistic sensitivity analysis (PSA) draws.

Everything here works on plain arrays with draws on axis 0: net benefit ``nb`` is
(n, k) for n draws and k options; ``costs`` and ``effects`` are (n, k) or, for the
deterministic tables, (k,). Definitions follow dampack (Alarid-Escudero et al.) and
BCEA (Baio et al.) so that numbers can be checked against those packages.

References
----------
.. [1] Alarid-Escudero F, Knowlton G, Easterly C, Enns E (2024). dampack: Decision-Analytic
   Modeling Package. R package, https://github.com/DARTH-git/dampack
.. [2] Baio G, Berardi A, Heath A (2017). Bayesian Cost-Effectiveness Analysis with the R
   package BCEA. Springer. doi:10.1007/978-3-319-55718-2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import AnalysisInputError, PSAFileError

__all__ = [
    "PSA",
    "AnalysisInputError",
    "PSAFileError",
    "as_matrix",
    "best_counts",
    "ceac",
    "ceaf",
    "cvar",
    "efficiency_frontier",
    "evpi",
    "expected_loss",
    "expected_net_benefit",
    "icers",
    "load_psa",
    "minimax_regret",
    "prob_best",
    "prob_negative",
]


# ----------------------------------------------------------------------------- validation


def as_matrix(a, what: str = "nb", min_k: int = 2) -> np.ndarray:
    """Return ``a`` as a finite float (n, k) array or raise AnalysisInputError."""
    if isinstance(a, pd.DataFrame):
        a = a.to_numpy(dtype=float)
    try:
        x = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AnalysisInputError(f"{what} must be numeric, got {type(a).__name__}") from exc
    if x.ndim != 2:
        raise AnalysisInputError(
            f"{what} must be a 2-D array (n draws x k options), got shape {x.shape}"
        )
    if x.shape[0] < 1:
        raise AnalysisInputError(f"{what} has no draws (shape {x.shape})")
    if x.shape[1] < min_k:
        raise AnalysisInputError(
            f"{what} has {x.shape[1]} option(s); need at least {min_k} to compare options"
        )
    if not np.all(np.isfinite(x)):
        bad = np.argwhere(~np.isfinite(x))[0]
        raise AnalysisInputError(
            f"{what} holds {np.count_nonzero(~np.isfinite(x))} non-finite value(s), "
            f"first at draw {bad[0]}, option {bad[1]}"
        )
    return x


def _as_means(a, what: str) -> np.ndarray:
    """Means over draws of an (n, k) array, or a (k,) vector as is."""
    x = np.asarray(a, dtype=float)
    if x.ndim == 2:
        x = as_matrix(x, what, min_k=1).mean(axis=0)
    elif x.ndim != 1:
        raise AnalysisInputError(f"{what} must be (k,) or (n, k), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise AnalysisInputError(f"{what} holds non-finite values")
    return x


def _names(names, k: int) -> list[str]:
    if names is None:
        return [f"option_{i}" for i in range(k)]
    names = [str(s) for s in names]
    if len(names) != k:
        raise AnalysisInputError(f"names has {len(names)} entries but there are {k} options")
    if len(set(names)) != k:
        raise AnalysisInputError(f"names must be unique, got {names}")
    return names


def _pair(costs, effects) -> tuple[np.ndarray, np.ndarray]:
    c = as_matrix(costs, "costs")
    e = as_matrix(effects, "effects")
    if c.shape != e.shape:
        raise AnalysisInputError(f"costs {c.shape} and effects {e.shape} must have the same shape")
    return c, e


# ----------------------------------------------------------------------------- summaries


def expected_net_benefit(nb, names=None) -> pd.DataFrame:
    """Summarise net benefit per option.

    Parameters
    ----------
    nb : array_like, (n, k)
        Net benefit, draws on axis 0.
    names : sequence of str, optional
        Option names (default ``option_0`` ...).

    Returns
    -------
    pandas.DataFrame
        One row per option: ``mean``, ``se`` (Monte Carlo standard error of the mean,
        sd / sqrt(n)), ``median``, ``p05`` and ``p95`` (the 90% percentile interval).
    """
    x = as_matrix(nb, "nb", min_k=1)
    n = x.shape[0]
    sd = x.std(axis=0, ddof=1) if n > 1 else np.full(x.shape[1], np.nan)
    q = np.quantile(x, [0.05, 0.5, 0.95], axis=0)
    return pd.DataFrame(
        {"mean": x.mean(axis=0), "se": sd / np.sqrt(n), "median": q[1], "p05": q[0], "p95": q[2]},
        index=pd.Index(_names(names, x.shape[1]), name="option"),
    )


def best_counts(nb) -> np.ndarray:
    """Draws in which each option has the highest net benefit, ties split evenly.

    The package's tie rule for P(best): a draw in which m options tie for the best counts 1/m
    for each, so the counts sum to the number of draws (``ceac`` keeps dampack's rule, the
    first tied option wins, so that it reproduces dampack's published curves). Counts of
    disjoint blocks of draws add up (mergeable summaries); they are whole numbers, and so
    exact, unless there are ties.

    Parameters
    ----------
    nb : array_like, (n, k)

    Returns
    -------
    numpy.ndarray, (k,)
    """
    x = as_matrix(nb, min_k=1)
    best = x == x.max(axis=1, keepdims=True)
    tied = best.sum(axis=1)
    if (tied == 1).all():
        return np.bincount(x.argmax(axis=1), minlength=x.shape[1]).astype(float)
    return (best / tied[:, None]).sum(axis=0)


def prob_best(nb) -> np.ndarray:
    """Probability that each option has the highest net benefit (ties split: :func:`best_counts`).

    Parameters
    ----------
    nb : array_like, (n, k)

    Returns
    -------
    numpy.ndarray, (k,), summing to 1
    """
    x = as_matrix(nb)
    return best_counts(x) / x.shape[0]


def expected_loss(nb) -> np.ndarray:
    """Expected opportunity loss E[max_j nb_j - nb_i] of choosing each option.

    The smallest expected loss equals the EVPI (dampack ``calc_exp_loss``).

    Parameters
    ----------
    nb : array_like, (n, k)

    Returns
    -------
    numpy.ndarray, (k,)

    References
    ----------
    .. [1] Eckermann S, Briggs A, Willan AR (2008). Health technology assessment in the
       cost-disutility plane. Med Decis Making 28:172-181 (expected loss curves).
    """
    x = as_matrix(nb)
    return (x.max(axis=1, keepdims=True) - x).mean(axis=0)


def minimax_regret(nb) -> np.ndarray:
    """Maximum regret over draws, max_s (max_j nb[s, j] - nb[s, i]), of each option.

    The minimax-regret choice (Savage 1951) is ``argmin`` of the result.

    Parameters
    ----------
    nb : array_like, (n, k)

    Returns
    -------
    numpy.ndarray, (k,)
    """
    x = as_matrix(nb)
    return (x.max(axis=1, keepdims=True) - x).max(axis=0)


def cvar(nb, alpha: float = 0.05) -> np.ndarray:
    """Conditional value at risk (expected shortfall) of the lower tail per option.

    The mean of the ``m = ceil(alpha * n)`` lowest draws of each option, i.e. the expected
    net benefit in the worst ``alpha`` share of the draws (Rockafellar & Uryasev 2000).

    Parameters
    ----------
    nb : array_like, (n, k)
    alpha : float in (0, 1]

    Returns
    -------
    numpy.ndarray, (k,)
    """
    if not 0 < alpha <= 1:
        raise AnalysisInputError(f"alpha must be in (0, 1], got {alpha}")
    x = as_matrix(nb, min_k=1)
    m = max(1, int(np.ceil(alpha * x.shape[0] - 1e-9)))
    low = np.partition(x, m - 1, axis=0)[:m] if m < x.shape[0] else x
    return low.mean(axis=0)


def prob_negative(nb) -> np.ndarray:
    """Probability that each option's net benefit is below zero, (k,)."""
    return (as_matrix(nb, min_k=1) < 0).mean(axis=0)


# ----------------------------------------------------------------------------- CEA


def _wtp_grid(wtp) -> np.ndarray:
    w = np.atleast_1d(np.asarray(wtp, dtype=float))
    if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)):
        raise AnalysisInputError(f"wtp must be a finite scalar or 1-D grid, got {wtp!r}")
    return w


#: Values (draws x options) of net benefit :func:`ceac` works on at once: 128 KB, which
#: stays in cache while every wtp of the grid reads them (2x faster than whole columns).
_CEAC_BLOCK = 1 << 14


def ceac(costs, effects, wtp) -> np.ndarray:
    """Cost-effectiveness acceptability curves.

    ``ceac[w, i]`` is the share of draws in which option i has the highest net monetary
    benefit ``wtp[w] * effect - cost``. As in dampack (``ceac``), the first option wins
    exact ties, so each row sums to 1.

    Parameters
    ----------
    costs, effects : array_like, (n, k)
    wtp : float or array_like, (w,)

    Returns
    -------
    numpy.ndarray, (w, k)

    References
    ----------
    .. [1] Fenwick E, Claxton K, Sculpher M (2001). Representing uncertainty: the role of
       cost-effectiveness acceptability curves. Health Econ 10:779-787.
    """
    c, e = _pair(costs, effects)
    w = _wtp_grid(wtp)
    n, k = c.shape
    counts = np.zeros((w.size, k), dtype=np.int64)
    rows = max(1, _CEAC_BLOCK // k)
    for start in range(0, n, rows):  # blocks of draws that stay in cache across the grid
        cb, eb = c[start : start + rows], e[start : start + rows]
        for i, lam in enumerate(w):
            counts[i] += np.bincount(np.argmax(lam * eb - cb, axis=1), minlength=k)
    return counts / n


def ceaf(costs, effects, wtp, names=None, curve=None) -> pd.DataFrame:
    """Cost-effectiveness acceptability frontier.

    At each wtp, the option with the highest *expected* net benefit and its probability of
    being cost-effective (its CEAC value), as in dampack's ``ceac`` (``On_Frontier``) and
    BCEA's ``ceaf``. ``curve``: :func:`ceac` on the same grid, when already computed.

    Returns
    -------
    pandas.DataFrame
        Columns ``wtp``, ``option``, ``index``, ``prob`` (one row per wtp).

    References
    ----------
    .. [1] Barton GR, Briggs AH, Fenwick EAL (2008). Optimal cost-effectiveness decisions: the
       role of the cost-effectiveness acceptability curve (CEAC), the cost-effectiveness
       acceptability frontier (CEAF), and the expected value of perfect information (EVPI).
       Value Health 11:886-897.
    """
    c, e = _pair(costs, effects)
    w = _wtp_grid(wtp)
    nm = _names(names, c.shape[1])
    curve = ceac(c, e, w) if curve is None else np.asarray(curve)
    enb = w[:, None] * e.mean(axis=0)[None, :] - c.mean(axis=0)[None, :]
    best = np.argmax(enb, axis=1)
    return pd.DataFrame(
        {
            "wtp": w,
            "option": [nm[i] for i in best],
            "index": best,
            "prob": curve[np.arange(w.size), best],
        }
    )


def icers(costs, effects, names=None) -> pd.DataFrame:
    """Incremental cost-effectiveness table with dominance, as dampack ``calculate_icers``.

    Strategies are sorted by cost (then by decreasing effect). A strategy is strongly
    dominated (``D``) when an earlier (cheaper or equally costly) strategy is at least as
    effective. Among the rest, ICERs between consecutive strategies are computed and every
    strategy whose ICER exceeds the next one's is extendedly dominated (``ED``); this repeats
    until the ICERs increase. The table lists ``ND`` rows by cost, then ``ED``, then ``D``.

    Parameters
    ----------
    costs, effects : array_like, (k,) or (n, k)
        Per-strategy values, or PSA draws (their means are used, as dampack's
        ``summary(psa)``).
    names : sequence of str, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy, cost, effect, inc_cost, inc_effect, icer, status``.

    References
    ----------
    .. [1] Drummond MF et al. (2015). Methods for the Economic Evaluation of Health Care
       Programmes, 4th ed., ch. 4. Oxford University Press.
    .. [2] dampack ``R/icers.R`` (DARTH-git/dampack).
    """
    c = _as_means(costs, "costs")
    e = _as_means(effects, "effects")
    if c.shape != e.shape:
        raise AnalysisInputError(f"costs ({c.size}) and effects ({e.size}) differ in length")
    nm = _names(names, c.size)
    k = c.size
    order = np.lexsort((-e, c))  # by cost, then decreasing effect (dplyr arrange)
    dominated: set[int] = set()
    for a in range(k - 1):
        for b in range(a + 1, k):
            if e[order[b]] <= e[order[a]]:
                dominated.add(int(order[b]))
    ext: set[int] = set()
    while True:
        nd = [int(i) for i in order if int(i) not in dominated | ext]
        if len(nd) <= 2:
            break
        icer = np.diff(c[nd]) / np.diff(e[nd])  # icer[j] belongs to nd[j + 1]
        new = [nd[j + 1] for j in range(len(nd) - 2) if icer[j] > icer[j + 1]]
        if not new:
            break
        ext.update(new)
    nd = [int(i) for i in order if int(i) not in dominated | ext]
    rows = []
    for pos, i in enumerate(nd):
        if pos == 0:
            rows.append((i, np.nan, np.nan, np.nan, "ND"))
        else:
            dc, de = c[i] - c[nd[pos - 1]], e[i] - e[nd[pos - 1]]
            rows.append((i, dc, de, dc / de, "ND"))
    rows += [(int(i), np.nan, np.nan, np.nan, "ED") for i in order if int(i) in ext]
    rows += [(int(i), np.nan, np.nan, np.nan, "D") for i in order if int(i) in dominated]
    return pd.DataFrame(
        {
            "strategy": [nm[r[0]] for r in rows],
            "cost": [c[r[0]] for r in rows],
            "effect": [e[r[0]] for r in rows],
            "inc_cost": [r[1] for r in rows],
            "inc_effect": [r[2] for r in rows],
            "icer": [r[3] for r in rows],
            "status": [r[4] for r in rows],
        }
    )


def efficiency_frontier(costs, effects) -> np.ndarray:
    """Indices of the options on the cost-effectiveness frontier (means over draws).

    The options that are neither strongly nor extendedly dominated (status ``ND`` in
    :func:`icers`), in increasing order of cost. Plot them joined by lines on the cost vs
    effect (e.g. risk reduction in money) plane.

    Returns
    -------
    numpy.ndarray of int
    """
    c = _as_means(costs, "costs")
    table = icers(c, effects, names=[str(i) for i in range(c.size)])
    return table.loc[table["status"] == "ND", "strategy"].astype(int).to_numpy()


# ----------------------------------------------------------------------------- EVPI


def evpi(nb, *, population=None, horizon=None, discount_rate: float = 0.0) -> float:
    """Expected value of perfect information.

    ``EVPI = E[max_j nb_j] - max_j E[nb_j]`` per decision (per person). With ``population``
    the result is scaled to the population affected over ``horizon`` periods (default 1):
    ``EVPI * sum_{t=0}^{horizon-1} population / (1 + discount_rate)^t``, the population EVPI
    of BCEA / dampack.

    Parameters
    ----------
    nb : array_like, (n, k)
    population : float, optional
        Decisions (people, entities) per period.
    horizon : int, optional
        Number of periods (default 1 when ``population`` is given).
    discount_rate : float
        Per-period discount rate r.

    Returns
    -------
    float

    References
    ----------
    .. [1] Claxton K (1999). The irrelevance of inference: a decision-making approach to the
       stochastic evaluation of health care technologies. J Health Econ 18:341-364.
    .. [2] Briggs A, Claxton K, Sculpher M (2006). Decision Modelling for Health Economic
       Evaluation, ch. 6. Oxford University Press.
    """
    x = as_matrix(nb)
    value = float(x.max(axis=1).mean() - x.mean(axis=0).max())
    value = max(value, 0.0)
    return value * _population_factor(population, horizon, discount_rate)


def _population_factor(population, horizon, discount_rate) -> float:
    if population is None:
        if horizon is not None:
            raise AnalysisInputError("horizon was given without population")
        return 1.0
    horizon = 1 if horizon is None else int(horizon)
    if horizon < 1 or population < 0 or discount_rate <= -1:
        raise AnalysisInputError(
            f"need population >= 0, horizon >= 1, discount_rate > -1; got "
            f"{population}, {horizon}, {discount_rate}"
        )
    t = np.arange(horizon)
    return float(np.sum(population / (1.0 + discount_rate) ** t))


# ----------------------------------------------------------------------------- CSV PSA


@dataclass(frozen=True)
class PSA:
    """A probabilistic sensitivity analysis read from files (draws on axis 0).

    Attributes
    ----------
    names : tuple of str
        Option (strategy) names.
    costs, effects : numpy.ndarray (n, k) or None
    nb_draws : numpy.ndarray (n, k) or None
        Net benefit as given in a file (when no costs/effects).
    inputs : pandas.DataFrame (n, p) or None
        Parameter draws.
    wtp : numpy.ndarray or None
        Willingness-to-pay grid given at load time.
    """

    names: tuple[str, ...]
    costs: np.ndarray | None = field(repr=False)
    effects: np.ndarray | None = field(repr=False)
    nb_draws: np.ndarray | None = field(repr=False, default=None)
    inputs: pd.DataFrame | None = field(repr=False, default=None)
    wtp: np.ndarray | None = None

    @property
    def n(self) -> int:
        a = self.costs if self.costs is not None else self.nb_draws
        return int(a.shape[0])

    def nb(self, wtp=None) -> np.ndarray:
        """Net benefit (n, k): ``wtp * effects - costs``, or the net benefit file."""
        if wtp is None:
            if self.nb_draws is not None:
                return self.nb_draws
            if self.wtp is not None and self.wtp.size == 1:
                wtp = float(self.wtp[0])
            else:
                raise AnalysisInputError("give a single wtp to compute net benefit")
        if self.costs is None or self.effects is None:
            raise AnalysisInputError("this PSA has no costs/effects; use nb() without wtp")
        lam = float(np.asarray(wtp, dtype=float))
        return lam * self.effects - self.costs


def _read_csv(path, what: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise PSAFileError(p, what, "file not found", fix="check the path")
    try:
        df = pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PSAFileError(p, what, "cannot parse as CSV", got=str(exc).splitlines()[0]) from exc
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise PSAFileError(p, what, "no rows or no columns", fix="one row per draw, a header")
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            vals = pd.to_numeric(df[col], errors="coerce")
            bad = vals.isna() & df[col].notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise PSAFileError(
                    p,
                    f"column '{col}'",
                    f"non-numeric cell at data row {row + 1}",
                    got=repr(df[col].iloc[row]),
                    fix="every cell must be a number",
                )
            df[col] = vals
    if df.isna().to_numpy().any():
        r, c = np.argwhere(df.isna().to_numpy())[0]
        raise PSAFileError(
            p,
            f"column '{df.columns[c]}'",
            f"missing value (NaN) at data row {r + 1}",
            fix="fill or drop the draw in every file",
        )
    return df.astype(float)


def load_psa(cost=None, effect=None, parameters=None, nb=None, wtp=None, names=None) -> PSA:
    """Read a PSA from CSV files (one row per draw, one column per option).

    Parameters
    ----------
    cost, effect : path-like, optional
        Cost and effect files with the same option columns in the same order.
    parameters : path-like, optional
        Parameter draws, one column per parameter, row-aligned with the outcome files.
    nb : path-like, optional
        Net benefit file (instead of, or in addition to, cost and effect).
    wtp : float, sequence, or path-like, optional
        Willingness to pay: a number, a grid, or a one-column CSV.
    names : sequence of str, optional
        Option names to select (and order) from the files' columns.

    Returns
    -------
    PSA

    Raises
    ------
    PSAFileError
        One line naming the file and the column: misaligned row counts, missing columns,
        NaN, non-numeric cells, mismatched option columns between cost and effect.
    """
    if nb is None and (cost is None or effect is None):
        raise AnalysisInputError("give both cost= and effect= files, or an nb= file")
    frames: dict[str, tuple[Path, pd.DataFrame]] = {}
    for what, path in (("cost", cost), ("effect", effect), ("nb", nb)):
        if path is not None:
            frames[what] = (Path(path), _read_csv(path, what))
    if "cost" in frames:
        (pc, dc), (pe, de) = frames["cost"], frames["effect"]
        if list(dc.columns) != list(de.columns):
            raise PSAFileError(
                pe,
                "columns",
                f"option columns differ from {pc.name}",
                got=f"{list(de.columns)} vs {list(dc.columns)}",
                fix="use the same option columns in the same order",
            )
    ref_what = next(iter(frames))
    ref_path, ref = frames[ref_what]
    cols = list(ref.columns) if names is None else [str(s) for s in names]
    for path, df in frames.values():
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise PSAFileError(
                path,
                f"column '{missing[0]}'",
                "missing option column",
                got=f"columns {list(df.columns)}",
            )
        if df.shape[0] != ref.shape[0]:
            raise PSAFileError(
                path,
                "rows",
                f"{df.shape[0]} draws but {ref_path.name} has {ref.shape[0]}",
                fix="files must be row-aligned, one row per draw",
            )
    if len(cols) < 2:
        raise PSAFileError(ref_path, "columns", "need at least 2 option columns", got=cols)
    inputs = None
    if parameters is not None:
        pp = Path(parameters)
        inputs = _read_csv(pp, "parameters")
        if inputs.shape[0] != ref.shape[0]:
            raise PSAFileError(
                pp,
                "rows",
                f"{inputs.shape[0]} draws but {ref_path.name} has {ref.shape[0]}",
                fix="parameter draws must be row-aligned with the outcome files",
            )
    w = None
    if wtp is not None:
        if isinstance(wtp, str | Path):
            dw = _read_csv(wtp, "wtp")
            w = dw.iloc[:, 0].to_numpy(dtype=float)
        else:
            w = _wtp_grid(wtp)

    def arr(what):
        if what not in frames:
            return None
        a = frames[what][1][cols].to_numpy(dtype=float)
        a.setflags(write=False)
        return a

    return PSA(
        names=tuple(cols),
        costs=arr("cost"),
        effects=arr("effect"),
        nb_draws=arr("nb"),
        inputs=inputs,
        wtp=w,
    )
