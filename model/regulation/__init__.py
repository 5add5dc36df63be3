"""The domain model: how each regulatory approach trades risk reduction against its costs.

Pure and vectorised over draws (axis 0), broadcasting over harms and years; no I/O.
"""

from model.regulation.evaluate import PAYERS, LevelSearch, Outcomes, evaluate
from model.regulation.spec import STRUCTURAL, RegulationModel, build_model
from model.regulation.world import build_world, calibration

__all__ = [
    "PAYERS",
    "STRUCTURAL",
    "LevelSearch",
    "Outcomes",
    "RegulationModel",
    "build_model",
    "build_world",
    "calibration",
    "evaluate",
]
