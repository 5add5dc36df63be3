"""Evaluate every approach on the same draws: ``evaluate(model, values) -> Outcomes``.

Risk is held in segments (inside/outside the jurisdiction x malicious or not x above/below the
threshold x closed / open-weight on a domestic base / open-weight on a foreign base). Downstream
instruments act on the reachable block (inside, not malicious), upstream ones on the model
segments; instruments combine by multiplying residuals *within* the segment they reach, so no
combination removes more than its instruments can reach. Equations: docs/model.md, section 4.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np

from model.regulation.instruments import SERVICES, TYPES, Costs, Effect, Residual
from model.regulation.spec import Instrument, RegulationModel
from model.regulation.world import (
    SCOPE_TRIGGER,
    TRIGGERS,
    World,
    build_world,
    column,
    stack_harms,
    world_at_threshold,
)

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
    exceeds_acceptable: Array  # (n, k, H) bool: residual_harm > the harm's acceptable level,
    # a declared share of the status quo's residual harm
    entities: Array  # (n, k): regulated entities in the final year
    compliance: Array  # (n, k): entity-weighted compliance in the final year (nan: nobody
    # regulated, e.g. every covered developer deterred)
    status_quo_harm: Array  # (n, H): present value of harm with no new rules
    class_burden: Array  # (n, k, C): PV of the downstream compliance cost each developer
    # class bears (duties, guidance, care under liability is not split by class)
    class_entities: Array  # (n, k, C): developers of each class regulated in the final year
    class_annual_cost: Array  # (n, k, C): their downstream compliance cost in the final year
    class_value: Array  # (n, C): PV of the value each class creates (counted in the standing)
    risk_reduction_by_year: Array  # (k, H, T): sum over draws (divide by n for the mean)
    classes: tuple[str, ...] = ("all",)  # developer classes (world.DeveloperClass)

    @classmethod
    def empty(cls, model: RegulationModel, n: int, empty=np.empty) -> Outcomes:
        """Tables for ``n`` draws of ``model``, to be filled chunk by chunk (:meth:`rows`):
        per-draw tables uninitialised (made by ``empty``, as ``np.empty``), the by-year sums
        zero."""
        k, h, c = len(model.approaches), len(model.harm_names), len(model.class_names)
        per_draw = {"risk_reduction": (k, h), "burden": (k, len(PAYERS)), "residual_harm": (k, h)}
        per_draw |= {"exceeds_acceptable": (k, h), "status_quo_harm": (h,), "class_value": (c,)}
        per_draw |= {name: (k, c) for name in CLASS_TABLES}
        tables = {
            name: empty(
                (n, *per_draw.get(name, (k,))),
                dtype=bool if name == "exceeds_acceptable" else float,
            )
            for name in PER_DRAW
        }
        by_year = np.zeros((k, h, model.settings.horizon_years))
        return cls(
            model.approach_names,
            model.harm_names,
            **tables,
            risk_reduction_by_year=by_year,
            classes=model.class_names,
        )

    def rows(self, start: int, stop: int) -> Outcomes:
        """Views of draws start..stop, sharing this object's by-year sums: what
        ``evaluate(..., out=)`` and :meth:`write` fill."""
        return replace(self, **{name: self[name][start:stop] for name in PER_DRAW})

    def write(self, part: Outcomes) -> None:
        """Copy ``part``'s per-draw tables into these rows (the by-year sums are the caller's:
        see ``evaluate(..., by_year=)``)."""
        for name in PER_DRAW:
            self[name][...] = part[name]

    def __getitem__(self, name: str) -> Array:
        return getattr(self, name)


#: The per-draw tables of :class:`Outcomes` (draws on axis 0).
PER_DRAW = tuple(
    f.name
    for f in fields(Outcomes)
    if f.name not in ("approaches", "harms", "risk_reduction_by_year", "classes")
)
#: The per-draw tables by approach and developer class.
CLASS_TABLES = ("class_burden", "class_entities", "class_annual_cost")


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


def _shares_base(model: RegulationModel, inst: Instrument, used: Mapping[str, Instrument]) -> bool:
    """Does ``inst`` switch on an obligation that is also used on its own, with the same
    parameters (so that its effect can be derived from the base's)?"""
    if inst.base is None or inst.base not in used:
        return False
    base_roles = TYPES[model.instruments[inst.base].type].roles
    return not set(inst.parameters) & set(base_roles)


def boosters(model: RegulationModel, keys: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Instrument key -> the keys among ``keys`` whose type boosts it (complementarity)."""
    types = {k: model.instruments[k].type for k in keys}
    out = {}
    for k in keys:
        by = tuple(b for b in keys if types[k] in TYPES[types[b]].boosts)
        if by:
            out[k] = by
    return out


class InstrumentEffects:
    """Each used instrument's parameters, effect and fixed costs on one world, computed once
    per variant: an instrument boosted by others in an approach (complementarity) is a
    variant of its own, keyed (key, boosting keys)."""

    def __init__(self, model: RegulationModel, world: World, values, used: dict):
        self.model, self.world, self.used = model, world, used
        self.base_params = {k: instrument_parameters(model, i, values) for k, i in used.items()}
        self.effects: dict[tuple, Effect] = {}
        self.fixed: dict[tuple, tuple[Array, Array]] = {}  # PV of costs that need no residual

    def moved(self, world: World) -> InstrumentEffects:
        """These effects on ``world``, this one with the level of a trigger moved
        (:func:`world_at_threshold`): the parameters, and the effects and fixed costs of the
        instruments scoped on no trigger (which never read one), are kept."""
        out = copy.copy(self)
        out.world = world
        out.effects = {v: e for v, e in self.effects.items() if not self._reads_trigger(v[0])}
        out.fixed = {v: c for v, c in self.fixed.items() if not self._reads_trigger(v[0])}
        return out

    def _reads_trigger(self, key: str) -> bool:
        """Is instrument ``key`` (or the obligation it switches on) scoped on a trigger?"""
        inst = self.model.instruments[key]
        scopes = {inst.scope} | ({self.model.instruments[inst.base].scope} if inst.base else set())
        return any(s in SCOPE_TRIGGER for s in scopes)

    def params(self, variant: tuple[str, tuple[str, ...]]) -> dict[str, Array]:
        key, by = variant
        p = self.base_params[key]
        if not by:
            return p
        kind = TYPES[self.used[key].type]
        role = kind.boosted_role(self.world)
        kept = 1.0
        for b in by:
            kept = kept * (1.0 - self.base_params[b][TYPES[self.used[b].type].boosts[kind.name]])
        return {**p, role: 1.0 - (1.0 - p[role]) * kept}

    def effect(self, variant: tuple[str, tuple[str, ...]]) -> Effect:
        if variant not in self.effects:
            key, by = variant
            inst = self.used[key]
            p = self.params(variant)
            if _shares_base(self.model, inst, self.used):
                base = self.effect((inst.base, by))
                self.effects[variant] = TYPES[inst.type].switched(self.world, p, base)
            else:
                self.effects[variant] = TYPES[inst.type].effect(self.world, p, inst.scope)
        return self.effects[variant]

    def costs(self, variant, res: Residual | None) -> Costs:
        """The variant's annual costs (``res``: the approach's residual, for the types whose
        costs depend on it)."""
        key = variant[0]
        inst = self.used[key]
        return TYPES[inst.type].costs(
            self.world, self.params(variant), inst.scope, self.effect(variant), res
        )

    def fixed_costs(self, variant, classes: tuple[str, ...]) -> tuple[Array, Array]:
        """:func:`costs_pv` of a variant whose costs need no residual, computed once."""
        if variant not in self.fixed:
            self.fixed[variant] = costs_pv(self.world, self.costs(variant, None), classes)
        return self.fixed[variant]


def withdrawn(model: RegulationModel, world: World, keys) -> list[Effect]:
    """The value the jurisdiction's users lose when upstream firms withdraw from it rather than
    comply (``upstream_withdrawal = "withdraws"``), as one effect for an approach whose acting
    instruments (``keys``) hold any duty those firms withdraw from; else none. Counted once per
    approach however many such duties it holds: a firm leaves or stays (docs/model.md,
    section 6)."""
    if world.withdrawal_loss is None:
        return []
    if not any(getattr(TYPES[model.instruments[k].type], "withdraws", False) for k in keys):
        return []
    return [Effect(value_loss=world.withdrawal_loss)]


def is_zero(x: Array | float) -> bool:
    """True for the scalar 0.0 that marks "this instrument does not act here"."""
    return np.isscalar(x) and x == 0.0


def _into(fresh: Array, op: np.ufunc, other: Array | float) -> Array:
    """op(fresh, other) for a commutative ``op``, written into ``fresh`` (an array the caller
    owns) when it already has the result's shape: fewer live (H, T, n) arrays stay in cache."""
    if fresh.shape == np.broadcast_shapes(fresh.shape, np.shape(other)):
        return op(fresh, other, out=fresh)
    return op(fresh, other)


def combined(shares: list[Array | float]) -> Array:
    """Share removed by instruments combined on one cell: 1 - prod(1 - e_i), a fresh array.

    The 1 - (1 - e) round trip of a single instrument is kept: dropping it would change tiny
    shares by more than the 1e-9 the outcomes are checked to.
    """
    kept = 1.0 - np.asarray(shares[0], dtype=float)
    for share in shares[1:]:
        kept = _into(kept, np.multiply, 1.0 - share)
    return np.subtract(1.0, kept, out=kept)


def _groups(effects: list[Effect], attr: str, skip: tuple = ()) -> list[tuple[frozenset, list]]:
    """The cells any effect reaches (``attr``: "actors" or "models"), grouped so that every
    cell of a group holds the same shares: each group's combined share is computed once and
    weighed by the group's total weight."""
    cells: dict[tuple[str, str], list] = {}
    for e in effects:
        for cell, share in getattr(e, attr).items():
            if cell not in skip and not is_zero(share):
                cells.setdefault(cell, []).append(share)
    groups: dict[tuple, tuple[set, list]] = {}
    for cell, shares in cells.items():
        signature = tuple(id(x) if isinstance(x, np.ndarray) else float(x) for x in shares)
        groups.setdefault(signature, (set(), shares))[0].add(cell)
    return [(frozenset(c), shares) for c, shares in groups.values()]


def _weighted(world: World, groups, weight) -> Array | float:
    """Sum over groups of weight(cells) x combined share; 0.0 when no group."""
    total: Array | float = 0.0
    for cells, shares in groups:
        part = _into(combined(shares), np.multiply, weight(cells))
        total = part if is_zero(total) else _into(total, np.add, part)
    return total


def removed_shares(world: World, effects: list[Effect]):
    """(share of the reachable block removed, of misuse services' risk removed, of each
    harm's risk removed on the model side), each 0.0 when nothing acts there.

    Actor and model sides are independent dimensions of each harm's risk (docs/model.md,
    section 4): a cell's residual is the product of the instruments' residuals within it.
    """
    triggers = {e.trigger for e in effects if e.trigger != "threshold"}
    if len(triggers) > 1:
        raise ValueError(f"an approach holds obligations on different triggers: {triggers}")
    trigger = triggers.pop() if triggers else "threshold"

    def weight(cells):
        return world.actor_weight(cells, trigger)

    on_classes = _weighted(world, _groups(effects, "actors", (SERVICES,)), weight)
    services = [e.actors[SERVICES] for e in effects if SERVICES in e.actors]
    on_services = combined(services) if services else 0.0
    on_models = _weighted(world, _groups(effects, "models"), world.model_weight)
    return on_classes, on_services, on_models


def _total_removed(world: World, on_classes, on_services, on_models):
    """removed_h(t) = 1 - (1 - a_h C - s_h S)(1 - M) in its smallest shape: 0.0 when nothing
    acts (the status quo), (H, 1, n) when nothing varies over the years. With
    ``upstream_reach = "jurisdiction"`` the model side reaches only modifiers in the
    jurisdiction: removed = 1 - leak - (1 - leak - a_h C - s_h S)(1 - M). ``on_classes``
    (fresh, from ``removed_shares``) is overwritten."""
    actor: Array | float = 0.0
    if not is_zero(on_classes):
        actor = _into(on_classes, np.multiply, world.reachable)
    if not is_zero(on_services):
        part = on_services * world.services
        actor = part if is_zero(actor) else _into(actor, np.add, part)
    outside = world.model_outside
    if is_zero(actor):
        if is_zero(on_models):
            return on_models
        removed = 1.0 - (1.0 - on_models)
        return removed if is_zero(outside) else removed * (1.0 - outside)
    kept = np.subtract(1.0, actor, out=actor)
    if is_zero(on_models):
        return np.subtract(1.0, kept, out=kept)
    if not is_zero(outside):
        kept -= outside
    kept = _into(kept, np.multiply, 1.0 - on_models)
    if not is_zero(outside):
        kept = _into(kept, np.add, outside)
    return np.subtract(1.0, kept, out=kept)


def present_value(world: World, annual: Array) -> Array:
    """Discounted sum over the years axis (-2): (..., T, n) -> (..., n).

    Year by year, elementwise: each draw's value is then the same whatever the chunk it is
    evaluated in (a matrix product's kernels round a chunk's last columns differently).
    """
    discount = world.discount
    out = annual[..., 0, :] * discount[0]
    for t in range(1, len(discount)):
        out += annual[..., t, :] * discount[t]
    return out


def harm_present_value(world: World, annual: Array) -> Array:
    """Discounted sum over years of a per-harm quantity, each harm at its own rate (health or
    money): (H, T, n) -> (H, n); year by year, elementwise, as :func:`present_value`."""
    discount = world.harm_discount[:, 0, :, None]  # (H, T, 1)
    out = annual[:, 0, :] * discount[:, 0]
    for t in range(1, discount.shape[1]):
        out += annual[:, t, :] * discount[:, t]
    return out


def fold_draws(total: Array, x: Array) -> None:
    """``total += x`` summed over draws (the last axis) one draw at a time, in order, so the
    sum does not depend on how the draws are chunked. ``x`` is overwritten."""
    x[..., 0] += total
    np.cumsum(x, axis=-1, out=x)
    total[...] = x[..., -1]


def _risk_outcomes(world: World, harm_pv: Array, removed: Array | float):
    """(PV of harm averted (H, n), residual annual harm in the final year (H, n), harm averted
    each year (H, T, n), or None when nothing is removed) for one approach's ``removed`` share.

    A share constant over the years has its PV as the share times the PV of harm. An (H, T, n)
    share is overwritten with the harm it averts.
    """
    h, n = world.harm.shape[0], world.harm.shape[-1]
    if is_zero(removed):
        return np.zeros((h, n)), world.harm[:, -1] * 1.0, None
    if removed.shape[1] == 1:
        share = removed[:, 0]
        averted = world.harm * share[:, None, :]
        return share * harm_pv, world.harm[:, -1] * (1.0 - share), averted
    residual = world.harm[:, -1] * (1.0 - removed[:, -1])
    averted = np.multiply(world.harm, removed, out=removed)
    return harm_present_value(world, averted), residual, averted


def _reachable_harm(world: World, on_classes: Array | float, on_models: Array | float) -> Residual:
    """Harm a year still caused in the reachable block under the approach, summed over harms."""
    share = _into(1.0 - on_classes, np.multiply, world.reachable)
    if not is_zero(on_models):
        share = _into(share, np.multiply, 1.0 - on_models)
    share = np.broadcast_to(share, world.harm.shape)
    return Residual(np.einsum("htn,htn->tn", world.harm, share)[None])


#: Rows of ``costs_pv``: the payers, then transfers (reported, never netted), then the
#: downstream compliance cost of each developer class (part of the downstream payer's row).
COST_ROWS = (*PAYERS, "transfers")


def _pv(world: World, annual: Array | float, n: int) -> Array | float:
    """PV of an annual flow broadcastable to (1, T, n); a flow constant over the years is scaled
    by the summed discount factors instead of being broadcast over them."""
    if is_zero(annual):
        return 0.0
    annual = np.broadcast_to(annual, np.broadcast_shapes(np.shape(annual), (1, 1, n)))
    if annual.shape[-2] == 1:
        return annual[0, 0] * world.discount.sum()
    return present_value(world, annual[0])


def costs_pv(world: World, costs: Costs, classes: tuple[str, ...]) -> tuple[Array, Array]:
    """PV of one instrument's annual costs, (len(COST_ROWS) + C, n), and each class's
    compliance cost in the final year, (C, n)."""
    n = world.harm.shape[-1]
    out = np.zeros((len(COST_ROWS) + len(classes), n))
    final = np.zeros((len(classes), n))
    for row, field in enumerate(COST_ROWS):
        out[row] = _pv(world, getattr(costs, field), n)
    for row, k in enumerate(classes):
        if k in costs.by_class:
            annual = costs.by_class[k]
            out[len(COST_ROWS) + row] = _pv(world, annual, n)
            final[row] = np.broadcast_to(annual, (1, world.harm.shape[1], n))[0, -1]
    return out, final


def _innovation_cost(world: World, value_pv: Array, effects: list[Effect]) -> Array | float:
    """PV[L(t) V(t)] with L = 1 - prod(1 - L_i); a constant L multiplies the PV of V."""
    losses = [e.value_loss for e in effects if not is_zero(e.value_loss)]
    lost = combined(losses) if losses else 0.0
    if is_zero(lost) or np.shape(lost)[-2] == 1:
        return lost * value_pv
    return present_value(world, (lost * world.value)[0])


def _final_regulated(effects: list[Effect], t: int, n: int) -> tuple[Array | float, Array]:
    """(regulated entities, their entity-weighted compliance) in the final year; nan compliance
    when nobody is regulated."""
    final = [
        (
            np.broadcast_to(e.entities, (1, t, n))[0, -1],
            np.broadcast_to(e.compliance, (1, t, n))[0, -1],
        )
        for e in effects
        if e.compliance is not None
    ]
    if not final:
        return 0.0, np.full(n, np.nan)
    count = sum(c for c, _ in final)
    weighted = sum(c * rate for c, rate in final)
    with np.errstate(invalid="ignore", divide="ignore"):  # nobody regulated: nan
        return count, np.where(count > 0, weighted / count, np.nan)


def _final_class_entities(effects: list[Effect], classes: tuple[str, ...], t: int, n: int) -> Array:
    """Developers of each class regulated in the final year, (C, n)."""
    out = np.zeros((len(classes), n))
    for e in effects:
        for row, k in enumerate(classes):
            if k in e.classes:
                out[row] += np.broadcast_to(e.classes[k][1], (1, t, n))[0, -1]
    return out


#: Output columns copied at a time by ``_draws_first``: measured ~3x faster than one transposed
#: copy of all the columns (which reads too many strided rows at once).
_COLUMNS_PER_COPY = 8


def _draws_first(table: Array, out: Array | None = None) -> Array:
    """A (k, ..., n) table as the public (n, k, ...) layout, C-contiguous; written into ``out``
    (a C-contiguous array of that shape) if given."""
    n = table.shape[-1]
    rows = table.reshape(-1, n)
    if out is None:
        out = np.empty((n, *table.shape[:-1]), dtype=table.dtype)
    flat = out.reshape(n, rows.shape[0])  # a view: out is C-contiguous
    for start in range(0, rows.shape[0], _COLUMNS_PER_COPY):
        block = slice(start, start + _COLUMNS_PER_COPY)
        flat[:, block] = rows[block].T
    return out


def _hidden(model: RegulationModel) -> int:
    """1 when ``model`` has no status quo in row 0 (threshold design evaluates a single
    approach) and evaluate adds a hidden one, dropped from the outcomes; else 0."""
    return int(bool(model.approaches[0].instruments))


def _acting(model: RegulationModel) -> list[tuple[str, ...]]:
    """The acting instruments of each row :func:`evaluate` computes (a hidden status quo
    first, when any: the rules in force)."""
    hidden = [model.settings.in_force] * _hidden(model)
    return hidden + [model.acting(a) for a in model.approaches]


def evaluate(
    model: RegulationModel,
    values: Mapping[str, Array],
    world: World | None = None,
    *,
    out: Outcomes | None = None,
    by_year: Array | Literal[False] | None = None,
    instruments: InstrumentEffects | None = None,
) -> Outcomes:
    """Evaluate all approaches of ``model`` on draws ``values`` (name -> (n,) array).

    ``world`` may be passed when it is already built (threshold design reuses one world for
    many thresholds). ``out`` (:meth:`Outcomes.rows` of a run's tables) receives the
    per-draw tables in place, and is returned: a long run then holds its tables once, with no
    copies of chunks to join. ``by_year`` (k, H, T) receives the harm averted each year,
    folded draw by draw (default: ``out``'s by-year sums, else zeros; False: none made, the
    outcomes' by-year sums are NaN). ``instruments``: the instruments' effects on ``world``
    already computed, if any (:class:`LevelSearch`).

    Shares keep their smallest broadcast shape: one constant over the years stays (H, 1, n),
    so approaches without time-varying instruments never build (H, T, n) arrays of their own.
    Outcomes are written per approach into contiguous (k, ..., n) tables and put draws first
    once at the end.
    """
    world = build_world(model, values) if world is None else world
    h, t, n = world.harm.shape
    harm_pv = harm_present_value(world, world.harm)  # (H, n)
    value_pv = present_value(world, world.value)  # (1, n)
    value_counted = np.reshape(world.value_counted, (-1,))  # (1,) or (n,): standing
    # row 0 is the status quo (the rules in force), the reference of increments and of
    # acceptable levels; a model without one (threshold design evaluates a single approach)
    # gets a hidden one, dropped from the outcomes
    hidden = _hidden(model)
    acting_keys = _acting(model)
    used = {k: model.instruments[k] for keys in acting_keys for k in keys}
    if instruments is None:
        instruments = InstrumentEffects(model, world, values, used)
    classes = model.class_names
    n_rows = len(COST_ROWS) + len(classes)
    k_approaches = len(acting_keys)
    rr = np.empty((k_approaches, h, n))
    burden = np.empty((k_approaches, len(PAYERS), n))
    transfers = np.empty((k_approaches, n))
    innovation = np.empty((k_approaches, n))
    net = np.empty((k_approaches, n))
    residual = np.empty((k_approaches, h, n))
    entities = np.empty((k_approaches, n))
    compliance = np.empty((k_approaches, n))
    class_tables = {name: np.empty((k_approaches, len(classes), n)) for name in CLASS_TABLES}
    shape = (len(model.approaches), h, t)
    fold = by_year is not False
    if by_year is None:
        by_year = out.risk_reduction_by_year if out is not None else np.zeros(shape)
    elif not fold:
        by_year = np.full(shape, np.nan)
    in_force_averted = None  # harm the rules in force avert each year (row 0), when any

    for j, keys in enumerate(acting_keys):
        boosted = boosters(model, keys)
        variants = [(i, boosted.get(i, ())) for i in keys]
        acting = [instruments.effect(v) for v in variants]
        on_classes, on_services, on_models = removed_shares(world, acting)
        # costs that depend on the residual (liability) read on_classes before
        # _total_removed overwrites it
        res = None
        if any(TYPES[used[i].type].needs_residual for i in keys):
            res = _reachable_harm(world, on_classes, on_models)
        removed = _total_removed(world, on_classes, on_services, on_models)
        rr[j], residual[j], averted = _risk_outcomes(world, harm_pv, removed)
        if model.settings.in_force and averted is not None:  # increments on the rules in force
            if j == 0:
                in_force_averted = averted.copy()
            elif in_force_averted is not None:
                averted -= in_force_averted
        counted = j >= hidden and not (j == 0 and model.settings.in_force)
        if fold and counted and averted is not None:
            fold_draws(by_year[j - hidden], averted)
        costs = np.zeros((n_rows, n))
        class_final = np.zeros((len(classes), n))
        for v in variants:
            if TYPES[used[v[0]].type].needs_residual:
                pv, final = costs_pv(world, instruments.costs(v, res), classes)
            else:
                pv, final = instruments.fixed_costs(v, classes)
            costs += pv
            class_final += final
        burden[j], transfers[j] = costs[: len(PAYERS)], costs[len(PAYERS)]
        class_tables["class_burden"][j] = costs[len(COST_ROWS) :]
        class_tables["class_annual_cost"][j] = class_final
        class_tables["class_entities"][j] = _final_class_entities(acting, classes, t, n)
        lost = acting + withdrawn(model, world, keys)
        innovation[j] = _innovation_cost(world, value_pv, lost) * value_counted
        net[j] = rr[j].sum(axis=0) - burden[j].sum(axis=0) - innovation[j]
        entities[j], compliance[j] = _final_regulated(acting, t, n)
    if model.settings.in_force:  # outcomes are increments on the rules in force
        harm_pv = harm_pv - rr[0]  # the status quo's harm is what the rules in force leave
        for table in (rr, burden, transfers, innovation, net, *class_tables.values()):
            table -= table[:1].copy()

    # acceptable: a declared share of the status quo's final-year harm (either standing)
    exceeds = residual > world.acceptable[None, :, 0] * residual[:1]
    tables = {
        "risk_reduction": rr,
        "burden": burden,
        "innovation_cost": innovation,
        "transfers": transfers,
        "net_benefit": net,
        "residual_harm": residual,
        "exceeds_acceptable": exceeds,
        "entities": entities,
        "compliance": compliance,
        "status_quo_harm": harm_pv,
        **class_tables,
        "class_value": np.stack([present_value(world, c.value)[0] for c in world.classes.values()])
        * value_counted,
    }
    if hidden:
        tables = {
            k: v if k in ("status_quo_harm", "class_value") else v[hidden:]
            for k, v in tables.items()
        }
    if out is None:
        return Outcomes(
            approaches=model.approach_names,
            harms=model.harm_names,
            **{name: _draws_first(table) for name, table in tables.items()},
            risk_reduction_by_year=by_year,
            classes=classes,
        )
    for name, table in tables.items():
        _draws_first(table, out[name])
    return out


class LevelSearch:
    """:func:`evaluate` of one model on the same draws at many levels of a trigger (threshold
    design): the world is built once, and the instruments' parameters and the effects and
    fixed costs of the instruments scoped on no trigger are computed at the first level and
    kept (unless an instrument reads the level's parameter); the rest at each level.

    ``trigger``: "threshold" (the compute threshold) or a key of ``world.TRIGGERS``.
    """

    def __init__(
        self,
        model: RegulationModel,
        values: Mapping[str, Array],
        world: World | None = None,
        trigger: str = "threshold",
    ) -> None:
        self.model, self.values, self.trigger = model, values, trigger
        self.world = build_world(model, values) if world is None else world
        self.name = "threshold_compute" if trigger == "threshold" else TRIGGERS[trigger][0]
        read = {n for i in model.instruments.values() for n in i.parameters.values()}
        read |= {model.resolve(n, h) for n in read for h in model.harm_names}
        self.reuse = self.name not in read
        self.kept: InstrumentEffects | None = None

    def at(self, level: float) -> Outcomes:
        """The outcomes with the trigger's level at ``level`` in every draw; their by-year sums
        are not made (NaN)."""
        values = {**self.values, self.name: np.full(self.world.harm.shape[-1], float(level))}
        world = world_at_threshold(self.model, self.world, values, self.trigger)
        if self.kept is not None:
            instruments = self.kept.moved(world)
        else:
            used = {k: self.model.instruments[k] for keys in _acting(self.model) for k in keys}
            instruments = InstrumentEffects(self.model, world, values, used)
            self.kept = instruments if self.reuse else None
        return evaluate(self.model, values, world, by_year=False, instruments=instruments)
