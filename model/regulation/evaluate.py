"""Evaluate every approach on the same draws: ``evaluate(model, values) -> Outcomes``.

Risk is held in segments (inside/outside the jurisdiction x malicious or not x above/below the
threshold x closed / open-weight on a domestic base / open-weight on a foreign base). Downstream
instruments act on the reachable block (inside, not malicious), upstream ones on the model
segments; instruments combine by multiplying residuals *within* the segment they reach, so no
combination removes more than its instruments can reach. Equations: docs/model.md, section 4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from model.regulation.instruments import TYPES, Costs, Effect, Residual
from model.regulation.spec import Instrument, RegulationModel
from model.regulation.world import World, build_world, column, stack_harms

Array = np.ndarray
PAYERS = ("upstream", "downstream", "regulator")


@dataclass(frozen=True)
class Outcomes:
    """Per draw (axis 0) and approach (axis 1); money in present value unless marked annual."""

    approaches: tuple[str, ...]
    harms: tuple[str, ...]
    risk_reduction: Array  # (n, k, H)
    burden: Array  # (n, k, 3) by payer: upstream, downstream, regulator
    innovation_cost: Array  # (n, k)
    transfers: Array  # (n, k): damages paid under liability, not netted
    net_benefit: Array  # (n, k)
    residual_harm: Array  # (n, k, H): annual harm left in the final year
    exceeds_acceptable: Array  # (n, k, H) bool: residual_harm > the harm's acceptable level
    entities: Array  # (n, k): regulated entities in the final year
    compliance: Array  # (n, k): entity-weighted compliance in the final year (nan: nobody
    # regulated, e.g. every covered developer deterred)
    status_quo_harm: Array  # (n, H): present value of harm with no new rules
    risk_reduction_by_year: Array  # (k, H, T): sum over draws (divide by n for the mean)


def instrument_parameters(model: RegulationModel, inst: Instrument, values) -> dict[str, Array]:
    """Role -> draw array; per-harm roles stacked to (H, 1, n), the rest (1, 1, n)."""
    kind = TYPES[inst.type]
    mapping = dict(inst.parameters)
    per_harm = kind.per_harm
    if inst.base is not None:  # an adaptive instrument also reads its base's parameters
        mapping = {**model.instruments[inst.base].parameters, **mapping}
        per_harm = per_harm | TYPES[model.instruments[inst.base].type].per_harm
    out = {}
    for role, name in mapping.items():
        if role in per_harm:
            out[role] = stack_harms(values, [model.resolve(name, h) for h in model.harm_names])
        else:
            out[role] = column(values, name)
    return out


def _removed(effects: list[Effect], attr: str) -> Array | float:
    """Share removed by instruments combined on one segment: 1 - prod(1 - e_i)."""
    kept: Array | float = 1.0
    for e in effects:
        share = getattr(e, attr)
        if not (np.isscalar(share) and share == 0.0):
            kept = kept * (1.0 - share)
    return 1.0 - kept


def _present_value(world: World, annual: Array) -> Array:
    """Discounted sum over the years axis (-2): (..., T, n) -> (..., n)."""
    return np.matmul(world.discount, annual)


def _per_year(x: Array | float, t: int, n: int) -> Array:
    """An annual quantity (a scalar or broadcastable to (1, T, n)) as a (T, n) array."""
    return np.broadcast_to(x, (1, t, n))[0]


def _annual_sum(costs: list[Costs], attr: str, t: int, n: int) -> Array:
    """Sum of one cost field over instruments, (T, n)."""
    total = np.zeros((t, n))
    for c in costs:
        value = getattr(c, attr)
        if not (np.isscalar(value) and value == 0.0):
            total = total + _per_year(value, t, n)
    return total


def evaluate(
    model: RegulationModel, values: Mapping[str, Array], world: World | None = None
) -> Outcomes:
    """Evaluate all approaches of ``model`` on draws ``values`` (name -> (n,) array).

    ``world`` may be passed when it is already built (threshold design reuses one world for
    many thresholds). Shares keep their smallest broadcast shape: one constant over the years
    stays (H, 1, n), so approaches without time-varying instruments never build (H, T, n)
    arrays of their own.
    """
    world = build_world(model, values) if world is None else world
    h, t, n = world.harm.shape
    harm_pv = _present_value(world, world.harm)  # (H, n)
    used = {k: model.instruments[k] for a in model.approaches for k in a.instruments}
    params = {k: instrument_parameters(model, i, values) for k, i in used.items()}
    effects = {k: TYPES[i.type].effect(world, params[k], i.scope) for k, i in used.items()}
    fixed_costs = {
        k: TYPES[i.type].costs(world, params[k], i.scope, effects[k], None)
        for k, i in used.items()
        if not TYPES[i.type].needs_residual
    }
    k_approaches = len(model.approaches)
    rr = np.zeros((n, k_approaches, h))
    burden = np.zeros((n, k_approaches, len(PAYERS)))
    innovation = np.zeros((n, k_approaches))
    transfers = np.zeros((n, k_approaches))
    residual = np.zeros((n, k_approaches, h))
    entities = np.zeros((n, k_approaches))
    compliance = np.full((n, k_approaches), np.nan)
    rr_by_year = np.zeros((k_approaches, h, t))
    net = np.zeros((n, k_approaches))
    reach = world.reachable
    rho = world.risk_above
    open_dom = world.open_share * (1.0 - world.foreign_base)
    closed = 1.0 - world.open_share

    for j, approach in enumerate(model.approaches):
        used = [effects[i] for i in approach.instruments]
        removed_reach = rho * _removed(used, "above") + (1.0 - rho) * _removed(used, "below")
        removed_up = closed * _removed(used, "closed") + open_dom * _removed(used, "open_domestic")
        kept_reach = 1.0 - reach * removed_reach
        removed = 1.0 - kept_reach * (1.0 - removed_up)
        removed = np.broadcast_to(removed, (h, np.shape(removed)[1] if np.ndim(removed) else 1, n))
        if removed.shape[1] == 1:
            averted_pv = removed[:, 0] * harm_pv
            rr_by_year[j] = np.matmul(world.harm, removed[:, 0, :, None])[..., 0]
        else:
            averted = world.harm * removed
            averted_pv = _present_value(world, averted)
            rr_by_year[j] = averted.sum(axis=2)
        rr[:, j] = averted_pv.T
        residual[:, j] = (world.harm[:, -1] * (1.0 - removed[:, -1])).T
        costs = []
        for i in approach.instruments:
            inst = model.instruments[i]
            if i in fixed_costs:
                costs.append(fixed_costs[i])
                continue
            share = np.broadcast_to(reach * (1.0 - removed_reach) * (1.0 - removed_up), (h, t, n))
            res = Residual(np.einsum("htn,htn->tn", world.harm, share)[None])
            costs.append(TYPES[inst.type].costs(world, params[i], inst.scope, effects[i], res))
        for p, payer in enumerate(PAYERS):
            burden[:, j, p] = world.discount @ _annual_sum(costs, payer, t, n)
        transfers[:, j] = world.discount @ _annual_sum(costs, "transfers", t, n)
        value_lost = _removed(used, "value_loss")
        innovation[:, j] = world.discount @ _per_year(value_lost * world.value, t, n)
        net[:, j] = averted_pv.sum(axis=0) - burden[:, j].sum(axis=1) - innovation[:, j]
        final = [
            (_per_year(e.entities, t, n)[-1], _per_year(e.compliance, t, n)[-1])
            for e in used
            if e.compliance is not None
        ]
        if final:
            count = sum(c for c, _ in final)
            entities[:, j] = count
            weighted = sum(c * rate for c, rate in final)
            with np.errstate(invalid="ignore", divide="ignore"):  # nobody regulated: nan
                compliance[:, j] = np.where(count > 0, weighted / count, np.nan)

    return Outcomes(
        approaches=model.approach_names,
        harms=model.harm_names,
        risk_reduction=rr,
        burden=burden,
        innovation_cost=innovation,
        transfers=transfers,
        net_benefit=net,
        residual_harm=residual,
        exceeds_acceptable=residual > world.acceptable[:, 0].T[:, None, :],
        entities=entities,
        compliance=compliance,
        status_quo_harm=harm_pv.T,
        risk_reduction_by_year=rr_by_year,
    )
