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
        value_per_developer = value_share * world.value
        value_per_developer /= np.maximum(n_covered, 1e-12)
        annualised = self.annual_cost(p) + self.oneoff_cost(p) / p["amortisation_years"]
        deterred = np.divide(p["entry_elasticity"] * annualised, value_per_developer)
        np.minimum(1.0, deterred, out=deterred)
        staying = 1.0 - deterred
        n_active = n_covered * staying
        rate = compliance(
            p["voluntary_compliance"], p["capacity"], n_active, p["penalty"], self.annual_cost(p)
        )
        acting = rate * staying
        value_loss = deterred * value_share
        if active is not None:
            acting, value_loss, n_active = acting * active, value_loss * active, n_active * active
        removed = acting * p["efficacy"]
        return Effect(
            above=removed,
            below=removed if scope == "all" else 0.0,
            value_loss=value_loss,
            entities=n_active,
            compliance=rate,
        )

    def costs(self, world, p, scope, effect, res):
        compliers = effect.entities * effect.compliance
        entrants = compliers * world.entrants
        entrants /= world.n_downstream
        entrants *= self.oneoff_cost(p)  # from here: the entrants' one-off costs
        downstream = compliers * self.annual_cost(p)
        downstream += entrants
        regulator = effect.entities * p["regulator_cost_per_entity"]
        regulator += p["capacity"] * p["cost_per_audit"]
        return Costs(downstream=downstream, regulator=regulator)


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
        kept = self._rate(world, p) * (1.0 - p["substitution"])
        return Effect(
            closed=kept * p["efficacy_closed"],
            open_domestic=kept * p["efficacy_open"],
            value_loss=p["value_blocked"],
            entities=world.n_upstream,
            compliance=self._rate(world, p),
        )

    def costs(self, world, p, scope, effect, res):
        first_year = (world.years == 0).astype(float)
        per_firm = p["cost_annual"] + p["cost_oneoff"] * first_year
        return Costs(
            upstream=world.n_upstream * effect.compliance * per_firm,
            regulator=world.n_upstream * p["regulator_cost_per_entity"],
        )


class Liability(InstrumentType):
    """Clarified tort liability: deters negligent risk; damages paid are transfers."""

    name = "liability"
    needs_residual = True
    roles = ("deterrence", "claim_share", "transaction_cost", "precaution_ratio", "chill")

    def effect(self, world, p, scope):
        return Effect(
            above=p["deterrence"],
            below=p["deterrence"],
            value_loss=p["chill"] * (1.0 - world.leak),
        )

    def costs(self, world, p, scope, effect, res):
        damages = p["claim_share"] * res.reachable_harm
        averted = res.reachable_harm * p["deterrence"] / np.maximum(1.0 - p["deterrence"], 1e-12)
        precaution = p["precaution_ratio"] * averted
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
        )

    def costs(self, world, p, scope, effect, res):
        start = self.start(world, p)
        entrants = np.where(
            world.years == start,
            world.n_downstream,
            np.where(world.years > start, world.entrants, 0.0),
        )
        c = self.base.costs(replace(world, entrants=entrants), p, scope, effect, res)
        active = (world.years >= start).astype(float)
        return Costs(
            downstream=c.downstream,  # compliers are counted only while active
            regulator=c.regulator * active + p["monitoring_cost"],
        )


TYPES: dict[str, InstrumentType] = {
    t.name: t()
    for t in (DownstreamObligation, UpstreamControls, Liability, VoluntaryGuidance, Adaptive)
}
