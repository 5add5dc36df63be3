"""How long each notebook in notebooks/ takes to execute top to bottom (target: well under 30 s).

Run ``pytest tests/benchmarks/test_bench_notebooks.py --benchmark-enable``. In the normal suite
(benchmarks disabled) it is skipped: tests/test_notebooks.py already executes every notebook and
checks it runs without errors; only the timing lives here, never as an assertion.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_execution_time(benchmark, path, tmp_path, monkeypatch):
    if not benchmark.enabled:
        pytest.skip("timing only: run with --benchmark-enable (test_notebooks.py executes them)")
    monkeypatch.setenv("HEADWATER_NOTEBOOK_OUT", str(tmp_path))  # the kernel inherits it

    def execute():
        nb = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(
            nb,
            kernel_name="python3",
            timeout=120,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()

    benchmark.pedantic(execute, rounds=1, iterations=1)
