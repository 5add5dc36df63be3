"""One ranking of what drives a decision, reconciling the measures that each name a driver.

Each measure answers a different question, so each can name a different leading input:

- tornado swing: how far the leader's margin moves when one input goes from its 5th to its
  95th percentile with every other input at its median (one at a time);
- switching values: how close to its median an input's switching point sits, as
  |percentile - 50| (one at a time; the input whose median flips the decision most easily);
- EVPPI: the value of learning the input exactly, averaged over every other input's
  uncertainty (only estimates that clear the pure-noise control count);
- PRIM: the inputs that bound the region of the draws where the runner-up wins, by the share
  of draws each bound excludes;
- delta: the shift in the whole distribution of the margin from fixing the input
  (only inputs above the noise level count).

Each input gets its rank under every measure (inputs a measure does not single out share
the rank after its last), and the drivers are ordered by how many measures put them in their
top 5, then by their mean rank (a Borda count; de Borda 1781, as used to combine sensitivity
rankings by Saisana, Saltelli & Tarantola 2005, J R Stat Soc A 168:307-323): an input most
measures agree on leads, not one that is middling under all of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MEASURES", "decision_drivers", "drivers_sentence", "prim_restrictions"]

#: Each measure's name in words.
NAMES = {
    "tornado": "tornado",
    "switching": "switching values",
    "evppi": "EVPPI",
    "prim": "PRIM",
    "delta": "delta",
}

#: Column of each measure's rank, and what the measure asks (for the sentence).
MEASURES = {
    "tornado": "a one-at-a-time swing with the other inputs at their medians",
    "switching": "how near its median the input's switching point lies, others at medians",
    "evppi": "the value of learning the input, averaged over the other inputs",
    "prim": "the bounds of the region where the runner-up wins",
    "delta": "the shift in the margin's whole distribution",
}


def prim_restrictions(box, inputs: pd.DataFrame) -> pd.Series:
    """Share of the draws each restricted limit of a PRIM box excludes on its own.

    ``box`` is a :class:`model.analysis.discovery.Box` (``names``, ``limits``,
    ``restricted``); returns a Series indexed by input, restricted inputs only.
    """
    out = {}
    for name, (lo, hi), r in zip(box.names, box.limits, box.restricted, strict=True):
        if r:
            x = inputs[name].to_numpy(dtype=float)
            out[name] = float(np.mean((x < lo) | (x > hi)))
    return pd.Series(out, name="excluded", dtype=float)


def _rank(score: pd.Series, signal: pd.Series | None = None, ascending=False) -> pd.Series:
    """1 = strongest; inputs without a signal share the rank after the last with one."""
    s = score.dropna()
    if signal is not None:
        s = s[signal.reindex(s.index).fillna(False).astype(bool)]
    r = s.rank(ascending=ascending, method="min")
    return r


def decision_drivers(
    *,
    tornado: pd.DataFrame | None = None,
    switching: pd.DataFrame | None = None,
    evppi: pd.DataFrame | None = None,
    prim: pd.Series | None = None,
    delta: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank inputs by every measure given and combine the ranks (top-5 count, then mean rank).

    Parameters
    ----------
    tornado : DataFrame with ``parameter`` and ``swing`` (:func:`sensitivity.tornado`).
    switching : DataFrame with ``parameter`` and ``quantile`` (the first switching
        percentile as a share; None/NaN when the decision does not switch).
    evppi : DataFrame indexed by parameter with ``evppi`` and optionally ``within_noise``
        (:func:`model.analysis.voi.research_priorities`).
    prim : Series of the share of draws each restricted input's PRIM limit excludes
        (:func:`prim_restrictions`).
    delta : DataFrame indexed by parameter with ``delta`` and ``above_noise``
        (:func:`sensitivity.global_ranking`).

    Returns
    -------
    pandas.DataFrame
        Index ``parameter``; per measure given its value (``swing``, ``switch_percentile``,
        ``evppi``, ``prim_excluded``, ``delta``) and rank (``<measure>_rank``); ``mean_rank``,
        ``top5`` (how many measures put the input in their top 5), ``rank``. ``attrs``:
        ``leaders`` (measure -> its leading input), ``silent`` (measures that single out
        no input: they are left out of the mean rank) and ``sentence``.
    """
    values, ranks = {}, {}
    if tornado is not None and len(tornado):
        t = tornado.set_index("parameter")["swing"].astype(float)
        values["swing"], ranks["tornado"] = t, _rank(t, t > 0)
    if switching is not None and len(switching):
        q = pd.to_numeric(switching.set_index("parameter")["quantile"], errors="coerce")
        values["switch_percentile"] = 100 * q
        ranks["switching"] = _rank((q - 0.5).abs(), ascending=True)
    if evppi is not None and len(evppi):
        e = evppi["evppi"].astype(float)
        clear = ~evppi["within_noise"].astype(bool) if "within_noise" in evppi else e > 0
        values["evppi"], ranks["evppi"] = e, _rank(e, clear & (e > 0))
    if prim is not None and len(prim):
        values["prim_excluded"], ranks["prim"] = prim, _rank(prim, prim > 0)
    if delta is not None and len(delta):
        d = delta["delta"].astype(float)
        values["delta"], ranks["delta"] = d, _rank(d, delta.get("above_noise", d > 0))
    silent = [m for m, r in ranks.items() if not r.size]
    ranks = {m: r for m, r in ranks.items() if r.size}
    names = pd.Index(
        sorted(set().union(*(v.index for v in values.values()))) if values else [],
        name="parameter",
    )
    out = pd.DataFrame({k: v.reindex(names) for k, v in values.items()}, index=names)
    for m, r in ranks.items():
        out[f"{m}_rank"] = r.reindex(names).fillna(r.size + 1)
    rank_cols = [f"{m}_rank" for m in ranks]
    out["mean_rank"] = out[rank_cols].mean(axis=1) if rank_cols else np.nan
    out["top5"] = (out[rank_cols] <= 5).sum(axis=1) if rank_cols else 0
    # consensus first: the input most measures put in their top 5, then the better mean rank
    out = out.sort_values(["top5", "mean_rank"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    leaders = {m: str(r.idxmin()) for m, r in ranks.items()}
    out.attrs = {
        "leaders": leaders,
        "silent": silent,
        "sentence": drivers_sentence(out, leaders, silent),
    }
    return out


def drivers_sentence(table: pd.DataFrame, leaders: dict[str, str], silent=(), label=str) -> str:
    """Where the measures agree on the leading driver, or why they differ (``silent``: the
    measures that single out no input; ``label`` maps an input's name to words)."""
    none = (
        f" {' and '.join(NAMES[m] for m in silent)} single{'s' if len(silent) == 1 else ''} "
        "out no input "
        "above its noise control at this number of draws."
        if silent
        else ""
    )
    if not leaders:
        return "No measure singles out an input that drives the decision." + none
    top = str(table.index[0])
    n = len(leaders)
    agree = [m for m, p in leaders.items() if p == top]
    if len(agree) == n:
        return (
            f"All {n} measures ({', '.join(NAMES[m] for m in leaders)}) name {label(top)} "
            "as the leading driver." + none
        )
    named = "; ".join(f"{NAMES[m]} names {label(p)} ({MEASURES[m]})" for m, p in leaders.items())
    one_way = {"tornado", "switching"} & set(leaders)
    averaged = {"evppi", "delta"} & set(leaders)
    why = []
    if one_way and averaged and {leaders[m] for m in one_way} != {leaders[m] for m in averaged}:
        why.append(
            "one-at-a-time measures hold the other inputs at their medians, while EVPPI and "
            "delta average over their uncertainty, so an input that matters only together "
            "with others (or only in their tails) ranks higher under the latter"
        )
    if "prim" in leaders and leaders["prim"] != top:
        why.append("PRIM names where the decision flips, not how much learning is worth")
    k = int(table["top5"].iloc[0])
    return (
        f"Combining the ranks, {label(top)} leads (in the top 5 of {k} of {n} measures). "
        f"The measures differ: {named}."
        + (f" They differ because {'; '.join(why)}." if why else "")
        + none
    )
