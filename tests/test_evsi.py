"""Known answers for model.analysis.evsi: the normal-normal and beta-binomial conjugate cases."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from model import evsi, voi
from model.analysis.decision import AnalysisInputError


def normal_normal_evsi(a, b, mu0, s0, s, n):
    """EVSI with a normal prior, normal likelihood and linear net benefit, in closed form.

    Two options with incremental net benefit INB = a + b theta, prior theta ~ N(mu0, s0^2),
    and a study of n observations x_i ~ N(theta, s^2), summarised by their mean xbar. The
    posterior mean is E[theta | xbar] = mu0 + w (xbar - mu0), w = s0^2 / (s0^2 + s^2 / n);
    before the study xbar ~ N(mu0, s0^2 + s^2 / n), so the posterior mean is
    N(mu0, w s0^2) (the preposterior distribution) and E[INB | xbar] ~ N(m, v^2) with
    m = a + b mu0, v = |b| s0 sqrt(w). Then EVSI = E max(0, E[INB | xbar]) - max(0, m), and
    for Z ~ N(m, v^2), E max(0, Z) = m Phi(m / v) + v phi(m / v), so
    EVSI = v phi(m / v) - |m| Phi(-|m| / v) (the unit normal loss; Ades et al. 2004).
    As n -> infinity, w -> 1 and this is the EVPI/EVPPI of theta; as n -> 0 it goes to 0.
    """
    w = s0**2 / (s0**2 + s**2 / n)
    m, v = a + b * mu0, abs(b) * s0 * np.sqrt(w)
    return v * stats.norm.pdf(m / v) - abs(m) * stats.norm.cdf(-abs(m) / v)


@pytest.fixture(scope="module")
def normal_case():
    g = np.random.default_rng(11)
    n = 100_000
    theta = g.normal(0.2, 1.0, n)
    other = g.normal(0.0, 1.0, n)  # a second uncertain input the study does not measure
    nb = np.column_stack([np.zeros(n), -0.3 + 1.5 * theta + 2.0 * other])
    return nb, pd.DataFrame({"theta": theta, "other": other})


@pytest.mark.parametrize("size", [1, 4, 16, 100])
def test_normal_normal_closed_form(normal_case, size):
    nb, inputs = normal_case
    study = evsi.Study((evsi.Measure("theta", "normal", sd=2.0),))
    got, se = evsi.evsi(nb, inputs, study, size, rng=5)
    # E[INB | xbar] = -0.3 + 1.5 E[theta | xbar] (other has mean 0 and is not learnt)
    want = normal_normal_evsi(-0.3, 1.5, 0.2, 1.0, 2.0, size)
    assert abs(got - want) < max(0.02 * want, 3 * se), (got, want, se)


def test_evsi_tends_to_evppi_and_enbs_optimum(normal_case):
    nb, inputs = normal_case
    study = evsi.Study(
        (evsi.Measure("theta", "normal", sd=2.0),), cost_fixed=0.05, cost_per_unit=1e-4
    )
    table = evsi.enbs(nb, inputs, study, [1, 10, 100, 1000, 100_000], rng=1)
    ev = voi.evppi(nb, inputs[["theta"]])["evppi"].iloc[0]
    assert table["evsi"].is_monotonic_increasing
    assert table["evsi"].iloc[-1] == pytest.approx(ev, rel=0.03)
    assert (table["evsi"] <= ev * 1.02).all()
    # closed form ENBS over the grid has its maximum at n = 100
    want = [normal_normal_evsi(-0.3, 1.5, 0.2, 1.0, 2.0, s) - 0.05 - 1e-4 * s for s in table.index]
    assert table.attrs["optimal_n"] == table.index[int(np.argmax(want))] == 100
    np.testing.assert_allclose(table["enbs"], want, atol=0.01)


def test_beta_binomial_exact():
    """Share p ~ Beta(2, 6), INB = -0.2 + p (linear), survey of n yes/no answers.

    E[p | y] = (2 + y) / (8 + n) is linear in y ~ BetaBinomial(n, 2, 6), so
    EVSI = sum_y P(y) max(0, -0.2 + E[p | y]) - max(0, -0.2 + E[p]) exactly.
    """
    g = np.random.default_rng(3)
    p = g.beta(2, 6, 100_000)
    nb = np.column_stack([np.zeros_like(p), -0.2 + p])
    study = evsi.Study((evsi.Measure("p", "binomial"),))
    for size in (5, 50):
        y = np.arange(size + 1)
        pmf = stats.betabinom.pmf(y, size, 2, 6)
        want = (pmf * np.maximum(0, -0.2 + (2 + y) / (8 + size))).sum() - max(0, -0.2 + 0.25)
        got, se = evsi.evsi(nb, pd.DataFrame({"p": p}), study, size, rng=2)
        assert abs(got - want) < max(0.03 * want, 3 * se), (size, got, want)


def test_two_measures_and_bad_studies(normal_case):
    nb, inputs = normal_case
    both = evsi.Study(
        (evsi.Measure("theta", "normal", sd=2.0), evsi.Measure("other", "normal", sd=2.0))
    )
    one = evsi.Study((evsi.Measure("theta", "normal", sd=2.0),))
    assert evsi.evsi(nb, inputs, both, 50, rng=0)[0] > evsi.evsi(nb, inputs, one, 50, rng=0)[0]
    with pytest.raises(AnalysisInputError):
        evsi.Measure("theta", "poisson")
    with pytest.raises(AnalysisInputError):
        evsi.study_statistics(evsi.Study((evsi.Measure("theta", "binomial"),)), inputs, 10)
    with pytest.raises(AnalysisInputError):
        evsi.study_statistics(one, inputs, 0)
