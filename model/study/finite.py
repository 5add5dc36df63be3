"""Non-finite outcomes told as a one-line error naming the parameters responsible.

A parameter whose draws overflow the equations (values near 1e308, a divisor drawn at zero)
makes net benefit infinite or NaN. :func:`check_finite` finds the first such draw and
re-evaluates it with each parameter in turn set to its median: the parameters that make it
finite are named, with their files.
"""

from __future__ import annotations

import numpy as np

from model.errors import HeadwaterError
from model.inputs.distributions.base import PYTHON
from model.inputs.parameters import ParameterSet
from model.regulation import RegulationModel, evaluate

__all__ = ["check_finite", "culprits"]

#: A draw this large overflows the model's products.
EXTREME = 1e150


def culprits(params: ParameterSet, regulation: RegulationModel, row: np.ndarray) -> list[str]:
    """Parameters that, set alone to their median, make the draw ``row`` finite."""
    names = params.names
    median = params.transform(np.full((1, len(params.uncertain_names)), 0.5))[0]
    trials = np.repeat(row[None, :], len(names), axis=0)
    trials[np.arange(len(names)), np.arange(len(names))] = median
    with np.errstate(all="ignore"):
        nb = evaluate(regulation, dict(zip(names, trials.T, strict=True))).net_benefit
    fixed = np.isfinite(nb).all(axis=1) & (trials != row).any(axis=1)
    return [names[i] for i in np.flatnonzero(fixed)]


def check_finite(
    params: ParameterSet, regulation: RegulationModel, draws: np.ndarray, net: np.ndarray
) -> None:
    """Raise a one-line HeadwaterError if ``net`` (n, k) holds a non-finite value."""
    bad = ~np.isfinite(net)
    if not bad.any():
        return
    draw, j = (int(i) for i in np.argwhere(bad)[0])
    row = np.array(draws[draw], dtype=float)
    names = culprits(params, regulation, row)
    extreme = [n for n, x in zip(params.names, row, strict=True) if not abs(x) < EXTREME]

    def source(n: str) -> str:
        file = params[n].file
        return n if file == PYTHON else f"{n} ({file})"

    if names:
        where = ", ".join(source(n) for n in names[:3])
        cause = f"it is finite with {where} at its median: narrow that parameter's range"
    elif extreme:
        where = ", ".join(f"{source(n)} = {row[params.names.index(n)]:g}" for n in extreme[:3])
        cause = f"it draws {where}: give a value the equations can hold (well below 1e300)"
    else:
        cause = "no single parameter explains it: check the ranges of the parameters it draws"
    raise HeadwaterError(
        f"net benefit is not finite in {int(bad.any(axis=1).sum()):,} of {len(net):,} draws "
        f"(first: draw {draw}, approach {regulation.approach_names[j]}); {cause}"
    )
