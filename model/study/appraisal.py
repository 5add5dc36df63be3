"""The appraisal summary regulatory reviewers expect, from a run's own draws (no re-evaluation).

Net present social value (NPSV) is the model's net benefit: harm averted minus compliance
burden minus innovation cost, transfers excluded. The benefit-cost ratio is PV benefits / PV
costs on the same footing. Direct costs to business are the burden on upstream and downstream
developers (the regulator's cost falls on government; innovation cost is indirect). The
equivalent annual net direct cost to business (EANDCB) annuitises their present value over the
appraisal period at the run's own discount schedule, as the UK Regulatory Policy Committee
does: EANDCB = PV / sum_t D(t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.decision import prob_best
from model.regulation import PAYERS

__all__ = ["BUSINESS", "OptimismBias", "appraisal"]

BUSINESS = ("upstream", "downstream")  # payers that are businesses


@dataclass(frozen=True)
class OptimismBias:
    """A declared optimism-bias adjustment (HM Treasury Green Book supplementary guidance):
    costs raised by ``costs`` and benefits lowered by ``benefits`` (shares)."""

    costs: float = 0.2
    benefits: float = 0.2


def appraisal(results, optimism: OptimismBias | None = None) -> pd.DataFrame:
    """One row per approach: NPSV (mean, MC error, central = median, low = 5th and high = 95th
    percentile), PV benefits and costs, BCR, business NPV, EANDCB, regulated entities, direct
    business cost per entity per year, costs by payer, and net benefit after optimism bias."""
    optimism = optimism or OptimismBias()
    o = results.outcomes
    nb, benefits, costs = o.net_benefit, results.effects, results.costs
    annuity = float(results.regulation.settings.discount.sum())
    business = o.burden[:, :, [PAYERS.index(p) for p in BUSINESS]].sum(axis=2)
    eandcb = business.mean(axis=0) / annuity
    entities = o.entities.mean(axis=0)
    adjusted = (1.0 - optimism.benefits) * benefits - (1.0 + optimism.costs) * costs
    with np.errstate(divide="ignore", invalid="ignore"):
        bcr = np.where(costs.mean(axis=0) > 0, benefits.mean(axis=0) / costs.mean(axis=0), np.nan)
        per_entity = np.where(entities > 0, eandcb / entities, np.nan)
    table = {
        "npsv_mean": nb.mean(axis=0),
        "npsv_mcse": nb.std(axis=0, ddof=1) / np.sqrt(results.n),
        "npsv_central": np.median(nb, axis=0),
        "npsv_low": np.quantile(nb, 0.05, axis=0),
        "npsv_high": np.quantile(nb, 0.95, axis=0),
        "pv_benefits": benefits.mean(axis=0),
        "pv_costs": costs.mean(axis=0),
        "bcr": bcr,
        "business_npv": -(business + o.transfers).mean(axis=0),
        "business_cost_pv": business.mean(axis=0),
        "eandcb": eandcb,
        "entities": entities,
        "cost_per_entity_year": per_entity,
        "innovation_cost": o.innovation_cost.mean(axis=0),
        "transfers": o.transfers.mean(axis=0),
        "optimism_mean": adjusted.mean(axis=0),
        "optimism_prob_best": prob_best(adjusted),
    }
    table |= {f"burden_{p}": o.burden[:, :, i].mean(axis=0) for i, p in enumerate(PAYERS)}
    return pd.DataFrame(table, index=pd.Index(results.approaches, name="approach"))
