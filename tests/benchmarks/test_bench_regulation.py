"""Domain-model throughput: ``evaluate`` on one 8,192-draw chunk, and the whole pipeline
at n = 1e5 and 1e6, warm and in a fresh process.

Run ``pytest tests/benchmarks/test_bench_regulation.py --benchmark-enable`` (add
``--benchmark-timer time.process_time`` for CPU time on a shared machine); with the default
``--benchmark-disable`` each case runs once, ``simulate`` on 4,096 draws, as a smoke test.
``extra_info["draws_per_s"]`` is draws over the median round.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import model
from model.regulation import build_model, evaluate
from model.study.runtime import tune_allocator

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


@pytest.mark.parametrize("n", [100_000, 1_000_000])
def test_bench_simulate(benchmark, params, n):
    """The whole pipeline (sampling + every approach + the result tables) at the issue's two
    sizes, the inverse-CDF tables already built."""
    n = n if benchmark.enabled else 4096
    model.simulate(params, n=16, rng=1)  # build the inverse-CDF tables outside the timing
    rounds = 5 if n <= 100_000 else 2
    out = benchmark.pedantic(
        model.simulate, args=(params,), kwargs={"n": n, "rng": 1}, rounds=rounds, iterations=1
    )
    assert out.n == n
    if benchmark.enabled:
        benchmark.extra_info["draws_per_s"] = n / benchmark.stats.stats.median


FRESH = """
import time, model
started = time.process_time()
model.simulate(model.load_params({path!r}), n={n}, rng=1)
print(time.process_time() - started)
"""


@pytest.mark.parametrize("n", [100_000, 1_000_000])
def test_bench_simulate_fresh_process(benchmark, n):
    """What a first run in a new process costs: loading, building the tables, simulating."""
    n = n if benchmark.enabled else 4096
    code = FRESH.format(path=str(BASELINE), n=n)

    def run():
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return float(done.stdout)

    seconds = benchmark.pedantic(run, rounds=3 if benchmark.enabled else 1, iterations=1)
    if benchmark.enabled:
        benchmark.extra_info["cpu_seconds_last"] = seconds
        benchmark.extra_info["draws_per_s"] = n / benchmark.stats.stats.median
