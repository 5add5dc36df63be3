"""Evaluate every approach on the same draws: ``evaluate(model, values) -> Outcomes``.

Risk is held in segments (inside/outside the jurisdiction x malicious or not x above/below the
threshold x closed / open-weight on a domestic base / open-weight on a foreign base). Downstream
instruments act on the reachable block (inside, not malicious), upstream ones on the model
segments; instruments combine by multiplying residuals *within* the segment they reach, so no
combination removes more than its instruments can reach. Equations: docs/model.md, section 4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import numpy as np

from model.regulation.instruments import TYPES, Costs, Effect, Residual
from model.regulation.spec import Instrument, RegulationModel
from model.regulation.world import World, build_world, column, stack_harms, world_at_threshold

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
    risk_reduction_by_year: Array  # (k, H, T): sum over draws (divide by n for the mean)

    @classmethod
    def empty(cls, model: RegulationModel, n: int) -> Outcomes:
        """Tables for ``n`` draws of ``model``, to be filled chunk by chunk (:meth:`rows`):
        per-draw tables uninitialised, the by-year sums zero."""
        k, h = len(model.approaches), len(model.harm_names)
        per_draw = {"risk_reduction": (k, h), "burden": (k, len(PAYERS)), "residual_harm": (k, h)}
        per_draw |= {"exceeds_acceptable": (k, h), "status_quo_harm": (h,)}
        tables = {
            name: np.empty(
                (n, *per_draw.get(name, (k,))),
                dtype=bool if name == "exceeds_acceptable" else float,
            )
            for name in PER_DRAW
        }
        by_year = np.zeros((k, h, model.settings.horizon_years))
        return cls(model.approach_names, model.harm_names, **tables, risk_reduction_by_year=by_year)

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
    if f.name not in ("approaches", "harms", "risk_reduction_by_year")
)


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


def _effects(model: RegulationModel, world: World, params: dict, used: dict) -> dict[str, Effect]:
    """Each used instrument's effect; an adaptive one whose base is also used with the same
    parameters switches the base's effect on and off instead of recomputing it."""
    shared = {k for k, i in used.items() if _shares_base(model, i, used)}
    effects = {
        k: TYPES[i.type].effect(world, params[k], i.scope)
        for k, i in used.items()
        if k not in shared
    }
    for k in shared:
        inst = used[k]
        effects[k] = TYPES[inst.type].switched(world, params[k], effects[inst.base])
    return effects


def _is_zero(x: Array | float) -> bool:
    """True for the scalar 0.0 that marks "this instrument does not act here"."""
    return np.isscalar(x) and x == 0.0


def _into(fresh: Array, op: np.ufunc, other: Array | float) -> Array:
    """op(fresh, other) for a commutative ``op``, written into ``fresh`` (an array the caller
    owns) when it already has the result's shape: fewer live (H, T, n) arrays stay in cache."""
    if fresh.shape == np.broadcast_shapes(fresh.shape, np.shape(other)):
        return op(fresh, other, out=fresh)
    return op(fresh, other)


def _removed(effects: list[Effect], attr: str) -> Array | float:
    """Share removed by instruments combined on one segment: 1 - prod(1 - e_i); 0.0 if none acts.

    The result is a fresh array (or 0.0), accumulated in place where its shape allows. The
    1 - (1 - e) round trip of a single instrument is kept: dropping it would change tiny shares
    by more than the 1e-9 the outcomes are checked to.
    """
    kept: Array | None = None
    for e in effects:
        share = getattr(e, attr)
        if _is_zero(share):
            continue
        if kept is None:
            kept = 1.0 - np.asarray(share, dtype=float)
        else:
            kept = _into(kept, np.multiply, 1.0 - share)
    if kept is None:
        return 0.0
    return np.subtract(1.0, kept, out=kept)


def _reach_removed(effects: list[Effect], rho: Array) -> Array | float:
    """Share of the reachable block removed: rho_T R_above + (1 - rho_T) R_below.

    When every instrument acts alike on both sides of the threshold the mix is just R_above:
    rho_T drops out, and the result keeps the shape of the efficacies (often constant over the
    years) instead of taking the time-varying shape of rho_T. The result is a fresh array (or
    0.0).
    """
    above = _removed(effects, "above")
    if all(e.below is e.above for e in effects):
        return above
    below = _removed(effects, "below")
    mixed: Array | float = 0.0 if _is_zero(above) else _into(above, np.multiply, rho)
    if not _is_zero(below):
        below = (1.0 - rho) * below
        mixed = below if _is_zero(mixed) else _into(mixed, np.add, below)
    return mixed


def _upstream_removed(effects: list[Effect], closed: Array, open_dom: Array) -> Array | float:
    """Share removed on the model segments (closed, domestic open-weight); 0.0 if none acts."""
    on_closed = _removed(effects, "closed")
    on_open = _removed(effects, "open_domestic")
    removed: Array | float = 0.0 if _is_zero(on_closed) else closed * on_closed
    if not _is_zero(on_open):
        removed = removed + open_dom * on_open
    return removed


def _total_removed(reach: Array, removed_reach: Array | float, removed_up: Array | float):
    """removed_h(t) = 1 - (1 - a_h removed_reach)(1 - removed_up) in its smallest shape.

    0.0 when nothing acts (the status quo), (H, 1, n) when nothing varies over the years, else
    a fresh (H, T, n) array that the caller may overwrite. ``removed_reach`` (fresh, from
    ``_reach_removed``) is overwritten.
    """
    if _is_zero(removed_reach):
        return removed_up if _is_zero(removed_up) else 1.0 - (1.0 - removed_up)
    kept = _into(removed_reach, np.multiply, reach)
    np.subtract(1.0, kept, out=kept)
    if not _is_zero(removed_up):
        kept *= 1.0 - removed_up
    return np.subtract(1.0, kept, out=kept)


def _present_value(world: World, annual: Array) -> Array:
    """Discounted sum over the years axis (-2): (..., T, n) -> (..., n).

    Year by year, elementwise: each draw's value is then the same whatever the chunk it is
    evaluated in (a matrix product's kernels round a chunk's last columns differently).
    """
    discount = world.discount
    out = annual[..., 0, :] * discount[0]
    for t in range(1, len(discount)):
        out += annual[..., t, :] * discount[t]
    return out


def _harm_present_value(world: World, annual: Array) -> Array:
    """Discounted sum over years of a per-harm quantity, each harm at its own rate (health or
    money): (H, T, n) -> (H, n); year by year, elementwise, as :func:`_present_value`."""
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
    if _is_zero(removed):
        return np.zeros((h, n)), world.harm[:, -1] * 1.0, None
    if removed.shape[1] == 1:
        share = removed[:, 0]
        averted = world.harm * share[:, None, :]
        return share * harm_pv, world.harm[:, -1] * (1.0 - share), averted
    residual = world.harm[:, -1] * (1.0 - removed[:, -1])
    averted = np.multiply(world.harm, removed, out=removed)
    return _harm_present_value(world, averted), residual, averted


def _reachable_harm(
    world: World, reach: Array, removed_reach: Array | float, removed_up: Array | float
) -> Residual:
    """Harm a year still caused in the reachable block under the approach, summed over harms."""
    share = _into(1.0 - removed_reach, np.multiply, reach)
    if not _is_zero(removed_up):
        share = _into(share, np.multiply, 1.0 - removed_up)
    share = np.broadcast_to(share, world.harm.shape)
    return Residual(np.einsum("htn,htn->tn", world.harm, share)[None])


#: Rows of ``_costs_pv``: the payers, then transfers (reported, never netted).
COST_ROWS = (*PAYERS, "transfers")


def _costs_pv(world: World, costs: Costs) -> Array:
    """PV of one instrument's annual costs, (len(COST_ROWS), n); a cost constant over the years
    is scaled by the summed discount factors instead of being broadcast over them."""
    n = world.harm.shape[-1]
    out = np.zeros((len(COST_ROWS), n))
    for row, field in enumerate(COST_ROWS):
        annual = getattr(costs, field)
        if _is_zero(annual):
            continue
        annual = np.broadcast_to(annual, np.broadcast_shapes(np.shape(annual), (1, 1, n)))
        if annual.shape[-2] == 1:
            out[row] = annual[0, 0] * world.discount.sum()
        else:
            out[row] = _present_value(world, annual[0])
    return out


def _innovation_cost(world: World, value_pv: Array, effects: list[Effect]) -> Array | float:
    """PV[L(t) V(t)] with L = 1 - prod(1 - L_i); a constant L multiplies the PV of V."""
    lost = _removed(effects, "value_loss")
    if _is_zero(lost) or np.shape(lost)[-2] == 1:
        return lost * value_pv
    return _present_value(world, (lost * world.value)[0])


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


def evaluate(
    model: RegulationModel,
    values: Mapping[str, Array],
    world: World | None = None,
    *,
    out: Outcomes | None = None,
    by_year: Array | None = None,
) -> Outcomes:
    """Evaluate all approaches of ``model`` on draws ``values`` (name -> (n,) array).

    ``world`` may be passed when it is already built (threshold design reuses one world for
    many thresholds). ``out`` (:meth:`Outcomes.rows` of a run's tables) receives the
    per-draw tables in place, and is returned: a long run then holds its tables once, with no
    copies of chunks to join. ``by_year`` (k, H, T) receives the harm averted each year,
    folded draw by draw (default: ``out``'s by-year sums, else zeros).

    Shares keep their smallest broadcast shape: one constant over the years stays (H, 1, n),
    so approaches without time-varying instruments never build (H, T, n) arrays of their own.
    Outcomes are written per approach into contiguous (k, ..., n) tables and put draws first
    once at the end.
    """
    world = build_world(model, values) if world is None else world
    h, t, n = world.harm.shape
    harm_pv = _harm_present_value(world, world.harm)  # (H, n)
    value_pv = _present_value(world, world.value)  # (1, n)
    value_counted = np.reshape(world.value_counted, (-1,))  # (1,) or (n,): standing
    # row 0 is the status quo (the rules in force), the reference of increments and of
    # acceptable levels; a model without one (threshold design evaluates a single approach)
    # gets a hidden one, dropped from the outcomes
    hidden = int(bool(model.approaches[0].instruments))
    acting_keys = [model.settings.in_force] * hidden + [model.acting(a) for a in model.approaches]
    used = {k: model.instruments[k] for keys in acting_keys for k in keys}
    params = {k: instrument_parameters(model, i, values) for k, i in used.items()}
    effects = _effects(model, world, params, used)
    fixed_costs_pv = {
        k: _costs_pv(world, TYPES[i.type].costs(world, params[k], i.scope, effects[k], None))
        for k, i in used.items()
        if not TYPES[i.type].needs_residual
    }
    k_approaches = len(acting_keys)
    rr = np.empty((k_approaches, h, n))
    burden = np.empty((k_approaches, len(PAYERS), n))
    transfers = np.empty((k_approaches, n))
    innovation = np.empty((k_approaches, n))
    net = np.empty((k_approaches, n))
    residual = np.empty((k_approaches, h, n))
    entities = np.empty((k_approaches, n))
    compliance = np.empty((k_approaches, n))
    if by_year is None:
        shape = (len(model.approaches), h, t)
        by_year = out.risk_reduction_by_year if out is not None else np.zeros(shape)
    in_force_averted = None  # harm the rules in force avert each year (row 0), when any
    reach = world.reachable
    open_dom = world.open_share * (1.0 - world.foreign_base)
    closed = 1.0 - world.open_share

    for j, keys in enumerate(acting_keys):
        acting = [effects[i] for i in keys]
        removed_reach = _reach_removed(acting, world.risk_above)
        removed_up = _upstream_removed(acting, closed, open_dom)
        # costs that depend on the residual (liability) read removed_reach before
        # _total_removed overwrites it
        if any(i not in fixed_costs_pv for i in keys):
            res = _reachable_harm(world, reach, removed_reach, removed_up)
        removed = _total_removed(reach, removed_reach, removed_up)
        rr[j], residual[j], averted = _risk_outcomes(world, harm_pv, removed)
        if model.settings.in_force and averted is not None:  # increments on the rules in force
            if j == 0:
                in_force_averted = averted.copy()
            elif in_force_averted is not None:
                averted -= in_force_averted
        if j >= hidden and averted is not None and not (j == 0 and model.settings.in_force):
            fold_draws(by_year[j - hidden], averted)
        costs_pv = np.zeros((len(COST_ROWS), n))
        for i in keys:
            inst = model.instruments[i]
            if i in fixed_costs_pv:
                costs_pv += fixed_costs_pv[i]
                continue
            costs = TYPES[inst.type].costs(world, params[i], inst.scope, effects[i], res)
            costs_pv += _costs_pv(world, costs)
        burden[j], transfers[j] = costs_pv[: len(PAYERS)], costs_pv[len(PAYERS)]
        innovation[j] = _innovation_cost(world, value_pv, acting) * value_counted
        net[j] = rr[j].sum(axis=0) - burden[j].sum(axis=0) - innovation[j]
        entities[j], compliance[j] = _final_regulated(acting, t, n)
    if model.settings.in_force:  # outcomes are increments on the rules in force
        harm_pv = harm_pv - rr[0]  # the status quo's harm is what the rules in force leave
        for table in (rr, burden, transfers, innovation, net):
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
    }
    if hidden:
        tables = {k: v if k == "status_quo_harm" else v[hidden:] for k, v in tables.items()}
    if out is None:
        return Outcomes(
            approaches=model.approach_names,
            harms=model.harm_names,
            **{name: _draws_first(table) for name, table in tables.items()},
            risk_reduction_by_year=by_year,
        )
    for name, table in tables.items():
        _draws_first(table, out[name])
    return out


def evaluate_at_threshold(
    model: RegulationModel, values: Mapping[str, Array], world: World, threshold: float
) -> Outcomes:
    """:func:`evaluate` on a prepared ``world`` with the compute threshold moved to
    ``threshold`` (what threshold design calls for each candidate)."""
    values = {**values, "threshold_compute": np.full(world.harm.shape[-1], float(threshold))}
    return evaluate(model, values, world_at_threshold(model, world, values))
