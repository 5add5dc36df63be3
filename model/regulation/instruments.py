"""Instrument types: what one regulatory measure does to risk, to costs and to value.

Each type is a small class registered in ``TYPES``. It names the parameter roles it needs
(``roles``; those in ``per_harm`` take one value per harm) and turns a ``World`` plus its
parameter arrays into an ``Effect`` (efficacies per risk block, value lost, entities) and,
once the approach's residual risk is known, into ``Costs``. Equations: docs/model.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
from scipy.special import ndtr

from model.regulation.world import CHANNELS, SCOPE_TRIGGER, World

Array = np.ndarray


#: An actor cell: (developer class, "above" or "below" the threshold), or SERVICES.
Cell = tuple[str, str]
SIDES = ("above", "below")
#: The actor cell of commercial misuse services in the jurisdiction.
SERVICES: Cell = ("services", "all")


@dataclass(frozen=True)
class Effect:
    """What an instrument removes, each a share in [0, 1] broadcastable to (H, T, n).

    ``actors``: per actor cell, the share of that cell's risk removed: (class, side) cells of
    the reachable block (lawful developers in the jurisdiction; side of the threshold) and
    SERVICES. ``models``: per (access, channel) cell (world.ACCESS x world.CHANNELS), the share
    of that cell's risk removed, whoever modifies. A cell an instrument does not reach is
    absent. ``value_loss``: share of the ecosystem value V(t) lost, (1, T, n). ``classes``:
    per developer class, (share of covered developers paying for compliance beyond the
    voluntary baseline, active regulated developers), for its costs.
    """

    actors: Mapping[Cell, Array | float] = field(default_factory=dict)
    models: Mapping[Cell, Array | float] = field(default_factory=dict)
    value_loss: Array | float = 0.0
    entities: Array | float = 0.0
    compliance: Array | None = None
    paying: Array | float = 0.0  # share of covered actors whose compliance cost is incremental
    classes: Mapping[str, tuple[Array, Array]] = field(default_factory=dict)
    trigger: str = "threshold"  # the trigger the "above"/"below" sides of actor cells refer to


def actor_cells(world: World, above: Mapping[str, Array], below: Mapping[str, Array] | None):
    """Actor cells from per-class shares removed above and below the threshold (``below``
    None: the same share on both sides, one object so that evaluate merges the sides)."""
    cells = {}
    for k in world.classes:
        cells[k, "above"] = above[k]
        cells[k, "below"] = above[k] if below is None else below[k]
    return cells


def model_cells(share: Array | float, access: tuple[str, ...], channels=CHANNELS):
    """The same share removed in every (access, channel) cell named."""
    return {(a, c): share for a in access for c in channels}


@dataclass(frozen=True)
class Costs:
    """Annual social costs by payer and transfers, each broadcastable to (1, T, n);
    ``by_class``: the downstream compliance cost borne by each developer class."""

    upstream: Array | float = 0.0
    downstream: Array | float = 0.0
    regulator: Array | float = 0.0
    transfers: Array | float = 0.0
    by_class: Mapping[str, Array] = field(default_factory=dict)


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
    """Base class: a type's roles and its two equations.

    ``optional_roles`` may be left unmapped; ``boosts`` names the instrument types whose
    ``boosted_role`` this type raises when both are in an approach (complementarity, docs/
    model.md section 5): the role p becomes p + b (1 - p), with b this type's parameter.
    """

    name: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    optional_roles: ClassVar[tuple[str, ...]] = ()
    per_harm: ClassVar[frozenset[str]] = frozenset()
    scopes: ClassVar[tuple[str, ...]] = ()
    channels: ClassVar[tuple[str, ...]] = CHANNELS  # the risk channels it acts on
    needs_residual: ClassVar[bool] = False  # do its costs depend on the approach's residual risk?
    boosts: ClassVar[Mapping[str, str]] = {}  # boosted type -> the role of this type boosting it

    def boosted_role(self, world: World) -> str | None:
        """The role another instrument's boost raises (None: nothing to boost)."""
        return None

    def effect(self, world: World, p: dict[str, Array], scope: str | None) -> Effect:
        raise NotImplementedError

    def costs(
        self, world: World, p: dict[str, Array], scope: str | None, effect: Effect, res: Residual
    ) -> Costs:
        raise NotImplementedError


class DownstreamObligation(InstrumentType):
    """Direct duties on downstream developers, on all of them or on those above the threshold.

    Computed per developer class: each class's covered developers weigh the duty's annualised
    cost against their value (the deterred share), the enforcement capacity is shared by every
    active covered developer, and a class complies only as far as its ``capacity`` allows.
    """

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
    scopes = ("all", *SCOPE_TRIGGER)

    def boosted_role(self, world):
        return "efficacy"

    @staticmethod
    def _coverage(world: World, c, scope: str | None):
        """Shares of a class's developers and of its value that the duty covers: all, or those
        above the scope's trigger (the threshold, a capability level or a reach)."""
        inside = 1.0 - world.leak
        if scope == "all":
            return inside, inside
        share, risk = c.above[SCOPE_TRIGGER[scope]]
        return inside * share, inside * risk

    @staticmethod
    def annual_cost(p: dict[str, Array]) -> Array:
        return p["hours_annual"] * p["tariff"] + p["cost_annual"]

    @staticmethod
    def oneoff_cost(p: dict[str, Array]) -> Array:
        return p["hours_oneoff"] * p["tariff"] + p["cost_oneoff"]

    def effect(self, world, p, scope):
        return self.effect_in_years(world, p, scope, None)

    def effect_in_years(self, world, p, scope, active: Array | None) -> Effect:
        """The effect, switched off in the years where ``active`` (0/1, (1, T, 1)) is 0."""
        annualised = self.annual_cost(p) + self.oneoff_cost(p) / p["amortisation_years"]
        staying, active_count, value_loss = {}, {}, 0.0
        value_lost, risk_gone = deterred_fate(world)
        for k, c in world.classes.items():
            count_share, value_share = self._coverage(world, c, scope)
            # cost share = annualised cost / value per covered developer of the class
            #            = annualised x (count share / value share) x N_k(t) / V_k(t)
            per_value = c.count / c.value
            if scope != "all":
                per_value = per_value * count_share / np.maximum(value_share, 1e-300)
            deterred = deterred_share(world, p["entry_elasticity"], annualised * per_value)
            staying[k] = deterred
            active_count[k] = count_share * c.count * (1.0 - deterred)
            value_loss = value_loss + deterred * (c.value_share * value_share * value_lost)
        n_active = sum(active_count.values())
        rate = compliance(
            p["voluntary_compliance"], p["capacity"], n_active, p["penalty"], self.annual_cost(p)
        )
        extra = credited(world, rate, p["voluntary_compliance"])
        removed, classes = {}, {}
        for k, c in world.classes.items():
            deterred = staying[k]
            paying = extra * c.capacity * (1.0 - deterred)
            count = active_count[k]
            gone = 0.0 if np.isscalar(risk_gone) and risk_gone == 0.0 else deterred * risk_gone
            if active is not None:
                paying, count = paying * active, count * active
                gone = gone if np.isscalar(gone) else gone * active
            removed[k] = paying * p["efficacy"]
            if not np.isscalar(gone):
                removed[k] = removed[k] + gone
            classes[k] = (paying, count)
        if active is not None:
            value_loss, n_active = value_loss * active, n_active * active
        below = None if scope == "all" else dict.fromkeys(removed, 0.0)
        actors = actor_cells(world, removed, below)
        if len(world.classes) == 1:
            capable = next(iter(world.classes.values())).capacity
        else:  # entity-weighted share of active covered developers able to comply
            capable = sum(c.capacity * active_count[k] for k, c in world.classes.items())
            capable = capable / np.maximum(n_active, 1e-300)
        return Effect(
            actors=actors,
            value_loss=value_loss,
            entities=n_active,
            compliance=rate * capable,
            classes=classes,
            trigger=SCOPE_TRIGGER.get(scope, "threshold"),
        )

    def payers(self, world: World, scope: str | None, start: Array | None = None):
        """Per class, (covered developers, newly covered developers), each (1, T, n). The newly
        covered pay the one-off cost: everyone covered in the first year the duty applies (0,
        or ``start``), then the growth of the covered count (entrants, and developers whose
        compute crosses a drifting threshold)."""
        out = {}
        for k, c in world.classes.items():
            count_share = self._coverage(world, c, scope)[0]
            covered = count_share * c.count
            if np.shape(count_share)[1:2] != (1,) or len(world.classes) > 1:
                new = np.empty_like(covered)
                new[:, 0] = covered[:, 0]
                np.subtract(covered[:, 1:], covered[:, :-1], out=new[:, 1:])
                np.maximum(new[:, 1:], 0.0, out=new[:, 1:])
            else:
                new = count_share * c.entrants
            if start is not None:
                new = np.where(
                    world.years == start, covered, np.where(world.years > start, new, 0.0)
                )
            out[k] = (covered, new)
        return out

    def costs(self, world, p, scope, effect, res):
        return self.costs_with(p, effect, self.payers(world, scope))

    def costs_with(self, p, effect: Effect, payers: Mapping[str, tuple[Array, Array]]) -> Costs:
        """Costs when each class's ``covered`` developers pay annual costs and its newly
        covered ones the one-off cost, each as far as they pay (``effect.classes``); the
        regulator pays per active entity and for audits, at most one per active entity."""
        by_class = {}
        for k, (covered, new) in payers.items():
            cost = covered * self.annual_cost(p)
            cost += new * self.oneoff_cost(p)
            cost *= effect.classes[k][0]
            by_class[k] = cost
        audits = np.minimum(p["capacity"], effect.entities)
        audits *= p["cost_per_audit"]
        audits += effect.entities * p["regulator_cost_per_entity"]
        return Costs(downstream=sum(by_class.values()), regulator=audits, by_class=by_class)


class ServiceEnforcement(InstrumentType):
    """Enforcement against commercial services built for misuse (e.g. "nudify" apps) in the
    jurisdiction: removes ``takedown`` of their risk (sites closed or blocked, net of those
    that move) at the regulator's ``enforcement_cost`` a year. They are downstream developers
    that no duty's compliance reaches: only enforcement does."""

    name = "service_enforcement"
    roles = ("takedown", "enforcement_cost")

    def effect(self, world, p, scope):
        return Effect(actors={SERVICES: p["takedown"]})

    def costs(self, world, p, scope, effect, res):
        return Costs(regulator=p["enforcement_cost"])


class UpstreamDuty(InstrumentType):
    """A duty on the few upstream developers (or, for :class:`HostingDuties`, model hubs):
    shared compliance (the voluntary floor plus the rest deterred by expected penalties), each
    duty's own cells and value loss. Its costs count in the run's standing.

    Under ``[settings] upstream_withdrawal = "withdraws"`` a share w of the upstream developers
    stops serving the jurisdiction instead (``withdraws``: not over information duties, and
    hubs do not): only the others are
    supervised, comply and pay, so the share paying is (1 - w) x the credited compliance of
    those staying, and the duty's cells and value losses scale with it. The value the
    jurisdiction's users lose is the approach's, counted once (evaluate).
    """

    withdraws: ClassVar[bool] = True  # may the firms it binds withdraw from the jurisdiction?

    common_roles: ClassVar[tuple[str, ...]] = (
        "cost_oneoff",
        "cost_annual",
        "penalty",
        "capacity",
        "regulator_cost_per_entity",
        "voluntary_compliance",
    )

    def count(self, world: World, p: dict[str, Array]) -> Array:
        """The firms the duty falls on."""
        return world.n_upstream

    def staying(self, world: World) -> Array | None:
        """Share of the firms still serving the jurisdiction, 1 - w, (1, 1, n); None when all
        do (``upstream_withdrawal = "complies"``, or a duty whose firms do not withdraw)."""
        if world.withdrawal is None or not self.withdraws:
            return None
        return 1.0 - world.withdrawal

    def serving(self, world: World, p: dict[str, Array]) -> Array:
        """The firms the duty binds that still serve the jurisdiction."""
        stay = self.staying(world)
        firms = self.count(world, p)
        return firms if stay is None else firms * stay

    def paying(self, world: World, p: dict[str, Array]) -> tuple[Array, Array]:
        """(compliance rate of the firms serving the jurisdiction, share of all the firms in
        scope complying beyond the voluntary floor): the regulator's audits fall on the firms
        still serving; those withdrawn neither comply nor pay."""
        rate = compliance(
            p["voluntary_compliance"],
            p["capacity"],
            self.serving(world, p),
            p["penalty"],
            p["cost_annual"],
        )
        extra = credited(world, rate, p["voluntary_compliance"])
        stay = self.staying(world)
        return rate, extra if stay is None else extra * stay

    def acting(self, world: World, p: dict[str, Array], paying: Array) -> Effect:
        """The duty's cells and value loss, given the share paying."""
        raise NotImplementedError

    def effect(self, world, p, scope):
        rate, paying = self.paying(world, p)
        e = self.acting(world, p, paying)
        return replace(e, entities=self.serving(world, p), compliance=rate, paying=paying)

    def costs(self, world, p, scope, effect, res):
        first_year = (world.years == 0).astype(float)
        per_firm = p["cost_annual"] + p["cost_oneoff"] * first_year
        firms = self.count(world, p)
        return Costs(
            upstream=firms * effect.paying * per_firm * world.upstream_counted,
            regulator=self.serving(world, p) * p["regulator_cost_per_entity"],
        )


class UpstreamControls(UpstreamDuty):
    """Bundled duties on upstream developers to restrict or monitor modification: one
    efficacy on closed models and one on domestic open weights, every channel (v1's
    instrument, kept for comparison with the separate options below)."""

    name = "upstream_controls"
    roles = (
        "efficacy_closed",
        "efficacy_open",
        "substitution",
        *UpstreamDuty.common_roles,
        "value_blocked",
    )
    per_harm = frozenset({"efficacy_closed", "efficacy_open"})

    def acting(self, world, p, paying):
        kept = paying * (1.0 - p["substitution"])
        stay = self.staying(world)  # modifications blocked on the models still served
        return Effect(
            models={
                **model_cells(kept * p["efficacy_closed"], ("closed",)),
                **model_cells(kept * p["efficacy_open"], ("open_domestic",)),
            },
            value_loss=p["value_blocked"] if stay is None else p["value_blocked"] * stay,
        )


class LicenceTerms(UpstreamDuty):
    """O2a: licence terms and terms of use that forbid harmful modification, on closed models
    and domestic open weights; enforceable through the interface, weakly once weights are out.
    Acts on capability enhancement and safety removal."""

    name = "licence_terms"
    roles = ("efficacy_closed", "efficacy_open", *UpstreamDuty.common_roles, "value_restricted")
    per_harm = frozenset({"efficacy_closed", "efficacy_open"})
    channels = ("capability", "safety")

    def acting(self, world, p, paying):
        return Effect(
            models={
                **model_cells(paying * p["efficacy_closed"], ("closed",), self.channels),
                **model_cells(paying * p["efficacy_open"], ("open_domestic",), self.channels),
            },
            value_loss=paying * p["value_restricted"],
        )


class StructuredAccess(UpstreamDuty):
    """O2b: no open-weight release above a capability level (structured access instead).

    Removes, on domestic open weights, the risk carried by models above the level
    (``risk_above_level``) except what foreign or older open models supply anyway
    (``foreign_parity``, which the open-closed capability lag governs); loses
    ``open_value_lost`` of the value built on open weights (``open_value_share``)."""

    name = "structured_access"
    roles = (
        "risk_above_level",
        "foreign_parity",
        "open_value_share",
        "open_value_lost",
        *UpstreamDuty.common_roles,
    )
    per_harm = frozenset({"risk_above_level"})

    def acting(self, world, p, paying):
        removed = paying * p["risk_above_level"] * (1.0 - p["foreign_parity"])
        return Effect(
            models=model_cells(removed, ("open_domestic",)),
            value_loss=paying * p["open_value_share"] * p["open_value_lost"],
        )


class FinetuneMonitoring(UpstreamDuty):
    """O2c: monitoring and know-your-customer checks of fine-tuning through closed models'
    interfaces. Detects harmful fine-tuning jobs (safety removal on closed models; scaffolding
    needs no fine-tuning and is not reached); false positives block benign jobs. Its logs make
    claims easier to prove: it raises liability (``evidence_boost``)."""

    name = "finetune_monitoring"
    roles = (
        "detection",
        "false_positive",
        "finetune_value_share",
        "evidence_boost",
        *UpstreamDuty.common_roles,
    )
    per_harm = frozenset({"detection"})
    channels = ("safety",)
    boosts: ClassVar[Mapping[str, str]] = {"liability": "evidence_boost"}

    def acting(self, world, p, paying):
        return Effect(
            models=model_cells(paying * p["detection"], ("closed",), self.channels),
            value_loss=paying * p["false_positive"] * p["finetune_value_share"],
        )


class TamperResistance(UpstreamDuty):
    """O2d: tamper-resistant safeguards and unlearning before open release. On domestic open
    weights' safety-removal risk: the safeguards hold with probability ``holds``; when they
    break, the attacker's higher cost still deters ``attacker_deterrence``. The capability
    tax costs ``capability_tax`` of the value built on open weights."""

    name = "tamper_resistance"
    roles = (
        "holds",
        "attacker_deterrence",
        "capability_tax",
        "open_value_share",
        *UpstreamDuty.common_roles,
    )
    channels = ("safety",)

    def acting(self, world, p, paying):
        stopped = p["holds"] + (1.0 - p["holds"]) * p["attacker_deterrence"]
        return Effect(
            models=model_cells(paying * stopped, ("open_domestic",), self.channels),
            value_loss=paying * p["capability_tax"] * p["open_value_share"],
        )


class ModificationEvaluation(UpstreamDuty):
    """O2e: pre-release evaluation of modification risk (testing fine-tuned and scaffolded
    variants): finds ``detection`` of the capability and safety-removal risk of domestic
    models and mitigates ``mitigation`` of what it finds before release; delays cost
    ``value_delay`` of the ecosystem's value."""

    name = "modification_evaluation"
    roles = ("detection", "mitigation", "value_delay", *UpstreamDuty.common_roles)
    per_harm = frozenset({"detection"})
    channels = ("capability", "safety")

    def acting(self, world, p, paying):
        removed = paying * p["detection"] * p["mitigation"]
        return Effect(
            models=model_cells(removed, ("closed", "open_domestic"), self.channels),
            value_loss=paying * p["value_delay"],
        )


class InformationDuties(UpstreamDuty):
    """O2f: information to downstream developers (model cards, safe fine-tuning guidance).
    Removes ``efficacy`` of the information-deficit risk on domestic models, and makes
    downstream duties and guidance work better (``compliance_boost`` raises their efficacy)."""

    name = "information_duties"
    # firms publish model cards and guidance unasked, and the withdrawals on record were over
    # data protection, competition and review rules (params/evidence.toml): a duty to inform is
    # not modelled as a reason to stop serving the jurisdiction
    withdraws = False
    roles = ("efficacy", "compliance_boost", *UpstreamDuty.common_roles)
    per_harm = frozenset({"efficacy"})
    channels = ("information",)
    boosts: ClassVar[Mapping[str, str]] = {
        "downstream_obligation": "compliance_boost",
        "adaptive": "compliance_boost",
        "voluntary_guidance": "compliance_boost",
    }

    def acting(self, world, p, paying):
        return Effect(
            models=model_cells(paying * p["efficacy"], ("closed", "open_domestic"), self.channels)
        )


class HostingDuties(UpstreamDuty):
    """O6: duties on model hubs and hosting platforms (``platforms`` of them) to find and take
    down open-weight models stripped of safeguards or tuned for misuse, domestic or foreign:
    a share ``hub_share`` of open-weight downloads passes through the hubs covered, they find
    ``takedown`` of such models, and ``rehost`` of those reappear elsewhere. Wrongful takedowns
    cost ``false_takedown`` of the value built on open weights. Platforms are booked with
    upstream firms."""

    name = "hosting_duties"
    withdraws = False  # hubs serve downloads worldwide; they are not modelled as withdrawing
    roles = (
        "platforms",
        "hub_share",
        "takedown",
        "rehost",
        "false_takedown",
        "open_value_share",
        *UpstreamDuty.common_roles,
    )
    per_harm = frozenset({"takedown"})
    channels = ("capability", "safety")

    def count(self, world, p):
        return p["platforms"]

    def acting(self, world, p, paying):
        removed = paying * p["hub_share"] * p["takedown"] * (1.0 - p["rehost"])
        return Effect(
            models=model_cells(removed, ("open_domestic", "open_foreign"), self.channels),
            value_loss=paying * p["false_takedown"] * p["open_value_share"],
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

    def boosted_role(self, world):
        return "deterrence" if world.settings.liability == "declared" else "claim_share"

    def effect(self, world, p, scope):
        deterred = self.deterrence(world, p)[0]
        return Effect(
            actors=actor_cells(world, dict.fromkeys(world.classes, deterred), None),
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

    def boosted_role(self, world):
        return "efficacy"

    def effect(self, world, p, scope):
        removed = p["adoption"] * p["self_selection"] * p["efficacy"]
        return Effect(actors=actor_cells(world, dict.fromkeys(world.classes, removed), None))

    def costs(self, world, p, scope, effect, res):
        per_developer = p["adoption"] * (1.0 - world.leak) * p["hours_annual"] * p["tariff"]
        by_class = {k: per_developer * c.count for k, c in world.classes.items()}
        return Costs(
            downstream=per_developer * world.n_downstream,
            regulator=p["cost_government"],
            by_class=by_class,
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

    def boosted_role(self, world):
        return "efficacy"

    def effect(self, world, p, scope):
        return self.base.effect_in_years(world, p, scope, self._active(world, p))

    def switched(self, world: World, p: dict[str, Array], always_on: Effect) -> Effect:
        """The effect from the base obligation's own ``always_on`` effect (same parameters),
        switched off before the start year: one masking pass instead of recomputing it."""
        active = self._active(world, p)
        masked: dict[int, Array | float] = {}  # one masked array per shared share

        def mask(x):
            if np.isscalar(x) and x == 0.0:
                return x
            if id(x) not in masked:
                masked[id(x)] = x * active
            return masked[id(x)]

        return replace(
            always_on,
            actors={cell: mask(x) for cell, x in always_on.actors.items()},
            value_loss=always_on.value_loss * active,
            entities=always_on.entities * active,
            classes={k: (pay * active, n * active) for k, (pay, n) in always_on.classes.items()},
        )

    def costs(self, world, p, scope, effect, res):
        start = self.start(world, p)
        c = self.base.costs_with(p, effect, self.base.payers(world, scope, start))
        # payers and active entities are counted only while active
        return replace(c, regulator=c.regulator + p["monitoring_cost"])


TYPES: dict[str, InstrumentType] = {
    t.name: t()
    for t in (
        DownstreamObligation,
        ServiceEnforcement,
        UpstreamControls,
        LicenceTerms,
        StructuredAccess,
        FinetuneMonitoring,
        TamperResistance,
        ModificationEvaluation,
        InformationDuties,
        HostingDuties,
        Liability,
        VoluntaryGuidance,
        Adaptive,
    )
}
