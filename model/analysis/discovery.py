"""Scenario discovery: under which conditions does approach A beat approach B?

The Patient Rule Induction Method (PRIM) finds a box (one interval per input) in which a
binary outcome is concentrated, by peeling a share ``alpha`` of the draws off one face of the
box at a time. :func:`prim` works on draws already made (a DataFrame of inputs and a boolean
target, draws on axis 0); :func:`discover` builds the target ``nb[:, a] > nb[:, b]`` from a
net-benefit matrix. Results are frozen :class:`PrimResult` objects holding the whole peeling
trajectory; :meth:`PrimResult.describe` restates the chosen box in plain words.

The peeling rule is the one of EMA Workbench / the ``prim`` package (Kwakkel; Hadka), itself
from RAND's sdtoolkit: candidate limits are the ``alpha`` and ``1 - alpha`` quantiles of the
draws inside the box (ties handled as there), candidates are scored by the "lenient1"
objective (gain in density per draw removed, Friedman & Fisher 1999, eq. 14.5), ties go to
the candidate leaving more dimensions unrestricted, and peeling stops when no candidate
improves density or the box would fall below ``min_support``. The trajectory matches the
``prim`` package to rounding on real-valued inputs (tests/test_discovery.py).

Speed: each input is sorted once; the per-dimension sorted orders of the draws still in the
box are compacted after each peel, so every candidate quantile is read by index and no step
sorts or loops over draws (1e5 draws x 50 inputs: about 2 s on 2 cores, a third of it the
initial argsort; tests/benchmarks/test_bench_discovery.py).

References
----------
.. [1] Friedman JH, Fisher NI (1999). Bump hunting in high-dimensional data. Statistics and
   Computing 9:123-143. doi:10.1023/A:1008894516817
.. [2] Bryant BP, Lempert RJ (2010). Thinking inside the box: a participatory,
   computer-assisted approach to scenario discovery. Technological Forecasting and Social
   Change 77:34-49. doi:10.1016/j.techfore.2009.08.002
.. [3] Kwakkel JH (2017). The Exploratory Modeling Workbench. Environmental Modelling &
   Software 96:239-250. doi:10.1016/j.envsoft.2017.06.054
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.decision import AnalysisInputError

__all__ = ["Box", "PrimResult", "discover", "prim", "two_significant"]


# --------------------------------------------------------------------------- value objects
def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Box:
    """One box: limits per input and how well it captures the cases of interest.

    ``limits`` is (p, 2), lower and upper limits in data units (inclusive); an unrestricted
    input carries the data's minimum and maximum. ``coverage`` is the share of all cases of
    interest inside the box, ``density`` the share of draws inside the box that are cases of
    interest, ``mass`` (support) the share of all draws inside the box.
    """

    names: tuple[str, ...]
    limits: np.ndarray
    restricted: tuple[bool, ...]
    coverage: float
    density: float
    mass: float
    n_inside: int
    step: int
    pasted: bool = False

    @property
    def n_restricted(self) -> int:
        return int(sum(self.restricted))

    def to_frame(self) -> pd.DataFrame:
        """Restricted inputs only: name, lower, upper (DataFrame)."""
        rows = [
            {"name": n, "lower": lo, "upper": hi}
            for n, (lo, hi), r in zip(self.names, self.limits, self.restricted, strict=True)
            if r
        ]
        return pd.DataFrame(rows, columns=["name", "lower", "upper"])

    def contains(self, inputs) -> np.ndarray:
        """Boolean (n,) mask of the rows of ``inputs`` (n, p) inside the box."""
        x = _as_inputs(inputs, self.names)[0]
        return np.all((x >= self.limits[:, 0]) & (x <= self.limits[:, 1]), axis=1)


@dataclass(frozen=True)
class PrimResult:
    """The peeling trajectory of one PRIM run (step 0 is the box holding every draw).

    Arrays (read-only) have one entry per step: ``coverage``, ``density``, ``mass`` (support),
    ``n_restricted`` and ``limits`` of shape (steps, p, 2). ``chosen_step`` is the step picked
    by the rule given to :func:`prim`; :attr:`chosen` is that box (after pasting, if asked).
    """

    names: tuple[str, ...]
    coverage: np.ndarray
    density: np.ndarray
    mass: np.ndarray
    n_restricted: np.ndarray
    limits: np.ndarray
    init_limits: np.ndarray
    n: int
    n_interest: int
    chosen_step: int
    alpha: float
    min_support: float
    subject: str = "the target holds"
    contrast: tuple[str, str] | None = None
    pasted_box: Box | None = None
    excluded: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def n_steps(self) -> int:
        return int(self.coverage.shape[0])

    @property
    def support(self) -> np.ndarray:
        """Alias of ``mass``: the share of draws inside each box of the trajectory."""
        return self.mass

    def box(self, i: int) -> Box:
        """Box at step ``i`` of the peeling trajectory (negative indices count from the end)."""
        k = self.n_steps
        if not -k <= i < k:
            raise AnalysisInputError(f"box({i}): the trajectory has steps 0..{k - 1}")
        i %= k
        lim = self.limits[i]
        restricted = tuple(
            bool(r)
            for r in (lim[:, 0] != self.init_limits[:, 0]) | (lim[:, 1] != self.init_limits[:, 1])
        )
        return Box(
            self.names,
            _readonly(lim.copy()),
            restricted,
            float(self.coverage[i]),
            float(self.density[i]),
            float(self.mass[i]),
            round(float(self.mass[i]) * self.n),
            i,
        )

    @property
    def chosen(self) -> Box:
        """The chosen box (the pasted one when :func:`prim` was called with ``paste=True``)."""
        if self.pasted_box is not None:
            return self.pasted_box
        return self.box(self.chosen_step)

    def select(self, i: int) -> PrimResult:
        """A copy with step ``i`` chosen (any pasting is dropped)."""
        self.box(i)  # validates i
        return dataclasses.replace(self, chosen_step=i % self.n_steps, pasted_box=None)

    def trajectory(self) -> pd.DataFrame:
        """One row per step: step, coverage, density, mass, n_restricted."""
        return pd.DataFrame(
            {
                "step": np.arange(self.n_steps),
                "coverage": self.coverage,
                "density": self.density,
                "mass": self.mass,
                "n_restricted": self.n_restricted,
            }
        )

    def describe(
        self,
        names: Mapping[str, str] | Sequence[str] | None = None,
        units: Mapping[str, str] | Sequence[str] | None = None,
        *,
        box: Box | None = None,
    ) -> str:
        """The chosen box (or ``box``) in plain words; limits to 2 significant figures.

        Parameters
        ----------
        names : mapping or sequence, optional
            Plain words for inputs (a mapping may also rename the two approaches compared by
            :func:`discover`); a sequence gives one label per input, in column order.
        units : mapping or sequence, optional
            Units appended to the limits of each input.

        Examples
        --------
        "upstream_mitigation beats targeted_downstream whenever w_open is below 0.41 and leak
        is above 0.52 (coverage 82%, density 91%)". Restricted inputs only, the input whose
        limits exclude the most draws first.
        """
        b = self.chosen if box is None else box
        label = _labeller(names, self.names)
        unit = _labeller(units, self.names, default="")
        if self.contrast is not None:
            subject = f"{label(self.contrast[0])} beats {label(self.contrast[1])}"
        else:
            subject = self.subject
        idx = [j for j, r in enumerate(b.restricted) if r]
        if self.excluded is not None and b.step < self.n_steps and not b.pasted:
            excl = self.excluded[b.step]
            idx.sort(key=lambda j: -excl[j])
        parts = []
        for j in idx:
            lo, hi = b.limits[j]
            ilo, ihi = self.init_limits[j]
            u = unit(self.names[j])
            u = f" {u}" if u else ""
            if lo != ilo and hi != ihi:
                cond = f"is between {two_significant(lo)}{u} and {two_significant(hi)}{u}"
            elif lo != ilo:
                cond = f"is above {two_significant(lo)}{u}"
            else:
                cond = f"is below {two_significant(hi)}{u}"
            parts.append(f"{label(self.names[j])} {cond}")
        if parts:
            where = "whenever " + (
                parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
            )
        else:
            where = "throughout the sampled range"
        stats = f"(coverage {b.coverage:.0%}, density {b.density:.0%})"
        return f"{subject} {where} {stats}"

    def __str__(self) -> str:
        return self.describe()


def _labeller(spec, names: tuple[str, ...], default: str | None = None):
    if spec is None:
        table: Mapping[str, str] = {}
    elif isinstance(spec, Mapping):
        table = spec
    else:
        seq = list(spec)
        if len(seq) != len(names):
            raise AnalysisInputError(
                f"describe: got {len(seq)} labels for {len(names)} inputs; "
                "give one per input or a mapping name -> label"
            )
        table = dict(zip(names, seq, strict=True))

    def label(name: str) -> str:
        return str(table.get(name, name if default is None else default))

    return label


def two_significant(x: float) -> str:
    """``x`` to 2 significant figures, without exponent for 1e-4 <= |x| < 1e6."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    r = float(f"{x:.2g}")
    ax = abs(r)
    if 1e-4 <= ax < 1e6:
        decimals = max(0, 1 - math.floor(math.log10(ax)))
        return f"{r:,.{decimals}f}"
    return f"{r:.1e}"


# --------------------------------------------------------------------------- input checks
def _as_inputs(inputs, names: Sequence[str] | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    if isinstance(inputs, pd.DataFrame):
        cols = tuple(str(c) for c in inputs.columns)
        dtypes = inputs.dtypes  # read once: a column's Series per check costs ~0.1 ms each
        bad = [c for c, d in dtypes.items() if not pd.api.types.is_numeric_dtype(d)]
        if bad or any(pd.api.types.is_bool_dtype(d) for d in dtypes):
            bad = bad or [c for c, d in dtypes.items() if pd.api.types.is_bool_dtype(d)]
            raise AnalysisInputError(
                f"inputs column {bad[0]!r} is not real-valued ({inputs[bad[0]].dtype}); "
                "PRIM here peels real-valued inputs only: encode it as numbers or drop it"
            )
        x = inputs.to_numpy(dtype=float)
    elif hasattr(inputs, "to_frame") and hasattr(inputs, "names"):  # model.inputs.sampling.Draws
        return _as_inputs(inputs.to_frame(), names)
    else:
        try:
            x = np.asarray(inputs, dtype=float)
        except (TypeError, ValueError) as exc:
            raise AnalysisInputError(
                f"inputs must be a numeric DataFrame or (n, p) array, got {type(inputs).__name__}"
            ) from exc
        cols = tuple(names) if names is not None else tuple(f"x{j}" for j in range(x.shape[-1]))
    if x.ndim != 2 or x.shape[1] < 1:
        raise AnalysisInputError(f"inputs must be 2-D (n draws, p inputs), got shape {x.shape}")
    if names is not None and tuple(names) != cols:
        raise AnalysisInputError(f"inputs have columns {cols[:5]}...; expected {tuple(names)[:5]}")
    if not np.all(np.isfinite(x)):
        r, c = np.argwhere(~np.isfinite(x))[0]
        raise AnalysisInputError(
            f"inputs column {cols[c]!r} holds {np.count_nonzero(~np.isfinite(x[:, c]))} "
            f"NaN/inf value(s), first at draw {r}; drop those draws or impute them"
        )
    return x, cols


def _as_target(target, n: int) -> np.ndarray:
    y = np.asarray(target)
    if y.ndim != 1:
        raise AnalysisInputError(f"target must be 1-D (n,), got shape {y.shape}")
    if y.shape[0] != n:
        raise AnalysisInputError(
            f"target has {y.shape[0]} draws but inputs have {n}; pass row-aligned arrays"
        )
    if y.dtype != bool:
        if not np.all(np.isin(y, (0, 1))):
            raise AnalysisInputError(
                "target must be boolean (or 0/1); threshold a continuous outcome first, "
                "e.g. target = nb[:, a] > nb[:, b]"
            )
        y = y.astype(bool)
    k = int(np.count_nonzero(y))
    if k == 0:
        raise AnalysisInputError(
            f"target has no True values among {n} draws: there is nothing to discover"
        )
    if k == n:
        raise AnalysisInputError(
            f"target is True in all {n} draws: the whole sampled space is the answer"
        )
    return y


# --------------------------------------------------------------------------- the algorithm
def _ref_quantile(sorted_x: np.ndarray, q: float) -> float:
    """The tie-aware quantile of EMA Workbench / ``prim`` (``get_quantile``) on sorted data."""
    m = sorted_x.shape[0]
    i = (m - 1) * q
    lo, hi = math.floor(i), math.ceil(i)
    if q > 0.5:
        if sorted_x[lo] == sorted_x[hi]:
            lo = max(int(np.searchsorted(sorted_x, sorted_x[hi], "left")) - 1, 0)
    elif sorted_x[lo] == sorted_x[hi]:
        hi = min(int(np.searchsorted(sorted_x, sorted_x[lo], "right")), m - 1)
    return (sorted_x[lo] + sorted_x[hi]) / 2


def _lenient1(ysum_old, m_old, ysum_new, m_new):
    """Friedman & Fisher (1999) eq. 14.5 as in ``prim.lenient1``, vectorised over candidates."""
    mean_old = ysum_old / m_old
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_new = np.where(m_new > 0, ysum_new / np.maximum(m_new, 1), 0.0)
        dm = np.abs(m_old - m_new)
        obj = np.where((mean_new != mean_old) & (dm > 0), (mean_new - mean_old) / dm, 0.0)
    return obj, mean_new


def _pick(obj: np.ndarray, nonres: np.ndarray) -> int:
    """First candidate of the (obj, unrestricted dims) descending stable sort."""
    best = obj == obj.max()
    nr = np.where(best, nonres, -1)
    return int(np.flatnonzero(nr == nr.max())[0])


def _peel(x: np.ndarray, y: np.ndarray, alpha: float, mass_min: float):
    n, p = x.shape
    xt = np.ascontiguousarray(x.T)
    order = np.argsort(xt, axis=1).astype(np.int32)  # ties in any order: values are what count
    rows = np.arange(p)
    xs_full = np.take_along_axis(xt, order, axis=1)
    init = np.stack([xs_full[:, 0], xs_full[:, -1]], axis=1)
    yb = y.astype(np.int32)
    lim = init.copy()
    inbox = np.ones(n, dtype=bool)
    t_coi = int(y.sum())
    m, ysum = n, t_coi
    traj_lim = [lim.copy()]
    traj = [(ysum, m, 0)]

    def vals(col):  # sorted in-box values at column ``col`` of every row
        return xt[rows, order[:, col]]

    def row(j):  # all sorted in-box values of input j (slow path, ties only)
        return xt[j].take(order[j])

    while m >= 2:
        # lower face: keep x >= v_lo (reference: get_quantile(x, alpha))
        f = math.floor((m - 1) * alpha)
        a, a1 = vals(f), vals(f + 1)
        up = np.full(p, f + 1)
        for j in np.flatnonzero(~(a1 > a)):
            up[j] = np.searchsorted(row(j), a[j], "right")
            a1[j] = row(j)[min(up[j], m - 1)]
        v_lo = (a + a1) / 2
        r_lo = up.copy()
        for j in np.flatnonzero(~(v_lo > a) | (up >= m)):
            r_lo[j] = np.searchsorted(row(j), v_lo[j], "left")
        # upper face: keep x <= v_hi (reference: get_quantile(x, 1 - alpha))
        c = math.ceil((m - 1) * (1 - alpha))
        b, b1 = vals(c), vals(c - 1)
        dn = np.full(p, c - 1)
        for j in np.flatnonzero(~(b1 < b)):
            dn[j] = np.searchsorted(row(j), b[j], "left") - 1
            b1[j] = row(j)[max(dn[j], 0)]
        v_hi = (b1 + b) / 2
        kept = dn + 1
        for j in np.flatnonzero(~(v_hi < b) | (dn < 0)):
            kept[j] = np.searchsorted(row(j), v_hi[j], "right")
        r_hi = m - kept
        # cases of interest removed by each candidate (prefix/suffix sums in sorted order)
        ylo = np.zeros(p, dtype=np.int64)
        rmax = int(r_lo.max())
        if rmax > 0:
            cs = np.cumsum(yb.take(order[:, :rmax]), axis=1)
            ylo = np.where(r_lo > 0, cs[rows, np.maximum(r_lo - 1, 0)], 0)
        yhi = np.zeros(p, dtype=np.int64)
        rmax = int(r_hi.max())
        if rmax > 0:
            cs = np.cumsum(yb.take(order[:, m - rmax :][:, ::-1]), axis=1)
            yhi = np.where(r_hi > 0, cs[rows, np.maximum(r_hi - 1, 0)], 0)
        # candidates interleaved as in the reference: dim 0 upper, dim 0 lower, dim 1 upper, ...
        m_new = np.empty(2 * p, dtype=np.int64)
        m_new[0::2], m_new[1::2] = m - r_hi, m - r_lo
        y_new = np.empty(2 * p, dtype=np.int64)
        y_new[0::2], y_new[1::2] = ysum - yhi, ysum - ylo
        obj, _ = _lenient1(ysum, m, y_new.astype(float), m_new)
        res = ((lim[:, 0] != init[:, 0]) | (lim[:, 1] != init[:, 1])).astype(np.int64)
        n_res = int(res.sum())
        res_hi = (lim[:, 0] != init[:, 0]) | (v_hi != init[:, 1])
        res_lo = (v_lo != init[:, 0]) | (lim[:, 1] != init[:, 1])
        nonres = np.empty(2 * p, dtype=np.int64)
        nonres[0::2] = p - (n_res - res + res_hi)
        nonres[1::2] = p - (n_res - res + res_lo)
        k = _pick(obj, nonres)
        mass_new, mass_old = m_new[k] / n, m / n
        if not (mass_new >= mass_min and mass_new < mass_old and obj[k] > 0):
            break
        j, lower = divmod(k, 2)
        if lower:
            inbox[order[j, : r_lo[j]]] = False
            lim[j, 0] = v_lo[j]
        else:
            inbox[order[j, kept[j] :]] = False
            lim[j, 1] = v_hi[j]
        m, ysum = int(m_new[k]), int(y_new[k])
        order = order[np.take(inbox, order)].reshape(p, m)  # compact: in-box draws stay
        traj_lim.append(lim.copy())
        traj.append((ysum, m, int(((lim != init).any(axis=1)).sum())))
    return traj, np.array(traj_lim), init, xs_full, t_coi


def _paste(x, y, lim, init, alpha, mass_min, t_coi):
    """Pasting as in ``prim.Prim._paste`` (candidates on restricted inputs only)."""
    n, p = x.shape
    lim = lim.copy()
    while True:
        within = (x >= lim[:, 0]) & (x <= lim[:, 1])
        nviol = p - within.sum(axis=1)
        inbox = nviol == 0
        m, ysum = int(inbox.sum()), int(y[inbox].sum())
        res = np.flatnonzero((lim[:, 0] != init[:, 0]) | (lim[:, 1] != init[:, 1]))
        cands = []
        for j in res:
            others = (nviol - (~within[:, j])) == 0
            for upper in (False, True):
                if upper:
                    slab = others & (x[:, j] >= lim[j, 1]) & (x[:, j] <= init[j, 1])
                    d = np.sort(x[slab, j])
                    v = _ref_quantile(d, alpha) if d.size else init[j, 1]
                    new_in = others & (x[:, j] >= lim[j, 0]) & (x[:, j] <= v)
                else:
                    slab = others & (x[:, j] >= init[j, 0]) & (x[:, j] <= lim[j, 0])
                    d = np.sort(x[slab, j])
                    v = _ref_quantile(d, 1 - alpha) if d.size else init[j, 0]
                    new_in = others & (x[:, j] >= v) & (x[:, j] <= lim[j, 1])
                new_lim = lim.copy()
                new_lim[j, int(upper)] = v
                cands.append((j, new_lim, int(new_in.sum()), int(y[new_in].sum())))
        if not cands:
            return lim
        m_new = np.array([c[2] for c in cands])
        y_new = np.array([c[3] for c in cands], dtype=float)
        obj, mean_new = _lenient1(ysum, m, y_new, m_new)
        nonres = np.array(
            [p - int(((c[1] != init).any(axis=1)).sum()) for c in cands], dtype=np.int64
        )
        k = _pick(obj, nonres)
        ok = m_new[k] / n >= mass_min and m_new[k] / n > m / n
        if not (ok and obj[k] > 0 and mean_new[k] > ysum / m):
            return lim
        lim = cands[k][1]


# --------------------------------------------------------------------------- public API
def prim(
    inputs,
    target,
    *,
    alpha: float = 0.05,
    min_support: float = 0.05,
    threshold: float | None = None,
    coverage_floor: float = 0.8,
    paste: bool = False,
    paste_alpha: float | None = None,
    subject: str = "the target holds",
) -> PrimResult:
    """Peel a box in which ``target`` is concentrated (PRIM, one box).

    Parameters
    ----------
    inputs : DataFrame (n, p), (n, p) array or Draws
        Real-valued inputs, draws on axis 0 (no NaN).
    target : bool array (n,)
        The cases of interest, e.g. ``nb[:, a] > nb[:, b]``.
    alpha : float
        Peeling fraction in (0, 0.5): the share of the box's draws peeled per step.
    min_support : float
        Peeling stops before the box holds fewer than this share of all draws.
    threshold : float, optional
        Choose the last step whose density is at least ``threshold``. Without it, choose the
        step with the highest density among those with coverage >= ``coverage_floor`` (ties
        to the higher coverage).
    coverage_floor : float
        See ``threshold``.
    paste : bool
        Paste the chosen box (Friedman & Fisher 1999, sec. 8) with ``paste_alpha``
        (default ``alpha``); :attr:`PrimResult.chosen` is then the pasted box.
    subject : str
        What the target means, used by :meth:`PrimResult.describe`.

    Returns
    -------
    PrimResult

    Raises
    ------
    AnalysisInputError (a ValueError)
        One line for: a target with no True or no False, mismatched lengths, NaN in the
        inputs, ``alpha`` outside (0, 0.5), ``min_support`` leaving an empty box, an
        unreachable ``threshold``.
    """
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 0.5):
        raise AnalysisInputError(
            f"alpha={alpha!r} is outside (0, 0.5); the peeling fraction is usually 0.05-0.1"
        )
    pa = alpha if paste_alpha is None else paste_alpha
    if not 0 < pa < 0.5:
        raise AnalysisInputError(f"paste_alpha={pa!r} is outside (0, 0.5); try 0.05")
    x, names = _as_inputs(inputs)
    n = x.shape[0]
    y = _as_target(target, n)
    if not 0 < min_support < 1:
        raise AnalysisInputError(f"min_support={min_support!r} is outside (0, 1); try 0.05")
    if min_support * n < 1:
        raise AnalysisInputError(
            f"min_support={min_support:g} with {n} draws allows a box holding no draw "
            f"({min_support * n:.2g} draws); raise min_support to at least {1 / n:.3g} "
            "or give more draws"
        )
    traj, lims, init, xs_full, t_coi = _peel(x, y, float(alpha), float(min_support))
    ysum = np.array([t[0] for t in traj], dtype=float)
    m = np.array([t[1] for t in traj], dtype=float)
    coverage, density, mass = ysum / t_coi, ysum / m, m / n
    n_res = np.array([t[2] for t in traj], dtype=np.int64)
    if threshold is not None:
        ok = np.flatnonzero(density >= threshold)
        if ok.size == 0:
            raise AnalysisInputError(
                f"no box reaches density >= threshold={threshold:g} (highest density "
                f"{density.max():.3g}); lower the threshold or reduce min_support"
            )
        chosen = int(ok[-1])
    else:
        ok = coverage >= coverage_floor
        ok[0] = True
        dmax = density[ok].max()
        chosen = int(np.flatnonzero(ok & (density >= dmax))[0])
    # share of all draws excluded by each input's limits alone, per step (to rank restrictions)
    p = x.shape[1]
    excluded = np.empty((len(traj), p))
    for j in range(p):
        below = np.searchsorted(xs_full[j], lims[:, j, 0], "left")
        above = n - np.searchsorted(xs_full[j], lims[:, j, 1], "right")
        excluded[:, j] = (below + above) / n
    result = PrimResult(
        names=names,
        coverage=_readonly(coverage),
        density=_readonly(density),
        mass=_readonly(mass),
        n_restricted=_readonly(n_res),
        limits=_readonly(lims),
        init_limits=_readonly(init),
        n=n,
        n_interest=t_coi,
        chosen_step=chosen,
        alpha=float(alpha),
        min_support=float(min_support),
        subject=subject,
        excluded=_readonly(excluded),
    )
    if paste:
        lim = _readonly(_paste(x, y, lims[chosen], init, pa, min_support, t_coi))
        inside = np.all((x >= lim[:, 0]) & (x <= lim[:, 1]), axis=1)
        k, ky = int(inside.sum()), int(y[inside].sum())
        restricted = tuple(bool(r) for r in (lim != init).any(axis=1))
        pasted = Box(names, lim, restricted, ky / t_coi, ky / k, k / n, k, chosen, pasted=True)
        result = dataclasses.replace(result, pasted_box=pasted)
    return result


def discover(
    nb,
    names: Sequence[str],
    inputs,
    a: int | str,
    b: int | str,
    **kwargs: Any,
) -> PrimResult:
    """Where does option ``a`` beat option ``b``? PRIM on ``target = nb[:, a] > nb[:, b]``.

    Parameters
    ----------
    nb : ndarray (n, k)
        Net benefit per draw and option (draws on axis 0).
    names : sequence of str
        The k option names.
    inputs : DataFrame (n, p), (n, p) array or Draws
        The parameter draws that produced ``nb``, row-aligned.
    a, b : int or str
        Options to compare, by position or name.
    **kwargs
        Passed to :func:`prim` (``alpha``, ``min_support``, ``threshold``, ``paste``...).
    """
    x = np.asarray(nb, dtype=float)
    if x.ndim != 2:
        raise AnalysisInputError(f"nb must be 2-D (n draws, k options), got shape {x.shape}")
    names = tuple(str(s) for s in names)
    if len(names) != x.shape[1]:
        raise AnalysisInputError(f"nb has {x.shape[1]} options but {len(names)} names")
    if not np.all(np.isfinite(x)):
        raise AnalysisInputError("nb holds NaN/inf values; drop those draws first")

    def index(o):
        if isinstance(o, str):
            if o not in names:
                raise AnalysisInputError(f"unknown option {o!r}; options are {', '.join(names)}")
            return names.index(o)
        if not -len(names) <= int(o) < len(names):
            raise AnalysisInputError(f"option index {o} out of range for {len(names)} options")
        return int(o) % len(names)

    ia, ib = index(a), index(b)
    if ia == ib:
        raise AnalysisInputError(f"a and b are the same option ({names[ia]!r})")
    res = prim(inputs, x[:, ia] > x[:, ib], **kwargs)
    return dataclasses.replace(
        res, subject=f"{names[ia]} beats {names[ib]}", contrast=(names[ia], names[ib])
    )
