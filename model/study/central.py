"""The central case: the model evaluated once with every input at its median, step by step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.regulation import PAYERS, Outcomes, calibration, evaluate

__all__ = ["CentralCase", "central_case"]


@dataclass(frozen=True)
class CentralCase:
    """Medians in, each intermediate quantity, the net benefit out (money in PV unless annual)."""

    inputs: pd.Series  # every parameter at its median, in params.names order
    harm_year0: pd.Series  # bottom-up annual harm in year 0 (world standing), per harm
    outcomes: Outcomes  # one draw: the medians

    def harms(self, approach: str) -> pd.DataFrame:
        """Per harm: year-0 harm, PV of harm in the status quo, share removed, harm averted."""
        o, j = self.outcomes, self.outcomes.approaches.index(approach)
        pv = o.status_quo_harm[0]
        averted = o.risk_reduction[0, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            removed = np.where(pv > 0, averted / pv, 0.0)
        return pd.DataFrame(
            {
                "harm_year0": self.harm_year0.to_numpy(),
                "pv_status_quo": pv,
                "share_removed": removed,
                "risk_reduction": averted,
            },
            index=pd.Index(o.harms, name="harm"),
        )

    def costs(self, approach: str) -> pd.Series:
        """Burden by payer, innovation cost, transfers (not netted) and net benefit."""
        o, j = self.outcomes, self.outcomes.approaches.index(approach)
        out = {f"burden_{p}": o.burden[0, j, i] for i, p in enumerate(PAYERS)}
        out |= {
            "innovation_cost": o.innovation_cost[0, j],
            "transfers": o.transfers[0, j],
            "net_benefit": o.net_benefit[0, j],
        }
        return pd.Series(out)


def central_case(results) -> CentralCase:
    """Every input at its median (copula uniforms at 0.5) through :func:`evaluate`."""
    params = results.params
    x = params.transform(np.full((1, len(params.uncertain_names)), 0.5))
    values = dict(zip(params.names, x.T, strict=True))
    year0 = {h: float(b[0]) for h, (b, _) in calibration(results.regulation, values).items()}
    return CentralCase(
        inputs=pd.Series(x[0], index=list(params.names)),
        harm_year0=pd.Series(year0),
        outcomes=evaluate(results.regulation, values),
    )
