"""Headwater: decision analysis of approaches to regulating downstream AI developers.

Parameters live in ``params/`` with a distribution, unit and source, never in code; the domain
model (``model.regulation``) is one pure vectorised function and everything else is plumbing
around it; every number in a report traces back to a parameter file, a seed and a version.

The package is layered, one folder a layer, arrows pointing down:
``inputs`` (distributions, parameters, sampling) and ``regulation`` (the domain model) and
``analysis`` (decision, VOI, sensitivity, discovery on any PSA) import none of each other;
``study`` orchestrates them; ``report`` renders a study; ``cli`` dispatches. The public names
below load on first use, so ``import model`` (and ``headwater --help``) stays fast and plotly,
Jinja2 and dask load only when a report or cluster is asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

#: Public name -> (module, attribute or None for the module itself).
PUBLIC = {
    "Analysis": ("model.study.analyse", "Analysis"),
    "Draws": ("model.inputs.sampling", "Draws"),
    "HeadwaterError": ("model.errors", "HeadwaterError"),
    "ParamFileError": ("model.errors", "ParamFileError"),
    "ParameterSet": ("model.inputs.parameters", "ParameterSet"),
    "Results": ("model.study.simulate", "Results"),
    "SummaryResults": ("model.study.simulate", "SummaryResults"),
    "SweepResult": ("model.study.sweep", "SweepResult"),
    "analyse": ("model.study.analyse", "analyse"),
    "compare": ("model.study.compare", "compare"),
    "decision": ("model.analysis.decision", None),
    "design": ("model.study.design", None),
    "discovery": ("model.analysis.discovery", None),
    "evsi": ("model.analysis.evsi", None),
    "executor_from_spec": ("model.study.executors", "executor_from_spec"),
    "load_params": ("model.inputs.paramfiles", "load_params"),
    "load_results": ("model.study.storage", "load_results"),
    "report": ("model.report", None),
    "sample": ("model.inputs.sampling", "sample"),
    "save_results": ("model.study.storage", "save_results"),
    "sensitivity": ("model.analysis.sensitivity", None),
    "simulate": ("model.study.simulate", "simulate"),
    "structural_uncertainty": ("model.study.structural", "structural_uncertainty"),
    "sweep": ("model.study.sweep", "sweep"),
    "voi": ("model.analysis.voi", None),
    "write_report": ("model.report", "write_report"),
}

__all__ = [
    "Analysis",
    "Draws",
    "HeadwaterError",
    "ParamFileError",
    "ParameterSet",
    "Results",
    "SummaryResults",
    "SweepResult",
    "analyse",
    "compare",
    "decision",
    "design",
    "discovery",
    "evsi",
    "executor_from_spec",
    "load_params",
    "load_results",
    "report",
    "sample",
    "save_results",
    "sensitivity",
    "simulate",
    "structural_uncertainty",
    "sweep",
    "voi",
    "write_report",
]


def __getattr__(name: str):
    """Load a public name on first use (PEP 562) and keep it."""
    try:
        module, attribute = PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'model' has no attribute {name!r}") from None
    value = import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(PUBLIC))


if TYPE_CHECKING:  # what editors and type checkers see
    from model import report
    from model.analysis import decision, discovery, evsi, sensitivity, voi
    from model.errors import HeadwaterError, ParamFileError
    from model.inputs.parameters import ParameterSet
    from model.inputs.paramfiles import load_params
    from model.inputs.sampling import Draws, sample
    from model.report import write_report
    from model.study import design
    from model.study.analyse import Analysis, analyse
    from model.study.compare import compare
    from model.study.executors import executor_from_spec
    from model.study.simulate import Results, SummaryResults, simulate
    from model.study.storage import load_results, save_results
    from model.study.structural import structural_uncertainty
    from model.study.sweep import SweepResult, sweep
