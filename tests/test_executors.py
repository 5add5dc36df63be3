"""Executors: spec parsing, and bit-identical results on serial, processes and Dask."""

import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from model.inputs.paramfiles import load_params
from model.study.background import in_background, on_two_cores
from model.study.executors import (
    ExecutorSpecError,
    cpu_count,
    executor_from_spec,
    worker_count,
)
from model.study.simulate import simulate

PARAMS = load_params(Path(__file__).parents[1] / "params" / "baseline.toml")
KW = {"n": 12_000, "rng": 11, "design": "sobol", "chunk_size": 2048}


@pytest.fixture(scope="module")
def serial():
    return simulate(PARAMS, **KW), simulate(PARAMS, keep="summary", **KW)


def _same(a, b):
    full_a, summ_a = a
    full_b, summ_b = b
    assert np.array_equal(full_a.draws, full_b.draws)
    assert np.array_equal(full_a.net_benefit, full_b.net_benefit)
    assert np.array_equal(full_a.outcomes.risk_reduction, full_b.outcomes.risk_reduction)
    assert np.array_equal(
        full_a.outcomes.risk_reduction_by_year, full_b.outcomes.risk_reduction_by_year
    )
    assert summ_a.summary().equals(summ_b.summary())
    assert np.array_equal(summ_a.stats.moments.m2, summ_b.stats.moments.m2)
    assert summ_a.evpi == summ_b.evpi


@pytest.mark.parametrize(
    "spec",
    ["", "parallel", "processes", "processes:", "processes:0", "processes:two", "dask-local:-1",
     "dask://nohost", "dask://a:b", "serial:2", "threads:2"],
)  # fmt: skip
def test_bad_spec_is_one_line_listing_valid_forms(spec):
    match = r"serial, processes:N, dask-local:N, dask://"
    with pytest.raises(ExecutorSpecError, match=match) as e, executor_from_spec(spec):
        pass
    assert "\n" not in str(e.value)
    assert isinstance(e.value, ValueError)


def test_serial_spec_yields_none():
    with executor_from_spec("serial") as ex:
        assert ex is None


def test_dask_missing_says_install_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    match = r"install headwater\[dask\]"
    with pytest.raises(ExecutorSpecError, match=match), executor_from_spec("dask-local:2"):
        pass


def test_worker_count():
    assert worker_count(None) == 1
    with ThreadPoolExecutor(3) as ex:
        assert worker_count(ex) == 3


def test_processes_bit_identical(serial):
    with executor_from_spec("processes:2") as ex:
        assert isinstance(ex, ProcessPoolExecutor) and worker_count(ex) == 2
        par = (
            simulate(PARAMS, executor=ex, **KW),
            simulate(PARAMS, executor=ex, keep="summary", **KW),
        )
    assert par[0].provenance["tasks"] <= 8  # coarse: about n / (4 x 2 workers), whole chunks
    _same(serial, par)


def test_any_executor_threads_bit_identical(serial):
    with ThreadPoolExecutor(2) as ex:
        par = (
            simulate(PARAMS, executor=ex, task_size=4096, **KW),
            simulate(PARAMS, executor=ex, keep="summary", task_size=4096, **KW),
        )
    _same(serial, par)


@pytest.mark.slow
def test_dask_local_cluster_bit_identical(serial):
    pytest.importorskip("distributed")
    with executor_from_spec("dask-local:2") as ex:
        assert worker_count(ex) == 2
        par = (
            simulate(PARAMS, executor=ex, **KW),
            simulate(PARAMS, executor=ex, keep="summary", **KW),
        )
    _same(serial, par)


@pytest.mark.slow
def test_dask_unreachable_scheduler_is_one_line():
    pytest.importorskip("distributed")
    match = r"cannot reach a Dask scheduler at tcp://127\.0\.0\.1:9 "
    with pytest.raises(ExecutorSpecError, match=match), executor_from_spec("dask://127.0.0.1:9"):
        pass


# ----------------------------------------------------------------------------- in_background


def _fails(x):
    raise ValueError(f"bad {x}")


def _unpicklable(_):
    return lambda: None


def test_in_background_returns_the_call_result():
    with in_background(np.arange, 5) as pending:
        assert np.array_equal(pending.result(), np.arange(5))


def test_in_background_raises_the_error_here():
    with in_background(_fails, 3) as pending, pytest.raises(ValueError, match="bad 3"):
        pending.result()


def test_in_background_result_that_cannot_travel_is_made_here():
    with in_background(_unpicklable, 1) as pending:
        assert callable(pending.result())


def _rows_with_pid(start, stop):
    """Rows start..stop: (index, index squared, the pid that computed them)."""
    i = np.arange(start, stop, dtype=float)
    return np.column_stack([i, i * i, np.full_like(i, os.getpid())])


@pytest.mark.parametrize("split", [0, 1, 7, 10, 11])
def test_on_two_cores_is_one_call_with_the_tail_from_a_child(split):
    got = on_two_cores(_rows_with_pid, (10, 3), split)
    whole = _rows_with_pid(0, 10)
    np.testing.assert_array_equal(got[:, :2], whole[:, :2])
    assert (got[:split, 2] == os.getpid()).all()
    if 0 < split < 10 and cpu_count() > 1:  # the tail came from another process, shared
        assert (got[split:, 2] != os.getpid()).all()


def test_in_background_design_rule_bit_identical():
    """The rule designed in a forked child is the one designed here, to the bit."""
    from model.study.design import design_rule

    res = simulate(PARAMS, n=2048, rng=3)
    here = design_rule(res, portfolios=False)
    with in_background(design_rule, res, portfolios=False) as pending:
        there = pending.result()
    assert pickle.dumps(there) == pickle.dumps(here)
