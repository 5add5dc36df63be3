"""The regulation model: hand-worked outcomes, invariants, a per-draw reference, bad input."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tiny_world import TINY_STRUCTURE, TINY_VALUES, write_tiny

import model
from model.errors import ParamFileError
from model.regulation import build_model, evaluate
from model.regulation.instruments import TYPES
from model.regulation.world import SCOPE_TRIGGER, TRIGGERS

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "params" / "baseline.toml"
SCENARIOS = ROOT / "params" / "scenarios"


def tiny_outcomes(
    tmp_path: Path, settings: dict | None = None, structure=TINY_STRUCTURE, **overrides
):
    """The tiny world's outcomes, with ``settings`` added to its [settings] table."""
    settings = {"standing": "world", **(settings or {})}
    lines = "".join(f"\n{k} = {json.dumps(v)}" for k, v in settings.items())
    structure = structure.replace('standing = "world"', lines.strip(), 1)
    params = model.load_params(write_tiny(tmp_path, structure, **overrides))
    values = {name: np.array([params[name].dist.ppf(np.array([0.5]))[0]]) for name in params}
    return evaluate(build_model(params), values)


D = np.array([1.0, 1 / 1.1])  # discount factors, years 0 and 1
# Tiny targeted duty: annualised cost 100 + 300/3 = 200 against value per covered developer
# 1e6 x 0.5 x 0.1 / 5 = 1e4, a cost share x = 0.02. Saturating entry response with elasticity 1,
# bound 0.5, calibrated at x0 = 0.025: d = 0.5 (1 - (1 - 1 x 0.025 / 0.5) ** (x / x0)).
D_SAT = 0.5 * (1 - 0.95**0.8)
# everyone staying complies (caught for sure, penalty 1000 >= cost 100); the 0.2 voluntary
# compliers are in the status quo, so 0.8 of those staying comply because of the duty
PAYING = 0.8 * (1 - D_SAT)


def test_tiny_targeted_obligation_by_hand(tmp_path):
    o = tiny_outcomes(tmp_path)
    j = o.approaches.index("targeted")
    # removed above threshold 0.8 (1 - d) x 0.5; reachable 0.5 x 0.8 = 0.4; rho_T = 0.1
    removed = 0.4 * 0.1 * PAYING * 0.5
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * removed * D.sum(), rel=1e-12)
    # the 5 covered pay annual costs, and in year 0 (all newly covered) one-off costs
    downstream = PAYING * ((5 * 100 + 5 * 300) * D[0] + 5 * 100 * D[1])
    # 4.9 active entities: registry 1 each, and audits at most one per entity (not 100)
    active = 5 * (1 - D_SAT)
    regulator = (active * 1 + active * 10) * D.sum()
    np.testing.assert_allclose(o.burden[0, j], [0.0, downstream, regulator], rtol=1e-12)
    # deterred developers relocate: their value share 0.05 is kept less the 0.2 relocation loss
    innovation = D_SAT * 0.05 * 0.2 * 1e6 * D.sum()
    assert o.innovation_cost[0, j] == pytest.approx(innovation, rel=1e-12)
    assert o.entities[0, j] == pytest.approx(active)
    assert o.compliance[0, j] == pytest.approx(1.0)
    assert o.residual_harm[0, j, 0] == pytest.approx(1e6 * (1 - removed))
    assert bool(o.exceeds_acceptable[0, j, 0])
    net = 1e6 * removed * D.sum() - downstream - regulator - innovation
    assert o.net_benefit[0, j] == pytest.approx(net, rel=1e-12)


def test_tiny_upstream_controls_by_hand(tmp_path):
    o = tiny_outcomes(tmp_path)
    j = o.approaches.index("upstream")
    # all comply (caught for sure); beyond the 0.5 voluntary, 0.5 of firms comply because of
    # the rule; kept after substitution 0.5 x 0.75 = 0.375:
    # closed 0.4 x 0.8 x 0.375; domestic open 0.6 x 0.5 x 0.3 x 0.375
    removed = 0.4 * 0.8 * 0.375 + 0.3 * 0.3 * 0.375
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * removed * D.sum(), rel=1e-12)
    upstream = 10 * 0.5 * ((500 + 1000) * D[0] + 500 * D[1])
    np.testing.assert_allclose(o.burden[0, j], [upstream, 0.0, 10 * 50 * D.sum()], rtol=1e-12)
    assert o.innovation_cost[0, j] == pytest.approx(0.01 * 1e6 * D.sum(), rel=1e-12)
    assert o.transfers[0, j] == 0.0


# ---- issue 12: each accounting defect, worked by hand in the tiny world -------------------------


@pytest.mark.parametrize(
    ("form", "cost_share", "expected"),
    [
        # calibrated: at the measured shock x0 = 0.025 it deters elasticity x x0
        ("saturating", 0.025, 1.0 * 0.025),
        # bounded: a duty costing 40x the value per developer deters at most d_max = 0.5
        ("saturating", 40.0, 0.5 * (1 - 0.95**1600)),
        ("linear_capped", 0.02, 0.02),
        ("linear_capped", 40.0, 1.0),
    ],
)
def test_entry_response_is_bounded_and_calibrated_at_the_measured_shock(
    tmp_path, form, cost_share, expected
):
    # the tiny targeted duty costs 200 a year against 1e4 of value per covered developer:
    # scale the one-off and annual costs to reach the wanted cost share
    scale = cost_share / 0.02
    o = tiny_outcomes(
        tmp_path,
        {"entry_response": form, "deterred": "value_lost_risk_stays"},
        cost_annual=100 * scale,
        cost_oneoff=300 * scale,
        penalty=1e12,
    )
    j = o.approaches.index("targeted")
    # value lost = d x 0.05 of the value (risk stays under this reading)
    assert o.innovation_cost[0, j] == pytest.approx(expected * 0.05 * 1e6 * D.sum(), rel=1e-12)
    assert o.entities[0, j] == pytest.approx(5 * (1 - expected), rel=1e-12)


#: (value share lost, risk share gone) per deterred developer, world and jurisdiction standing;
#: the tiny world's jurisdiction bears 0.5 of the harm and receives 0.3 of the value
READINGS = {
    "relocate": ((0.2, 0.0), (0.2, 0.0)),
    "exit": ((0.3, 0.5), (1.0, 1.0)),
    "abandon": ((1.0, 1.0), (1.0, 1.0)),
    "value_lost_risk_stays": ((1.0, 0.0), (1.0, 0.0)),
}


@pytest.mark.parametrize("standing", ["world", "jurisdiction"])
@pytest.mark.parametrize("reading", list(READINGS))
def test_deterred_developers_are_accounted_consistently(tmp_path, reading, standing):
    """Deterred developers pay nothing; their value and risk go where the reading says, in the
    run's standing (v1.1 lost their value while keeping their risk: 'value_lost_risk_stays')."""
    o = tiny_outcomes(tmp_path, {"deterred": reading, "standing": standing}, h_jurisdiction=0.5)
    j = o.approaches.index("targeted")
    lost, gone = READINGS[reading][standing == "jurisdiction"]
    counted_harm = 1e6 * (0.5 if standing == "jurisdiction" else 1.0)
    counted_value = 0.3 if standing == "jurisdiction" else 1.0
    # removed above the threshold: compliers' safeguards plus the deterred's risk that is gone
    removed = 0.4 * 0.1 * (PAYING * 0.5 + D_SAT * gone)
    assert o.risk_reduction[0, j, 0] == pytest.approx(counted_harm * removed * D.sum(), rel=1e-12)
    innovation = D_SAT * 0.05 * lost * 1e6 * counted_value * D.sum()
    assert o.innovation_cost[0, j] == pytest.approx(innovation, rel=1e-12)
    # the deterred pay no compliance cost whatever the reading
    downstream = PAYING * ((5 * 100 + 5 * 300) * D[0] + 5 * 100 * D[1])
    assert o.burden[0, j, 1] == pytest.approx(downstream, rel=1e-12)


def test_exit_counts_the_same_money_under_either_standing(tmp_path):
    """Exit moves the jurisdiction's share of value and risk: the same absolute amounts whether
    the world's or the jurisdiction's accounts are kept."""
    world = tiny_outcomes(tmp_path, {"deterred": "exit"}, h_jurisdiction=0.5)
    inside = tiny_outcomes(
        tmp_path, {"deterred": "exit", "standing": "jurisdiction"}, h_jurisdiction=0.5
    )
    j = world.approaches.index("targeted")
    assert inside.innovation_cost[0, j] == pytest.approx(world.innovation_cost[0, j], rel=1e-12)


def test_jurisdiction_standing_counts_only_costs_and_value_inside(tmp_path):
    """Defect 1: under jurisdiction standing foreign upstream firms' compliance costs and value
    lost outside the jurisdiction do not count; the regulator and domestic developers pay
    inside; acceptable levels are restated in the same standing."""
    world = tiny_outcomes(tmp_path, h_jurisdiction=0.5)
    inside = tiny_outcomes(tmp_path, {"standing": "jurisdiction"}, h_jurisdiction=0.5)
    up, tgt = world.approaches.index("upstream"), world.approaches.index("targeted")
    # upstream firms: 0.1 of their compliance costs borne inside; the regulator's all inside
    np.testing.assert_allclose(
        inside.burden[0, up], world.burden[0, up] * [0.1, 1.0, 1.0], rtol=1e-12
    )
    # value lost: 0.3 of it was received inside
    for j in (up, tgt):
        assert inside.innovation_cost[0, j] == pytest.approx(
            0.3 * world.innovation_cost[0, j], rel=1e-12
        )
    # domestic developers' compliance costs are all inside
    assert inside.burden[0, tgt, 1] == pytest.approx(world.burden[0, tgt, 1], rel=1e-12)
    # harm 1e6 x 0.5 inside: residual 0.5 x the world's; acceptable is a share of the status
    # quo's, so the same draws exceed it
    np.testing.assert_allclose(inside.residual_harm, 0.5 * world.residual_harm, rtol=1e-12)
    np.testing.assert_array_equal(inside.exceeds_acceptable, world.exceeds_acceptable)


def test_adaptive_trigger_does_not_move_with_standing(tmp_path):
    """The trigger watches the world's harm (1e6 a year): a 7e5 trigger is crossed under either
    standing, though the jurisdiction's counted harm (5e5) is below it."""
    for standing in ("world", "jurisdiction"):
        o = tiny_outcomes(tmp_path, {"standing": standing}, h_jurisdiction=0.5, trigger=7e5)
        static, adaptive = o.approaches.index("targeted"), o.approaches.index("adaptive")
        np.testing.assert_array_equal(o.net_benefit[:, adaptive], o.net_benefit[:, static])


def test_audits_are_charged_only_up_to_the_active_entities(tmp_path):
    """Defect 3: 4.9 active entities cannot absorb 100 audits: the regulator pays for 4.9."""
    o = tiny_outcomes(tmp_path)
    j = o.approaches.index("targeted")
    active = 5 * (1 - D_SAT)
    assert o.burden[0, j, 2] == pytest.approx(active * (1 + 10) * D.sum(), rel=1e-12)
    few = tiny_outcomes(tmp_path, capacity=2.0, penalty=1e6)
    # 2 audits for 4.9 entities: all 2 are charged
    assert few.burden[0, j, 2] == pytest.approx((active + 2 * 10) * D.sum(), rel=1e-12)


COMPUTE_THRESHOLD = """
[parameters.threshold_compute]
description = "t"
unit = "u"
kind = "real"
source = "test"
dist = "fixed"
value = 0.01
""" + "".join(
    f'[parameters.{k}]\ndescription = "t"\nunit = "u"\nkind = "real"\nsource = "test"\n'
    f'dist = "fixed"\nvalue = {v!r}\n'
    for k, v in {
        "compute_median": 0.01,
        "compute_gsd": math.e,
        "compute_drift": math.e - 1,
        "risk_dispersion": 1.0,
        "compute_risk_correlation": 0.0,
    }.items()
)


def test_developers_crossing_a_drifting_threshold_pay_one_off_costs(tmp_path):
    """Defect 3: with the median compute at the threshold in year 0 and one log-sd above it in
    year 1, s_T goes from 0.5 to Phi(1): 500 (Phi(1) - 0.5) developers newly cross and pay the
    one-off cost in year 1, though no developer enters (the count stays at 1000)."""
    structure = TINY_STRUCTURE.replace(
        'currency = "USD"', 'currency = "USD"\nthreshold = "compute"'
    )
    o = tiny_outcomes(
        tmp_path,
        {"entry_response": "linear_capped"},
        structure + COMPUTE_THRESHOLD,
        elasticity=0.0,
        penalty=1e12,
    )
    j = o.approaches.index("targeted")
    covered = 500 * np.array([0.5, _phi(1.0)])
    new = np.array([covered[0], covered[1] - covered[0]])
    downstream = 0.8 * (covered * 100 + new * 300) @ D
    assert o.burden[0, j, 1] == pytest.approx(downstream, rel=1e-12)


def test_mandates_are_credited_only_beyond_voluntary_compliance(tmp_path):
    """Defect 4: the 0.2 of covered developers (0.5 of upstream firms) who comply voluntarily
    would have anyway: neither their risk reduction nor their compliance cost is the rule's."""
    full = tiny_outcomes(tmp_path, {"additionality": "full_credit"})
    extra = tiny_outcomes(tmp_path)
    tgt, up = full.approaches.index("targeted"), full.approaches.index("upstream")
    ratio = extra.risk_reduction[0, tgt, 0] / full.risk_reduction[0, tgt, 0]
    assert ratio == pytest.approx((1.0 - 0.2) / 1.0, rel=1e-12)
    assert extra.burden[0, tgt, 1] / full.burden[0, tgt, 1] == pytest.approx(0.8, rel=1e-12)
    ratio = extra.risk_reduction[0, up, 0] / full.risk_reduction[0, up, 0]
    assert ratio == pytest.approx(0.5, rel=1e-12)
    assert extra.burden[0, up, 0] / full.burden[0, up, 0] == pytest.approx(0.5, rel=1e-12)


def test_outcomes_are_increments_on_the_rules_in_force(tmp_path):
    """With the targeted duty already law (the EU's one-third rule), the status quo holds it:
    re-adopting it, or switching it on by a trigger, adds nothing, and upstream controls are
    credited only for the risk the duty leaves."""
    o = tiny_outcomes(tmp_path, {"in_force": ["targeted"]})
    removed_by_duty = 0.4 * 0.1 * PAYING * 0.5
    np.testing.assert_allclose(o.status_quo_harm[0], [1e6 * (1 - removed_by_duty) * D.sum()])
    for name in ("status_quo", "targeted", "adaptive"):
        j = o.approaches.index(name)
        assert o.net_benefit[0, j] == 0.0
        assert np.all(o.burden[0, j] == 0.0)
    j = o.approaches.index("upstream")
    upstream = 0.4 * 0.8 * 0.375 + 0.3 * 0.3 * 0.375
    increment = (1 - removed_by_duty) * upstream
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * increment * D.sum(), rel=1e-9)
    costs = [10 * 0.5 * ((500 + 1000) * D[0] + 500 * D[1]), 0.0, 10 * 50 * D.sum()]
    np.testing.assert_allclose(o.burden[0, j], costs, rtol=1e-9, atol=1e-9)


def test_health_harms_are_discounted_at_the_health_rate(tmp_path):
    """Defect 8: a harm valued in QALYs or lives is discounted on the health schedule (here 0%),
    while costs stay on the standard one (10%)."""
    structure = TINY_STRUCTURE.replace(
        'source = "test"', 'source = "test"\nhealth_schedule = [[0, 0.0]]\nhealth_source = "t"', 1
    ).replace(
        'jurisdiction_share = "h_jurisdiction"',
        'jurisdiction_share = "h_jurisdiction"\nvalued_as = "health"',
    )
    o = tiny_outcomes(tmp_path, structure=structure)
    j = o.approaches.index("upstream")
    assert o.status_quo_harm[0, 0] == pytest.approx(1e6 * 2, rel=1e-12)
    removed = 0.4 * 0.8 * 0.375 + 0.3 * 0.3 * 0.375
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * removed * 2, rel=1e-12)
    upstream = 10 * 0.5 * ((500 + 1000) * D[0] + 500 * D[1])
    assert o.burden[0, j, 0] == pytest.approx(upstream, rel=1e-12)


def test_acceptable_levels_discriminate_between_approaches(tmp_path):
    """Defect 7: acceptable = 0.9 x the status quo's final-year harm (a declared value
    judgement). The status quo (1.0) and the targeted duty (1 - 0.0157) exceed it; upstream
    controls (1 - 0.154) do not."""
    o = tiny_outcomes(tmp_path)
    exceeds = dict(zip(o.approaches, o.exceeds_acceptable[0, :, 0], strict=True))
    assert exceeds["status_quo"] and exceeds["targeted"]
    assert not exceeds["upstream"] and not exceeds["combined"]


@pytest.mark.parametrize("in_force", [[], ["upstream"]])
def test_an_approach_alone_is_measured_against_the_status_quo(tmp_path, in_force):
    """Threshold design evaluates one approach without the status quo row: its increments and
    its exceedance of the acceptable level are still measured against the status quo."""
    params = model.load_params(write_tiny(tmp_path))
    regulation = build_model(params)
    regulation = replace(regulation, settings=replace(regulation.settings, in_force=in_force))
    values = {name: np.array([params[name].dist.ppf(np.array([0.5]))[0]]) for name in params}
    full = evaluate(regulation, values)
    j = full.approaches.index("combined")
    alone = evaluate(replace(regulation, approaches=(regulation.approaches[j],)), values)
    for name in (
        "net_benefit",
        "risk_reduction",
        "burden",
        "exceeds_acceptable",
        "status_quo_harm",
    ):
        expected = full[name] if name == "status_quo_harm" else full[name][:, j : j + 1]
        np.testing.assert_allclose(alone[name], expected, rtol=1e-12)


def test_terminal_value_continues_the_final_year_for_ever(tmp_path):
    """At 10% the final year (t = 1) counts (1 + 0.1) / 0.1 = 11 times its discount factor."""
    o = tiny_outcomes(tmp_path, {"terminal_value": "perpetuity"})
    j = o.approaches.index("upstream")
    factors = np.array([1.0, 1 / 1.1 * 11])
    removed = 0.4 * 0.8 * 0.375 + 0.3 * 0.3 * 0.375
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * removed * factors.sum(), rel=1e-12)
    upstream = 10 * 0.5 * ((500 + 1000) * factors[0] + 500 * factors[1])
    assert o.burden[0, j, 0] == pytest.approx(upstream, rel=1e-12)


def test_malicious_reach_lets_every_rule_reach_malicious_modifiers(tmp_path):
    """With malicious_reach = all_rules, liability deters 0.2 of all in-jurisdiction risk
    (0.5), not only of its non-malicious part (0.5 x 0.8)."""
    o = tiny_outcomes(tmp_path, {"malicious_reach": "all_rules"})
    j = o.approaches.index("liability")
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * 0.5 * 0.2 * D.sum(), rel=1e-12)


def test_derived_liability_deters_through_expected_liability(tmp_path):
    """Defect 6: with liability = derived, developers whose care costs (median 0.25 per dollar
    averted, log-sd 1) are below the damages they expect (0.1 per dollar of harm) take care:
    Phi(ln 0.4) of them, averting 0.5 of their risk; more claims deter more."""
    z = math.log(0.1 / 0.25)
    deterred = 0.5 * _phi(z)
    care = 0.25 * math.exp(0.5) * _phi(z - 1) / _phi(z)
    o = tiny_outcomes(tmp_path, {"liability": "derived"})
    j = o.approaches.index("liability")
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * 0.4 * deterred * D.sum(), rel=1e-12)
    left = 1e6 * 0.4 * (1 - deterred)
    social = 0.5 * 0.1 * left + care * left * deterred / (1 - deterred)
    assert o.burden[0, j, 1] == pytest.approx(social * D.sum(), rel=1e-12)
    more = tiny_outcomes(tmp_path, {"liability": "derived"}, claims=0.2)
    assert more.risk_reduction[0, j, 0] > o.risk_reduction[0, j, 0]


def test_tiny_liability_by_hand_damages_are_transfers(tmp_path):
    o = tiny_outcomes(tmp_path)
    j = o.approaches.index("liability")
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * 0.4 * 0.2 * D.sum(), rel=1e-12)
    left = 1e6 * 0.4 * 0.8  # reachable harm still caused a year
    damages = 0.1 * left
    social = 0.5 * damages + 0.25 * left * 0.2 / 0.8
    np.testing.assert_allclose(o.burden[0, j], [0.0, social * D.sum(), 0.0], rtol=1e-12)
    assert o.transfers[0, j] == pytest.approx(damages * D.sum(), rel=1e-12)
    assert o.innovation_cost[0, j] == pytest.approx(0.004 * 0.5 * 1e6 * D.sum(), rel=1e-12)
    benefit = 1e6 * 0.4 * 0.2 * D.sum()
    # transfers are reported, never netted
    assert o.net_benefit[0, j] == pytest.approx(
        benefit - social * D.sum() - 0.002 * 1e6 * D.sum(), rel=1e-12
    )


def test_tiny_combination_multiplies_residuals_within_segments(tmp_path):
    o = tiny_outcomes(tmp_path)
    j = o.approaches.index("combined")
    reach_removed = 0.1 * (1 - (1 - PAYING * 0.5) * (1 - 0.2)) + 0.9 * 0.2
    upstream = 0.4 * 0.8 * 0.375 + 0.3 * 0.3 * 0.375
    removed = 1 - (1 - 0.4 * reach_removed) * (1 - upstream)
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * removed * D.sum(), rel=1e-12)
    # liability's claims shrink with the risk the other instruments remove
    left = 1e6 * 0.4 * (1 - reach_removed) * (1 - upstream)
    assert o.transfers[0, j] == pytest.approx(0.1 * left * D.sum(), rel=1e-12)
    # costs add (liability's depend on its claims); value losses combine as 1 - prod(1 - loss)
    loss = 1 - (1 - D_SAT * 0.05 * 0.2) * (1 - 0.01) * (1 - 0.002)
    assert o.innovation_cost[0, j] == pytest.approx(loss * 1e6 * D.sum(), rel=1e-12)


def test_adaptive_equals_static_when_the_trigger_is_always_crossed(tmp_path):
    o = tiny_outcomes(tmp_path)
    static, adaptive = o.approaches.index("targeted"), o.approaches.index("adaptive")
    for field in ("risk_reduction", "burden", "innovation_cost", "net_benefit", "entities"):
        np.testing.assert_array_equal(getattr(o, field)[:, adaptive], getattr(o, field)[:, static])


def test_adaptive_equals_no_rule_when_the_trigger_is_never_crossed(tmp_path):
    o = tiny_outcomes(tmp_path, trigger=1e300, monitoring=7.0)
    j = o.approaches.index("adaptive")
    assert np.all(o.risk_reduction[:, j] == 0.0)
    assert np.all(o.innovation_cost[:, j] == 0.0)
    assert np.all(o.entities[:, j] == 0.0)
    np.testing.assert_allclose(o.burden[0, j], [0.0, 0.0, 7.0 * D.sum()], rtol=1e-12)


def test_adaptive_switches_on_after_the_lag(tmp_path):
    # harm 1e6 a year from year 0, lag 0.5 -> ceil -> year 1: only year 1 is regulated
    o = tiny_outcomes(tmp_path, lag=0.5)
    static, j = o.approaches.index("targeted"), o.approaches.index("adaptive")
    removed = 0.4 * 0.1 * PAYING * 0.5
    assert o.risk_reduction[0, j, 0] == pytest.approx(1e6 * removed * D[1], rel=1e-12)
    # everyone covered complies once at switch-on: one-off cost in year 1
    downstream = PAYING * (5 * 100 + 5 * 300) * D[1]
    assert o.burden[0, j, 1] == pytest.approx(downstream, rel=1e-12)
    assert o.risk_reduction[0, j, 0] < o.risk_reduction[0, static, 0]


def test_status_quo_is_exactly_zero(baseline_results_small):
    res = baseline_results_small
    o = res.outcomes
    for array in (
        o.risk_reduction,
        o.burden,
        o.innovation_cost,
        o.transfers,
        o.net_benefit,
        o.entities,
    ):
        assert np.all(array[:, 0] == 0.0)
    np.testing.assert_array_equal(o.residual_harm[:, 0], o.residual_harm[:, 0])
    assert res.approaches[0] == "status_quo"


@pytest.fixture(scope="module")
def baseline_results(baseline_params):
    # its own run: the calibration check below was set at this size and seed
    return model.simulate(baseline_params, n=4096, rng=11)


def test_no_approach_removes_more_than_the_harm(baseline_results):
    o = baseline_results.outcomes
    assert np.all(o.risk_reduction >= 0.0)
    assert np.all(o.risk_reduction <= o.status_quo_harm[:, None, :] * (1 + 1e-12))
    assert np.all(o.residual_harm >= 0.0)


def test_costs_are_non_negative(baseline_results):
    o = baseline_results.outcomes
    assert np.all(o.burden >= 0.0)
    assert np.all(o.innovation_cost >= 0.0)
    assert np.all(o.transfers >= 0.0)
    assert np.all(
        (o.compliance[~np.isnan(o.compliance)] >= 0) & (o.compliance[~np.isnan(o.compliance)] <= 1)
    )


def test_net_benefit_is_risk_reduction_minus_costs(baseline_results):
    o = baseline_results.outcomes
    expected = o.risk_reduction.sum(2) - o.burden.sum(2) - o.innovation_cost
    np.testing.assert_allclose(o.net_benefit, expected, rtol=1e-12, atol=1e-3)


def test_combination_residual_is_the_product_of_its_parts_on_disjoint_segments(baseline_params):
    """Tamper resistance (model side) and liability (actor side) act on independent sides of
    each harm's risk and neither boosts the other: residual shares multiply."""
    regulation = build_model(baseline_params)
    draws = model.sample(baseline_params, n=2048, design="random", rng=5)
    values = {n: draws[n] for n in baseline_params.names}
    combos = [(), ("tamper_resistance",), ("liability",), ("tamper_resistance", "liability")]
    o = evaluate(regulation.with_portfolios(combos), values)
    sq = o.status_quo_harm
    kept = (1 - o.risk_reduction[:, 1] / sq) * (1 - o.risk_reduction[:, 2] / sq)
    np.testing.assert_allclose(1 - o.risk_reduction[:, 3] / sq, kept, rtol=1e-10)


def test_complementarity_beats_the_product_of_the_parts(baseline_params):
    """Monitoring's logs raise liability's deterrence: together they remove more than the
    product rule of the two alone would, by exactly the boosted deterrence on the actor side."""
    regulation = build_model(baseline_params)
    draws = model.sample(baseline_params, n=1024, design="random", rng=6)
    values = {n: draws[n] for n in baseline_params.names}
    combos = [(), ("finetune_monitoring",), ("liability",), ("finetune_monitoring", "liability")]
    o = evaluate(regulation.with_portfolios(combos), values)
    sq = o.status_quo_harm
    product = 1 - (1 - o.risk_reduction[:, 1] / sq) * (1 - o.risk_reduction[:, 2] / sq)
    assert (o.risk_reduction[:, 3] / sq >= product - 1e-12).all()
    assert (o.risk_reduction[:, 3] / sq > product + 1e-9).mean() > 0.99


def test_zero_efficacy_removes_nothing(tmp_path):
    o = tiny_outcomes(tmp_path, efficacy=0.0, up_closed=0.0, up_open=0.0, deterrence=0.0)
    assert np.all(o.risk_reduction == 0.0)


@pytest.mark.parametrize(
    ("name", "higher"),
    [
        ("safeguard_efficacy", 0.9),
        ("monitoring_detection", 0.97),
        ("liability_deterrence", 0.5),
    ],
)
def test_more_efficacy_never_less_risk_reduction(name, higher, baseline_params):
    params = baseline_params
    low = model.simulate(params.replace(**{name: 0.3}), n=1024, rng=2)
    high = model.simulate(params.replace(**{name: higher}), n=1024, rng=2)
    assert np.all(high.effects >= low.effects - 1e-6 * np.abs(low.effects))


def test_more_compliance_cost_never_less_burden(baseline_params):
    """Holding behaviour fixed (full compliance, no entry response), dearer duties burden more.

    With behaviour free to respond, dearer duties can lower the measured burden by lowering
    compliance or deterring entry (whose cost then shows up as innovation cost): that is the
    enforcement and entry mechanism, so it is held fixed here.
    """
    params = baseline_params.replace(targeted_penalty=1e12, entry_elasticity=0.0)
    low = model.simulate(params.replace(targeted_cost_annual=2e4), n=1024, rng=2)
    high = model.simulate(params.replace(targeted_cost_annual=4e4), n=1024, rng=2)
    j = low.approaches.index("targeted_downstream")
    more, less = high.outcomes.burden[:, j, 1], low.outcomes.burden[:, j, 1]
    assert np.all(more > less)


def test_more_developers_weaken_enforcement(baseline_params):
    """Compliance under all-developer duties falls as the covered population grows.

    Entry deterrence is held off: deterred developers shrink the regulated population, which can
    raise the detection probability of those who stay.
    """
    params = baseline_params.replace(entry_elasticity=0.0)
    few = model.simulate(params.replace(n_downstream=5e4, n_downstream_cap=1e5), n=512, rng=4)
    many = model.simulate(params.replace(n_downstream=5e5, n_downstream_cap=1e7), n=512, rng=4)
    j = few.approaches.index("direct_downstream")
    c_many, c_few = many.outcomes.compliance[:, j], few.outcomes.compliance[:, j]
    assert not np.isnan(c_many).any() and not np.isnan(c_few).any()
    assert np.all(c_many <= c_few + 1e-12)
    assert c_many.mean() < c_few.mean()


def test_calibration_bottom_up_sits_inside_the_reference_range(baseline_results):
    table = baseline_results.calibration()
    assert set(table.index) == set(baseline_results.harms)
    assert table["median_inside_reference"].all(), table


# ---- the vectorised model equals a plain per-draw loop over the same equations ----------------


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _reference_net_benefit(regulation, v: dict[str, float]) -> dict[str, float]:
    """Scalar re-statement of docs/model.md for one draw (no numpy), approach -> net benefit."""
    s = regulation.settings
    years = range(s.horizon_years)

    def factors(rates):
        out = [math.prod(1 / (1 + r) for r in rates[:t]) for t in years]
        if s.terminal_value == "perpetuity":  # the final year's flows for ever after
            out[-1] *= sum((1 + rates[-1]) ** -k for k in range(5000))
        return out

    disc = factors(list(s.discount_rates))
    health = factors(list(s.rates(s.health_schedule or s.schedule)))
    cap, n0, g = v["n_downstream_cap"], v["n_downstream"], v["downstream_growth"]
    n_down = [cap / (1 + (cap / n0 - 1) * (1 + g) ** -t) for t in years]
    xs = [(1 + v["ecosystem_value_growth"]) ** t for t in years]
    value = [v["ecosystem_value"] * x / (1 + (x - 1) / v["ecosystem_value_cap"]) for x in xs]
    leak = v["leakage"]
    inside = s.standing == "jurisdiction"
    value_counted = v["value_jurisdiction_share"] if inside else 1.0
    upstream_counted = v["upstream_jurisdiction_share"] if inside else 1.0

    def lognormal_shares(names, scale):
        level, median, gsd, drift, corr = names
        k = [
            (math.log(v[level]) - math.log(v[median] * scale * (1 + v[drift]) ** t))
            / math.log(v[gsd])
            for t in years
        ]
        tilt = v[corr] * v["risk_dispersion"]
        return [_phi(-x) for x in k], [_phi(tilt - x) for x in k]

    # developer classes: counts, value, risk and capacity shares; shares above each trigger
    specs = regulation.classes
    names = [c.key for c in specs] or ["all"]

    def weights(role):
        if not specs:
            return [1.0]
        raw = [v[c.roles[role]] for c in specs]
        return [w / sum(raw) for w in raw]

    count_w, value_w, risk_w = (
        weights("count_weight"),
        weights("value_weight"),
        weights("risk_weight"),
    )
    growth = [v[c.roles["growth"]] for c in specs] or [0.0]
    scale = [v[c.roles["compute_scale"]] for c in specs] or [1.0]
    capacity = [v[c.roles["capacity"]] for c in specs] or [1.0]
    mix = [[count_w[k] * (1 + growth[k]) ** t for t in years] for k in range(len(names))]
    count = [
        [n_down[t] * mix[k][t] / sum(m[t] for m in mix) for t in years] for k in range(len(names))
    ]
    above = []  # per class: trigger -> (s_T(t), rho_T(t))
    for k in range(len(names)):
        if s.threshold == "share":
            st = [v["share_above_threshold"]] * len(value)
            own = {"threshold": (st, [x ** v["concentration"] for x in st])}
        else:
            comp = (
                "threshold_compute",
                "compute_median",
                "compute_gsd",
                "compute_drift",
                "compute_risk_correlation",
            )
            own = {"threshold": lognormal_shares(comp, scale[k] if specs else 1.0)}
        for trig, trig_names in TRIGGERS.items():
            if all(n in v for n in trig_names):
                own[trig] = lognormal_shares(trig_names, scale[k])
        above.append(own)

    paths, world_paths = {}, {}
    for h in regulation.harms:
        r = h.roles
        base = math.prod(v[name] for name in h.harm)
        xs = [(1 + v[r["growth"]]) ** t for t in years]
        world_paths[h.key] = [base * x / (1 + (x - 1) / v[r["growth_cap"]]) for x in xs]
        counted = v[r["jurisdiction_share"]] if inside else 1.0
        paths[h.key] = [counted * x for x in world_paths[h.key]]

    def p(inst, role, harm=None):
        mapping = dict(inst.parameters)
        if inst.base:
            mapping = {**regulation.instruments[inst.base].parameters, **mapping}
        return v[regulation.resolve(mapping[role], harm)] if harm else v[mapping[role]]

    def complying(inst, cost, n_active):
        c0 = p(inst, "voluntary_compliance")
        caught = min(1.0, p(inst, "capacity") / max(n_active, 1e-12))
        c = c0 + (1 - c0) * min(1.0, caught * p(inst, "penalty") / cost)
        return c, (c if s.additionality == "full_credit" else c - c0)

    def deterred(elasticity, x):
        if s.entry_response == "linear_capped":
            return min(1.0, elasticity * x)
        d_max, x0 = v["entry_deterred_max"], v["entry_reference_shock"]
        return d_max * (1 - (1 - elasticity * x0 / d_max) ** (x / x0))

    def fate(harm):
        """(share of a deterred developer's value lost, share of its risk of harm gone)."""
        if s.deterred == "relocate":
            return v["relocation_loss"], 0.0
        if s.deterred == "value_lost_risk_stays":
            return 1.0, 0.0
        if s.deterred == "exit" and not inside:
            return v["value_jurisdiction_share"], v[harm.roles["jurisdiction_share"]]
        return 1.0, 1.0

    def boosted(inst, role, harm, acting):
        """The role's value raised by the boosting instruments in the approach."""
        x = p(inst, role, harm)
        for other in acting:
            by = TYPES[other.type].boosts.get(inst.type)
            if by:
                x = 1 - (1 - x) * (1 - p(other, by))
        return x

    def liability(inst, acting):
        """(share deterred, care cost per dollar of harm averted, claim share)."""
        if s.liability == "declared":
            d = boosted(inst, "deterrence", None, acting)
            return d, p(inst, "precaution_ratio"), p(inst, "claim_share")
        claims = boosted(inst, "claim_share", None, acting)
        rho, sigma = p(inst, "precaution_ratio"), p(inst, "care_dispersion")
        z = math.log(claims / rho) / sigma
        care = rho * math.exp(sigma**2 / 2) * _phi(z - sigma) / _phi(z)
        return p(inst, "care_avoidable") * _phi(z), care, claims

    def start(inst):
        """Year an obligation applies from: 0, or for an adaptive one trigger + lag."""
        if inst.type != "adaptive":
            return 0
        total = [sum(path[t] for path in world_paths.values()) for t in years]
        crossed = [t for t in years if total[t] >= p(inst, "trigger_level")]
        first = crossed[0] if crossed else len(total)
        return first + math.ceil(p(inst, "detection_lag"))

    def trigger_of(inst):
        scope = inst.scope if inst.type != "adaptive" else regulation.instruments[inst.base].scope
        return SCOPE_TRIGGER.get(scope, "threshold")

    def coverage(inst, k, t):
        scope = inst.scope if inst.type != "adaptive" else regulation.instruments[inst.base].scope
        if scope == "all":
            return 1 - leak, 1 - leak
        st, rho = above[k][trigger_of(inst)]
        return (1 - leak) * st[t], (1 - leak) * rho[t]

    def obligation(inst, t):
        """Per class (share of its covered risk removed per unit efficacy, deterred share),
        the value share lost and the annual social cost in year t."""
        none = [(0.0, 0.0)] * len(names)
        if t < start(inst):
            return none, 0.0, 0.0
        annual = p(inst, "hours_annual") * p(inst, "tariff") + p(inst, "cost_annual")
        oneoff = p(inst, "hours_oneoff") * p(inst, "tariff") + p(inst, "cost_oneoff")
        yearly = annual + oneoff / p(inst, "amortisation_years")
        d, active = [], []
        for k in range(len(names)):
            c_n, c_v = coverage(inst, k, t)
            # cost share: yearly cost over value per covered developer (guarded as the model is)
            x = yearly * c_n * count[k][t] / (max(c_v, 1e-300) * value_w[k] * value[t])
            d.append(deterred(p(inst, "entry_elasticity"), x))
            active.append(c_n * count[k][t] * (1 - d[-1]))
        _, extra = complying(inst, annual, sum(active))
        out, lost, cost = [], 0.0, 0.0
        for k in range(len(names)):
            paying = capacity[k] * extra * (1 - d[k])
            c_n, c_v = coverage(inst, k, t)
            covered = c_n * count[k][t]
            if t == start(inst):
                new = covered
            else:
                c_prev = coverage(inst, k, t - 1)[0] * count[k][t - 1]
                new = max(covered - c_prev, 0.0)
            cost += paying * (covered * annual + new * oneoff)
            lost += d[k] * value_w[k] * c_v
            out.append((paying, d[k]))
        cost += sum(active) * p(inst, "regulator_cost_per_entity")
        cost += min(p(inst, "capacity"), sum(active)) * p(inst, "cost_per_audit")
        return out, lost, cost

    # model-side cells each upstream type reaches: (access routes, channels)
    everything = ("capability", "safety", "information")
    reaches = {
        "upstream_controls": None,  # per access route below
        "licence_terms": None,
        "structured_access": (("open_domestic",), everything),
        "finetune_monitoring": (("closed",), ("safety",)),
        "tamper_resistance": (("open_domestic",), ("safety",)),
        "modification_evaluation": (("closed", "open_domestic"), ("capability", "safety")),
        "information_duties": (("closed", "open_domestic"), ("information",)),
        "hosting_duties": (("open_domestic", "open_foreign"), ("capability", "safety")),
    }

    def withdrawing(inst):
        """Do the firms this duty binds withdraw (upstream developers, not over information
        duties; not hubs)?"""
        staying = {"hosting_duties", "information_duties"}
        return s.upstream_withdrawal == "withdraws" and inst.type in up_types - staying

    def upstream(inst, h):
        """(firms, firms still serving the jurisdiction, paying share, {(access, channel):
        share removed}, value loss share)."""
        firms = p(inst, "platforms") if inst.type == "hosting_duties" else v["n_upstream"]
        stay = 1 - v["upstream_withdrawal_share"] if withdrawing(inst) else 1.0
        _, pay = complying(inst, p(inst, "cost_annual"), firms * stay)
        pay *= stay  # the withdrawn neither comply nor pay
        key = h.key if h else None
        cells = {}
        if inst.type == "upstream_controls":
            keep = pay * (1 - p(inst, "substitution"))
            for c in everything:
                cells["closed", c] = keep * p(inst, "efficacy_closed", key)
                cells["open_domestic", c] = keep * p(inst, "efficacy_open", key)
            return firms, firms * stay, pay, cells, p(inst, "value_blocked") * stay
        if inst.type == "licence_terms":
            for c in ("capability", "safety"):
                cells["closed", c] = pay * p(inst, "efficacy_closed", key)
                cells["open_domestic", c] = pay * p(inst, "efficacy_open", key)
            return firms, firms * stay, pay, cells, pay * p(inst, "value_restricted")
        share, lost = {
            "structured_access": (
                lambda: pay * p(inst, "risk_above_level", key) * (1 - p(inst, "foreign_parity")),
                lambda: pay * p(inst, "open_value_share") * p(inst, "open_value_lost"),
            ),
            "finetune_monitoring": (
                lambda: pay * p(inst, "detection", key),
                lambda: pay * p(inst, "false_positive") * p(inst, "finetune_value_share"),
            ),
            "tamper_resistance": (
                lambda: (
                    pay
                    * (p(inst, "holds") + (1 - p(inst, "holds")) * p(inst, "attacker_deterrence"))
                ),
                lambda: pay * p(inst, "capability_tax") * p(inst, "open_value_share"),
            ),
            "modification_evaluation": (
                lambda: pay * p(inst, "detection", key) * p(inst, "mitigation"),
                lambda: pay * p(inst, "value_delay"),
            ),
            "information_duties": (lambda: pay * p(inst, "efficacy", key), lambda: 0.0),
            "hosting_duties": (
                lambda: (
                    pay * p(inst, "hub_share") * p(inst, "takedown", key) * (1 - p(inst, "rehost"))
                ),
                lambda: pay * p(inst, "false_takedown") * p(inst, "open_value_share"),
            ),
        }[inst.type]
        access, channels = reaches[inst.type]
        for a in access:
            for c in channels:
                cells[a, c] = share()
        return firms, firms * stay, pay, cells, lost()

    up_types = {"upstream_controls", *reaches}
    # value the jurisdiction's users lose when upstream firms withdraw, once per approach, in
    # the run's standing (a share of the jurisdiction's value; of the world's at world standing)
    withdrawal_loss = 0.0
    if s.upstream_withdrawal == "withdraws":
        withdrawal_loss = v["upstream_withdrawal_share"] * v["withdrawal_value_share"]
        withdrawal_loss *= 1 - v["withdrawal_substitution"]
        withdrawal_loss *= 1.0 if inside else v["value_jurisdiction_share"]
    out = {}
    for a in regulation.approaches:
        insts = [regulation.instruments[name] for name in regulation.acting(a)]
        trig = next(
            (
                trigger_of(i)
                for i in insts
                if i.type in ("downstream_obligation", "adaptive") and trigger_of(i) != "threshold"
            ),
            "threshold",
        )
        total = 0.0
        for t in years:
            kept_value, cost = 1.0, 0.0
            for inst in insts:
                if inst.type in ("downstream_obligation", "adaptive"):
                    _, lost, c = obligation(inst, t)
                    lost *= fate(regulation.harms[0])[0]
                    if inst.type == "adaptive":
                        c += p(inst, "monitoring_cost")
                elif inst.type in up_types:
                    firms, serving, pay, _, lost = upstream(
                        inst,
                        None
                        if inst.type not in ("upstream_controls", "licence_terms")
                        else regulation.harms[0],
                    )
                    first = p(inst, "cost_oneoff") if t == 0 else 0.0
                    per_firm = pay * (p(inst, "cost_annual") + first) * upstream_counted
                    c = firms * per_firm + serving * p(inst, "regulator_cost_per_entity")
                elif inst.type == "liability":
                    c, lost = 0.0, p(inst, "chill") * (1 - leak)
                elif inst.type == "service_enforcement":
                    c, lost = p(inst, "enforcement_cost"), 0.0
                else:  # voluntary guidance
                    adopters = p(inst, "adoption") * (1 - leak) * n_down[t]
                    c = adopters * p(inst, "hours_annual") * p(inst, "tariff")
                    c += p(inst, "cost_government")
                    lost = 0.0
                cost += c
                kept_value *= 1 - lost
            if any(withdrawing(inst) for inst in insts):
                kept_value *= 1 - withdrawal_loss
            averted = 0.0
            for h in regulation.harms:
                r = h.roles
                harm = paths[h.key][t]
                mal = v[r["malicious_share"]]
                svc = v[r["service_share"]] if "service_share" in r else 0.0
                services = (1 - leak) * mal * svc
                reach = (1 - leak) * (1 - mal)
                if s.malicious_reach == "all_rules":
                    reach = (1 - leak) - services
                open_share = v[r["open_weight_share"]]
                info = v[r["information_share"]] if "information_share" in r else 0.0
                safe = v[r["safety_share"]] if "safety_share" in r else 0.0
                channel = {
                    "information": info,
                    "safety": (1 - info) * safe,
                    "capability": (1 - info) * (1 - safe),
                }
                route = {
                    "closed": 1 - open_share,
                    "open_domestic": open_share * (1 - v["foreign_base_share"]),
                    "open_foreign": open_share * v["foreign_base_share"],
                }
                if s.closed_segment == "diffuses":  # closed capability reaching open weights
                    route["open_foreign"] += route["closed"] * (1 - v["closed_retention"])
                    route["closed"] *= v["closed_retention"]
                kept_cells = {
                    (k, side): 1.0 for k in range(len(names)) for side in ("above", "below")
                }
                kept_services, kept_model = 1.0, {}
                for inst in insts:
                    if inst.type in ("downstream_obligation", "adaptive"):
                        per_class, _, _ = obligation(inst, t)
                        eff = boosted(inst, "efficacy", h.key, insts)
                        everyone = (
                            inst.scope
                            if inst.type != "adaptive"
                            else regulation.instruments[inst.base].scope
                        ) == "all"
                        for k, (paying, d) in enumerate(per_class):
                            e = paying * eff + d * fate(h)[1]
                            kept_cells[k, "above"] *= 1 - e
                            if everyone:
                                kept_cells[k, "below"] *= 1 - e
                    elif inst.type in up_types:
                        _, _, _, cells, _ = upstream(inst, h)
                        for cell, e in cells.items():
                            kept_model[cell] = kept_model.get(cell, 1.0) * (1 - e)
                    elif inst.type == "service_enforcement":
                        kept_services *= 1 - p(inst, "takedown")
                    else:
                        if inst.type == "liability":
                            e = liability(inst, insts)[0]
                        else:
                            e = p(inst, "adoption") * p(inst, "self_selection")
                            e *= boosted(inst, "efficacy", h.key, insts)
                        for cell in kept_cells:
                            kept_cells[cell] *= 1 - e
                on_classes = 0.0
                for k in range(len(names)):
                    rho = above[k][trig][1][t]
                    on_classes += risk_w[k] * (
                        rho * (1 - kept_cells[k, "above"])
                        + (1 - rho) * (1 - kept_cells[k, "below"])
                    )
                removed_up = sum(
                    route[a_] * channel[c_] * (1 - kept) for (a_, c_), kept in kept_model.items()
                )
                actor = reach * on_classes + services * (1 - kept_services)
                weight = (health if h.valued_as == "health" else disc)[t] / disc[t]
                outside = leak if s.upstream_reach == "jurisdiction" else 0.0
                kept = outside + (1 - outside - actor) * (1 - removed_up)
                averted += weight * harm * (1 - kept)
                for inst in insts:
                    if inst.type == "liability":
                        left = harm * reach * (1 - on_classes) * (1 - removed_up)
                        dt, care, claims = liability(inst, insts)
                        cost += p(inst, "transaction_cost") * claims * left
                        cost += care * left * dt / (1 - dt)
            lost_value = value[t] * (1 - kept_value) * value_counted
            total += disc[t] * (averted - cost - lost_value)
        out[a.key] = total
    return {a: x - out["status_quo"] for a, x in out.items()}  # increments on rules in force


VARIANTS = [
    {},
    {"standing": "jurisdiction"},
    {"deterred": "exit"},
    {"deterred": "exit", "standing": "jurisdiction"},
    {"deterred": "abandon", "additionality": "full_credit"},
    {"deterred": "value_lost_risk_stays", "entry_response": "linear_capped"},
    {"in_force": ("targeted_obligation",), "standing": "jurisdiction"},
    {"terminal_value": "perpetuity", "malicious_reach": "all_rules", "liability": "derived"},
    {"upstream_reach": "jurisdiction", "closed_segment": "diffuses", "standing": "jurisdiction"},
    {"upstream_withdrawal": "withdraws"},
    {
        "upstream_withdrawal": "withdraws",
        "standing": "jurisdiction",
        "upstream_reach": "jurisdiction",
        "additionality": "full_credit",
    },
    {"upstream_withdrawal": "withdraws", "deterred": "exit", "in_force": ("licence_terms",)},
]
#: The parameters of upstream withdrawal, which the baseline does not declare.
WITHDRAWAL = SCENARIOS / "upstream_withdrawal.toml"


@pytest.mark.parametrize("path", [BASELINE, SCENARIOS / "share_threshold.toml"])
@pytest.mark.parametrize(
    "settings", VARIANTS, ids=lambda x: "-".join(map(str, x.values())) or "base"
)
def test_vectorised_model_equals_a_plain_per_draw_loop(path, settings):
    withdraws = settings.get("upstream_withdrawal") == "withdraws"
    params = model.load_params(path, scenarios=[WITHDRAWAL] if withdraws else [])
    regulation = build_model(params)
    regulation = replace(regulation, settings=replace(regulation.settings, **settings))
    draws = model.sample(params, n=100, design="random", rng=9)
    values = {n: draws[n] for n in params.names}
    fast = evaluate(regulation, values).net_benefit
    for i in range(100):
        row = {n: float(draws[n][i]) for n in params.names}
        slow = _reference_net_benefit(regulation, row)
        np.testing.assert_allclose(
            fast[i], [slow[a] for a in regulation.approach_names], rtol=1e-9, atol=1e-3
        )


# ---- bad input in instrument and approach tables ----------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'type = "liability"',
            'type = "liabilty"',
            r"tiny\.toml \[instruments\.liability\]: unknown instrument type; got liabilty; "
            r"use one of .*did you mean 'liability'",
        ),
        (
            'deterrence = "deterrence"',
            'deterence = "deterrence"',
            r"\[instruments\.liability\]: missing parameter roles \['deterrence'\]",
        ),
        (
            'chill = "chill"',
            'chill = "chil"',
            r"\[instruments\.liability\]: role 'chill' names unknown parameter 'chil'; "
            r"did you mean 'chill'\?",
        ),
        (
            'instruments = ["targeted"]',
            'instruments = ["targetted"]',
            r"\[approaches\.targeted\]: unknown instrument 'targetted'; did you mean 'targeted'\?",
        ),
        (
            'scope = "above_threshold"',
            'scope = "some"',
            r"\[instruments\.targeted\]: downstream_obligation needs scope one of",
        ),
        (
            'standing = "world"',
            'standing = "planet"',
            r"\[settings\.standing\]: unknown standing; got planet; use 'world' or 'jurisdiction'",
        ),
        (
            'standing = "world"',
            'standing = "world"\ndeterred = "leave"',
            r"tiny\.toml \[settings\.deterred\]: unknown deterred; got leave; "
            r"use 'relocate' or 'exit' or 'abandon' or 'value_lost_risk_stays'",
        ),
        (
            'standing = "world"',
            'standing = "world"\nentry_response = "linear"',
            r"\[settings\.entry_response\]: unknown entry response; got linear; "
            r"use 'saturating' or 'linear_capped'",
        ),
        (
            'standing = "world"',
            'standing = "world"\nin_force = ["targetted"]',
            r"\[settings\.in_force\]: unknown instrument 'targetted'; did you mean 'targeted'\?",
        ),
        (
            "schedule = [[0, 0.1]]",
            "schedule = [[1, 0.1]]",
            r"\[discounting\.schedule\]: must be a list of \[from_year, rate\] starting at year 0",
        ),
        (
            "horizon_years = 2",
            "horizon_years = 0",
            r"\[settings\.horizon_years\]: must be an integer from 1 to 200; got 0",
        ),
        (
            '[approaches.status_quo]\nlabel = "Status quo"\ninstruments = []\n',
            "",
            r"\[approaches\.status_quo\]: the first approach must be status_quo",
        ),
        (
            'label = "Harm"',
            'label = "Harm"\nseverity = 3',
            r"\[harms\.h\]: unknown key 'severity'; allowed: label, reading",
        ),
        (
            'growth = "h_growth"',
            'growth = "h_grwoth"',
            r"\[harms\.h\]: role 'growth' names unknown parameter 'h_grwoth'; did you mean",
        ),
    ],
)
def test_bad_structure_gets_a_one_line_error(tmp_path, old, new, message):
    assert old in TINY_STRUCTURE
    path = write_tiny(tmp_path, TINY_STRUCTURE.replace(old, new, 1))
    with pytest.raises(ParamFileError, match=message) as info:
        build_model(model.load_params(path))
    assert "\n" not in str(info.value)


def test_missing_world_parameter_is_named(tmp_path):
    values = dict(TINY_VALUES)
    del values["leakage"]
    lines = [TINY_STRUCTURE] + [
        f'[parameters.{k}]\ndescription = "{k}"\nunit = "u"\nkind = "real"\nsource = "t"\n'
        f'dist = "fixed"\nvalue = {float(x)!r}\n'
        for k, x in values.items()
    ]
    path = tmp_path / "tiny.toml"
    path.write_text("\n".join(lines))
    with pytest.raises(ParamFileError, match=r"tiny\.toml \[leakage\]: the world needs this"):
        build_model(model.load_params(path))


# ---- jurisdiction presets -------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "name"), [("eu", "EU"), ("uk", "UK"), ("us", "US")])
def test_presets_are_coherent_jurisdictions(preset, name):
    """Each preset names its jurisdiction and standing, counts the jurisdiction's costs and
    benefits only, and its per-draw outcomes equal the plain loop's."""
    params = model.load_params(BASELINE, scenarios=[SCENARIOS / f"{preset}.toml"])
    assert name in params.title and "jurisdiction standing" in params.title
    regulation = build_model(params)
    assert regulation.settings.standing == "jurisdiction"
    assert regulation.settings.in_force == (("targeted_obligation",) if preset == "eu" else ())
    draws = model.sample(params, n=20, design="random", rng=4)
    # each preset declares its own share of upstream firms withdrawing: both readings
    for alternative in ("complies", "withdraws"):
        variant = replace(
            regulation, settings=replace(regulation.settings, upstream_withdrawal=alternative)
        )
        fast = evaluate(variant, {n: draws[n] for n in params.names}).net_benefit
        for i in range(20):
            row = {n: float(draws[n][i]) for n in params.names}
            slow = _reference_net_benefit(variant, row)
            np.testing.assert_allclose(
                fast[i], [slow[a] for a in variant.approach_names], rtol=1e-9, atol=1e-3
            )


def test_baseline_names_its_jurisdiction_and_standing():
    title = model.load_params(BASELINE).title
    assert "EU-like jurisdiction" in title and "world standing" in title
