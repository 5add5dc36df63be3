"""simulate: draws vs summary mode, task grouping, memory bound, per-draw loop agreement."""

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from model import decision
from model.inputs.paramfiles import load_params
from model.regulation import Outcomes, evaluate
from model.study.simulate import Results, SummaryResults, simulate
from model.study.summaries import ALPHA, X_MIN

PARAMS = load_params(Path(__file__).parents[1] / "params" / "baseline.toml")
N = 20_000


@pytest.fixture(scope="module")
def both():
    kw = {"n": N, "rng": 7, "design": "sobol", "chunk_size": 4096}
    return simulate(PARAMS, **kw), simulate(PARAMS, keep="summary", **kw)


def _quantile_bound(x: np.ndarray, q: float) -> np.ndarray:
    """Per column: ALPHA * max(|x_(k)|, |x_(k+1)|) + X_MIN (see model.study.summaries)."""
    s = np.sort(x, axis=0)
    k = int(np.floor(q * (s.shape[0] - 1)))
    return ALPHA * np.maximum(abs(s[k]), abs(s[min(k + 1, s.shape[0] - 1)])) + X_MIN


def test_summary_mode_equals_draws_mode(both):
    full, summ = both
    assert isinstance(full, Results) and isinstance(summ, SummaryResults)
    assert summ.approaches == full.approaches and summ.n == full.n == N
    a, b = full.summary(), summ.summary()
    assert list(a.columns) == list(b.columns) == [
        "mean", "median", "p05", "p95", "mcse", "prob_best"
    ]  # fmt: skip
    scale = np.abs(full.net_benefit).mean(axis=0)  # status quo is exactly 0
    for col in ("mean", "mcse"):
        np.testing.assert_allclose(b[col], a[col], rtol=1e-12, atol=1e-12 * scale.max())
    np.testing.assert_array_equal(b["prob_best"], a["prob_best"])
    nb = full.net_benefit
    for col, q in (("median", 0.5), ("p05", 0.05), ("p95", 0.95)):
        assert (np.abs(b[col] - a[col]) <= _quantile_bound(nb, q) * (1 + 1e-12)).all(), col
    np.testing.assert_allclose(summ.evpi, decision.evpi(nb), rtol=1e-12)
    np.testing.assert_allclose(full.evpi, decision.evpi(nb), rtol=1e-15)
    np.testing.assert_array_equal(summ.prob_negative, full.prob_negative)


def test_summary_components_match(both):
    full, summ = both
    a, b = full.components(), summ.components()
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if col[1] == "mean":
            np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-12 * np.abs(x).max() + 1e-300)
        else:  # sketch quantile; loose check here, the exact bound is tested above
            np.testing.assert_allclose(y, x, rtol=3 * ALPHA, atol=X_MIN)
    np.testing.assert_allclose(
        summ.risk_reduction_by_year, full.outcomes.risk_reduction_by_year, rtol=1e-12
    )


def test_summary_bit_identical_whatever_the_task_grouping():
    kw = {"n": 9000, "rng": 3, "chunk_size": 1024, "keep": "summary"}
    a = simulate(PARAMS, **kw)
    b = simulate(PARAMS, task_size=3000, **kw)
    assert a.provenance["tasks"] != b.provenance["tasks"]
    assert a.summary().equals(b.summary()) and a.evpi == b.evpi
    np.testing.assert_array_equal(a.stats.moments.m2, b.stats.moments.m2)
    np.testing.assert_array_equal(a.stats.tallies.sketch.pos, b.stats.tallies.sketch.pos)


def test_draws_mode_independent_of_task_size():
    a = simulate(PARAMS, n=5000, rng=2, chunk_size=1000)
    b = simulate(PARAMS, n=5000, rng=2, chunk_size=1000, task_size=2500)
    assert np.array_equal(a.draws, b.draws) and np.array_equal(a.net_benefit, b.net_benefit)


def test_evaluate_into_rows_of_a_runs_tables(both):
    """``evaluate(out=rows)`` writes the same numbers in place and folds in the by-year sums;
    ``write`` copies the per-draw tables only (the by-year sums are the caller's)."""
    full, _ = both
    values = dict(zip(PARAMS.names, full.draws[:300].T, strict=True))
    fresh = evaluate(full.regulation, values)
    tables = Outcomes.empty(full.regulation, 500)
    rows = tables.rows(100, 400)
    assert evaluate(full.regulation, values, out=rows) is rows
    for name in ("net_benefit", "risk_reduction", "burden", "exceeds_acceptable", "compliance"):
        assert np.shares_memory(rows[name], tables[name])
        np.testing.assert_array_equal(tables[name][100:400], fresh[name])
    np.testing.assert_array_equal(tables.risk_reduction_by_year, fresh.risk_reduction_by_year)
    part = evaluate(full.regulation, {k: v[:100] for k, v in values.items()})
    tables.rows(400, 500).write(part)  # the copying path of runs on an executor
    np.testing.assert_array_equal(tables.net_benefit[400:], part.net_benefit)
    np.testing.assert_array_equal(tables.risk_reduction_by_year, fresh.risk_reduction_by_year)


@pytest.mark.slow
def test_draws_mode_holds_its_tables_once():
    """Chunks are written into the run's tables: the peak is the tables plus one chunk's
    working memory (a summary run's peak), not the tables twice."""
    kw = {"n": 80_000, "rng": 1, "chunk_size": 4096}
    simulate(PARAMS, n=2048, rng=1, chunk_size=4096)  # warm caches
    tracemalloc.start()
    simulate(PARAMS, keep="summary", **kw)
    working = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    res = simulate(PARAMS, **kw)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    arrays = [v for v in vars(res.outcomes).values() if isinstance(v, np.ndarray)]
    tables = res.draws.nbytes + sum(a.nbytes for a in arrays)
    assert peak < tables + working, (peak, tables, working)  # joining chunks: 2x tables


def test_keep_is_checked():
    with pytest.raises(ValueError, match="keep must be one of"):
        simulate(PARAMS, n=10, rng=1, keep="everything")


def per_draw_net_benefit(res: Results, rows: slice) -> np.ndarray:
    """The plain Python loop: ``evaluate`` called on one draw at a time."""
    names = res.params.names
    out = []
    for row in res.draws[rows]:
        values = {name: row[i : i + 1] for i, name in enumerate(names)}
        out.append(evaluate(res.regulation, values).net_benefit[0])
    return np.array(out)


def test_per_draw_loop_matches_vectorised(both):
    full, _ = both
    np.testing.assert_allclose(
        per_draw_net_benefit(full, slice(0, 100)), full.net_benefit[:100], rtol=1e-12, atol=1e-3
    )


@pytest.mark.slow
def test_summary_memory_bounded_by_chunk_not_n():
    def peak(n):
        simulate(PARAMS, n=2048, rng=1, keep="summary", chunk_size=4096)  # warm caches
        tracemalloc.start()
        res = simulate(PARAMS, n=n, rng=1, keep="summary", chunk_size=4096)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert res.n == n
        return peak

    small, large = peak(50_000), peak(500_000)  # 10x the draws, the same peak
    assert large < 1.3 * small, (small, large)
