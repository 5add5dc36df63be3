"""Designs, determinism across chunkings and processes, copula accuracy."""

import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from model.inputs.paramfiles import load_params
from model.inputs.sampling import Draws, Sampler, sample

DATA = Path(__file__).parent / "data" / "params"


@pytest.fixture(scope="module")
def params():
    return load_params(DATA / "bench50.toml")


@pytest.mark.parametrize("design", ["random", "lhs", "sobol"])
def test_bit_identical_across_chunk_sizes_and_pickling(params, design):
    n = 12_000
    ref = sample(params, n, design=design, rng=42, chunk_size=n).values
    for c in (1000, 4096, 8192):
        assert np.array_equal(sample(params, n, design=design, rng=42, chunk_size=c).values, ref)
    s = pickle.loads(pickle.dumps(Sampler(params, n, design, 42, 3000)))
    chunks = {b: s.chunk(*b) for b in reversed(s.bounds())}  # any order
    assert np.array_equal(np.concatenate([chunks[b] for b in s.bounds()]), ref)


@pytest.mark.parametrize("design", ["random", "lhs", "sobol"])
def test_draws_in_support_and_finite(params, design):
    d = sample(params, 4096, design=design, rng=1)
    assert isinstance(d, Draws) and d.values.shape == (4096, 50) and not d.values.flags.writeable
    for j, name in enumerate(d.names):
        lo, hi = params[name].dist.support
        assert np.all((d.values[:, j] >= lo) & (d.values[:, j] <= hi)), name
    assert d.column_index("gamma_0") == d.names.index("gamma_0")
    np.testing.assert_array_equal(d["fixed_0"], 3.0)
    assert d.to_frame().shape == (4096, 50)


def test_seed_recorded_and_seedsequence(params):
    d = sample(params, 100, rng=None)
    again = sample(params, 100, rng=d.seed)
    assert np.array_equal(d.values, again.values)
    ss = sample(params, 100, rng=np.random.SeedSequence(7))
    assert np.array_equal(ss.values, sample(params, 100, rng=7).values)
    assert not np.array_equal(ss.values, sample(params, 100, rng=8).values)


def test_lhs_is_stratified(params):
    n = 1000
    s = Sampler(params, n, "lhs", 3)
    u = s.unit(0, n)
    strata = np.floor(u * n).astype(int)
    for row in strata:
        assert np.array_equal(np.sort(row), np.arange(n))


@pytest.mark.parametrize("design", ["random", "lhs", "sobol"])
def test_copula_spearman_achieved(params, design):
    d = sample(params, 100_000, design=design, rng=11)
    for c in params.correlations:
        rho = stats.spearmanr(d[c.a], d[c.b]).statistic
        assert abs(rho - c.rho) < 0.02, (c, rho)


def test_sample_means_match_distribution_means(params):
    d = sample(params, 2**16, design="sobol", rng=5)
    for j, name in enumerate(d.names):
        dist = params[name].dist
        sd = np.sqrt(dist.var())
        assert abs(d.values[:, j].mean() - dist.mean()) <= 0.01 * sd + 1e-12, name


def test_adding_fixed_parameter_keeps_other_draws():
    p = load_params(DATA / "good.toml")
    q = p.replace(horizon=20)
    a, b = sample(p, 500, rng=1), sample(q, 500, rng=1)
    assert np.array_equal(a.values[:, :4], b.values[:, :4])


def test_bad_design():
    p = load_params(DATA / "good.toml")
    with pytest.raises(ValueError, match="design must be one of"):
        sample(p, 10, design="grid", rng=1)
