"""The best-portfolio search: exact screening of every portfolio, then confirmation on common
random numbers; the shared-work factorial equals a full evaluation."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

import model
from model.regulation import build_model, evaluate
from model.regulation.factorial import portfolio_net_benefit
from model.study.portfolios import (
    BEST,
    confirm_portfolios,
    screen_portfolios,
    search_portfolios,
    with_best_portfolio,
)

#: A smaller instrument set whose full factorial a full evaluation can check: three downstream
#: obligations (alternatives), monitoring and information duties (which boost liability and the
#: obligations), liability, guidance and enforcement against misuse services.
INSTRUMENTS = (
    "all_downstream_obligation",
    "targeted_obligation",
    "adaptive_targeted_obligation",
    "finetune_monitoring",
    "information_duties",
    "liability",
    "voluntary_guidance",
    "service_enforcement",
)
APPROACHES = (
    "status_quo",
    "do_minimum",
    "direct_downstream",
    "targeted_downstream",
    "liability",
    "voluntary_guidance",
    "adaptive_targeted",
)


@pytest.fixture(scope="module")
def small(baseline_params):
    """The baseline with only INSTRUMENTS and APPROACHES declared: 4 x 2**5 portfolios."""
    s = baseline_params.structure
    structure = dict(s) | {
        "instruments": {k: s["instruments"][k] for k in INSTRUMENTS},
        "approaches": {k: s["approaches"][k] for k in APPROACHES},
    }
    return replace(baseline_params, structure=MappingProxyType(structure))


@pytest.fixture(scope="module")
def exact(small):
    """Every portfolio on every draw, every one confirmed: the reference the search is checked
    against (a screen on fewer draws may keep portfolios the exact screen drops)."""
    return search_portfolios(small, n=2048, rng=3, screen_n=2048, keep_top=128)


@pytest.fixture(scope="module")
def searched(small):
    return search_portfolios(small, n=2048, rng=3, screen_n=512)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"liability": "derived", "standing": "jurisdiction"},
        {"upstream_reach": "jurisdiction", "closed_segment": "diffuses"},
        {"upstream_withdrawal": "withdraws"},
        {
            "upstream_withdrawal": "withdraws",
            "standing": "jurisdiction",
            "in_force": ("licence_terms",),
        },
    ],
)
def test_shared_work_factorial_equals_a_full_evaluation(baseline_params, settings):
    if settings.get("upstream_withdrawal") == "withdraws":  # the baseline lacks its parameters
        baseline_params = model.load_params(
            "params/baseline.toml", scenarios=["params/scenarios/upstream_withdrawal.toml"]
        )
    regulation = build_model(baseline_params)
    regulation = replace(regulation, settings=replace(regulation.settings, **settings))
    combos = regulation.portfolio_combinations()
    # 6 obligations alternatives (none, all, compute, capability, reach, adaptive) x 2**10
    assert len(combos) == 6 * 2**10
    draws = model.sample(baseline_params, n=256, rng=5)
    values = {k: draws[k] for k in baseline_params.names}
    lean = portfolio_net_benefit(regulation, values, combos)
    picked = list(range(0, len(combos), 61))
    full = evaluate(regulation.with_portfolios([combos[j] for j in picked]), values).net_benefit
    np.testing.assert_allclose(lean[:, picked], full, rtol=1e-9, atol=1e-3)


@pytest.mark.parametrize("withdrawal", ["complies", "withdraws"])
def test_shared_work_factorial_counts_increments_on_rules_in_force(withdrawal):
    params = model.load_params("params/scenarios/eu.toml")
    regulation = build_model(params)
    regulation = replace(
        regulation, settings=replace(regulation.settings, upstream_withdrawal=withdrawal)
    )
    combos = [(), ("targeted_obligation",), ("liability", "finetune_monitoring")]
    combos += [("tamper_resistance", "information_duties", "hosting_duties")]
    draws = model.sample(params, n=128, rng=2)
    values = {k: draws[k] for k in params.names}
    lean = portfolio_net_benefit(regulation, values, combos)
    full = evaluate(regulation.with_portfolios(combos), values).net_benefit
    np.testing.assert_allclose(lean, full, rtol=1e-9, atol=1e-3)
    assert (lean[:, :2] == 0).all()  # re-adopting the rule in force adds nothing


def test_exact_search_is_the_full_factorial(small, exact):
    regulation = build_model(small)
    assert len(regulation.portfolio_combinations()) == 4 * 2**5
    assert exact.exact and len(exact.screening) == 128
    full = model.simulate(small, n=2048, rng=3, portfolios=True)
    means = dict(zip(full.approaches, full.net_benefit.mean(axis=0), strict=True))
    # the screening means (shared work) equal the full evaluation's
    np.testing.assert_allclose(
        exact.screening["mean"], [means[k] for k in exact.screening.index], rtol=1e-9
    )
    # and so do the confirmed ones (all draws, shared work too)
    np.testing.assert_allclose(
        exact.table["mean"], [means[k] for k in exact.table.index], rtol=1e-9
    )
    assert exact.best == max(means, key=means.get)
    np.testing.assert_allclose(exact.table["prob_best"].sum(), 1.0)


def test_screening_finds_the_exact_best_on_the_same_draws(exact, searched):
    assert not searched.exact and searched.n_screen == 512
    assert searched.best == exact.best
    # common random numbers: a confirmed portfolio's mean equals its exact mean to the bit
    for key in searched.table.index:
        assert searched.table.loc[key, "mean"] == exact.table.loc[key, "mean"]
    assert searched.screening["kept"].sum() == len(searched.table) < 128


def test_declared_approaches_are_always_confirmed(small, searched):
    named = searched.table[searched.table["declared"] != ""]
    assert set(named["declared"]) == set(APPROACHES)


def test_nesting_names_the_declared_approaches_inside_a_portfolio(searched):
    do_minimum = searched.table.index[searched.table["declared"] == "do_minimum"][0]
    # do minimum = voluntary guidance + information duties
    assert sorted(searched.contains(do_minimum)) == ["do_minimum", "voluntary_guidance"]
    assert "screened exactly on the first 512 draws" in searched.describe()


def test_marginal_values_are_every_pairs_difference_in_either_layout(searched):
    screen = searched.screen
    index = {frozenset(c): j for j, c in enumerate(screen.combos)}
    nb = screen.net_benefit
    rows = [
        (screen.keys[j], i, nb[:, g].mean() - nb[:, j].mean(), (nb[:, g] > nb[:, j]).mean())
        for i in sorted({i for c in screen.combos for i in c})
        for j, c in enumerate(screen.combos)
        if i not in c and (g := index.get(frozenset(c) | {i})) is not None
    ]
    for table in (nb, np.asfortranarray(nb)):  # row- and column-major screens
        got = dataclasses.replace(screen, net_benefit=table).marginal_values()
        assert list(zip(got["portfolio"], got["instrument"], strict=True)) == [r[:2] for r in rows]
        assert got["prob_positive"].tolist() == [r[3] for r in rows]
        scale = float(np.abs(nb).max())  # means of different summation orders
        assert got["marginal_mean"].to_numpy() == pytest.approx(
            [r[2] for r in rows], abs=1e-12 * scale
        )


def test_mix_of_names_the_papers_options():
    from model.study.portfolios import mix_of

    assert mix_of(()) == ""
    assert mix_of(("liability", "tamper_resistance")) == "B+C"
    assert mix_of(("adaptive", "voluntary_guidance", "liability")) == "A+C"
    assert mix_of(("service_enforcement", "hosting_duties")) == "A+B"
    with pytest.raises(ValueError, match="belongs to no option"):
        mix_of(("teleportation",))


def test_mixes_answer_the_papers_question_with_each_mix_best_portfolio(exact, searched):
    mixes = searched.mixes()
    # 3 options: 2**3 mixes, the status quo ("none") included, each with its best portfolio
    assert sorted(mixes.index) == ["A", "A+B", "A+B+C", "A+C", "B", "B+C", "C", "none"]
    np.testing.assert_allclose(mixes["prob_best"].sum(), 1.0)
    for mix, row in mixes.iterrows():
        same = exact.table[exact.table["mix"] == ("" if mix == "none" else mix)]
        assert row["mean"] == same["mean"].max()  # the exact best of that mix, to the bit
    assert mixes.loc["none", "mean"] == 0.0
    evpi, top = searched.mix_voi(top=3)
    assert evpi > 0 and len(top) == 3 and (top["evppi"] <= evpi * (1 + 1e-9)).all()


def test_the_best_portfolio_joins_the_declared_approaches(small, searched):
    params = with_best_portfolio(small, searched)
    res = model.simulate(params, n=2048, rng=3)
    if searched.table["declared"].iloc[0]:  # already declared: nothing added
        assert BEST not in res.approaches
        return
    assert res.approaches[-1] == BEST
    j = res.approaches.index(BEST)
    # the same draws and instruments: the same mean as the search confirmed
    assert res.net_benefit[:, j].mean() == pytest.approx(searched.table["mean"].iloc[0], rel=1e-9)
    assert set(res.regulation.approaches[j].instruments) == set(
        searched.instruments_of(searched.best)
    )


def test_a_run_reuses_the_searchs_draws_bit_for_bit(small, searched):
    """The search samples the run's draws; a run given them reads them instead of sampling
    again, and its every table equals a run that samples its own."""
    params = with_best_portfolio(small, searched)
    fresh = model.simulate(params, n=2048, rng=3, chunk_size=512)
    reused = model.simulate(params, n=2048, rng=3, chunk_size=512, draws=searched.draws)
    assert reused.draws is searched.draws
    np.testing.assert_array_equal(reused.draws, fresh.draws)
    for field in dataclasses.fields(fresh.outcomes):
        a, b = getattr(reused.outcomes, field.name), getattr(fresh.outcomes, field.name)
        np.testing.assert_array_equal(a, b, err_msg=field.name)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rng": 4}, "first row differs"),
        ({"n": 1024}, "must have shape"),
        ({"keep": "summary"}, "serial runs that keep draws"),
    ],
)
def test_draws_from_another_run_are_refused(small, searched, kwargs, message):
    with pytest.raises(ValueError, match=message):
        model.simulate(small, **({"n": 2048, "rng": 3} | kwargs), draws=searched.draws)


def test_confirming_on_a_runs_draws_equals_confirming_alone(small):
    """The confirmation reads a run's draws instead of sampling them again: the same table and
    net benefit bit for bit (one method for every portfolio, so ties stay exact)."""
    screening = screen_portfolios(small, n=2048, rng=3, screen_n=512)
    alone = confirm_portfolios(screening)
    res = model.simulate(with_best_portfolio(small, screening), n=2048, rng=3)
    on_run = confirm_portfolios(screening, res.draws)
    assert on_run.draws is res.draws
    np.testing.assert_array_equal(on_run.draws, alone.draws)
    np.testing.assert_array_equal(on_run.net_benefit, alone.net_benefit)
    pd.testing.assert_frame_equal(on_run.table, alone.table, check_exact=True)
    with pytest.raises(ValueError, match="first row differs"):
        confirm_portfolios(screening, model.simulate(small, n=2048, rng=4).draws)


def test_parameters_with_the_best_portfolio_travel_to_worker_processes(small, searched):
    """A run on an executor pickles its parameters: the added approach must pickle too."""
    params = with_best_portfolio(small, searched)
    assert BEST in params.structure["approaches"]
    back = pickle.loads(pickle.dumps(params))
    assert back.structure == params.structure
    assert list(back.structure["approaches"]) == list(params.structure["approaches"])
    # a plain dict of mapping proxies inside the structure (as a caller may build) pickles too
    nested = dict(params.structure["approaches"])
    mixed = replace(params, structure=MappingProxyType({"approaches": nested}))
    assert pickle.loads(pickle.dumps(mixed)).structure == mixed.structure
