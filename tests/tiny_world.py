"""A tiny world with every parameter fixed, whose outcomes are worked out by hand in tests."""

from __future__ import annotations

from pathlib import Path

TINY_VALUES = {
    "n_upstream": 10,
    "n_downstream": 1000,
    "n_downstream_cap": 1000,  # = start: the logistic path stays at 1000
    "downstream_growth": 0.5,
    "ecosystem_value": 1e6,
    "ecosystem_value_growth": 0.0,
    "ecosystem_value_cap": 4.0,
    "leakage": 0.5,
    "share_above_threshold": 0.01,
    "concentration": 0.5,  # rho_T = 0.01 ** 0.5 = 0.1
    "foreign_base_share": 0.5,
    "relocation_loss": 0.2,
    "entry_deterred_max": 0.5,
    "entry_reference_shock": 0.025,
    "value_jurisdiction_share": 0.3,
    "upstream_jurisdiction_share": 0.1,
    "h_base": 1e6,
    "h_ref": 1e6,
    "h_growth": 0.0,
    "h_cap": 2.0,
    "h_malicious": 0.2,
    "h_open": 0.6,
    "h_acceptable": 0.9,  # a share of the status quo's final-year harm
    "h_jurisdiction": 1.0,
    # targeted obligation
    "efficacy": 0.5,
    "zero": 0.0,
    "tariff": 100.0,
    "cost_oneoff": 300.0,
    "cost_annual": 100.0,
    "penalty": 1000.0,
    "capacity": 100.0,
    "cost_per_audit": 10.0,
    "reg_per_entity": 1.0,
    "voluntary": 0.2,
    "elasticity": 1.0,
    "amortisation": 3.0,
    # upstream controls
    "up_closed": 0.8,
    "up_open": 0.3,
    "substitution": 0.25,
    "up_oneoff": 1000.0,
    "up_annual": 500.0,
    "up_penalty": 1e4,
    "up_capacity": 10.0,
    "up_reg": 50.0,
    "up_voluntary": 0.5,
    "blocked": 0.01,
    # liability
    "deterrence": 0.2,
    "claims": 0.1,
    "transaction": 0.5,
    "precaution": 0.25,
    "chill": 0.004,
    "avoidable": 0.5,
    "dispersion": 1.0,
    # adaptive: the trigger is crossed at once, no lag, no monitoring cost -> the static rule
    "trigger": 0.0,
    "lag": 0.0,
    "monitoring": 0.0,
}

SHARES = {
    "leakage",
    "foreign_base_share",
    "relocation_loss",
    "entry_deterred_max",
    "entry_reference_shock",
    "value_jurisdiction_share",
    "upstream_jurisdiction_share",
    "h_malicious",
    "h_open",
    "h_jurisdiction",
    "h_acceptable",
    "efficacy",
    "voluntary",
    "up_closed",
    "up_open",
    "substitution",
    "up_voluntary",
    "blocked",
    "deterrence",
    "claims",
    "chill",
    "avoidable",
}

TINY_STRUCTURE = """
[settings]
horizon_years = 2
standing = "world"
currency = "USD"

[discounting]
schedule = [[0, 0.1]]
source = "test"

[harms.h]
label = "Harm"
reading = "test"
harm = ["h_base"]
reference = ["h_ref"]
growth = "h_growth"
growth_cap = "h_cap"
malicious_share = "h_malicious"
open_weight_share = "h_open"
acceptable = "h_acceptable"
jurisdiction_share = "h_jurisdiction"

[instruments.targeted]
type = "downstream_obligation"
scope = "above_threshold"
label = "Targeted"
[instruments.targeted.parameters]
efficacy = "efficacy"
hours_oneoff = "zero"
hours_annual = "zero"
tariff = "tariff"
cost_oneoff = "cost_oneoff"
cost_annual = "cost_annual"
penalty = "penalty"
capacity = "capacity"
cost_per_audit = "cost_per_audit"
regulator_cost_per_entity = "reg_per_entity"
voluntary_compliance = "voluntary"
entry_elasticity = "elasticity"
amortisation_years = "amortisation"

[instruments.upstream]
type = "upstream_controls"
label = "Upstream"
[instruments.upstream.parameters]
efficacy_closed = "up_closed"
efficacy_open = "up_open"
substitution = "substitution"
cost_oneoff = "up_oneoff"
cost_annual = "up_annual"
penalty = "up_penalty"
capacity = "up_capacity"
regulator_cost_per_entity = "up_reg"
voluntary_compliance = "up_voluntary"
value_blocked = "blocked"

[instruments.liability]
type = "liability"
label = "Liability"
[instruments.liability.parameters]
deterrence = "deterrence"
claim_share = "claims"
transaction_cost = "transaction"
precaution_ratio = "precaution"
chill = "chill"
care_avoidable = "avoidable"
care_dispersion = "dispersion"

[instruments.adaptive]
type = "adaptive"
base = "targeted"
label = "Adaptive targeted"
[instruments.adaptive.parameters]
trigger_level = "trigger"
detection_lag = "lag"
monitoring_cost = "monitoring"

[approaches.status_quo]
label = "Status quo"
instruments = []

[approaches.targeted]
label = "Targeted"
instruments = ["targeted"]

[approaches.upstream]
label = "Upstream"
instruments = ["upstream"]

[approaches.liability]
label = "Liability"
instruments = ["liability"]

[approaches.adaptive]
label = "Adaptive"
instruments = ["adaptive"]

[approaches.combined]
label = "Combined"
instruments = ["upstream", "targeted", "liability"]
"""


def write_tiny(tmp_path: Path, structure: str = TINY_STRUCTURE, **overrides) -> Path:
    """A parameter file with every parameter fixed, plus the given structure tables."""
    lines = [structure]
    for name, value in {**TINY_VALUES, **overrides}.items():
        kind = "share" if name in SHARES else "real"
        lines.append(
            f'[parameters.{name}]\ndescription = "{name}"\nunit = "u"\nkind = "{kind}"\n'
            f'source = "test"\ndist = "fixed"\nvalue = {float(value)!r}\n'
        )
    path = tmp_path / "tiny.toml"
    path.write_text("\n".join(lines))
    return path
