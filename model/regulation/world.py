"""The world without new rules: actors, ecosystem value and harms, per draw and year.

Inside the model arrays broadcast as (H, T, n): harms, years, draws, so that the innermost loop
runs over draws (long and contiguous); the public outcomes put draws first. Equations:
docs/model.md, sections 1-2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from scipy.special import ndtr

Array = np.ndarray

#: Parameters the world reads by these fixed names (harm roles are mapped in [harms.*]).
WORLD_PARAMETERS = (
    "n_upstream",
    "n_downstream",
    "n_downstream_cap",
    "downstream_growth",
    "ecosystem_value",
    "ecosystem_value_growth",
    "ecosystem_value_cap",
    "leakage",
    "foreign_base_share",
    "relocation_loss",
    "entry_deterred_max",
    "entry_reference_shock",
    "value_jurisdiction_share",
    "upstream_jurisdiction_share",
)

#: Parameters read only under ``[settings] upstream_withdrawal = "withdraws"`` (docs/model.md,
#: section 6): the share of upstream firms that stop serving the jurisdiction rather than comply
#: with its upstream duties, the share of the downstream ecosystem's value built on the models
#: of the upstream firms in scope, and the share of a withdrawn model's value its users recover
#: from other models.
WITHDRAWAL_PARAMETERS = (
    "upstream_withdrawal_share",
    "withdrawal_value_share",
    "withdrawal_substitution",
)

#: How the threshold is set ([settings] threshold) and the parameters each way reads.
THRESHOLD_PARAMETERS = {
    # a fixed share s_T of developers above it, carrying rho_T = s_T ** concentration of risk
    "share": ("share_above_threshold", "concentration"),
    # a compute threshold (modification compute / the base model's training compute), with
    # lognormal modification compute drifting upwards and risk imperfectly correlated with it
    "compute": (
        "threshold_compute",
        "compute_median",
        "compute_gsd",
        "compute_drift",
        "risk_dispersion",
        "compute_risk_correlation",
    ),
}

#: Triggers of targeted obligations beside the threshold of ``[settings] threshold`` (scope
#: ``above_threshold``): a metric lognormal across developers, drifting upwards, whose log is
#: correlated with log risk. Names: level, median, gsd, drift, correlation (risk_dispersion is
#: shared). A parameter set that declares a trigger's parameters can scope obligations on it.
TRIGGERS = {
    "capability": (
        "capability_threshold",
        "capability_median",
        "capability_gsd",
        "capability_drift",
        "capability_risk_correlation",
    ),
    "reach": (
        "reach_threshold",
        "reach_median",
        "reach_gsd",
        "reach_drift",
        "reach_risk_correlation",
    ),
}
#: The scope of a targeted obligation -> the trigger it reads ("threshold": [settings]).
SCOPE_TRIGGER = {
    "above_threshold": "threshold",
    "above_capability": "capability",
    "above_reach": "reach",
}

#: Roles each harm maps to parameters; per-harm factors of the bottom-up and reference products.
HARM_ROLES = (
    "growth",
    "growth_cap",
    "malicious_share",
    "open_weight_share",
    "acceptable",
    "jurisdiction_share",
)
#: Optional harm roles: how a harm's risk splits over the risk channels and who carries its
#: malicious part (docs/model.md, section 3). A harm that maps none of the channel roles puts
#: all of its risk in one channel, which only instruments acting on every channel reach.
CHANNEL_ROLES = ("information_share", "safety_share", "service_share")

#: Risk channels (seed paper, section 6): capability enhancement (scaffolding, tool use,
#: fine-tuning for skill), removal of safety features, and the information deficit behind
#: accidental harm.
CHANNELS = ("capability", "safety", "information")
#: How the modifier reaches the model: through a closed model's interface, or open weights
#: released by a domestic or a foreign upstream developer.
ACCESS = ("closed", "open_domestic", "open_foreign")

#: Roles of a developer class ([classes.*] tables); weights are normalised over classes per
#: draw, growth shifts the mix of counts over the years, compute_scale multiplies the
#: modification compute of the class's median developer.
CLASS_ROLES = ("count_weight", "growth", "value_weight", "risk_weight", "compute_scale", "capacity")


def compound(factor: Array, horizon: int) -> Array:
    """factor**t for t = 0..horizon-1 along axis 1, by repeated products (no pow, no cumprod).

    ``factor`` is (H, 1, n); a loop over the few years keeps every product a long contiguous
    vector (numpy's cumprod along a short middle axis is ~40x slower here).
    """
    out = np.empty((factor.shape[0], horizon, factor.shape[-1]))
    out[:, 0] = 1.0
    for t in range(1, horizon):
        np.multiply(out[:, t - 1], factor[:, 0], out=out[:, t])
    return out


def logistic(start: Array, cap: Array, growth: Array, horizon: int) -> Array:
    """Logistic path from ``start`` towards ``cap``, growing at ``growth`` while small."""
    path = compound(1.0 / (1.0 + growth), horizon)
    path *= cap / start - 1.0
    path += 1.0
    return np.divide(cap, path, out=path)


def saturating(growth: Array, cap: Array, horizon: int) -> Array:
    """Growth multiple x = (1+g)^t bent to saturate at ``cap`` times the start."""
    x = compound(1.0 + growth, horizon)
    bend = x - 1.0
    bend /= cap
    bend += 1.0
    return np.divide(x, bend, out=x)


@dataclass(frozen=True)
class DeveloperClass:
    """One class of downstream developers in the jurisdiction's share of the world (all
    counts and values before leakage), (1, 1 or T, n) each."""

    count: Array  # (1, T, n): developers
    entrants: Array  # (1, T, n): new developers in year t (all of them at t = 0)
    value: Array  # (1, T, n): annual value they create
    value_share: Array  # (1, 1, n): their share of the ecosystem's value
    risk: Array  # (1, 1, n): share of the reachable (lawful) risk they carry
    capacity: Array  # (1, 1, n): share of those covered able to comply with a duty
    # trigger -> (share of them above it, share of their risk carried by those above it),
    # each (1, 1 or T, n); "threshold" is [settings] threshold's
    above: Mapping[str, tuple[Array, Array]]

    @property
    def share_above(self) -> Array:
        return self.above["threshold"][0]

    @property
    def risk_above(self) -> Array:
        return self.above["threshold"][1]


@dataclass(frozen=True)
class World:
    """Actors, value and harms in the status quo, and the settings the instruments read."""

    settings: object  # spec.Settings (its structural choices)
    years: Array  # (1, T, 1)
    discount: Array  # (T,): discount factors of money
    harm_discount: Array  # (H, 1, T): each harm's discount factors (health or money)
    n_upstream: Array  # (1, 1, n)
    n_downstream: Array  # (1, T, n)
    entrants: Array  # (1, T, n): new downstream developers in year t (all of them at t = 0)
    value: Array  # (1, T, n): annual value of the downstream ecosystem
    leak: Array  # (1, 1, n): share of downstream activity outside the jurisdiction
    foreign_base: Array  # (1, 1, n): share of open-weight risk on foreign base models
    harm: Array  # (H, T, n): annual expected harm through downstream modification
    malicious: Array  # (H, 1, n)
    open_share: Array  # (H, 1, n)
    acceptable: Array  # (H, 1, n): acceptable final-year harm, a share of the status quo's
    jurisdiction_share: Array  # (H, 1, n): share of each harm borne in the jurisdiction
    value_inside: Array  # (1, 1, n): share of the ecosystem's value received in the jurisdiction
    upstream_inside: Array  # (1, 1, n): share of upstream firms' costs borne in the jurisdiction
    relocation_loss: Array  # (1, 1, n): share of a relocating developer's value lost
    entry_deterred_max: Array  # (1, 1, n): most developers any duty deters
    entry_reference_shock: Array  # (1, 1, n): cost share the entry elasticity was measured at
    classes: Mapping[str, DeveloperClass]  # lawful downstream developers, by class
    channels: Mapping[str, Array]  # channel -> (H, 1, n): share of each harm's risk through it
    services: Array  # (H, 1, n): share of each harm's risk from commercial misuse services
    # in the jurisdiction (part of its malicious share)
    closed_retention: Array | None = None  # (1, 1, n): share of closed-model risk that stays
    # behind the interface when ``closed_segment = "diffuses"`` (None: all of it)
    withdrawal: Array | None = None  # (1, 1, n): share of upstream firms that stop serving the
    # jurisdiction rather than comply with its upstream duties (None: all comply)
    withdrawal_loss: Array | None = None  # (1, 1, n): share of V(t) lost when they do, in the
    # run's standing (see :func:`withdrawal_value_loss`)
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def reachable(self) -> Array:
        """Share of each harm's risk that rules on lawful developers reach, (H, 1, n): in the
        jurisdiction and not malicious, or, when ``malicious_reach`` says every rule reaches
        malicious modifiers too, in the jurisdiction and not a commercial misuse service (those
        are a block of their own, :attr:`services`)."""
        if self.settings.malicious_reach == "all_rules":
            return (1.0 - self.leak) - self.services
        return (1.0 - self.leak) * (1.0 - self.malicious)

    @cached_property
    def access(self) -> dict[str, Array]:
        """Access route -> (H, 1, n): share of each harm's risk through closed models, and open
        weights of domestic and of foreign upstream developers."""
        open_share = self.open_share
        routes = {
            "closed": 1.0 - open_share,
            "open_domestic": open_share * (1.0 - self.foreign_base),
            "open_foreign": open_share * self.foreign_base,
        }
        if self.closed_retention is not None:  # closed capability diffusing to open weights
            diffused = routes["closed"] * (1.0 - self.closed_retention)
            routes["closed"] = routes["closed"] * self.closed_retention
            routes["open_foreign"] = routes["open_foreign"] + diffused
        return routes

    @property
    def model_outside(self) -> Array | float:
        """Share of risk the model side does not reach: the modifiers outside the
        jurisdiction under ``upstream_reach = "jurisdiction"``, else none (0.0)."""
        return self.leak if self.settings.upstream_reach == "jurisdiction" else 0.0

    def model_weight(self, cells: frozenset[tuple[str, str]]) -> Array:
        """Share of each harm's risk in a set of (access, channel) cells, (H, 1, n); a set
        holding every channel of an access route weighs that route's share exactly."""
        key = ("model", cells)
        if key not in self.cache:
            total: Array | float = 0.0
            for a in ACCESS:
                chosen = [c for c in CHANNELS if (a, c) in cells]
                if not chosen:
                    continue
                if len(chosen) == len(CHANNELS):
                    part = self.access[a]
                else:
                    part = self.access[a] * sum(self.channels[c] for c in chosen)
                total = part if np.isscalar(total) else total + part
            self.cache[key] = total
        return self.cache[key]

    def actor_weight(self, cells: frozenset[tuple[str, str]], trigger: str = "threshold") -> Array:
        """Share of the reachable block's risk in a set of (class, side) cells (side "above"
        or "below" ``trigger``), (1, 1 or T, n); both sides of a class weigh its share."""
        key = ("actor", trigger, cells)
        if key not in self.cache:
            total: Array | float = 0.0
            for k, c in self.classes.items():
                above, below = (k, "above") in cells, (k, "below") in cells
                if above and below:
                    part = c.risk
                elif above:
                    part = c.risk * c.above[trigger][1]
                elif below:
                    part = c.risk * (1.0 - c.above[trigger][1])
                else:
                    continue
                total = part if np.isscalar(total) else total + part
            self.cache[key] = total
        return self.cache[key]

    @cached_property
    def developers_per_value(self) -> Array:
        """N(t) / V(t), (1, T, n): a duty's cost share is its annual cost times this (scope all)."""
        return self.n_downstream / self.value

    @property
    def value_counted(self) -> Array | float:
        """Share of value losses that count in the run's standing."""
        return self.value_inside if self.settings.standing == "jurisdiction" else 1.0

    @property
    def upstream_counted(self) -> Array | float:
        """Share of upstream firms' compliance costs that count in the run's standing."""
        return self.upstream_inside if self.settings.standing == "jurisdiction" else 1.0

    @cached_property
    def total_harm(self) -> Array:
        """Annual harm in the world summed over harms, (1, T, n): what an adaptive trigger
        monitors, whatever the standing (standing changes what counts, not what a regulator
        does)."""
        if self.settings.standing == "jurisdiction":
            return (self.harm / self.jurisdiction_share).sum(axis=0, keepdims=True)
        return self.harm.sum(axis=0, keepdims=True)


def withdrawal_value_loss(model, values: Mapping[str, Array]) -> Array:
    """Share of the ecosystem's value V(t) lost when ``upstream_withdrawal_share`` (w) of the
    upstream firms stop serving the jurisdiction, (1, 1, n): its users lose the value of those
    firms' models, a share ``withdrawal_value_share`` (s) of the ecosystem's value in proportion
    to the firms, less what other models give back (``withdrawal_substitution``, sub):
    w s (1 - sub) of the jurisdiction's value. The value lost is received in the jurisdiction,
    so under world standing it is that share of the jurisdiction's part of V,
    ``value_jurisdiction_share``: the same money under either standing (as for ``exit``)."""
    lost = column(values, "upstream_withdrawal_share") * column(values, "withdrawal_value_share")
    lost = lost * (1.0 - column(values, "withdrawal_substitution"))
    if model.settings.standing == "world":
        lost = lost * column(values, "value_jurisdiction_share")
    return lost


def column(values: Mapping[str, Array], name: str) -> Array:
    """A draw column shaped (1, 1, n) for broadcasting."""
    return np.asarray(values[name], dtype=float)[None, None, :]


def stack_harms(values: Mapping[str, Array], names: list[str]) -> Array:
    """Per-harm columns stacked to (H, 1, n)."""
    return np.stack([np.asarray(values[n], dtype=float) for n in names])[:, None, :]


def product(values: Mapping[str, Array], names: tuple[str, ...]) -> Array:
    """Product of draw columns, (n,)."""
    out = np.ones_like(np.asarray(values[names[0]], dtype=float))
    for name in names:
        out = out * values[name]
    return out


def threshold_shares(
    kind: str, values: Mapping[str, Array], horizon: int, scale: Array | float = 1.0
) -> tuple[Array, Array]:
    """(s_T, rho_T): shares of downstream developers, and of their risk, above the threshold.

    ``share``: s_T given, rho_T = s_T ** concentration (constant over the years).
    ``compute``: log modification compute ~ N(ln(compute_median (1 + compute_drift)^t),
    ln(compute_gsd)^2); log risk per developer ~ N(., risk_dispersion^2) with correlation
    ``compute_risk_correlation``. With k(t) = (ln threshold - ln median(t)) / ln gsd,
    s_T(t) = Phi(-k) and, tilting by the lognormal risk, rho_T(t) = Phi(corr * dispersion - k).
    Zero correlation gives rho_T = s_T: compute says nothing about risk, and low-compute
    modifications (stripping safeguards) carry risk below any compute threshold. ``scale``
    multiplies the median (a developer class's compute relative to the median developer's).
    """
    if kind == "share":
        share = column(values, "share_above_threshold")
        return share, share ** column(values, "concentration")
    names = ("threshold_compute", "compute_median", "compute_gsd", "compute_drift")
    return lognormal_shares((*names, "compute_risk_correlation"), values, horizon, scale)


def lognormal_shares(
    names: tuple[str, ...], values: Mapping[str, Array], horizon: int, scale: Array | float = 1.0
) -> tuple[Array, Array]:
    """(s_T, rho_T) above a level of a metric lognormal across developers: ``names`` are its
    level, median, gsd, drift and correlation with risk (risk_dispersion shared); see
    :func:`threshold_shares`."""
    level, median, gsd, drift, correlation = names
    # ln median(t) = ln median + t ln(1 + drift): two logs per draw instead of one per draw and
    # year (logs are the slowest step here after Phi)
    years = np.arange(horizon, dtype=float)[None, :, None]
    log_median = np.log(column(values, median) * scale) + years * np.log1p(column(values, drift))
    k = (np.log(column(values, level)) - log_median) / np.log(column(values, gsd))
    tilt = column(values, correlation) * column(values, "risk_dispersion")
    return ndtr(-k), ndtr(tilt - k)


def _channels(model, values: Mapping[str, Array]) -> tuple[dict[str, Array], Array]:
    """(channel -> (H, 1, n) share of each harm's risk, (H, 1, n) share from misuse services).

    information = i, safety = (1 - i) s, capability = (1 - i)(1 - s): any draws of i and s in
    [0, 1] give shares that sum to one. A harm without channel roles is all capability (a
    channel that only instruments acting on every channel reach; spec checks that no
    channel-specific instrument meets such a harm)."""

    n = np.shape(values[model.harms[0].roles["growth"]])[-1]

    def role(r: str, default: float) -> Array:
        rows = [
            np.broadcast_to(np.asarray(values[h.roles[r]], dtype=float), (n,))
            if r in h.roles
            else np.full(n, default)
            for h in model.harms
        ]
        return np.stack(rows)[:, None, :]

    info, safety = role("information_share", 0.0), role("safety_share", 0.0)
    rest = 1.0 - info
    return (
        {"capability": rest * (1.0 - safety), "safety": rest * safety, "information": info},
        role("service_share", 0.0),
    )


def _classes(
    model,
    values: Mapping[str, Array],
    n_down: Array,
    entrants: Array,
    value: Array,
    thresholds: list[tuple[Array, Array]],
) -> dict[str, DeveloperClass]:
    """The developer classes of ``model`` (one class, "all", when it declares none);
    ``thresholds``: each class's (s_T, rho_T), from :func:`_class_thresholds`."""
    if not model.classes:
        ones = np.ones_like(value[:, :1])
        above = {"threshold": thresholds[0], **_triggers(model, values, 1.0)}
        return {"all": DeveloperClass(n_down, entrants, value, ones, ones, ones, above)}
    horizon = model.settings.horizon_years

    def weights(role: str) -> list[Array]:
        raw = [column(values, c.roles[role]) for c in model.classes]
        total = sum(raw)
        return [w / total for w in raw]

    mix = [
        w * compound(1.0 + column(values, c.roles["growth"]), horizon)
        for w, c in zip(weights("count_weight"), model.classes, strict=True)
    ]
    mix_total = sum(mix)
    out = {}
    for c, m, v, r, shares in zip(
        model.classes,
        mix,
        weights("value_weight"),
        weights("risk_weight"),
        thresholds,
        strict=True,
    ):
        count = n_down * m / mix_total
        new = np.empty_like(count)
        new[:, 0] = count[:, 0]
        np.maximum(np.subtract(count[:, 1:], count[:, :-1]), 0.0, out=new[:, 1:])
        above = {
            "threshold": shares,
            **_triggers(model, values, column(values, c.roles["compute_scale"])),
        }
        out[c.key] = DeveloperClass(
            count, new, value * v, v, r, column(values, c.roles["capacity"]), above
        )
    return out


def _triggers(
    model, values: Mapping[str, Array], scale, only: tuple[str, ...] = tuple(TRIGGERS)
) -> dict[str, tuple[Array, Array]]:
    """(s_T, rho_T) of each trigger in ``only`` the parameter set declares (``TRIGGERS``) for a
    class whose median developer has ``scale`` times the median's compute: its capability and
    reach are taken to scale alike (a declared assumption)."""
    horizon = model.settings.horizon_years
    return {
        t: lognormal_shares(TRIGGERS[t], values, horizon, scale)
        for t in only
        if all(n in values for n in TRIGGERS[t])
    }


def _class_thresholds(model, values: Mapping[str, Array]) -> list[tuple[Array, Array]]:
    """(s_T, rho_T) of the ``[settings] threshold`` for each developer class (the one class of
    a model without classes): under a compute threshold, of the class's compute median scaled
    by its ``compute_scale``; under a share threshold, the developers' own, shared. Only what
    the classes read is computed (the Phi evaluations dominate a threshold search)."""
    kind, horizon = model.settings.threshold, model.settings.horizon_years
    scales = _scales(model, values)
    if kind != "compute":
        return [threshold_shares(kind, values, horizon)] * len(scales)
    return [threshold_shares(kind, values, horizon, scale) for scale in scales]


def build_world(model, values: Mapping[str, Array]) -> World:
    """The status-quo world for draws ``values`` (name -> (n,) array) under ``model``."""
    horizon = model.settings.horizon_years
    g = column(values, "downstream_growth")
    n0 = column(values, "n_downstream")
    n_down = logistic(n0, column(values, "n_downstream_cap"), g, horizon)
    entrants = np.empty_like(n_down)
    entrants[:, 0] = n_down[:, 0]
    net_new = np.subtract(n_down[:, 1:], n_down[:, :-1], out=entrants[:, 1:])
    np.maximum(net_new, 0.0, out=net_new)
    value = saturating(
        column(values, "ecosystem_value_growth"), column(values, "ecosystem_value_cap"), horizon
    )
    value *= column(values, "ecosystem_value")
    channels, services = _channels(model, values)

    def role(r: str) -> Array:
        return stack_harms(values, [h.roles[r] for h in model.harms])

    base = np.stack([product(values, h.harm) for h in model.harms])[:, None, :]
    inside = role("jurisdiction_share")
    if model.settings.standing == "jurisdiction":
        base = base * inside
    harm = saturating(role("growth"), role("growth_cap"), horizon)
    harm *= base
    return World(
        settings=model.settings,
        years=model.settings.years[None, :, None],
        discount=model.settings.discount,
        harm_discount=np.stack(
            [
                model.settings.health_discount
                if h.valued_as == "health"
                else model.settings.discount
                for h in model.harms
            ]
        )[:, None, :],
        n_upstream=column(values, "n_upstream"),
        n_downstream=n_down,
        entrants=entrants,
        value=value,
        leak=column(values, "leakage"),
        foreign_base=column(values, "foreign_base_share"),
        harm=harm,
        malicious=role("malicious_share"),
        open_share=role("open_weight_share"),
        acceptable=role("acceptable"),
        jurisdiction_share=inside,
        value_inside=column(values, "value_jurisdiction_share"),
        upstream_inside=column(values, "upstream_jurisdiction_share"),
        relocation_loss=column(values, "relocation_loss"),
        entry_deterred_max=column(values, "entry_deterred_max"),
        entry_reference_shock=column(values, "entry_reference_shock"),
        classes=_classes(model, values, n_down, entrants, value, _class_thresholds(model, values)),
        channels=channels,
        services=(1.0 - column(values, "leakage")) * role("malicious_share") * services,
        closed_retention=(
            column(values, "closed_retention")
            if model.settings.closed_segment == "diffuses"
            else None
        ),
        **_withdrawal(model, values),
    )


def _withdrawal(model, values: Mapping[str, Array]) -> dict[str, Array]:
    """The World's withdrawal fields under ``upstream_withdrawal = "withdraws"``, else none."""
    if model.settings.upstream_withdrawal != "withdraws":
        return {}
    return {
        "withdrawal": column(values, "upstream_withdrawal_share"),
        "withdrawal_loss": withdrawal_value_loss(model, values),
    }


def world_at_threshold(
    model, world: World, values: Mapping[str, Array], trigger: str = "threshold"
) -> World:
    """``world`` re-derived for the level of ``trigger`` in ``values`` ("threshold": the
    ``[settings] threshold``; else a key of ``TRIGGERS``): every field that depends on it (the
    shares above it) is computed again and the rest reused, so a threshold search builds each
    draw's world once."""
    if trigger != "threshold":
        classes = {
            k: replace(c, above={**c.above, **_triggers(model, values, scale, (trigger,))})
            for (k, c), scale in zip(world.classes.items(), _scales(model, values), strict=True)
        }
        return replace(world, classes=classes, cache={})
    classes = {
        k: replace(c, above={**c.above, "threshold": moved})
        for (k, c), moved in zip(
            world.classes.items(), _class_thresholds(model, values), strict=True
        )
    }
    return replace(world, classes=classes, cache={})


def _scales(model, values: Mapping[str, Array]) -> list:
    """Each class's compute scale (1.0 for the single class of a model without classes)."""
    return [column(values, c.roles["compute_scale"]) for c in model.classes] or [1.0]


def calibration(model, values: Mapping[str, Array]) -> dict[str, tuple[Array, Array]]:
    """Per harm: (bottom-up, top-down reference) annual harm in year 0, each (n,)."""
    return {h.key: (product(values, h.harm), product(values, h.reference)) for h in model.harms}
