"""Domain-model throughput: ``evaluate`` on one 8,192-draw chunk, and the whole pipeline.

Run ``pytest tests/benchmarks/test_bench_regulation.py --benchmark-enable`` (add
``--benchmark-timer time.process_time`` for CPU time on a shared machine); with the default
``--benchmark-disable`` each case runs once, ``simulate`` on 4,096 draws, as a smoke test.
``extra_info["draws_per_s"]`` is draws over the median round.
"""

from pathlib import Path

import numpy as np
import pytest

import model
from model.regulation import build_model, evaluate
from model.runtime import tune_allocator

BASELINE = Path(__file__).resolve().parents[2] / "params" / "baseline.toml"
CHUNK = 8192  # draws per evaluate call (one simulate chunk)


@pytest.fixture(scope="module")
def params():
    tune_allocator()
    return model.load_params(BASELINE)


@pytest.fixture(scope="module")
def values(params):
    """CHUNK draws of every parameter, columns laid out as simulate passes them."""
    unit = np.random.default_rng(1).random((CHUNK, len(params.names)))
    draws = np.asfortranarray(params.transform(unit))
    return {name: draws[:, i] for i, name in enumerate(params.names)}


def test_bench_evaluate(benchmark, params, values):
    regulation = build_model(params)
    evaluate(regulation, values)  # warm the allocator's heap outside the timing
    out = benchmark.pedantic(evaluate, args=(regulation, values), rounds=30, iterations=1)
    assert out.net_benefit.shape == (CHUNK, len(regulation.approaches))
    assert np.isfinite(out.net_benefit).all()
    if benchmark.enabled:
        benchmark.extra_info["draws_per_s"] = CHUNK / benchmark.stats.stats.median


def test_bench_simulate(benchmark, params):
    n = 100_000 if benchmark.enabled else 4096
    model.simulate(params, n=16, rng=1)  # build the inverse-CDF tables outside the timing
    out = benchmark.pedantic(
        model.simulate, args=(params,), kwargs={"n": n, "rng": 1}, rounds=5, iterations=1
    )
    assert out.n == n
    if benchmark.enabled:
        benchmark.extra_info["draws_per_s"] = n / benchmark.stats.stats.median
