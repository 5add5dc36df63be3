"""Headwater: decision analysis of approaches to regulating downstream AI developers.

Parameters live in ``params/`` with a distribution, unit and source, never in code; the domain
model (``model.regulation``) is one pure vectorised function and everything else is plumbing
around it; every number in a report traces back to a parameter file, a seed and a version.
"""

from model import decision, design, discovery, report, sensitivity, voi
from model.analysis import Analysis, analyse
from model.errors import ParamFileError
from model.executors import executor_from_spec
from model.parameters import ParameterSet, load_params
from model.report import write_report
from model.sampling import Draws, sample
from model.storage import load_results, save_results
from model.study import Results, SummaryResults, simulate
from model.sweep import SweepResult, sweep

__all__ = [
    "Analysis",
    "Draws",
    "ParamFileError",
    "ParameterSet",
    "Results",
    "SummaryResults",
    "SweepResult",
    "analyse",
    "decision",
    "design",
    "discovery",
    "executor_from_spec",
    "load_params",
    "load_results",
    "report",
    "sample",
    "save_results",
    "sensitivity",
    "simulate",
    "sweep",
    "voi",
    "write_report",
]
