"""Wall time of the ``headwater`` command as a user meets it, each in a fresh process.

Run ``pytest tests/benchmarks/test_bench_cli.py --benchmark-enable`` (about a minute). Targets
(issue 15): cheap commands such as ``--help`` under 0.5 s, ``report --from`` a saved run under
3 s, the default ``headwater run params/baseline.toml`` under 5 s. With the default
``--benchmark-disable`` the slow cases are skipped and ``--help`` runs once; timings are never
asserted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BASELINE = Path(__file__).parents[2] / "params" / "baseline.toml"


def _headwater(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "model", *args], check=True, capture_output=True)


def test_help_starts_fast(benchmark):
    benchmark.pedantic(_headwater, args=("--help",), rounds=5 if benchmark.enabled else 1)


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
    benchmark.pedantic(_headwater, args=("run", str(BASELINE), "--quiet", "--out", out), rounds=3)


def test_report_from_saved_run(benchmark, saved_run):
    args = ("report", "--from", str(saved_run / "s"), "--quiet", "--out", str(saved_run / "f.html"))
    benchmark.pedantic(_headwater, args=args, rounds=3)
