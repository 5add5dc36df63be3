"""Portfolios: the exact factorial of the declared instruments and the screened search, at the
default run's n = 65,536 (issue 13 target: up to 1,024 portfolios exact in under 60 s on one
core; the baseline has 6,144; report draw-portfolios per second). Screening shares work between
portfolios (model.regulation.factorial); the leaders are confirmed by full evaluation.

Run with ``pytest tests/benchmarks/test_bench_portfolios.py --benchmark-enable``; in the normal
suite (benchmarks disabled) each runs once at a small n as a smoke test.
"""

from pathlib import Path

import pytest

import model
from model.study.portfolios import search_portfolios
from model.study.runtime import tune_allocator

BASELINE = Path(__file__).resolve().parents[2] / "params" / "baseline.toml"


@pytest.fixture(scope="module")
def params():
    tune_allocator()
    return model.load_params(BASELINE)


@pytest.mark.parametrize("screen_n", [None, 4096], ids=["exact", "screened"])
def test_portfolio_search(benchmark, params, screen_n):
    n = 65_536 if benchmark.enabled else 1_024
    found = benchmark.pedantic(
        search_portfolios,
        args=(params,),
        kwargs={"n": n, "rng": 1, "screen_n": n if screen_n is None else min(screen_n, n // 2)},
        rounds=3,
        iterations=1,
    )
    portfolios = len(found.screening)
    if benchmark.enabled:
        rate = portfolios * n / benchmark.stats.stats.median
        benchmark.extra_info["draw_portfolios_per_s"] = rate
        print(f"\n{portfolios} portfolios x {n:,} draws: {rate:,.0f} draw-portfolios/s")
    assert found.best in found.table.index
