"""Benchmarks of the analysis layer against SALib (run with --benchmark-enable).

Ratios asserted: Sobol >= 10x SALib analyze.sobol at d=50, N=2**13; EVPPI for 60 parameters
at n=1e5 under 10 s.
"""

import time

import numpy as np
import pandas as pd
import pytest

from model import sensitivity, voi


def _median_time(fn, repeat=3):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


@pytest.fixture(scope="module")
def sobol_case():
    from SALib.sample import sobol as salib_sample

    d, n = 50, 2**13
    prob = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
    x = salib_sample.sample(prob, n, calc_second_order=False, seed=3)
    a = np.arange(d, dtype=float)
    y = np.prod((np.abs(4 * x - 2) + a) / (1 + a), axis=1)
    return prob, y, d, n


@pytest.mark.slow
def test_bench_sobol_vs_salib(benchmark, sobol_case):
    from SALib.analyze import sobol as salib_sobol

    prob, y, d, n = sobol_case
    ours = benchmark(sensitivity._sobol_indices, y, d, n, False, 100, 0.95, 7)
    t_salib = _median_time(
        lambda: salib_sobol.analyze(prob, y, calc_second_order=False, num_resamples=100, seed=7),
        repeat=1,
    )
    t_ours = _median_time(lambda: sensitivity._sobol_indices(y, d, n, False, 100, 0.95, 7))
    print(f"sobol d=50 N=2^13: SALib {t_salib:.3f}s ours {t_ours:.4f}s x{t_salib / t_ours:.0f}")
    assert t_salib / t_ours >= 10
    assert ours[0].shape == (d,)


@pytest.mark.slow
def test_bench_evppi_60_params_1e5(benchmark):
    rng = np.random.default_rng(0)
    n, p = 100_000, 60
    x = rng.normal(size=(n, p))
    inc = x[:, :5] @ np.array([1.0, 0.5, 0.3, 0.2, 0.1]) + 0.2 * x[:, 5] ** 2 + 0.1
    nb = np.column_stack([np.zeros(n), inc, 0.5 * inc + 0.3 * x[:, 6]])
    inputs = pd.DataFrame(x, columns=[f"p{i}" for i in range(p)])
    table = benchmark.pedantic(voi.evppi, args=(nb, inputs), rounds=1, iterations=1)
    t = _median_time(lambda: voi.evppi(nb, inputs), repeat=1)
    print(f"evppi 60 params n=1e5: {t:.2f}s")
    assert t < 10
    assert table["evppi"].idxmax() == "p0"


@pytest.mark.slow
def test_bench_rbd_fast_vs_salib(benchmark):
    from SALib.analyze import rbd_fast as salib_rbd

    rng = np.random.default_rng(1)
    n = 100_000
    x = rng.random((n, 4))
    y = x[:, 0] + 2 * x[:, 1] ** 2 + x[:, 2] * x[:, 3]
    prob = {"num_vars": 4, "names": list("abcd"), "bounds": [[0, 1]] * 4}
    benchmark.pedantic(sensitivity.rbd_fast, args=(x, y), kwargs={"rng": 4}, rounds=1)
    t_salib = _median_time(lambda: salib_rbd.analyze(prob, x, y, seed=4), repeat=1)
    t_ours = _median_time(lambda: sensitivity.rbd_fast(x, y, rng=4), repeat=1)
    print(f"rbd_fast n=1e5 d=4: SALib {t_salib:.2f}s ours {t_ours:.2f}s x{t_salib / t_ours:.1f}")
