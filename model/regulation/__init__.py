"""The domain model: how each regulatory approach trades risk reduction against its costs.

Pure and vectorised over draws (axis 0), broadcasting over harms and years; no I/O.
"""

from model.regulation.evaluate import PAYERS, Outcomes, evaluate, evaluate_at_threshold
from model.regulation.spec import STRUCTURAL, RegulationModel, build_model
from model.regulation.world import build_world, calibration

__all__ = [
    "PAYERS",
    "STRUCTURAL",
    "Outcomes",
    "RegulationModel",
    "build_model",
    "build_world",
    "calibration",
    "evaluate",
    "evaluate_at_threshold",
]
