"""PRIM peeling throughput: 1e5 draws x 50 inputs (requirement: median under 5 s, 2 cores).

Run with ``pytest tests/benchmarks/test_bench_discovery.py --benchmark-enable``.
"""

import numpy as np
import pandas as pd

from model.analysis.discovery import prim


def _data(n, p=50, seed=0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, p)), columns=[f"x{j}" for j in range(p)])
    y = ((x.x0 < 0.3) & (x.x1 > 0.6)).to_numpy() ^ (rng.random(n) < 0.1)
    return x, y


def test_bench_prim(benchmark):
    n = 100_000 if benchmark.enabled else 4096
    x, y = _data(n)
    res = benchmark.pedantic(prim, args=(x, y), rounds=3, iterations=1)
    assert res.n_steps > 10
    if benchmark.enabled:
        benchmark.extra_info["median_s"] = benchmark.stats.stats.median
        assert benchmark.stats.stats.median < 5.0
