"""The appraisal summary regulatory reviewers expect, from a run's own draws (no re-evaluation).

Net present social value (NPSV) is the model's net benefit: harm averted minus compliance
burden minus innovation cost, transfers excluded. The benefit-cost ratio is PV benefits / PV
costs on the same footing. Direct costs to business are the burden on upstream and downstream
developers (the regulator's cost falls on government; innovation cost is indirect). The
equivalent annual net direct cost to business (EANDCB) annuitises their present value over the
appraisal period at the run's own discount schedule, as the UK Regulatory Policy Committee
does: EANDCB = PV / sum_t D(t).

Every money figure has its 90% interval across draws (5th and 95th percentiles), so no figure
is shown without its uncertainty. The ratio's headline is the ratio of the means; its interval is
the 5th-95th percentile of the per-draw ratio over the draws whose PV costs are positive (a
ratio with a zero or negative denominator has no meaning as a benefit-cost ratio).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.decision import prob_best
from model.regulation import PAYERS
from model.study.percentiles import quantile

__all__ = ["BUSINESS", "INTERVAL", "TRANSFER_PARTIES", "OptimismBias", "appraisal", "transfers"]

BUSINESS = ("upstream", "downstream")  # payers that are businesses
INTERVAL = (0.05, 0.95)  # the quantiles of every interval: a 90% interval across draws

#: Who pays and who receives the damages paid under liability (docs/model.md, section 7), with
#: the sign of the transfer to them: the liable downstream developers inside the jurisdiction
#: pay, the victims who sue in its courts receive.
TRANSFER_PARTIES = (
    ("pays", "Downstream developers held liable (modifiers in the jurisdiction)", -1.0),
    ("receives", "Victims who bring claims in the jurisdiction's courts", 1.0),
)


@dataclass(frozen=True)
class OptimismBias:
    """A declared optimism-bias adjustment (HM Treasury Green Book supplementary guidance):
    costs raised by ``costs`` and benefits lowered by ``benefits`` (shares)."""

    costs: float = 0.2
    benefits: float = 0.2


def _with_interval(name: str, draws: np.ndarray) -> dict[str, np.ndarray]:
    """``name`` (the mean over draws), ``name_low`` and ``name_high`` (the 90% interval) of a
    per-draw (n, k) table."""
    low, high = quantile(draws, INTERVAL)
    return {name: draws.mean(axis=0), f"{name}_low": low, f"{name}_high": high}


def _ratio_interval(benefits: np.ndarray, costs: np.ndarray) -> dict[str, np.ndarray]:
    """The 90% interval of the per-draw benefit-cost ratio over the draws with positive PV
    costs, and the share of draws that have them (nan where none does)."""
    positive = costs > 0
    low, high = np.full(costs.shape[1], np.nan), np.full(costs.shape[1], np.nan)
    for j in np.flatnonzero(positive.any(axis=0)):
        ratio = benefits[positive[:, j], j] / costs[positive[:, j], j]
        low[j], high[j] = quantile(ratio, INTERVAL)
    return {"bcr_low": low, "bcr_high": high, "bcr_draws": positive.mean(axis=0)}


def appraisal(results, optimism: OptimismBias | None = None) -> pd.DataFrame:
    """One row per approach: NPSV (mean, MC error, central = median, low = 5th and high = 95th
    percentile); PV benefits, PV costs, business NPV and EANDCB, each with its 90% interval
    (``_low``, ``_high``); the BCR (ratio of means) with the interval of the per-draw ratio where
    PV costs are positive (``bcr_draws``: the share of draws that have them); regulated
    entities, direct business cost per entity per year, costs by payer, transfers, and net
    benefit after optimism bias."""
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
    npsv_low, npsv_high = quantile(nb, INTERVAL)
    table = {
        "npsv_mean": nb.mean(axis=0),
        "npsv_mcse": nb.std(axis=0, ddof=1) / np.sqrt(results.n),
        "npsv_central": np.median(nb, axis=0),
        "npsv_low": npsv_low,
        "npsv_high": npsv_high,
        **_with_interval("pv_benefits", benefits),
        **_with_interval("pv_costs", costs),
        "bcr": bcr,
        **_ratio_interval(benefits, costs),
        **_with_interval("business_npv", -(business + o.transfers)),
        "business_cost_pv": business.mean(axis=0),
        **_with_interval("eandcb", business / annuity),
        "entities": entities,
        "cost_per_entity_year": per_entity,
        "innovation_cost": o.innovation_cost.mean(axis=0),
        **_with_interval("transfers", o.transfers),
        "optimism_mean": adjusted.mean(axis=0),
        "optimism_prob_best": prob_best(adjusted),
    }
    table |= {f"burden_{p}": o.burden[:, :, i].mean(axis=0) for i, p in enumerate(PAYERS)}
    return pd.DataFrame(table, index=pd.Index(results.approaches, name="approach"))


def transfers(results) -> pd.DataFrame:
    """The damages paid under liability by payer and recipient: one row per approach with any
    transfer and party (``TRANSFER_PARTIES``), the PV received (negative: paid), mean and 90%
    interval across draws. The parties' means sum to zero in each approach: a transfer moves
    money without using resources, so it is excluded from NPSV."""
    t = results.outcomes.transfers
    rows = []
    for j in np.flatnonzero(np.any(t != 0, axis=0)):
        for role, party, sign in TRANSFER_PARTIES:
            x = sign * t[:, j]
            low, high = quantile(x, INTERVAL)
            rows.append((results.approaches[j], role, party, x.mean(), low, high))
    columns = ["approach", "role", "party", "pv_mean", "pv_low", "pv_high"]
    return pd.DataFrame(rows, columns=columns)
