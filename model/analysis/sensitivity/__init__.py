"""Sensitivity analysis, one module per method (as SALib is organised): ``variance`` (Sobol),
``screening`` (Morris), ``moment_independent`` (delta), ``stability`` (a converged global
ranking and the warnings for unstable indices), ``fourier`` (RBD-FAST), ``one_at_a_time``
(tornado, spider, two-way, switching values) and ``monte_carlo`` (convergence of the decision),
on the shared problem definition in ``problem``.

A ``problem`` is either ParameterSet-like (duck type: ``.names`` and
``.transform(u: (m, d)) -> (m, d)`` mapping the unit hypercube to data units; for one-way
analyses also ``.parameters[name].dist.ppf(q)``) or a SALib-style dict (``names``,
``bounds``, optional ``dists``). ``func`` maps an (m, d) matrix of inputs in data units to
(m,) or (m, k) outputs in ONE vectorised call.
"""

from model.analysis.sensitivity.fourier import rbd_fast
from model.analysis.sensitivity.moment_independent import delta
from model.analysis.sensitivity.monte_carlo import ConvergenceResult, convergence
from model.analysis.sensitivity.one_at_a_time import spider, switching_values, tornado, two_way
from model.analysis.sensitivity.screening import morris
from model.analysis.sensitivity.stability import (
    SensitivityWarning,
    global_ranking,
    index_problems,
    rank_agreement,
)
from model.analysis.sensitivity.variance import SobolResult, saltelli_design, sobol, sobol_indices

__all__ = [
    "ConvergenceResult",
    "SensitivityWarning",
    "SobolResult",
    "convergence",
    "delta",
    "global_ranking",
    "index_problems",
    "morris",
    "rank_agreement",
    "rbd_fast",
    "saltelli_design",
    "sobol",
    "sobol_indices",
    "spider",
    "switching_values",
    "tornado",
    "two_way",
]
