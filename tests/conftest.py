"""Shared fixtures: the baseline parameters and one baseline simulation per size the tests need.

Session-scoped, so the suite simulates each size once however many modules use it. Treat what
they return as read-only: a test that changes parameters uses ``baseline_params.replace(...)``
(a new set), and a test that needs its own size or seed runs its own simulation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import model

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "params" / "baseline.toml"


@pytest.fixture(scope="session")
def baseline_params():
    """``params/baseline.toml``, loaded once."""
    return model.load_params(BASELINE)


@pytest.fixture(scope="session")
def baseline_results_small(baseline_params):
    """The baseline simulated at n = 1024, rng = 7 (report, browser and structural checks)."""
    return model.simulate(baseline_params, n=1024, rng=7)
