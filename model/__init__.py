"""Headwater: decision analysis of approaches to regulating downstream AI developers.

Parameters live in ``params/`` with a distribution, unit and source, never in code; the domain
model (``model.regulation``) is one pure vectorised function and everything else is plumbing
around it; every number in a report traces back to a parameter file, a seed and a version.
"""

from model import decision, voi
from model.errors import ParamFileError
from model.parameters import ParameterSet, load_params
from model.sampling import Draws, sample
from model.study import Results, simulate

__all__ = [
    "Draws",
    "ParamFileError",
    "ParameterSet",
    "Results",
    "decision",
    "load_params",
    "sample",
    "sensitivity",
    "simulate",
    "voi",
]
