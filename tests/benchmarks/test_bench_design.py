"""Threshold optimisation: 50 thresholds on common random numbers (issue target: < 10 s at 1e5).

Run with ``pytest tests/benchmarks/test_bench_design.py --benchmark-enable``; in the normal suite
(benchmarks disabled) it runs once at a small n as a smoke test.
"""

from pathlib import Path

import pytest

import model
from model.study.design import optimise_threshold
from model.study.runtime import tune_allocator

SCENARIO = Path(__file__).resolve().parents[2] / "params" / "baseline.toml"


@pytest.fixture(scope="module")
def params():
    tune_allocator()
    return model.load_params(SCENARIO)


def test_optimise_threshold_50_values(benchmark, params):
    n = 100_000 if benchmark.enabled else 2_000
    result = benchmark.pedantic(
        optimise_threshold, args=(params,), kwargs={"n": n, "rng": 1}, rounds=3, iterations=1
    )
    assert result.thresholds.size == 50
    assert result.optimum is not None
