"""The best-portfolio search: screening then confirmation on common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

import model
from model.study.portfolios import search_portfolios


@pytest.fixture(scope="module")
def exact(baseline_params):
    """Every portfolio on every draw: the reference the search is checked against."""
    return search_portfolios(baseline_params, n=2048, rng=3, screen_n=2048)


@pytest.fixture(scope="module")
def searched(baseline_params):
    return search_portfolios(baseline_params, n=2048, rng=3, screen_n=512)


def test_exact_search_is_the_full_factorial(baseline_params, exact):
    regulation = model.simulate(baseline_params, n=16, rng=0).regulation
    # 6 instruments, at most one of the three downstream obligations: 4 x 2**3 portfolios
    assert len(regulation.portfolio_combinations()) == 32
    assert exact.exact and len(exact.table) == 32 and exact.screening["kept"].all()
    full = model.simulate(baseline_params, n=2048, rng=3, portfolios=True)
    means = dict(zip(full.approaches, full.net_benefit.mean(axis=0), strict=True))
    np.testing.assert_array_equal(exact.table["mean"], [means[k] for k in exact.table.index])
    assert exact.best == max(means, key=means.get)
    np.testing.assert_allclose(exact.table["prob_best"].sum(), 1.0)


def test_screening_finds_the_exact_best_on_the_same_draws(exact, searched):
    assert not searched.exact and searched.n_screen == 512
    assert searched.best == exact.best
    # common random numbers: a confirmed portfolio's mean equals its exact mean to the bit
    for key in searched.table.index:
        assert searched.table.loc[key, "mean"] == exact.table.loc[key, "mean"]
    assert searched.screening["kept"].sum() == len(searched.table) < 32


def test_declared_approaches_are_always_confirmed(baseline_params, searched):
    declared = model.simulate(baseline_params, n=16, rng=0).approaches
    assert set(declared) <= set(searched.table["declared"]) | {""}
    named = searched.table[searched.table["declared"] != ""]
    assert set(named["declared"]) == set(declared)


def test_nesting_names_the_declared_approaches_inside_a_portfolio(searched):
    combined = searched.table.index[searched.table["declared"] == "combined"][0]
    # combined = upstream controls + targeted obligation + liability
    assert sorted(searched.contains(combined)) == [
        "combined",
        "liability",
        "targeted_downstream",
        "upstream_mitigation",
    ]
    assert "screened on the first 512 draws" in searched.describe()


def test_mix_of_names_the_papers_options():
    from model.study.portfolios import mix_of

    assert mix_of(()) == ""
    assert mix_of(("liability", "upstream_controls")) == "B+C"
    assert mix_of(("adaptive", "voluntary_guidance", "liability")) == "A+C"
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
