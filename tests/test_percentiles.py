"""Percentiles near the ends of the draws: numpy's numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from model.study.percentiles import quantile


def _tables():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4099, 3, 2))
    ties = np.round(x, 1)
    zeros = np.where(rng.random(x.shape) < 0.6, 0.0, x)
    signed = np.where(rng.random(x.shape) < 0.3, -0.0, zeros)
    holes = x.copy()
    holes[::997, 1] = np.nan
    heavy = np.exp(6 * x)
    heavy[::503, 0] = np.inf
    small = x[:40]
    return {
        "normal": x,
        "ties": ties,
        "zeros": zeros,
        "signed zeros": signed,
        "nan": holes,
        "heavy": heavy,
        "few draws": small,
        "one column": x[:, 0, 0],
    }


@pytest.mark.parametrize("name", list(_tables()))
@pytest.mark.parametrize("q", [0.05, (0.05, 0.95), [0.0, 0.01, 0.99, 1.0], (0.05, 0.5)])
def test_quantile_is_numpys_bit_for_bit(name, q):
    x = _tables()[name]
    with np.errstate(invalid="ignore"):  # inf - inf between two infinite order statistics
        got, want = quantile(x, q), np.quantile(x, q, axis=0)
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))
