"""Threshold design: the optimum of a small analytic case, the EU rule, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr
from tiny_world import TINY_STRUCTURE, write_tiny

import model
from model.errors import ParamFileError
from model.report import figures
from model.study.design import optimise_threshold

COMPUTE = TINY_STRUCTURE.replace("horizon_years = 2", 'horizon_years = 1\nthreshold = "compute"')
# NB(tau) = H e rho_T(tau) - N K s_T(tau) with full compliance and no entry response, so
# dNB/dk = 0 at k* = a/2 - ln(B/C)/a, a = correlation x dispersion (docs/model.md, section 2).
ANALYTIC = {
    "leakage": 0.0,
    "h_malicious": 0.0,
    "h_open": 0.0,
    "elasticity": 0.0,
    "cost_oneoff": 0.0,
    "capacity": 1e15,
    "cost_per_audit": 0.0,
    "reg_per_entity": 0.0,
    "penalty": 1e9,
    "voluntary": 0.0,  # every complier is the rule's (additionality)
    "threshold_compute": 1 / 3,
    "compute_median": 1e-3,
    "compute_gsd": math.e**2,
    "compute_drift": 0.0,
    "risk_dispersion": 2.0,
    "compute_risk_correlation": 0.75,
}
B, C, A, SIGMA = 1e6 * 0.5, 1000 * 100.0, 0.75 * 2.0, 2.0


def analytic_params(tmp_path, **extra):
    return model.load_params(write_tiny(tmp_path, COMPUTE, **ANALYTIC, **extra))


def tau(k: float) -> float:
    return math.exp(math.log(1e-3) + SIGMA * k)


def test_optimum_matches_the_closed_form(tmp_path):
    d = optimise_threshold(analytic_params(tmp_path), approach="targeted", n=64, rng=1)
    k_star = A / 2 - math.log(B / C) / A
    assert d.optimum == pytest.approx(tau(k_star), rel=2e-3)
    expected = B * ndtr(A - k_star) - C * ndtr(-k_star)
    assert d.optimum_value == pytest.approx(expected, rel=1e-6)
    # the EU one-third rule sits on the same curve
    k_eu = (math.log(1 / 3) - math.log(1e-3)) / SIGMA
    assert d.reference_value == pytest.approx(B * ndtr(A - k_eu) - C * ndtr(-k_eu), rel=1e-9)
    assert d.expected_loss == pytest.approx(0.0, abs=1e-6 * B)  # no uncertainty: nothing to learn


def test_cap_on_exceedance_binds_at_the_boundary(tmp_path):
    # residual 1e6 (1 - 0.5 rho_T) <= 0.515 x the status quo's 1e6 needs rho_T >= 0.97,
    # i.e. k <= A - ndtri(0.97)
    params = analytic_params(tmp_path, h_acceptable=0.515)
    d = optimise_threshold(params, approach="targeted", n=64, rng=1, max_exceed_prob=0.0)
    from scipy.special import ndtri

    assert d.optimum == pytest.approx(tau(A - ndtri(0.97)), rel=1e-2)
    assert d.optimum < tau(A / 2 - math.log(B / C) / A)
    assert np.all(d.prob_exceeds[d.feasible] == 0.0)


def test_curve_agrees_with_simulate_on_common_random_numbers(baseline_params):
    params = baseline_params
    d = optimise_threshold(params, thresholds=[0.01, 0.1, 1 / 3], n=2048, rng=4, refine=False)
    res = model.simulate(params.replace(threshold_compute=0.1), n=2048, rng=4)
    j = res.approaches.index("targeted_downstream")
    assert d.expected_net_benefit[1] == pytest.approx(res.net_benefit[:, j].mean(), rel=1e-12)
    assert d.draw_optima.shape == (2048,)
    assert set(np.unique(d.draw_optima)) <= set(d.thresholds)
    assert "EU rule" in d.describe()
    assert len(figures.threshold_curve(d)["data"]) >= 3


def test_curve_on_a_sobol_runs_own_draws_is_the_same(baseline_params):
    # the rule design reuses the run's first draws: a Sobol sequence's first points do not
    # depend on its length, so they are the curve's own
    res = model.simulate(baseline_params, n=2048, rng=4, design="sobol")
    kw = {"thresholds": [0.01, 0.1, 1 / 3], "n": 1024, "rng": 4, "refine": False}
    sampled = optimise_threshold(baseline_params, **kw)
    reused = optimise_threshold(baseline_params, draws=res.draws[:1024], **kw)
    assert np.array_equal(sampled.expected_net_benefit, reused.expected_net_benefit)
    assert np.array_equal(sampled.prob_exceeds, reused.prob_exceeds)
    with pytest.raises(ValueError, match="must have shape"):  # fewer draws than n
        optimise_threshold(baseline_params, draws=res.draws[:512], **kw)
    with pytest.raises(ValueError, match="first row differs"):  # another part of the run
        optimise_threshold(baseline_params, draws=res.draws[1024:], **kw)


def test_bad_input(tmp_path):
    params = analytic_params(tmp_path)
    with pytest.raises(ValueError, match=r"thresholds must be at least two values in \(0, 1\]"):
        optimise_threshold(params, approach="targeted", thresholds=[0.1, 2.0], n=16)
    with pytest.raises(ValueError, match=r"thresholds must be at least two values"):
        optimise_threshold(params, approach="targeted", thresholds=[0.1], n=16)
    with pytest.raises(ValueError, match=r"unknown approach 'nope'; use one of"):
        optimise_threshold(params, approach="nope", n=16)
    with pytest.raises(ValueError, match=r"max_exceed_prob must lie in \[0, 1\]"):
        optimise_threshold(params, approach="targeted", n=16, max_exceed_prob=1.5)
    share = model.load_params(write_tiny(tmp_path, TINY_STRUCTURE))
    with pytest.raises(ParamFileError, match=r"\[settings\.threshold\]: threshold design needs a"):
        optimise_threshold(share, approach="targeted", n=16)
