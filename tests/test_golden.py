"""Golden output: the baseline's simulated draws and outcomes, to the bit.

Pins ``model.simulate(model.load_params("params/baseline.toml"), n=3000, rng=7)``: the sha256 of
``res.draws`` followed by ``res.outcomes.<name>`` for each name in ``OUTCOMES`` (in that order),
each hashed as ``np.ascontiguousarray(x).tobytes()``. The digest was measured before ``model/``
was restructured into layers (issue 11), so a refactoring that keeps behaviour keeps it.

A change anywhere in parameters, sampling, the regulation model or the simulation loop that
alters any draw or outcome by even one bit changes the digest. When such a change is intended
(a corrected equation, a new parameter, a different sampler), update ``EXPECTED`` in the same
commit and say in the commit message why the outputs changed. An unexplained change of digest
is a regression.

History: re-pinned for model v2 (issue 12), merged with main's year-by-year present values;
re-pinned for risk_dispersion widened to Uniform(1.5, 4.7) (issue 14 item 3).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

import model

ROOT = Path(__file__).resolve().parents[1]
OUTCOMES = (
    "risk_reduction",
    "burden",
    "innovation_cost",
    "transfers",
    "net_benefit",
    "residual_harm",
    "exceeds_acceptable",
    "entities",
    "compliance",
    "status_quo_harm",
    "risk_reduction_by_year",
)
EXPECTED = "49808e4e068e75ddc1c35a8e00f69114368de9a07b1017b31a2b88b00bb52151"


def test_baseline_outputs_are_bit_identical():
    res = model.simulate(model.load_params(ROOT / "params" / "baseline.toml"), n=3000, rng=7)
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(res.draws).tobytes())
    for name in OUTCOMES:
        digest.update(np.ascontiguousarray(getattr(res.outcomes, name)).tobytes())
    assert digest.hexdigest() == EXPECTED
