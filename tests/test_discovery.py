"""Scenario discovery (PRIM): known answers, agreement with the ``prim`` package, errors."""

import re

import numpy as np
import pandas as pd
import pytest

from model.analysis.discovery import PrimResult, discover, prim, two_significant
from model.report import figures

NAMES = [f"x{j}" for j in range(7)]


def _planted(n=20_000, seed=1, noise=0.0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 7)), columns=NAMES)
    y = ((x.x0 < 0.3) & (x.x1 > 0.6)).to_numpy()
    if noise:
        y = y ^ (rng.random(n) < noise)
    return x, y


def test_recovers_planted_box():
    x, y = _planted()
    res = prim(x, y)
    box = res.chosen
    assert box.coverage > 0.9 and box.density > 0.9
    assert box.restricted == (True, True, False, False, False, False, False)
    assert abs(box.limits[0, 1] - 0.3) < 0.05
    assert abs(box.limits[1, 0] - 0.6) < 0.05
    # unrestricted inputs keep the data's range
    np.testing.assert_array_equal(box.limits[2:], res.init_limits[2:])
    assert res.n_restricted[0] == 0 and res.coverage[0] == 1.0
    assert np.all(np.diff(res.mass) < 0)


def test_recovers_planted_box_with_noise_and_threshold():
    x, y = _planted(noise=0.05)
    res = prim(x, y, coverage_floor=0.6)  # 5% flipped labels: at most ~72% coverage
    box = res.chosen
    assert box.density > 0.9 and box.coverage > 0.6
    assert box.restricted[:2] == (True, True)
    assert abs(box.limits[0, 1] - 0.3) < 0.05 and abs(box.limits[1, 0] - 0.6) < 0.05
    ok = res.coverage >= 0.6
    assert box.density == res.density[ok].max()
    # threshold rule: the last step at or above the threshold
    t = prim(x, y, threshold=0.9)
    assert t.density[t.chosen_step] >= 0.9 and np.all(t.density[t.chosen_step + 1 :] < 0.9)


def test_describe_plain_words():
    x, y = _planted()
    nb = np.column_stack([np.zeros(len(y)), np.where(y, 1.0, -1.0)])
    res = discover(nb, ["targeted_downstream", "upstream_mitigation"], x, 1, 0)
    text = res.describe(
        names={
            "upstream_mitigation": "upstream mitigation",
            "targeted_downstream": "targeted obligations",
            "x0": "the open-weight share of NCII",
            "x1": "leakage",
        }
    )
    assert re.fullmatch(
        r"upstream mitigation beats targeted obligations whenever the open-weight share of NCII "
        r"is below 0\.(29|30|31) and leakage is above 0\.(59|60|61) "
        r"\(coverage 9\d%, density 100%\)",
        text,
    ), text
    assert "x2" not in text and "x6" not in text
    assert str(res) == res.describe()
    plain = res.describe(units=["share", "share", "", "", "", "", ""])
    assert re.search(r"x0 is below 0\.\d\d share and x1 is above 0\.\d\d share", plain)


@pytest.mark.parametrize(
    ("x", "s"),
    [
        (0.4123, "0.41"),
        (0.5249, "0.52"),
        (12345.0, "12,000"),
        (1.0, "1.0"),
        (0.00523, "0.0052"),
        (-3.14159, "-3.1"),
        (2.5e-7, "2.5e-07"),
        (0.0, "0"),
    ],
)
def test_sig2(x, s):
    assert two_significant(x) == s


def test_between_and_nothing_restricted():
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.random((5000, 3)), columns=["a", "b", "c"])
    y = ((x.a > 0.3) & (x.a < 0.6)).to_numpy()
    res = prim(x, y)
    assert re.fullmatch(
        r"the target holds whenever a is between 0\.3\d and 0\.[56]\d "
        r"\(coverage 9\d%, density 100%\)",
        res.describe(),
    ), res.describe()
    assert res.select(0).describe().startswith("the target holds throughout the sampled range")


def test_discover_target_and_names():
    x, y = _planted(n=4000)
    nb = np.column_stack([np.where(y, 2.0, 0.0), np.ones(len(y))])
    res = discover(nb, ["a", "b"], x, "a", "b")
    direct = prim(x, nb[:, 0] > nb[:, 1])
    np.testing.assert_array_equal(res.coverage, direct.coverage)
    assert res.contrast == ("a", "b") and res.describe().startswith("a beats b whenever")
    with pytest.raises(ValueError, match="unknown option 'z'"):
        discover(nb, ["a", "b"], x, "z", "b")
    with pytest.raises(ValueError, match="same option"):
        discover(nb, ["a", "b"], x, 0, "a")


def test_result_is_frozen_and_readonly():
    x, y = _planted(n=2000)
    res = prim(x, y)
    assert isinstance(res, PrimResult)
    with pytest.raises(AttributeError):
        res.chosen_step = 0
    with pytest.raises(ValueError):
        res.coverage[0] = 0.5
    assert res.trajectory().shape == (res.n_steps, 5)
    assert res.box(-1).step == res.n_steps - 1
    with pytest.raises(ValueError, match="trajectory has steps"):
        res.box(res.n_steps)
    inside = res.chosen.contains(x)
    assert inside.sum() == res.chosen.n_inside


def test_paste_never_lowers_density_or_support():
    x, y = _planted(n=5000, noise=0.05)
    res = prim(x, y, paste=True, threshold=0.0)
    last = res.box(-1)
    assert res.chosen.pasted
    assert res.chosen.mass >= last.mass and res.chosen.density >= last.density


def test_tradeoff_figure():
    x, y = _planted(n=3000)
    res = prim(x, y)
    fig = figures.prim_tradeoff(res)
    chosen, path = fig["data"][1], fig["data"][0]
    assert len(fig["data"]) == 2
    np.testing.assert_array_equal(path["x"], res.coverage)
    assert list(path["marker"]["color"]) == list(res.n_restricted)
    assert chosen["x"][0] == res.chosen.coverage and chosen["y"][0] == res.chosen.density


# ----------------------------------------------------------------------------- reference
def _ties_data(n=3000, seed=7):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "a": rng.random(n),
            "b": np.round(rng.random(n), 1),  # heavy ties: exercises the tie-aware quantiles
            "c": rng.normal(size=n),
            "d": rng.integers(0, 4, n).astype(float),
            "e": rng.random(n),
        }
    )
    y = (((x.a < 0.4) & (x.b >= 0.5)) | (x.d == 3)).to_numpy() ^ (rng.random(n) < 0.05)
    return x, y


@pytest.mark.parametrize("data", ["planted", "ties"])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_same_trajectory_as_prim_package(data, alpha):
    """The maintained ``prim`` package (Project Platypus; EMA Workbench's algorithm)."""
    ref = pytest.importorskip("prim")
    x, y = _planted(n=3000, noise=0.05) if data == "planted" else _ties_data()
    mine = prim(x, y, alpha=alpha, threshold=0.0, paste=True)
    p = ref.Prim(x, y, threshold=None, peel_alpha=alpha, paste_alpha=alpha, mass_min=0.05)
    box = p.find_box()
    tr = box.peeling_trajectory
    k = mine.n_steps
    assert len(tr) >= k
    for col in ("coverage", "density", "mass"):
        np.testing.assert_allclose(tr[col].to_numpy()[:k], getattr(mine, col), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(tr["res dim"].to_numpy()[:k], mine.n_restricted)
    for i in range(k):
        lims = np.array([[box._box_lims[i][c][0], box._box_lims[i][c][1]] for c in x.columns])
        np.testing.assert_allclose(lims, mine.limits[i], rtol=0, atol=1e-10)
    pasted = np.array([[box._box_lims[-1][c][0], box._box_lims[-1][c][1]] for c in x.columns])
    np.testing.assert_allclose(pasted, mine.chosen.limits, rtol=0, atol=1e-10)
    np.testing.assert_allclose(tr.coverage.iloc[-1], mine.chosen.coverage, atol=1e-10)
    np.testing.assert_allclose(tr.density.iloc[-1], mine.chosen.density, atol=1e-10)


# ----------------------------------------------------------------------------- errors
def test_errors():
    x, y = _planted(n=200)
    with pytest.raises(ValueError, match="target has no True values"):
        prim(x, np.zeros(200, bool))
    with pytest.raises(ValueError, match="target is True in all 200 draws"):
        prim(x, np.ones(200, bool))
    with pytest.raises(ValueError, match="target has 199 draws but inputs have 200"):
        prim(x, y[:-1])
    bad = x.copy()
    bad.iloc[5, 2] = np.nan
    with pytest.raises(ValueError, match=r"inputs column 'x2' holds 1 NaN/inf value.*draw 5"):
        prim(bad, y)
    for a in (0, 0.5, -0.1, 0.7):
        with pytest.raises(ValueError, match=r"alpha=.* is outside \(0, 0.5\)"):
            prim(x, y, alpha=a)
    with pytest.raises(ValueError, match="allows a box holding no draw"):
        prim(x, y, min_support=0.001)
    with pytest.raises(ValueError, match=r"no box reaches density >= threshold=1\.5"):
        prim(x, y, threshold=1.5)
    with pytest.raises(ValueError, match="target must be boolean"):
        prim(x, np.linspace(0, 1, 200))
    with pytest.raises(ValueError, match="not real-valued"):
        prim(x.assign(s="a"), y)


def test_error_messages_are_one_line():
    x, _ = _planted(n=200)
    with pytest.raises(ValueError) as e:
        prim(x, np.zeros(200, bool))
    assert "\n" not in str(e.value)
