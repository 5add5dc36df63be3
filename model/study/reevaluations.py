"""What the report evaluates beyond a run and its analysis: the model again on some of the run's
draws under other settings, and once at the medians.

Every structural alternative on the run's first :data:`STRUCTURAL_DRAWS` draws, the declared
value judgements on its first :data:`~model.study.judgements.SUBSAMPLE` and the central case
take seconds; ``run --save`` keeps them beside the analysis
(:func:`model.study.archive.save_reevaluations`) so that ``report --from`` evaluates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.regulation import STRUCTURAL, build_model
from model.study.central import CentralCase, central_case
from model.study.judgements import SUBSAMPLE, Judgements
from model.study.structural import StructuralUncertainty, structural_on_draws

__all__ = [
    "STRUCTURAL_DRAWS",
    "Reevaluations",
    "attached",
    "judge",
    "reevaluate",
    "structural_alternatives",
]

#: The run's first draws, on which the report evaluates every structural alternative.
STRUCTURAL_DRAWS = 2048


@dataclass(frozen=True)
class Reevaluations:
    """The structural alternatives, the value judgements (every one the report shows, already
    evaluated) and the central case of one run."""

    structural: StructuralUncertainty
    judged: Judgements
    central: CentralCase

    def detached(self) -> tuple:
        """These re-evaluations without the run they were made on: small and picklable, what
        ``run --save`` keeps (:mod:`model.study.archive`); :func:`attached` restores them."""
        judged = {"m": self.judged.m, "evaluated": self.judged.evaluated}
        return (self.structural, judged, self.central)


def attached(results, detached: tuple) -> Reevaluations:
    """The re-evaluations of ``results`` from :meth:`Reevaluations.detached`."""
    structural, judged, central = detached
    return Reevaluations(structural, Judgements(results, judged["m"], judged["evaluated"]), central)


def _plain(results) -> bool:
    """Is the run's model the one its parameter file builds (no portfolios added), so that the
    run's own outcomes are the structural alternatives' under the file's choices?"""
    return results.regulation == build_model(results.params)


def judge(results) -> Judgements:
    """Every declared value judgement the report shows (both standings under the run's schedule
    and each discount preset, and the judgements' alternatives), evaluated on the run's first
    :data:`~model.study.judgements.SUBSAMPLE` draws."""
    judged = Judgements(results, SUBSAMPLE)
    judged.alternatives()
    for standing in STRUCTURAL["standing"]:
        for discount in (None, *judged.presets):
            judged.components(standing, discount)
    return judged


def structural_alternatives(results) -> StructuralUncertainty:
    """Every structural alternative on the run's first :data:`STRUCTURAL_DRAWS` draws."""
    first = results.draws[:STRUCTURAL_DRAWS]
    columns = dict(zip(results.params.names, first.T, strict=True))
    own = results.outcomes.net_benefit[:STRUCTURAL_DRAWS]
    return structural_on_draws(results.params, columns, reference=own if _plain(results) else None)


def reevaluate(results) -> Reevaluations:
    """Evaluate what the report shows beyond the analysis: each structural alternative
    (:func:`structural_alternatives`), each declared value judgement (:func:`judge`) and the
    central case."""
    return Reevaluations(structural_alternatives(results), judge(results), central_case(results))
