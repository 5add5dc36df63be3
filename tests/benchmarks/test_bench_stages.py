"""The default run's stages, one at a time, in this process (imports already paid).

``headwater run params/baseline.toml`` is simulate (65,536 draws), analyse, design the rule
(in a forked process beside the analysis on two CPUs), re-evaluate what the report shows
beyond the analysis (structural alternatives, value judgements, central case) and write the
report; ``report --from`` is load (results, saved analysis and re-evaluations) and write.
Run ``pytest tests/benchmarks/test_bench_stages.py --benchmark-enable`` (a few minutes): each
stage's median wall time is the benchmark, its median CPU time (``time.process_time``, less
disturbed by other processes on a shared machine) is ``extra_info["cpu_s"]``. With the default
``--benchmark-disable`` every stage runs once on 2,048 draws; timings are never asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from model.inputs.paramfiles import load_params
from model.report import analysis_for, write_report
from model.study.archive import (
    load_analysis,
    load_reevaluations,
    save_analysis,
    save_reevaluations,
)
from model.study.design import design_rule
from model.study.reevaluations import reevaluate
from model.study.simulate import simulate
from model.study.storage import load_results, save_results

BASELINE = Path(__file__).parents[2] / "params" / "baseline.toml"
SOBOL_N = 512  # the CLI's default


@pytest.fixture(scope="module")
def run(request):
    """The default run's results, analysis, rule and re-evaluations (2,048 draws when not
    timing)."""
    enabled = request.config.getoption("benchmark_enable", False)
    res = simulate(load_params(BASELINE), n=65_536 if enabled else 2048, rng=1, design="sobol")
    analysis = analysis_for(res, sobol_n=SOBOL_N if enabled else 64)
    return res, analysis, design_rule(res), reevaluate(res)


def _time(benchmark, fn, rounds: int = 3):
    """Median wall time as the benchmark, median CPU time in extra_info."""
    cpu = []

    def timed():
        start = time.process_time()
        out = fn()
        cpu.append(time.process_time() - start)
        return out

    out = benchmark.pedantic(timed, rounds=rounds if benchmark.enabled else 1, iterations=1)
    benchmark.extra_info["cpu_s"] = float(np.median(cpu))
    return out


def test_stage_simulate(benchmark, run):
    res = run[0]
    out = _time(benchmark, lambda: simulate(res.params, n=res.n, rng=1, design="sobol"))
    assert np.array_equal(out.net_benefit, res.net_benefit)


def test_stage_analyse(benchmark, run):
    res, analysis, _, _ = run
    sobol_n = SOBOL_N if benchmark.enabled else 64
    out = _time(benchmark, lambda: analysis_for(res, sobol_n=sobol_n))
    assert out.summary.equals(analysis.summary)


def test_stage_design(benchmark, run):
    res, _, rule, _ = run
    out = _time(benchmark, lambda: design_rule(res))
    assert out.portfolios.equals(rule.portfolios)


def test_stage_reevaluate(benchmark, run):
    """Structural alternatives, value judgements and the central case (saved by run --save)."""
    res, _, _, reevaluated = run
    out = _time(benchmark, lambda: reevaluate(res))
    assert out.structural.variants.equals(reevaluated.structural.variants)


def test_stage_write(benchmark, run, tmp_path):
    """write_report given everything it shows: words, tables, figures and the HTML file."""
    res, analysis, rule, reevaluated = run
    path = _time(
        benchmark,
        lambda: write_report(
            res, tmp_path / "r.html", analysis=analysis, rule=rule, reevaluated=reevaluated
        ),
    )
    assert path.read_text(encoding="utf-8").count("data-plotly-figure=") == 12


def test_stage_report_from_saved_run(benchmark, run, tmp_path):
    """``report --from``: load the saved results, analysis and re-evaluations, write the
    report."""
    res, analysis, rule, reevaluated = run
    save_results(res, tmp_path / "s", overwrite=True)
    save_analysis(tmp_path / "s", analysis, rule, {"sobol_n": SOBOL_N})
    save_reevaluations(tmp_path / "s", reevaluated)

    def report_from():
        loaded = load_results(tmp_path / "s")
        saved_analysis, saved_rule = load_analysis(tmp_path / "s")
        again = load_reevaluations(tmp_path / "s", loaded)
        out = tmp_path / "f.html"
        return write_report(
            loaded, out, analysis=saved_analysis, rule=saved_rule, reevaluated=again
        )

    assert _time(benchmark, report_from).stat().st_size > 0
