"""Two parameter sets (or saved runs) on the same seed: what changed, and what it did to the
decision, with a one-at-a-time attribution of the change to each differing parameter."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.errors import UsageError
from model.inputs.parameters import ParameterSet
from model.study.simulate import Results, simulate

__all__ = ["ATTRIBUTION", "Comparison", "compare"]

#: Column of :attr:`Comparison.parameters` holding each parameter's one-at-a-time effect.
ATTRIBUTION = "moves lead of A's choice by"


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare` (money in present value, the runs' currency)."""

    a: Results
    b: Results
    #: Per approach (by label): E[NB] under A and B, the change, and P(best) under A and B.
    table: pd.DataFrame
    #: Parameters whose distributions differ: A, B, medians, unit, and (shared ones) how much
    #: taking that one parameter from B moves the lead of A's best approach (:data:`ATTRIBUTION`).
    parameters: pd.DataFrame
    #: Structure settings that differ, one ``key: A -> B`` line each.
    settings: tuple[str, ...]
    best_a: str
    best_b: str
    #: Lead of A's best approach over the next best under A.
    lead_a: float

    @property
    def changed(self) -> bool:
        """True when A and B recommend different approaches."""
        return self.best_a != self.best_b


def compare(
    a: ParameterSet | Results,
    b: ParameterSet | Results,
    *,
    n: int = 16384,
    rng: int = 1,
    design: str = "sobol",
    attribute: bool = True,
) -> Comparison:
    """Compare A and B on the same seed: parameter sets are simulated with ``n``, ``rng`` and
    ``design``; saved runs (:class:`Results`) are used as they are. With ``attribute``, every
    parameter that differs and exists in both is taken alone from B into A and re-simulated.

    Raises UsageError when the two declare different approaches or a run holds summaries only.
    """
    kw = {"n": n, "rng": rng, "design": design, "progress": False}
    ra, rb = (_run(side, kw) for side in (a, b))
    pa, pb = ra.params, rb.params
    if ra.approaches != rb.approaches:
        raise UsageError("the two sides declare different approaches; compare needs the same ones")
    sa, sb = ra.summary(), rb.summary()
    table = pd.DataFrame(
        {
            "approach": [ra.labels[k] for k in ra.approaches],
            "E[NB] A": sa["mean"].to_numpy(),
            "E[NB] B": sb["mean"].to_numpy(),
            "change": (sb["mean"] - sa["mean"]).to_numpy(),
            "P(best) A": sa["prob_best"].to_numpy(),
            "P(best) B": sb["prob_best"].to_numpy(),
        }
    ).set_index("approach")
    best_a, best_b = str(sa["mean"].idxmax()), str(sb["mean"].idxmax())
    ia = list(ra.approaches).index(best_a)
    lead_a = float(sa["mean"].iloc[ia] - sa["mean"].drop(best_a).max())
    diff = _parameter_diff(pa, pb).set_index("parameter")
    effects = {}
    if attribute:
        for p in (p for p in diff.index if p in pa and p in pb):
            m = simulate(pa.replace(**{p: pb[p].dist}), **kw).net_benefit.mean(axis=0)
            effects[p] = float(m[ia] - np.delete(m, ia).max() - lead_a)
    diff[ATTRIBUTION] = pd.Series(effects, dtype=float)
    diff = diff.sort_values(ATTRIBUTION, key=lambda s: -s.abs(), na_position="last")
    return Comparison(ra, rb, table, diff, tuple(_structure_diff(pa, pb)), best_a, best_b, lead_a)


def _run(side: ParameterSet | Results, kw: dict) -> Results:
    if isinstance(side, ParameterSet):
        return simulate(side, **kw)
    if not hasattr(side, "net_benefit"):
        raise UsageError("a run holding summaries only cannot be compared; save it with draws")
    return side


def _parameter_diff(a: ParameterSet, b: ParameterSet) -> pd.DataFrame:
    fa = a.to_frame().set_index("name")
    fb = b.to_frame().set_index("name")
    rows = []
    for name in dict.fromkeys([*fa.index, *fb.index]):
        da = fa["distribution"].get(name)
        db = fb["distribution"].get(name)
        if da != db:
            rows.append(
                {
                    "parameter": name,
                    "A": da if da is not None else "(absent)",
                    "B": db if db is not None else "(absent)",
                    "median A": fa["median"].get(name, np.nan),
                    "median B": fb["median"].get(name, np.nan),
                    "unit": (fa["unit"].get(name) or fb["unit"].get(name) or ""),
                }
            )
    return pd.DataFrame(rows, columns=["parameter", "A", "B", "median A", "median B", "unit"])


def _flatten(x, prefix: str = "") -> dict[str, str]:
    if hasattr(x, "items"):
        out = {}
        for k, v in x.items():
            out |= _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(x, (list, tuple)):
        return {prefix: json.dumps(list(x), default=str)}
    return {prefix: repr(x)}


def _structure_diff(a: ParameterSet, b: ParameterSet) -> list[str]:
    fa, fb = _flatten(a.structure), _flatten(b.structure)
    return [
        f"{k}: {fa.get(k, '(absent)')} -> {fb.get(k, '(absent)')}"
        for k in sorted(set(fa) | set(fb))
        if not k.endswith(".source") and fa.get(k) != fb.get(k)
    ]
