"""simulate throughput: vectorised vs per-draw loop, summary mode at scale, processes speed-up.

Run ``pytest tests/benchmarks/test_bench_study.py --benchmark-enable`` (several minutes); with
the default ``--benchmark-disable`` every case runs once on a few thousand draws. Peak memory is
the ``VmHWM`` (peak resident set) of a fresh subprocess running the same call
(``extra_info["peak_MiB"]``; not ``ru_maxrss``, which Linux carries over from the parent).
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.inputs.paramfiles import load_params
from model.inputs.sampling import sample
from model.regulation import build_model, evaluate
from model.study.executors import executor_from_spec
from model.study.simulate import simulate

BASELINE = Path(__file__).parents[2] / "params" / "baseline.toml"
PARAMS = load_params(BASELINE)
REGULATION = build_model(PARAMS)


def _n(benchmark, full: int, small: int = 4096) -> int:
    return full if benchmark.enabled else small


def _values(n: int) -> dict:
    d = sample(PARAMS, n, design="sobol", rng=1)
    return {name: np.ascontiguousarray(d[name]) for name in PARAMS.names}


def per_draw_loop(values: dict, m: int) -> np.ndarray:
    """The plain Python loop over draws: ``evaluate`` on one draw at a time."""
    return np.array(
        [
            evaluate(REGULATION, {k: v[i : i + 1] for k, v in values.items()}).net_benefit[0]
            for i in range(m)
        ]
    )


def test_bench_vectorised_simulate(benchmark):
    """simulate (sampling + chunked evaluation) on the draws the per-draw loop uses."""
    n = _n(benchmark, 65_536)
    simulate(PARAMS, n=16, rng=1)  # build the inverse-CDF tables outside the timing
    out = benchmark.pedantic(
        simulate, args=(PARAMS,), kwargs={"n": n, "rng": 1}, rounds=5, iterations=1
    )
    assert out.n == n
    if benchmark.enabled:
        benchmark.extra_info["draws_per_s"] = n / benchmark.stats.stats.median


def test_bench_per_draw_loop(benchmark):
    m = _n(benchmark, 2000, 20)
    values = _values(m)  # the first m draws of simulate(PARAMS, n, rng=1): same design, seed
    out = benchmark.pedantic(per_draw_loop, args=(values, m), rounds=3, iterations=1)
    np.testing.assert_allclose(out, evaluate(REGULATION, values).net_benefit, rtol=1e-12, atol=1e-3)
    if benchmark.enabled:
        benchmark.extra_info["draws_per_s"] = m / benchmark.stats.stats.median


def peak_mib(n: int, spec: str = "serial") -> float:
    """Peak resident memory (MiB) of a fresh process running a summary-mode simulate."""
    code = f"""
import json
from model.study.executors import executor_from_spec
from model.inputs.paramfiles import load_params
from model.study.simulate import simulate
p = load_params({str(BASELINE)!r})
with executor_from_spec({spec!r}) as ex:
    simulate(p, n={n}, rng=1, keep="summary", executor=ex)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(json.dumps(int(hwm.split()[1]) / 1024))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("full", [100_000, 1_000_000])
def test_bench_summary_mode(benchmark, full):
    n = _n(benchmark, full)
    res = benchmark.pedantic(
        simulate,
        args=(PARAMS,),
        kwargs={"n": n, "rng": 1, "keep": "summary"},
        rounds=3 if full <= 100_000 else 2,
        iterations=1,
    )
    assert res.n == n
    if benchmark.enabled:
        benchmark.extra_info["draws_per_s"] = n / benchmark.stats.stats.median
        benchmark.extra_info["peak_MiB"] = peak_mib(n)


@pytest.mark.parametrize("spec", ["serial", "processes:2"])
def test_bench_executor_speedup(benchmark, spec):
    n = _n(benchmark, 1_000_000)
    with executor_from_spec(spec) as ex:
        simulate(PARAMS, n=4096, rng=1, keep="summary", executor=ex)  # start workers
        res = benchmark.pedantic(
            simulate,
            args=(PARAMS,),
            kwargs={"n": n, "rng": 1, "keep": "summary", "executor": ex},
            rounds=2,
            iterations=1,
        )
    assert res.n == n
    if benchmark.enabled:
        benchmark.extra_info["draws_per_s"] = n / benchmark.stats.stats.median
