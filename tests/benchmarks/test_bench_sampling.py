"""Sampling throughput: 1e6 draws x 50 parameters (every family, 4 correlated pairs).

Run with ``pytest tests/benchmarks/test_bench_sampling.py --benchmark-enable``; values per second
= n * 50 / median time. Requirement: >= 20 million parameter-values per second per core.
"""

from pathlib import Path

import numpy as np
import pytest

from model.inputs.paramfiles import load_params
from model.inputs.sampling import sample

PARAMS = load_params(Path(__file__).parents[1] / "data" / "params" / "bench50.toml")


def _n(benchmark, full):
    return full if benchmark.enabled else 4096


@pytest.mark.parametrize("design", ["random", "sobol", "lhs"])
def test_bench_sample(benchmark, design):
    n = _n(benchmark, 1_000_000)
    d = benchmark.pedantic(
        sample, args=(PARAMS, n), kwargs={"design": design, "rng": 1}, rounds=3, iterations=1
    )
    assert d.values.shape == (n, 50)
    benchmark.extra_info["M_values_per_s"] = (
        n * 50 / benchmark.stats.stats.median / 1e6 if (benchmark.enabled) else None
    )


def _naive(n):
    """Baseline: frozen scipy.stats ppf per column on a whole (n, d) uniform array."""
    u = np.random.default_rng(1).random((n, len(PARAMS.names)))
    out = np.empty_like(u)
    for j, name in enumerate(PARAMS.names):
        dist = PARAMS[name].dist
        ref = dist.to_scipy() or dist
        out[:, j] = ref.ppf(u[:, j]) if not dist.is_fixed else dist.value
    return out


def test_bench_naive_scipy(benchmark):
    n = _n(benchmark, 100_000)
    out = benchmark.pedantic(_naive, args=(n,), rounds=3, iterations=1)
    assert out.shape == (n, 50)
    if benchmark.enabled:
        benchmark.extra_info["M_values_per_s"] = n * 50 / benchmark.stats.stats.median / 1e6
