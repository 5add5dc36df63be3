"""The world without new rules: actors, ecosystem value and harms, per draw and year.

Inside the model arrays broadcast as (H, T, n): harms, years, draws, so that the innermost loop
runs over draws (long and contiguous); the public outcomes put draws first. Equations:
docs/model.md, sections 1-2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
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

#: Roles each harm maps to parameters; per-harm factors of the bottom-up and reference products.
HARM_ROLES = (
    "growth",
    "growth_cap",
    "malicious_share",
    "open_weight_share",
    "acceptable",
    "jurisdiction_share",
)


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
    share_above: Array  # (1, 1 or T, n): s_T, share of downstream developers above the threshold
    risk_above: Array  # (1, 1 or T, n): rho_T, share of downstream risk they carry
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

    @property
    def reachable(self) -> Array:
        """Share of each harm's risk that rules on developers reach, (H, 1, n): in the
        jurisdiction and not malicious, or in the jurisdiction when ``malicious_reach`` says
        every rule reaches malicious modifiers too."""
        if self.settings.malicious_reach == "all_rules":
            return np.broadcast_to(1.0 - self.leak, self.malicious.shape)
        return (1.0 - self.leak) * (1.0 - self.malicious)

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


def threshold_shares(kind: str, values: Mapping[str, Array], horizon: int) -> tuple[Array, Array]:
    """(s_T, rho_T): shares of downstream developers, and of their risk, above the threshold.

    ``share``: s_T given, rho_T = s_T ** concentration (constant over the years).
    ``compute``: log modification compute ~ N(ln(compute_median (1 + compute_drift)^t),
    ln(compute_gsd)^2); log risk per developer ~ N(., risk_dispersion^2) with correlation
    ``compute_risk_correlation``. With k(t) = (ln threshold - ln median(t)) / ln gsd,
    s_T(t) = Phi(-k) and, tilting by the lognormal risk, rho_T(t) = Phi(corr * dispersion - k).
    Zero correlation gives rho_T = s_T: compute says nothing about risk, and low-compute
    modifications (stripping safeguards) carry risk below any compute threshold.
    """
    if kind == "share":
        share = column(values, "share_above_threshold")
        return share, share ** column(values, "concentration")
    # ln median(t) = ln median + t ln(1 + drift): two logs per draw instead of one per draw and
    # year (logs are the slowest step here after Phi)
    years = np.arange(horizon, dtype=float)[None, :, None]
    log_median = np.log(column(values, "compute_median")) + years * np.log1p(
        column(values, "compute_drift")
    )
    k = (np.log(column(values, "threshold_compute")) - log_median) / np.log(
        column(values, "compute_gsd")
    )
    tilt = column(values, "compute_risk_correlation") * column(values, "risk_dispersion")
    return ndtr(-k), ndtr(tilt - k)


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
    share_above, risk_above = threshold_shares(model.settings.threshold, values, horizon)

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
        share_above=share_above,
        risk_above=risk_above,
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
    )


def world_at_threshold(model, world: World, values: Mapping[str, Array]) -> World:
    """``world`` re-derived for the threshold in ``values``: every field that depends on the
    threshold (today the shares above it) is computed again and the rest reused, so a
    threshold search builds each draw's world once."""
    share, risk = threshold_shares(model.settings.threshold, values, model.settings.horizon_years)
    return replace(world, share_above=share, risk_above=risk)


def calibration(model, values: Mapping[str, Array]) -> dict[str, tuple[Array, Array]]:
    """Per harm: (bottom-up, top-down reference) annual harm in year 0, each (n,)."""
    return {h.key: (product(values, h.harm), product(values, h.reference)) for h in model.harms}
