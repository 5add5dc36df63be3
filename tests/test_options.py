"""The option space worked by hand on the tiny world: each upstream option and hosting duty on
its cells, enforcement against misuse services, complementarity, and developer classes.

The tiny world (tests/tiny_world.py): one harm of 1e6 a year for two years discounted at 10%
(PV factor 1 + 1/1.1), leakage 0.5, malicious share 0.2, open-weight share 0.6, foreign bases
0.5; so access routes weigh closed 0.4, domestic open 0.3, foreign open 0.3. Here the harm also
splits into channels, information 0.2, safety (1 - 0.2) 0.5 = 0.4, capability 0.4, and half of
its malicious share comes from misuse services: (1 - 0.5) 0.2 0.5 = 0.05 of the harm.
"""

from __future__ import annotations

import numpy as np
import pytest
from tiny_world import TINY_STRUCTURE, write_tiny

import model
from model.regulation import build_model, evaluate

PV = 1.0 + 1.0 / 1.1  # a constant flow's present value over the two years
HARM_PV = 1e6 * PV

CHANNELS = """jurisdiction_share = "h_jurisdiction"
information_share = "h_info"
safety_share = "h_safety"
service_share = "h_service"
"""

UPSTREAM = """cost_oneoff = "up_oneoff"
cost_annual = "up_annual"
penalty = "up_penalty"
capacity = "up_capacity"
regulator_cost_per_entity = "up_reg"
voluntary_compliance = "up_voluntary"
"""

OPTIONS = f"""
[instruments.tamper]
type = "tamper_resistance"
label = "Tamper"
[instruments.tamper.parameters]
holds = "holds"
attacker_deterrence = "deter"
capability_tax = "tax"
open_value_share = "open_value"
{UPSTREAM}
[instruments.monitoring]
type = "finetune_monitoring"
label = "Monitoring"
[instruments.monitoring.parameters]
detection = "detection"
false_positive = "false_positive"
finetune_value_share = "finetune_value"
evidence_boost = "evidence"
{UPSTREAM}
[instruments.hosting]
type = "hosting_duties"
label = "Hosting"
[instruments.hosting.parameters]
platforms = "platforms"
hub_share = "hub"
takedown = "takedown"
rehost = "rehost"
false_takedown = "false_takedown"
open_value_share = "open_value"
{UPSTREAM}
[instruments.information]
type = "information_duties"
label = "Information"
[instruments.information.parameters]
efficacy = "info_efficacy"
compliance_boost = "boost"
{UPSTREAM}
[instruments.services]
type = "service_enforcement"
label = "Services"
[instruments.services.parameters]
takedown = "service_takedown"
enforcement_cost = "enforcement"

[instruments.guidance]
type = "voluntary_guidance"
label = "Guidance"
[instruments.guidance.parameters]
adoption = "adoption"
self_selection = "self_selection"
efficacy = "efficacy"
hours_annual = "guidance_hours"
tariff = "tariff"
cost_government = "zero"

[instruments.everyone]
type = "downstream_obligation"
scope = "all"
label = "Everyone"
[instruments.everyone.parameters]
efficacy = "efficacy"
hours_oneoff = "zero"
hours_annual = "zero"
tariff = "tariff"
cost_oneoff = "cost_oneoff"
cost_annual = "cost_annual"
penalty = "penalty"
capacity = "capacity"
cost_per_audit = "zero"
regulator_cost_per_entity = "zero"
voluntary_compliance = "voluntary"
entry_elasticity = "zero"
amortisation_years = "amortisation"
"""

APPROACHES = """
[approaches.tamper]
label = "Tamper"
instruments = ["tamper"]

[approaches.monitoring]
label = "Monitoring"
instruments = ["monitoring"]

[approaches.hosting]
label = "Hosting"
instruments = ["hosting"]

[approaches.information]
label = "Information"
instruments = ["information"]

[approaches.services]
label = "Services"
instruments = ["services"]

[approaches.guidance]
label = "Guidance"
instruments = ["guidance"]

[approaches.informed_guidance]
label = "Guidance with information duties"
instruments = ["guidance", "information"]

[approaches.everyone]
label = "Everyone"
instruments = ["everyone"]
"""

CLASSES = """
[classes.a]
label = "Class a"
count_weight = "half"
growth = "zero"
value_weight = "a_value"
risk_weight = "half"
compute_scale = "one"
capacity = "one"

[classes.b]
label = "Class b"
count_weight = "half"
growth = "zero"
value_weight = "b_value"
risk_weight = "half"
compute_scale = "one"
capacity = "half"
"""

VALUES = {
    "h_info": 0.2,
    "h_safety": 0.5,
    "h_service": 0.5,
    "holds": 0.2,
    "deter": 0.25,
    "tax": 0.02,
    "open_value": 0.4,
    "detection": 0.6,
    "false_positive": 0.01,
    "finetune_value": 0.3,
    "evidence": 0.1,
    "platforms": 3.0,
    "hub": 0.8,
    "takedown": 0.5,
    "rehost": 0.5,
    "false_takedown": 0.005,
    "info_efficacy": 0.5,
    "boost": 0.2,
    "service_takedown": 0.4,
    "enforcement": 1000.0,
    "adoption": 0.3,
    "self_selection": 0.5,
    "guidance_hours": 2.0,
    "half": 0.5,
    "one": 1.0,
    "a_value": 0.2,
    "b_value": 0.8,
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """The tiny world with channels, misuse services, two classes and the options."""
    structure = TINY_STRUCTURE.replace('jurisdiction_share = "h_jurisdiction"\n', CHANNELS)
    structure = structure.replace("[approaches.status_quo]", OPTIONS + "\n[approaches.status_quo]")
    structure += APPROACHES + CLASSES
    path = write_tiny(tmp_path_factory.mktemp("options"), structure, **VALUES)
    params = model.load_params(path)
    values = {name: np.array([params[name].dist.ppf(np.array([0.5]))[0]]) for name in params}
    return evaluate(build_model(params), values)


def _row(o, approach: str) -> dict:
    j = o.approaches.index(approach)
    return {
        "rr": o.risk_reduction[0, j, 0],
        "upstream": o.burden[0, j, 0],
        "downstream": o.burden[0, j, 1],
        "regulator": o.burden[0, j, 2],
        "innovation": o.innovation_cost[0, j],
        "net": o.net_benefit[0, j],
    }


# Every upstream duty here: 10 firms (3 platforms), capacity 10 (every firm audited), penalty
# 1e4 against 500 a year: all comply; half did already, so half pay: paying = 0.5. Each pays
# 500 a year and 1000 once: PV 0.5 (1500 + 500 / 1.1) a firm; the regulator 50 a firm a year.
FIRM_PV = 0.5 * (1500 + 500 / 1.1)


def test_tamper_resistance_acts_on_safety_removal_of_domestic_open_weights(outcomes):
    r = _row(outcomes, "tamper")
    # stopped = holds + (1 - holds) deterrence = 0.2 + 0.8 x 0.25 = 0.4; paying 0.5: 0.2 of the
    # domestic-open (0.3) x safety (0.4) cell
    assert r["rr"] == pytest.approx(0.3 * 0.4 * 0.2 * HARM_PV, rel=1e-12)
    assert r["upstream"] == pytest.approx(10 * FIRM_PV, rel=1e-12)
    assert r["regulator"] == pytest.approx(10 * 50 * PV, rel=1e-12)
    # capability tax 0.02 on the open-weight value share 0.4, for the half paying
    assert r["innovation"] == pytest.approx(0.5 * 0.02 * 0.4 * 1e6 * PV, rel=1e-12)


def test_monitoring_acts_on_safety_removal_through_closed_interfaces(outcomes):
    r = _row(outcomes, "monitoring")
    assert r["rr"] == pytest.approx(0.4 * 0.4 * 0.5 * 0.6 * HARM_PV, rel=1e-12)
    assert r["innovation"] == pytest.approx(0.5 * 0.01 * 0.3 * 1e6 * PV, rel=1e-12)


def test_hosting_duties_reach_foreign_open_weights_too(outcomes):
    r = _row(outcomes, "hosting")
    # 0.5 paying x hub 0.8 x takedown 0.5 x (1 - rehost 0.5) = 0.1 on open (0.6) x (capability
    # and safety, 0.8); 3 platforms pay
    assert r["rr"] == pytest.approx(0.6 * 0.8 * 0.1 * HARM_PV, rel=1e-12)
    assert r["upstream"] == pytest.approx(3 * FIRM_PV, rel=1e-12)


def test_information_duties_act_on_the_information_channel_of_domestic_models(outcomes):
    r = _row(outcomes, "information")
    assert r["rr"] == pytest.approx((0.4 + 0.3) * 0.2 * 0.5 * 0.5 * HARM_PV, rel=1e-12)
    assert r["innovation"] == 0.0


def test_enforcement_reaches_misuse_services_only(outcomes):
    r = _row(outcomes, "services")
    assert r["rr"] == pytest.approx(0.05 * 0.4 * HARM_PV, rel=1e-12)
    assert r["regulator"] == pytest.approx(1000 * PV, rel=1e-12)
    assert r["upstream"] == r["downstream"] == 0.0


def test_information_boosts_guidance(outcomes):
    alone, informed, info = (
        _row(outcomes, k)["rr"] / HARM_PV for k in ("guidance", "informed_guidance", "information")
    )
    # guidance alone: adoption 0.3 x self-selection 0.5 x efficacy 0.5 on the reachable block
    # (1 - 0.5)(1 - 0.2) = 0.4
    assert alone == pytest.approx(0.4 * 0.3 * 0.5 * 0.5, rel=1e-12)
    # with information duties its efficacy is 1 - (1 - 0.5)(1 - 0.2) = 0.6; the two combine as
    # a product of residuals across the actor and model sides
    boosted = 0.4 * 0.3 * 0.5 * 0.6
    assert informed == pytest.approx(1 - (1 - boosted) * (1 - info), rel=1e-12)


def test_classes_comply_as_far_as_their_capacity_and_pay_their_own_costs(outcomes):
    o, j = outcomes, outcomes.approaches.index("everyone")
    # 1000 developers, half in each class, half of them inside: 250 covered per class, 500
    # active; capacity 100 audits: caught 0.2 x penalty 1000 / cost 100 = 2 -> all comply;
    # voluntary 0.2, so 0.8 pay in class a, 0.5 x 0.8 = 0.4 in class b (capacity one half)
    assert o.classes == ("a", "b")
    # removed on the reachable block (0.4): 0.5 x 0.8 x 0.5 + 0.5 x 0.4 x 0.5 = 0.3
    assert o.risk_reduction[0, j, 0] == pytest.approx(0.4 * 0.3 * HARM_PV, rel=1e-12)
    # 250 covered pay 100 a year and 300 once (year 0), as far as they pay
    per_paying = 250 * (100 + 300) + 250 * 100 / 1.1
    np.testing.assert_allclose(o.class_burden[0, j], [0.8 * per_paying, 0.4 * per_paying])
    np.testing.assert_allclose(o.class_annual_cost[0, j], [0.8 * 250 * 100, 0.4 * 250 * 100])
    np.testing.assert_allclose(o.class_entities[0, j], [250, 250])
    assert o.burden[0, j, 1] == pytest.approx(o.class_burden[0, j].sum(), rel=1e-12)
    # the value each class creates: shares 0.2 and 0.8 of 1e6 a year
    np.testing.assert_allclose(o.class_value[0], [0.2e6 * PV, 0.8e6 * PV])


def test_a_channel_instrument_needs_harms_split_over_channels(tmp_path):
    """A harm without channel shares cannot meet an instrument acting on some channels only."""
    from model.errors import ParamFileError

    structure = TINY_STRUCTURE.replace(
        "[approaches.status_quo]", OPTIONS + "\n[approaches.status_quo]"
    )
    path = write_tiny(tmp_path, structure, **VALUES)
    with pytest.raises(ParamFileError, match=r"\[harms\.h\]: instrument 'tamper'.*safety channel"):
        build_model(model.load_params(path))


def test_a_trigger_scope_needs_the_triggers_parameters(tmp_path):
    from model.errors import ParamFileError

    structure = TINY_STRUCTURE.replace('scope = "above_threshold"', 'scope = "above_reach"', 1)
    with pytest.raises(ParamFileError, match=r"needs the reach trigger's parameters"):
        build_model(model.load_params(write_tiny(tmp_path, structure)))


# ---- upstream firms withdrawing from the jurisdiction (settings.upstream_withdrawal) -----------

WITHDRAWAL = {
    "upstream_withdrawal_share": 0.2,  # w: 2 of the 10 firms stop serving the jurisdiction
    "withdrawal_value_share": 0.5,  # s: half the ecosystem's value is built on their models
    "withdrawal_substitution": 0.75,  # sub: users recover three quarters of it elsewhere
}
WITHDRAWING = """
[approaches.tamper_monitoring]
label = "Tamper and monitoring"
instruments = ["tamper", "monitoring"]
"""


def _withdrawal_outcomes(folder, standing="world", reach="worldwide", **values):
    settings = f'standing = "{standing}"\nupstream_withdrawal = "withdraws"\n'
    settings += f'upstream_reach = "{reach}"'
    structure = TINY_STRUCTURE.replace('jurisdiction_share = "h_jurisdiction"\n', CHANNELS)
    structure = structure.replace('standing = "world"', settings, 1)
    structure = structure.replace("[approaches.status_quo]", OPTIONS + "\n[approaches.status_quo]")
    structure += APPROACHES + WITHDRAWING + CLASSES
    path = write_tiny(folder, structure, **(VALUES | WITHDRAWAL | values))
    params = model.load_params(path)
    values = {name: np.array([params[name].dist.ppf(np.array([0.5]))[0]]) for name in params}
    return evaluate(build_model(params), values)


@pytest.fixture(scope="module")
def withdrawing(tmp_path_factory):
    """The options' tiny world with 0.2 of upstream firms withdrawing, world standing."""
    return _withdrawal_outcomes(tmp_path_factory.mktemp("withdrawing"))


# 8 firms still serve the jurisdiction: capacity 10 audits them all, so all 8 comply; beyond the
# 0.5 voluntary, and only for the 0.8 staying, 0.5 x 0.8 = 0.4 of the 10 firms pay.
PAYING_STAYING = 0.5 * 0.8
# the jurisdiction's users lose w s (1 - sub) = 0.2 x 0.5 x 0.25 = 0.025 of the value they
# receive; the jurisdiction receives 0.3 of the ecosystem's value: 0.0075 of V at world standing
WITHDRAWAL_LOSS = 0.2 * 0.5 * 0.25


def test_withdrawing_firms_neither_comply_nor_pay_and_their_models_keep_their_risk(withdrawing):
    r = _row(withdrawing, "tamper")
    # stopped 0.4 on the domestic-open (0.3) x safety (0.4) cell, for the 0.4 paying (not 0.5)
    assert r["rr"] == pytest.approx(0.3 * 0.4 * 0.4 * PAYING_STAYING * HARM_PV, rel=1e-12)
    # compliance costs of the 8 staying firms only; the regulator supervises those 8
    assert r["upstream"] == pytest.approx(8 * FIRM_PV, rel=1e-12)
    assert r["regulator"] == pytest.approx(8 * 50 * PV, rel=1e-12)
    # the duty's own capability tax on the models still served, and the withdrawn models'
    # value lost to the jurisdiction's users, combined as 1 - prod(1 - L)
    own = PAYING_STAYING * 0.02 * 0.4
    lost = 1 - (1 - own) * (1 - 0.3 * WITHDRAWAL_LOSS)
    assert r["innovation"] == pytest.approx(lost * 1e6 * PV, rel=1e-12)
    j = withdrawing.approaches.index("tamper")
    assert withdrawing.entities[0, j] == pytest.approx(8.0)
    assert withdrawing.compliance[0, j] == pytest.approx(1.0)


def test_withdrawal_value_is_lost_once_per_approach(withdrawing):
    """A firm leaves or stays: two duties it withdraws from lose its models' value once."""
    r = _row(withdrawing, "tamper_monitoring")
    tax = PAYING_STAYING * 0.02 * 0.4
    blocked = PAYING_STAYING * 0.01 * 0.3  # monitoring's false positives on closed fine-tuning
    lost = 1 - (1 - tax) * (1 - blocked) * (1 - 0.3 * WITHDRAWAL_LOSS)
    assert r["innovation"] == pytest.approx(lost * 1e6 * PV, rel=1e-12)


def test_hubs_information_and_downstream_rules_are_untouched_by_upstream_withdrawal(
    withdrawing, outcomes
):
    """Hosting duties bind hubs, which are not modelled as withdrawing; information duties are
    not a reason to withdraw (so guidance they boost is untouched too); downstream duties and
    enforcement bind no upstream firm: no withdrawal, no value lost to it."""
    for approach in ("hosting", "information", "informed_guidance", "services", "guidance"):
        np.testing.assert_array_equal(
            _row(withdrawing, approach)["net"], _row(outcomes, approach)["net"]
        )


def test_withdrawal_costs_the_same_money_under_either_standing(tmp_path):
    """The value lost is the jurisdiction's users': 0.0075 of the world's value at world
    standing is 0.025 of the jurisdiction's (0.3), the same money. With no capability tax,
    tamper resistance has no value loss of its own, so its value lost is the withdrawal's."""
    (tmp_path / "world").mkdir()
    (tmp_path / "inside").mkdir()
    world = _withdrawal_outcomes(tmp_path / "world", tax=0.0)
    inside = _withdrawal_outcomes(tmp_path / "inside", standing="jurisdiction", tax=0.0)
    expected = 0.3 * WITHDRAWAL_LOSS * 1e6 * PV
    assert _row(world, "tamper")["innovation"] == pytest.approx(expected, rel=1e-12)
    assert _row(inside, "tamper")["innovation"] == pytest.approx(expected, rel=1e-12)


def test_withdrawal_applies_whatever_the_upstream_reach(tmp_path, withdrawing):
    """Under jurisdiction reach the staying firms' safeguards reach only the modifiers inside
    (1 - leakage = 0.5): withdrawal and reach compose; value lost and costs are unchanged."""
    fenced = _withdrawal_outcomes(tmp_path, reach="jurisdiction")
    worldwide, inside = _row(withdrawing, "tamper"), _row(fenced, "tamper")
    assert inside["rr"] == pytest.approx(0.5 * worldwide["rr"], rel=1e-12)
    for key in ("upstream", "regulator", "innovation"):
        assert inside[key] == pytest.approx(worldwide[key], rel=1e-12)


def test_information_duties_bind_every_firm_when_others_withdraw(withdrawing):
    """No firm withdraws over information duties: the information channel of domestic models,
    (0.4 + 0.3) x 0.2 x efficacy 0.5, is reached for all 0.5 paying (not 0.5 x 0.8), and the
    boost to guidance holds."""
    info = (0.4 + 0.3) * 0.2 * 0.5 * 0.5
    assert _row(withdrawing, "information")["rr"] / HARM_PV == pytest.approx(info, rel=1e-12)
    informed = _row(withdrawing, "informed_guidance")["rr"] / HARM_PV
    boosted = 0.4 * 0.3 * 0.5 * 0.6
    assert informed == pytest.approx(1 - (1 - boosted) * (1 - info), rel=1e-12)
