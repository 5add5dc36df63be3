"""analyse() on a small synthetic linear results object with known answers."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from model.study.analyse import Analysis, analyse, expert_evppi


def _results(n=4096, seed=0):
    names = ["a", "b", "c"]
    lo, hi = np.array([0.0, 0.0, 0.0]), np.array([2.0, 1.0, 1.0])
    params = SimpleNamespace(
        names=names,
        uncertain_names=names,
        transform=lambda u: lo + np.asarray(u) * (hi - lo),
        parameters={
            n: SimpleNamespace(dist=stats.uniform(lo_, h - lo_))
            for n, lo_, h in zip(names, lo, hi, strict=True)
        },
    )

    def costs_effects(x):
        # option 0: status quo; option 1: cost b, effect a; option 2: cost 0.5, effect 0.6 + 0.1c
        c = np.column_stack([np.zeros(len(x)), x[:, 1], np.full(len(x), 0.5)])
        e = np.column_stack([np.zeros(len(x)), x[:, 0], 0.6 + 0.1 * x[:, 2]])
        return c, e

    def evaluate(x):
        c, e = costs_effects(np.asarray(x, float))
        return e - c

    x = params.transform(np.random.default_rng(seed).random((n, 3)))
    c, e = costs_effects(x)
    return SimpleNamespace(
        approaches=("status_quo", "one", "two"),
        net_benefit=e - c,
        costs=c,
        effects=e,
        inputs=pd.DataFrame(x, columns=names),
        params=params,
        evaluate=evaluate,
    )


def test_analyse_linear_known_answers():
    res = _results()
    out = analyse(res, sobol_n=256, rng=1)
    assert isinstance(out, Analysis)
    # E[nb] = (0, 1 - 0.5, 0.6 + 0.05 - 0.5) = (0, 0.5, 0.15)
    np.testing.assert_allclose(out.summary["mean"], [0.0, 0.5, 0.15], atol=0.03)
    assert out.summary["prob_best"].idxmax() == "one"
    np.testing.assert_allclose(out.summary["prob_best"].sum(), 1.0)
    np.testing.assert_allclose(out.evpi, out.summary["expected_loss"].min(), rtol=1e-12)
    assert out.ceac.shape == (61, 3)  # the one weight grid, 0 to 3 in steps of 0.05
    np.testing.assert_allclose(out.ceac.loc[0.0, "status_quo"], 1.0)  # weight 0: costs only
    # leading pair: one - two = a - b - 0.1 - 0.1 c ; tornado swing a > b > c
    assert list(out.tornado["parameter"]) == ["a", "b", "c"]
    np.testing.assert_allclose(out.tornado["swing"], [1.8, 0.9, 0.09], rtol=1e-9)
    # Sobol on the difference: variances 4/12, 1/12, 0.01/12 of uniform(0,2), U(0,1), 0.1*U
    s1 = out.sobol.xs("one - two", level="output")["S1"]
    np.testing.assert_allclose(s1, np.array([4, 1, 0.01]) / 5.01, atol=0.05)
    # switching: at medians one leads (1 - 0.5 = 0.5 vs 0.15); one = two when a - 0.5 = 0.15
    sw = out.switching_values.set_index("parameter")
    np.testing.assert_allclose(sw.loc["a", "switching_value"], 0.65, atol=1e-6)
    assert out.evppi.index[0] == "a"
    assert set(out.convergence["series"]) >= {"status_quo", "one", "two"}
    assert out.icers["status"].iloc[0] == "ND"


POOLS = """
title = "two pooled parameters"
[parameters.x]
description = "Uplift"
unit = "share"
kind = "real"
source = "test"
dist = "pool"
method = "linear"
[[parameters.x.experts]]
name = "Optimist"
weight = 0.5
dist = "uniform"
low = 0.0
high = 1.0
[[parameters.x.experts]]
name = "Pessimist"
weight = 0.5
dist = "uniform"
low = 2.0
high = 3.0
[parameters.y]
description = "Agreed"
unit = "share"
kind = "real"
source = "test"
dist = "pool"
method = "linear"
[[parameters.y.experts]]
name = "C"
weight = 0.3
dist = "uniform"
low = 0.0
high = 1.0
[[parameters.y.experts]]
name = "D"
weight = 0.7
dist = "uniform"
low = 0.5
high = 2.0
"""


def _pooled_results(tmp_path, n=4096):
    """NB(b) = x - 1.4: under Optimist (x in [0, 1]) the status quo is best, under Pessimist
    (x in [2, 3]) b; y is pooled but does not enter the net benefit."""
    import model

    path = tmp_path / "pools.toml"
    path.write_text(POOLS, encoding="utf-8")
    params = model.load_params(path)
    inputs = model.sample(params, n=n, rng=3).to_frame()

    def evaluate(x):
        x = np.asarray(x, float)
        return np.column_stack([np.zeros(len(x)), x[:, 0] - 1.4])

    nb = evaluate(inputs[["x", "y"]].to_numpy())
    return SimpleNamespace(
        approaches=("status_quo", "b"),
        net_benefit=nb,
        costs=np.zeros_like(nb),
        effects=nb,
        inputs=inputs,
        params=params,
        evaluate=evaluate,
    )


def test_expert_evppi_two_experts_known_answer(tmp_path):
    res = _pooled_results(tmp_path)
    out = analyse(res, sobol_n=0, rng=1)
    e = out.experts
    assert list(e.index) == ["x", "y"]
    assert e.loc["x", "experts"] == ("Optimist", "Pessimist")
    assert e.loc["x", "best_by_expert"] == ("status_quo", "b")
    # exactly the group-mean formula on these draws (experts' supports do not overlap)
    nb, pess = res.net_benefit, res.inputs["x"].to_numpy() > 1.5
    exact = (
        pess.mean() * max(0.0, nb[pess, 1].mean())
        + (~pess).mean() * max(0.0, nb[~pess, 1].mean())
        - max(0.0, nb[:, 1].mean())
    )
    np.testing.assert_allclose(e.loc["x", "evppi"], exact, rtol=1e-12)
    # analytic: 0.5 * max(0, -0.9) + 0.5 * max(0, 1.1) - max(0, 0.1) = 0.45; the expert
    # decides the choice in every draw, so this is all of EVPI = E[max(0, x - 1.4)] - 0.1
    np.testing.assert_allclose(e.loc["x", "evppi"], 0.45, atol=0.01)
    np.testing.assert_allclose(e.loc["x", "evppi"], out.evpi, rtol=1e-9)
    np.testing.assert_allclose(e.loc["x", "share_of_evpi"], 1.0, rtol=1e-9)
    assert e.loc["x", "noise"] < 0.01  # relabelled at random, the experts are worth ~nothing
    # y: both experts lead to b, so knowing which is right is worth exactly nothing
    assert e.loc["y", "best_by_expert"] == ("b", "b")
    assert e.loc["y", "evppi"] == 0.0
    # the earlier tables do not move when the expert analysis is added (drawn last)
    assert out.evppi.index[0] == "x"


def test_expert_evppi_rejects_bad_indicators():
    with pytest.raises(ValueError, match="need 4 non-negative integers"):
        expert_evppi(np.zeros((4, 2)), pd.DataFrame({"x": [0, 1, -1, 0]}))


def test_no_pools_no_expert_table():
    assert analyse(_results(n=512), sobol_n=0, one_way=False).experts is None


def test_bio_expert_pool_scenario_runs():
    from pathlib import Path

    import model

    root = Path(__file__).resolve().parents[1]
    params = model.load_params(
        root / "params" / "baseline.toml",
        scenarios=[root / "params" / "scenarios" / "bio_expert_pool.toml"],
    )
    res = model.simulate(params, n=512, rng=2)
    out = analyse(res, sobol_n=0, one_way=False, rng=1)
    e = out.experts
    assert list(e.index) == ["bio_uplift_probability"]
    assert e.loc["bio_uplift_probability", "experts"] == (
        "Forecasters (FRI/GovAI 2025)",
        "Red team (RAND 2024)",
    )
    assert 0.0 <= e.loc["bio_uplift_probability", "evppi"] <= out.evpi
    assert len(e.loc["bio_uplift_probability", "best_by_expert"]) == 2
    np.testing.assert_allclose(sum(e.loc["bio_uplift_probability", "prob_expert"]), 1.0)


def test_analyse_stores_ranking_drivers_headline_and_evsi():
    res = _results(n=8192)
    out = analyse(res, sobol_n=0, rng=1)
    # the leading pair's margin is a - b - 0.1 - 0.1 c: a, then b, then c
    assert list(out.global_ranking.index[:2]) == ["a", "b"]
    assert out.global_ranking.attrs["agreement"] >= 0.8
    assert out.drivers.index[0] == "a" and "a" in out.drivers.attrs["sentence"]
    assert out.headline.attrs["decision"] == "one - two"
    pair = res.net_benefit[:, [1, 2]]
    np.testing.assert_allclose(out.headline.loc["(all inputs)", "evppi"], _evpi(pair))
    assert out.headline.index[1] == "a" and not out.headline.loc["a", "within_noise"]
    # a study of a (uniform on [0, 2]: positive, so measured on the log scale)
    assert out.evsi.attrs["study"].startswith("study of a")
    assert (out.evsi["evsi"] <= out.headline.loc["a", "evppi"] * 1.05).all()
    np.testing.assert_allclose(out.evsi["cost"], [250_000 + 2_000 * n for n in out.evsi.index])


def _evpi(nb):
    return np.mean(nb.max(axis=1)) - nb.mean(axis=0).max()
