"""Mergeable summaries: sketch accuracy (stated bound), exact merges, Chan moments."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.study.summaries import ALPHA, X_MIN, Moments, QuantileSketch

QS = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)


def _bound(x: np.ndarray, q: float, alpha: float) -> float:
    """The module's stated bound: alpha * max(|x_(k)|, |x_(k+1)|) + X_MIN, k = floor(q (n-1))."""
    s = np.sort(x)
    k = int(np.floor(q * (s.size - 1)))
    return alpha * max(abs(s[k]), abs(s[min(k + 1, s.size - 1)])) + X_MIN


def _mixed(rng, m):
    """Heavy tails of both signs, exact zeros and tiny values, over many orders of magnitude."""
    x = rng.lognormal(20, 3, m) * rng.choice([-1.0, 1.0], m, p=[0.3, 0.7])
    x[rng.random(m) < 0.1] = 0.0
    x[rng.random(m) < 0.02] = 1e-12
    return x


@pytest.mark.parametrize("alpha", [ALPHA, 0.02])
def test_sketch_quantiles_within_stated_relative_accuracy(alpha):
    rng = np.random.default_rng(3)
    x = np.column_stack([_mixed(rng, 20_001), rng.normal(5, 1, 20_001), -rng.pareto(1.5, 20_001)])
    sk = QuantileSketch.of(x, alpha)
    for q in QS:
        est = sk.quantile(q)
        for j in range(x.shape[1]):
            err = abs(est[j] - np.quantile(x[:, j], q))
            assert err <= _bound(x[:, j], q, alpha) * (1 + 1e-12), (q, j, err)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(-1e15, 1e15, allow_nan=False) | st.sampled_from([0.0, -0.0, 1e-10, 1.0]),
        min_size=1,
        max_size=200,
    ),
    st.floats(0.0, 1.0),
)
def test_sketch_bound_holds_for_any_data(values, q):
    x = np.array(values)[:, None]
    est = QuantileSketch.of(x).quantile(q)[0]
    assert abs(est - np.quantile(x[:, 0], q)) <= _bound(x[:, 0], q, ALPHA) * (1 + 1e-12)


def test_sketch_merge_is_exact_in_any_order_and_split():
    rng = np.random.default_rng(1)
    x = np.column_stack([_mixed(rng, 9000), _mixed(rng, 9000)])
    whole = QuantileSketch.of(x)
    a, b, c = QuantileSketch.of(x[:10]), QuantileSketch.of(x[10:5000]), QuantileSketch.of(x[5000:])
    for merged in (a.merge(b).merge(c), c.merge(a.merge(b)), b.merge(c).merge(a)):
        assert merged.lo == whole.lo
        for f in ("pos", "neg", "zero", "skipped"):
            np.testing.assert_array_equal(getattr(merged, f), getattr(whole, f))


def test_sketch_zero_negative_nan_and_empty_series():
    x = np.array([[0.0, -5.0, np.nan], [0.0, -1.0, np.nan], [0.0, -3.0, np.nan]])
    sk = QuantileSketch.of(x)
    np.testing.assert_array_equal(sk.count, [3, 3, 0])
    np.testing.assert_array_equal(sk.skipped, [0, 0, 3])
    med = sk.quantile(0.5)
    assert med[0] == 0.0
    assert abs(med[1] - (-3.0)) <= 3.0 * ALPHA
    assert np.isnan(med[2])
    with pytest.raises(ValueError, match="alpha"):
        QuantileSketch.of(x, alpha=1.5)
    with pytest.raises(ValueError, match="q must be"):
        sk.quantile(1.2)


def test_chan_moments_match_numpy():
    rng = np.random.default_rng(2)
    x = rng.lognormal(10, 2, (30_000, 2, 3))

    class Part:  # the two fields Moments reads
        def __init__(self, part):
            self.net_benefit = part[:, 0]
            self.risk_reduction_by_year = np.zeros((3, 1, 1))

    parts = [Moments.of(x[a:b], Part(x[a:b])) for a, b in [(0, 7), (7, 8192), (8192, 30_000)]]
    m = parts[0].merge(parts[1]).merge(parts[2])
    assert m.count == 30_000
    np.testing.assert_allclose(m.mean, x.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(m.m2 / (m.count - 1), x.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(m.mean_max, x[:, 0].max(axis=1).mean(), rtol=1e-13)
