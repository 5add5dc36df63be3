"""Probability distributions for parameters: named keys in, vectorised inverse CDFs out.

``base`` holds the interface and the quantile tables, ``families`` the parametric families and
``pool`` expert pooling; :func:`from_spec` builds any of them from a parameter-file table such
as ``{"dist": "lognormal", "p05": 10, "p95": 30}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.inputs.distributions.base import TABLE_RTOL, U_MAX, U_MIN, Distribution
from model.inputs.distributions.families import FAMILIES, family_from_spec
from model.inputs.distributions.pool import COMBINERS, Expert, Pool, expert_index

__all__ = [
    "COMBINERS",
    "FAMILIES",
    "TABLE_RTOL",
    "U_MAX",
    "U_MIN",
    "Distribution",
    "Expert",
    "Pool",
    "expert_index",
    "from_spec",
]


def from_spec(spec: Mapping[str, Any], where: Any = None) -> Distribution:
    """Build a distribution, pooled or not, from a spec table with a ``dist`` key (or ``value``
    alone = fixed).

    Examples
    --------
    >>> from_spec({"dist": "lognormal", "p05": 10, "p95": 30}).describe()
    'lognormal(p05=10, p95=30)'
    """
    name = spec.get("dist")
    if isinstance(name, str) and name in COMBINERS:
        return COMBINERS[name].from_spec(spec, where)
    return family_from_spec(spec, where)
