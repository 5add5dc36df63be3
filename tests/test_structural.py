"""Structural uncertainty: every alternative on the same draws, and a weighted average."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import model
from model.errors import ParamFileError
from model.regulation import STRUCTURAL, build_model, evaluate
from model.study.structural import structural_on_draws, structural_uncertainty

BASELINE = Path(__file__).resolve().parents[1] / "params" / "baseline.toml"
SCENARIOS = BASELINE.parent / "scenarios"
WITHDRAWAL = SCENARIOS / "upstream_withdrawal.toml"


@pytest.fixture(scope="module")
def params():
    return model.load_params(BASELINE)


@pytest.fixture(scope="module")
def result(params):
    return structural_uncertainty(params, 256, rng=3)


def test_every_alternative_of_every_setting_is_evaluated(result):
    """Every alternative of every setting (the baseline declares every parameter they read)."""
    table = result.variants
    for name, alternatives in STRUCTURAL.items():
        got = set(table.loc[table["setting"] == name, "alternative"])
        assert got == {str(a) for a in alternatives}
    assert set(result.decisions().index.get_level_values("setting")) == set(STRUCTURAL)


@pytest.mark.parametrize(
    "files", [(BASELINE, WITHDRAWAL), (SCENARIOS / "uk.toml",)], ids=["baseline", "uk"]
)
def test_upstream_withdrawal_is_evaluated_where_its_parameters_are_declared(files):
    """The presets and the withdrawal scenario declare its parameters: both alternatives are
    screened on the same draws, and each equals evaluating that variant directly."""
    params = model.load_params(files[0], scenarios=files[1:])
    su = structural_uncertainty(params, 128, rng=2)
    rows = su.variants[su.variants["setting"] == "upstream_withdrawal"]
    assert set(rows["alternative"]) == {"complies", "withdraws"}
    regulation = build_model(params)
    draws = model.sample(params, 128, design="sobol", rng=2)
    values = {name: draws[name] for name in params.names}
    for alternative in ("complies", "withdraws"):
        variant = replace(
            regulation, settings=replace(regulation.settings, upstream_withdrawal=alternative)
        )
        direct = evaluate(variant, values).net_benefit.mean(axis=0)
        got = rows.loc[rows["alternative"] == alternative, "expected_net_benefit"].to_numpy()
        np.testing.assert_allclose(got, direct, rtol=1e-12)
    # withdrawal costs upstream mitigation value it would otherwise keep, never adds any
    mean = rows.set_index(["alternative", "approach"])["expected_net_benefit"]
    assert mean["withdraws", "upstream_mitigation"] < mean["complies", "upstream_mitigation"]
    assert mean["withdraws", "liability"] == mean["complies", "liability"]


def test_an_alternative_without_its_parameters_is_left_out_and_a_weight_on_it_is_an_error(
    tmp_path,
):
    """A parameter set without upstream withdrawal's parameters (the baseline's world.toml cut
    before them) screens only "complies", and a weight on "withdraws" is a one-line error."""
    folder = tmp_path / "params"
    shutil.copytree(BASELINE.parent, folder)
    world = folder / "world.toml"
    text = world.read_text(encoding="utf-8")
    world.write_text(text[: text.index("# ---- upstream firms withdrawing")], encoding="utf-8")
    params = model.load_params(folder / BASELINE.name)
    assert "upstream_withdrawal_share" not in params
    rows = structural_uncertainty(params, 16, rng=1).variants
    assert set(rows.loc[rows["setting"] == "upstream_withdrawal", "alternative"]) == {"complies"}
    with pytest.raises(ParamFileError, match=r"structural_weights\.upstream_withdrawal.*declares"):
        structural_uncertainty(
            params, 16, rng=1, weights={"upstream_withdrawal": {"complies": 1, "withdraws": 1}}
        )


def test_variants_share_the_same_draws(result, params):
    """The file's choices give the same numbers whichever setting's row they sit in, and an
    alternative equals evaluating that variant on the same draws directly."""
    base = result.variants[result.variants["is_file_choice"]]
    per_setting = base.pivot(index="approach", columns="setting", values="expected_net_benefit")
    np.testing.assert_allclose(
        per_setting.to_numpy(), per_setting.to_numpy()[:, :1].repeat(per_setting.shape[1], 1)
    )
    regulation = build_model(params)
    draws = model.sample(params, 256, design="sobol", rng=3)
    values = {name: draws[name] for name in params.names}
    variant = replace(regulation, settings=replace(regulation.settings, deterred="abandon"))
    direct = evaluate(variant, values).net_benefit.mean(axis=0)
    rows = result.variants.query("setting == 'deterred' and alternative == 'abandon'")
    np.testing.assert_allclose(rows["expected_net_benefit"].to_numpy(), direct, rtol=1e-12)


def test_average_mixes_the_variants_by_their_weights(params):
    weights = {"deterred": {"exit": 1, "abandon": 3}}
    r = structural_uncertainty(params, 256, rng=3, weights=weights)
    rows = r.variants[r.variants["setting"] == "deterred"].set_index(["alternative", "approach"])
    rows = rows[["expected_net_benefit", "prob_best"]]
    expected = 0.25 * rows.loc["exit"] + 0.75 * rows.loc["abandon"]
    np.testing.assert_allclose(
        r.averaged["expected_net_benefit"], expected["expected_net_benefit"], rtol=1e-12
    )
    np.testing.assert_allclose(r.averaged["prob_best"], expected["prob_best"], rtol=1e-12)
    assert r.weights["standing"] == {"world": 1.0}


def test_a_weight_for_an_undeclared_alternative_is_a_one_line_error(params):
    with pytest.raises(ParamFileError, match=r"structural_weights\.deterred.*'leave = 1'"):
        structural_uncertainty(params, 16, rng=1, weights={"deterred": {"leave": 1}})


def test_each_alternative_equals_evaluating_it_alone_bit_for_bit():
    """Alternatives that change no setting the world reads share one world: each row still
    equals evaluating that variant on its own (a setting the world starts to read must join
    ``WORLD_SETTINGS``), and a given reference stands for the file's choices exactly."""
    params = model.load_params(BASELINE, scenarios=[WITHDRAWAL])
    draws = model.sample(params, 128, design="sobol", rng=5)
    values = {name: draws[name] for name in params.names}
    regulation = build_model(params)
    reference = evaluate(regulation, values).net_benefit
    su = structural_on_draws(params, values)
    assert su.variants.equals(structural_on_draws(params, values, reference=reference).variants)
    for name, alternatives in STRUCTURAL.items():
        for alternative in alternatives:
            settings = replace(regulation.settings, **{name: alternative})
            nb = evaluate(replace(regulation, settings=settings), values).net_benefit
            v = su.variants
            rows = v[(v["setting"] == name) & (v["alternative"] == str(alternative))]
            assert np.array_equal(rows["expected_net_benefit"].to_numpy(), nb.mean(axis=0))
