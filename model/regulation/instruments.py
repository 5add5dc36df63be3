"""Instrument types: what one regulatory measure does to risk, to costs and to value.

Each type is a small class registered in ``TYPES``. It names the parameter roles it needs
(``roles``; those in ``per_harm`` take one value per harm) and turns a ``World`` plus its
parameter arrays into an ``Effect`` (efficacies per risk block, value lost, entities) and,
once the approach's residual risk is known, into ``Costs``. Equations: docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from scipy.special import ndtr

from model.regulation.world import World

Array = np.ndarray


@dataclass(frozen=True)
class Effect:
    """What an instrument removes, each a share in [0, 1] broadcastable to (H, T, n).

    ``above``/``below``: of the reachable block (in the jurisdiction, non-malicious), the risk
    carried by developers above/below the threshold. ``closed``/``open_domestic``: of the risk
    on closed models and on open-weight models from domestic upstream developers, malicious
    included. ``value_loss``: share of the ecosystem value V(t) lost, (1, T, n).
    """

    above: Array | float = 0.0
    below: Array | float = 0.0
    closed: Array | float = 0.0
    open_domestic: Array | float = 0.0
    value_loss: Array | float = 0.0
    entities: Array | float = 0.0
    compliance: Array | None = None
    paying: Array | float = 0.0  # share of covered actors whose compliance cost is incremental


@dataclass(frozen=True)
class Costs:
    """Annual social costs by payer and transfers, each broadcastable to (1, T, n)."""

    upstream: Array | float = 0.0
    downstream: Array | float = 0.0
    regulator: Array | float = 0.0
    transfers: Array | float = 0.0


@dataclass(frozen=True)
class Residual:
    """The approach's outcome that some costs depend on."""

    reachable_harm: Array  # (1, T, n): harm a year still caused in the reachable block, all harms


def compliance(voluntary: Array, capacity: Array, n_active: Array, penalty: Array, cost: Array):
    """Share complying: voluntary floor plus the rest, deterred by expected penalties.

    The chance a covered non-compliant actor is caught is min(1, capacity / n_active); the rest
    comply in proportion to expected penalty over annual compliance cost, capped at 1.
    """
    # built up in place in one array of the full shape: p_caught, deterred, then the rate
    rate = np.empty(
        np.broadcast_shapes(*map(np.shape, (voluntary, capacity, n_active, penalty, cost)))
    )
    np.maximum(n_active, 1e-12, out=rate)
    np.divide(capacity, rate, out=rate)
    np.minimum(1.0, rate, out=rate)
    rate *= penalty
    rate /= np.maximum(cost, 1e-12)
    np.minimum(1.0, rate, out=rate)
    rate *= 1.0 - voluntary
    rate += voluntary
    return rate


def deterred_share(world: World, elasticity: Array, cost_share: Array) -> Array:
    """Share of covered developers a duty deters, from its annualised cost over their value.

    ``linear_capped``: min(1, elasticity x cost share), the elasticity extrapolated to any cost.
    ``saturating``: d_max (1 - exp(-k x)), bounded by ``entry_deterred_max`` (some developers
    stay whatever the cost) and calibrated so that at the cost share the elasticity was
    measured at (``entry_reference_shock``, x0) it deters elasticity x x0, as the evidence says:
    k = -ln(1 - elasticity x0 / d_max) / x0. An elasticity too high for the bound at x0 deters
    d_max at any cost.
    """
    if world.settings.entry_response == "linear_capped":
        d = elasticity * cost_share
        return np.minimum(1.0, d, out=d)
    d_max, x0 = world.entry_deterred_max, world.entry_reference_shock
    rate = -np.log1p(-np.minimum(elasticity * x0 / d_max, 1.0 - 1e-12)) / x0
    d = np.multiply(rate, cost_share)
    np.negative(d, out=d)
    np.expm1(d, out=d)
    d *= -d_max
    return d


def deterred_fate(world: World) -> tuple[Array | float, Array | float]:
    """(share of a deterred developer's value lost, share of its risk gone) under the run's
    ``deterred`` setting, in the run's standing (docs/model.md, section 6).

    ``relocate``: it carries on abroad, losing ``relocation_loss`` of its value; its risk stays
    (out of reach). ``exit``: it leaves the jurisdiction's market: the value and the risk it
    brought there leave (world standing: the jurisdiction's shares of them; jurisdiction
    standing: all that counts). ``abandon``: it stops; value lost, risk gone.
    ``value_lost_risk_stays``: v1.1's reading (value lost, risk stays), kept for comparison.
    """
    reading = world.settings.deterred
    if reading == "relocate":
        return world.relocation_loss, 0.0
    if reading == "exit" and world.settings.standing == "world":
        return world.value_inside, world.jurisdiction_share
    if reading == "value_lost_risk_stays":
        return 1.0, 0.0
    return 1.0, 1.0


def credited(world: World, rate: Array, voluntary: Array) -> Array:
    """Share of covered actors complying *because of* the rule: beyond the voluntary
    compliers (whose behaviour, and its cost, is already in the status quo), or every
    complier when ``additionality = "full_credit"``."""
    if world.settings.additionality == "full_credit":
        return rate
    return rate - voluntary


class InstrumentType:
    """Base class: a type's roles and its two equations."""

    name: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    per_harm: ClassVar[frozenset[str]] = frozenset()
    scopes: ClassVar[tuple[str, ...]] = ()
    needs_residual: ClassVar[bool] = False  # do its costs depend on the approach's residual risk?

    def effect(self, world: World, p: dict[str, Array], scope: str | None) -> Effect:
        raise NotImplementedError

    def costs(
        self, world: World, p: dict[str, Array], scope: str | None, effect: Effect, res: Residual
    ) -> Costs:
        raise NotImplementedError


class DownstreamObligation(InstrumentType):
    """Direct duties on downstream developers, on all of them or on those above the threshold."""

    name = "downstream_obligation"
    roles = (
        "efficacy",
        "hours_oneoff",
        "hours_annual",
        "tariff",
        "cost_oneoff",
        "cost_annual",
        "penalty",
        "capacity",
        "cost_per_audit",
        "regulator_cost_per_entity",
        "voluntary_compliance",
        "entry_elasticity",
        "amortisation_years",
    )
    per_harm = frozenset({"efficacy"})
    scopes = ("all", "above_threshold")

    @staticmethod
    def _coverage(world: World, scope: str | None):
        """Shares of downstream developers and of their value that the duty covers."""
        inside = 1.0 - world.leak
        if scope == "all":
            return inside, inside
        return inside * world.share_above, inside * world.risk_above

    @staticmethod
    def annual_cost(p: dict[str, Array]) -> Array:
        return p["hours_annual"] * p["tariff"] + p["cost_annual"]

    @staticmethod
    def oneoff_cost(p: dict[str, Array]) -> Array:
        return p["hours_oneoff"] * p["tariff"] + p["cost_oneoff"]

    def effect(self, world, p, scope):
        return self.effect_in_years(world, p, scope, None)

    def effect_in_years(self, world, p, scope, active: Array | None) -> Effect:
        """The effect, switched off in the years where ``active`` (0/1, (1, T, 1)) is 0.

        The mask multiplies the per-developer shares before they are spread over harms, so a
        switched duty costs no extra (H, T, n) pass; multiplying by exactly 0 or 1 gives the
        same numbers as masking the spread efficacies.
        """
        count_share, value_share = self._coverage(world, scope)
        n_covered = count_share * world.n_downstream
        annualised = self.annual_cost(p) + self.oneoff_cost(p) / p["amortisation_years"]
        # cost share = annualised cost / value per covered developer
        #            = annualised x (count share / value share) x N(t) / V(t)
        if scope != "all":
            annualised = annualised * count_share / np.maximum(value_share, 1e-300)
        deterred = deterred_share(
            world, p["entry_elasticity"], np.multiply(annualised, world.developers_per_value)
        )
        staying = 1.0 - deterred
        n_active = n_covered * staying
        rate = compliance(
            p["voluntary_compliance"], p["capacity"], n_active, p["penalty"], self.annual_cost(p)
        )
        paying = credited(world, rate, p["voluntary_compliance"]) * staying
        value_lost, risk_gone = deterred_fate(world)
        value_loss = np.multiply(deterred, value_share * value_lost)
        gone = 0.0 if np.isscalar(risk_gone) and risk_gone == 0.0 else deterred * risk_gone
        if active is not None:
            paying, value_loss, n_active = paying * active, value_loss * active, n_active * active
            gone = gone if np.isscalar(gone) else gone * active
        removed = paying * p["efficacy"]
        if not np.isscalar(gone):
            removed = removed + gone
        return Effect(
            above=removed,
            below=removed if scope == "all" else 0.0,
            value_loss=value_loss,
            entities=n_active,
            compliance=rate,
            paying=paying,
        )

    def payers(self, world: World, scope: str | None, start: Array | None = None):
        """(covered developers, newly covered developers), each (1, T, n). The newly covered
        pay the one-off cost: everyone covered in the first year the duty applies (0, or
        ``start``), then the growth of the covered count (entrants, and developers whose
        compute crosses a drifting threshold)."""
        count_share = self._coverage(world, scope)[0]
        covered = count_share * world.n_downstream
        if np.shape(count_share)[1:2] != (1,):  # a coverage that drifts over the years
            new = np.empty_like(covered)
            new[:, 0] = covered[:, 0]
            np.subtract(covered[:, 1:], covered[:, :-1], out=new[:, 1:])
            np.maximum(new[:, 1:], 0.0, out=new[:, 1:])
        else:
            new = count_share * world.entrants
        if start is not None:
            new = np.where(world.years == start, covered, np.where(world.years > start, new, 0.0))
        return covered, new

    def costs(self, world, p, scope, effect, res):
        return self.costs_with(p, effect, *self.payers(world, scope))

    def costs_with(self, p, effect: Effect, covered: Array, newly_covered: Array) -> Costs:
        """Costs when ``covered`` developers pay annual costs and ``newly_covered`` ones the
        one-off cost, each as far as they pay (``effect.paying``); the regulator pays per active
        entity and for audits, at most one per active entity."""
        downstream = covered * self.annual_cost(p)
        downstream += newly_covered * self.oneoff_cost(p)
        downstream *= effect.paying
        audits = np.minimum(p["capacity"], effect.entities)
        audits *= p["cost_per_audit"]
        audits += effect.entities * p["regulator_cost_per_entity"]
        return Costs(downstream=downstream, regulator=audits)


class UpstreamControls(InstrumentType):
    """Duties on upstream developers to restrict or monitor modification of their models."""

    name = "upstream_controls"
    roles = (
        "efficacy_closed",
        "efficacy_open",
        "substitution",
        "cost_oneoff",
        "cost_annual",
        "penalty",
        "capacity",
        "regulator_cost_per_entity",
        "voluntary_compliance",
        "value_blocked",
    )
    per_harm = frozenset({"efficacy_closed", "efficacy_open"})

    def _rate(self, world, p):
        return compliance(
            p["voluntary_compliance"],
            p["capacity"],
            world.n_upstream,
            p["penalty"],
            p["cost_annual"],
        )

    def effect(self, world, p, scope):
        rate = self._rate(world, p)
        paying = credited(world, rate, p["voluntary_compliance"])
        kept = paying * (1.0 - p["substitution"])
        return Effect(
            closed=kept * p["efficacy_closed"],
            open_domestic=kept * p["efficacy_open"],
            value_loss=p["value_blocked"],
            entities=world.n_upstream,
            compliance=rate,
            paying=paying,
        )

    def costs(self, world, p, scope, effect, res):
        first_year = (world.years == 0).astype(float)
        per_firm = p["cost_annual"] + p["cost_oneoff"] * first_year
        return Costs(
            upstream=world.n_upstream * effect.paying * per_firm * world.upstream_counted,
            regulator=world.n_upstream * p["regulator_cost_per_entity"],
        )


class Liability(InstrumentType):
    """Clarified tort liability: deters negligent risk; damages paid are transfers.

    ``[settings] liability``: ``declared`` takes the share deterred as a parameter (its link to
    claims declared as a correlation); ``derived`` derives it from expected liability. A
    developer takes care when the damages it expects per dollar of harm it causes
    (``claim_share``, s) exceed its cost of care per dollar of harm averted, lognormal across
    developers with median ``precaution_ratio`` (rho) and log-sd ``care_dispersion`` (sigma):
    a share F = Phi(z), z = ln(s / rho) / sigma, takes care and averts ``care_avoidable`` of its
    risk; their care costs E[rho_i | rho_i < s] = rho exp(sigma^2 / 2) Phi(z - sigma) / Phi(z)
    per dollar averted.
    """

    name = "liability"
    needs_residual = True
    roles = (
        "deterrence",
        "claim_share",
        "transaction_cost",
        "precaution_ratio",
        "chill",
        "care_avoidable",
        "care_dispersion",
    )

    @staticmethod
    def deterrence(world: World, p: dict[str, Array]) -> tuple[Array, Array]:
        """(share of reachable risk deterred, care cost per dollar of harm averted)."""
        if world.settings.liability == "declared":
            return p["deterrence"], p["precaution_ratio"]
        sigma = p["care_dispersion"]
        z = np.log(p["claim_share"] / p["precaution_ratio"]) / sigma
        taking_care = ndtr(z)
        with np.errstate(invalid="ignore", divide="ignore"):  # nobody takes care: no cost
            ratio = np.where(taking_care > 0, ndtr(z - sigma) / taking_care, 0.0)
        cost = p["precaution_ratio"] * np.exp(sigma**2 / 2) * ratio
        return p["care_avoidable"] * taking_care, cost

    def effect(self, world, p, scope):
        deterred = self.deterrence(world, p)[0]
        return Effect(
            above=deterred,
            below=deterred,
            value_loss=p["chill"] * (1.0 - world.leak),
        )

    def costs(self, world, p, scope, effect, res):
        deterred, care_cost = self.deterrence(world, p)
        damages = p["claim_share"] * res.reachable_harm
        averted = res.reachable_harm * deterred / np.maximum(1.0 - deterred, 1e-12)
        precaution = care_cost * averted
        return Costs(
            downstream=p["transaction_cost"] * damages + precaution,
            transfers=damages,
        )


class VoluntaryGuidance(InstrumentType):
    """Guidance that willing in-jurisdiction developers adopt; adopters are self-selected."""

    name = "voluntary_guidance"
    roles = ("adoption", "self_selection", "efficacy", "hours_annual", "tariff", "cost_government")
    per_harm = frozenset({"efficacy"})

    def effect(self, world, p, scope):
        removed = p["adoption"] * p["self_selection"] * p["efficacy"]
        return Effect(above=removed, below=removed)

    def costs(self, world, p, scope, effect, res):
        adopters = p["adoption"] * (1.0 - world.leak) * world.n_downstream
        return Costs(
            downstream=adopters * p["hours_annual"] * p["tariff"],
            regulator=p["cost_government"],
        )


class Adaptive(InstrumentType):
    """A downstream obligation that switches on only once a monitored trigger is crossed.

    The monitor watches the annual harm through modified models that would occur without the
    obligation (the sum over harms, H(t)); the obligation starts ``ceil(detection_lag)`` years
    after the first year with H(t) >= ``trigger_level`` (never, if it is not crossed within
    the horizon). Everyone covered complies once at switch-on; ``monitoring_cost`` is paid by
    the regulator every year. A trigger at 0 with no lag reduces it to the static obligation;
    a trigger never crossed, to no obligation (plus monitoring).
    """

    name = "adaptive"
    roles = ("trigger_level", "detection_lag", "monitoring_cost")
    base = DownstreamObligation()  # the instrument type it switches on
    scopes = DownstreamObligation.scopes

    @staticmethod
    def start(world: World, p: dict[str, Array]) -> Array:
        """First year the obligation applies, (1, 1, n); the horizon when never.

        The first year crossed is the smallest crossed year (a min-reduction over the years
        axis runs over long draw vectors; an argmax along it does not).
        """
        crossed = world.total_harm >= p["trigger_level"]
        horizon = crossed.shape[1]
        first = np.where(crossed, world.years, horizon).min(axis=1, keepdims=True)
        return first + np.ceil(p["detection_lag"])

    def _active(self, world: World, p: dict[str, Array]) -> Array:
        """1 in the years the obligation applies, else 0, (1, T, n)."""
        return (world.years >= self.start(world, p)).astype(float)

    def effect(self, world, p, scope):
        return self.base.effect_in_years(world, p, scope, self._active(world, p))

    def switched(self, world: World, p: dict[str, Array], always_on: Effect) -> Effect:
        """The effect from the base obligation's own ``always_on`` effect (same parameters),
        switched off before the start year: one masking pass instead of recomputing it."""
        active = self._active(world, p)
        above = always_on.above * active
        below = always_on.below
        if below is always_on.above:
            below = above
        elif not (np.isscalar(below) and below == 0.0):
            below = below * active
        return replace(
            always_on,
            above=above,
            below=below,
            value_loss=always_on.value_loss * active,
            entities=always_on.entities * active,
            paying=always_on.paying * active,
        )

    def costs(self, world, p, scope, effect, res):
        start = self.start(world, p)
        c = self.base.costs_with(p, effect, *self.base.payers(world, scope, start))
        # payers and active entities are counted only while active
        return Costs(downstream=c.downstream, regulator=c.regulator + p["monitoring_cost"])


TYPES: dict[str, InstrumentType] = {
    t.name: t()
    for t in (DownstreamObligation, UpstreamControls, Liability, VoluntaryGuidance, Adaptive)
}
