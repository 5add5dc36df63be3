"""Wall time of the ``headwater`` command as a user meets it, each in a fresh process.

Run ``pytest tests/benchmarks/test_bench_cli.py --benchmark-enable`` (about a minute). Targets
(issue 15): cheap commands such as ``--help`` under 0.5 s, ``report --from`` a saved run under
3 s, the default ``headwater run params/baseline.toml`` under 5 s. With the default
``--benchmark-disable`` the slow cases are skipped and ``--help`` runs once; timings are never
asserted. The median CPU time of the command (its process and theirs, less disturbed by other
work on a shared machine) is ``extra_info["cpu_s"]``.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BASELINE = Path(__file__).parents[2] / "params" / "baseline.toml"


def _headwater(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "model", *args], check=True, capture_output=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(benchmark, args: tuple[str, ...], rounds: int) -> None:
    """Median wall time as the benchmark, median CPU time in extra_info."""
    cpu = []

    def timed():
        start = _children_cpu()
        _headwater(*args)
        cpu.append(_children_cpu() - start)

    benchmark.pedantic(timed, rounds=rounds if benchmark.enabled else 1, iterations=1)
    benchmark.extra_info["cpu_s"] = float(np.median(cpu))


def test_help_starts_fast(benchmark):
    _time(benchmark, ("--help",), rounds=5)


@pytest.fixture
def saved_run(benchmark, tmp_path) -> Path:
    """The default run, saved with its analysis (only when timing)."""
    if not benchmark.enabled:
        pytest.skip("timing only: run with --benchmark-enable")
    d = tmp_path
    _headwater("run", str(BASELINE), "--quiet", "--out", str(d / "r.html"), "--save", str(d / "s"))
    return d


def test_default_run(benchmark, tmp_path):
    if not benchmark.enabled:
        pytest.skip("timing only: run with --benchmark-enable")
    out = str(tmp_path / "report.html")
    _time(benchmark, ("run", str(BASELINE), "--quiet", "--out", out), rounds=3)


def test_report_from_saved_run(benchmark, saved_run):
    """The saved run's report written again: nothing analysed or evaluated (issue 15: < 3 s)."""
    args = ("report", "--from", str(saved_run / "s"), "--quiet", "--out", str(saved_run / "f.html"))
    _time(benchmark, args, rounds=5)
    assert (saved_run / "s" / "reevaluations").is_dir()
