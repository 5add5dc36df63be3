"""Net benefit of many portfolios at once, exactly, by sharing work between them.

Every instrument acts on one side of each harm's risk: the actor side (who modifies: developer
classes and misuse services) or the model side (how the model is reached: access route and
risk channel). Within a harm the two sides combine as removed = 1 - (1 - A)(1 - M), model-side
shares are constant over the years, and costs that depend on the residual are linear in it.
So with K_a = sum_t d_h(t) harm_h(t) (1 - A_a,h(t)) computed once per actor-side state a,

    PV harm averted(a, m) = sum_h [PV harm_h - (1 - M_m,h) K_a,h],

and likewise for liability's residual-driven costs and for the value lost, each a few
(H, n) products per portfolio instead of a pass over (H, T, n). An actor-side state is its
instruments plus the model-side instruments that boost them (complementarity). The result
equals :func:`model.regulation.evaluate`'s net benefit (tests check it to 1e-9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from model.regulation.evaluate import (
    PAYERS,
    InstrumentEffects,
    boosters,
    combined,
    costs_pv,
    harm_present_value,
    is_zero,
    present_value,
    removed_shares,
    withdrawn,
)
from model.regulation.instruments import TYPES, Residual
from model.regulation.spec import Approach, RegulationModel
from model.regulation.world import build_world

Array = np.ndarray
__all__ = ["portfolio_net_benefit"]


def portfolio_net_benefit(
    model: RegulationModel, values: Mapping[str, Array], portfolios: Sequence[Sequence[str]]
) -> Array:
    """Net benefit (n, P) of each portfolio (a sequence of instrument keys) on draws
    ``values``, as an increment on the rules in force, exactly as :func:`evaluate` gives it.

    Raises ValueError for an instrument acting on both sides or a model-side share that varies
    over the years (evaluate them with :func:`evaluate`)."""
    world = build_world(model, values)
    n = world.harm.shape[-1]
    acting = [model.acting(Approach("p", "p", tuple(c))) for c in portfolios]
    acting.append(model.settings.in_force)  # the reference of increments
    used = {k: model.instruments[k] for keys in acting for k in keys}
    effects = InstrumentEffects(model, world, values, used)
    classes = model.class_names
    harm_pv = harm_present_value(world, world.harm)  # (H, n)
    value_pv = present_value(world, world.value)[0]  # (n,)
    counted = np.reshape(world.value_counted, (-1,))
    discount = world.discount[:, None]  # (T, 1)

    def side(variant) -> str:
        e = effects.effect(variant)
        if e.actors and e.models:
            raise ValueError(f"{variant[0]} acts on actors and on models")
        return "models" if e.models else "actors"

    def fixed_costs(variants) -> Array:
        total = np.zeros(n)
        for v in variants:
            if not TYPES[used[v[0]].type].needs_residual:
                rows = costs_pv(world, effects.costs(v, None), classes)[0]
                total += rows[: len(PAYERS)].sum(axis=0)
        return total

    model_states: dict[tuple, tuple[Array, Array, Array]] = {}

    def model_state(variants: tuple) -> tuple[Array, Array, Array]:
        """(1 - M (H, n), 1 - L (n,), costs (n,)) of the model-side instruments."""
        if variants not in model_states:
            acting_effects = [effects.effect(v) for v in variants]
            on_models = removed_shares(world, acting_effects)[2]
            if not is_zero(on_models) and np.shape(on_models)[1] != 1:
                raise ValueError("a model-side share varies over the years")
            kept = np.broadcast_to(1.0 - np.asarray(on_models, dtype=float), (len(harm_pv), 1, n))
            # the value lost to upstream firms' withdrawal follows the model-side duties
            # they withdraw from (all of them are model-side)
            acting_effects += withdrawn(model, world, [key for key, _ in variants])
            losses = [e.value_loss for e in acting_effects if not is_zero(e.value_loss)]
            lost = combined(losses) if losses else np.zeros((1, 1, n))
            if np.shape(lost)[1] != 1:
                raise ValueError("a model-side value loss varies over the years")
            value_kept = np.broadcast_to(1.0 - lost, (1, 1, n))[0, 0]
            model_states[variants] = (kept[:, 0], value_kept, fixed_costs(variants))
        return model_states[variants]

    actor_states: dict[tuple, tuple] = {}

    def actor_state(variants: tuple) -> tuple:
        """(K (H, n): discounted harm left by the actor side, Q (H, n): discounted reachable
        harm it leaves (for costs driven by the residual), the residual's cost per unit (n,),
        J (n,): discounted value it keeps, costs (n,))."""
        if variants not in actor_states:
            acting_effects = [effects.effect(v) for v in variants]
            on_classes, on_services, _ = removed_shares(world, acting_effects)
            reach_left = 1.0 - np.asarray(on_classes, dtype=float)  # before it is overwritten
            actor = 0.0 if is_zero(on_classes) else on_classes * world.reachable
            if not is_zero(on_services):
                actor = actor + on_services * world.services
            left = 1.0 - np.asarray(actor, dtype=float) - world.model_outside
            k = harm_present_value(world, world.harm * np.broadcast_to(left, world.harm.shape))
            residual_cost, q = np.zeros(n), None
            for v in variants:
                if TYPES[used[v[0]].type].needs_residual:
                    unit = Residual(np.ones((1, 1, n)))
                    per_unit = effects.costs(v, unit)
                    residual_cost += np.broadcast_to(per_unit.downstream, (1, 1, n))[0, 0]
            if residual_cost.any():
                reachable = world.harm * (reach_left * world.reachable)
                q = (reachable * discount).sum(axis=1)  # (H, n)
            losses = [e.value_loss for e in acting_effects if not is_zero(e.value_loss)]
            lost = combined(losses) if losses else 0.0
            value_kept = (
                present_value(world, (world.value * (1.0 - lost))[0]) if losses else value_pv
            )
            actor_states[variants] = (k, q, residual_cost, value_kept, fixed_costs(variants))
        return actor_states[variants]

    # each portfolio's (actor-side state, model-side state), then every portfolio of one actor
    # state at once: a few (portfolios, H, n) products
    groups: dict[tuple, list[tuple[int, tuple]]] = {}
    for j, keys in enumerate(acting):
        boosted = boosters(model, keys)
        variants = [(i, boosted.get(i, ())) for i in keys]
        sides = {v: side(v) for v in variants}
        actor_key = tuple(v for v in variants if sides[v] == "actors")
        groups.setdefault(actor_key, []).append(
            (j, tuple(v for v in variants if sides[v] == "models"))
        )
    # harm the model side cannot reach (modifiers outside under upstream_reach =
    # "jurisdiction") is left whatever the model-side state
    outside = world.model_outside
    total_harm = harm_pv.sum(axis=0)
    if not is_zero(outside):
        total_harm = total_harm - harm_present_value(world, world.harm * outside).sum(axis=0)
    out = np.empty((len(acting), n))
    for actor_key, members in groups.items():
        k, q, residual_cost, a_value, a_costs = actor_state(actor_key)
        states = [model_state(m) for _, m in members]
        kept = np.stack([x[0] for x in states])  # (G, H, n)
        m_value = np.stack([x[1] for x in states])
        burden = np.stack([x[2] for x in states])
        burden += a_costs
        if q is not None:
            burden += residual_cost * np.einsum("ghn,hn->gn", kept, q)
        rows = [j for j, _ in members]
        out[rows] = (
            total_harm
            - np.einsum("ghn,hn->gn", kept, k)
            - burden
            - (value_pv - m_value * a_value) * counted
        )
    out[:-1] -= out[-1]  # in place: the matrix is the largest array of a screen
    return out[:-1].T
