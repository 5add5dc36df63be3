"""sweep: grids, zips and scenarios on common random numbers; errors; figures."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from model.errors import ParamFileError
from model.inputs.paramfiles import load_params
from model.report import figures
from model.study.simulate import simulate
from model.study.sweep import SweepResult, sweep

ROOT = Path(__file__).parents[1]
PARAMS = load_params(ROOT / "params" / "baseline.toml")
THRESHOLDS = [0.001, 0.01, 0.1]
N = 2048


@pytest.fixture(scope="module")
def threshold():
    return sweep(PARAMS, vary={"threshold_compute": THRESHOLDS}, n=N, rng=5)


def test_threshold_sweep_table(threshold):
    t = threshold.table
    k = len(simulate(PARAMS, n=16, rng=1, keep="summary").approaches)
    assert isinstance(threshold, SweepResult)
    assert len(t) == len(THRESHOLDS) * k
    assert list(t.columns) == [
        "point", "threshold_compute", "approach",
        "mean", "mcse", "p05", "p95", "prob_best", "prob_negative",
    ]  # fmt: skip
    np.testing.assert_allclose(t.groupby("point")["prob_best"].sum(), 1.0)
    pref = threshold.preferred()
    assert list(pref["threshold_compute"]) == THRESHOLDS
    assert set(pref.columns) >= {"preferred", "mean", "prob_best", "evpi"}
    for _, row in pref.iterrows():
        block = t[t["point"] == row["point"]]
        assert row["preferred"] == block.loc[block["mean"].idxmax(), "approach"]


def test_points_use_common_random_numbers(threshold):
    """Each point equals a separate run at the same seed with the parameter fixed."""
    p = PARAMS.replace(threshold_compute=0.01)
    ref = simulate(p, n=N, rng=5, keep="summary").summary()
    got = threshold.table[threshold.table["point"] == 1].set_index("approach")
    np.testing.assert_array_equal(got["mean"], ref["mean"])
    np.testing.assert_array_equal(got["prob_best"], ref["prob_best"])


def test_grid_and_zip():
    vary = {"threshold_compute": [0.001, 0.05], "compute_risk_correlation": [0.3, 0.6]}
    g = sweep(PARAMS, vary=vary, n=512, rng=1)
    z = sweep(PARAMS, vary=vary, n=512, rng=1, grid=False)
    assert g.points.shape[0] == 4 and z.points.shape[0] == 2
    fig = figures.sweep_chart(g)
    assert fig["data"][0]["type"] == "heatmap"
    bars = figures.sweep_chart(z)["data"]  # zipped: grouped bars, a star on the preferred bar
    preferred = dict(zip(z.preferred()["point"], z.preferred()["preferred"], strict=True))
    for bar in bars:
        stars = [i for i, t in enumerate(bar["text"]) if t == "★"]
        assert stars == [i for i, p in enumerate(sorted(preferred)) if preferred[p] == bar["name"]]


def test_figure_one_parameter(threshold):
    fig = figures.sweep_chart(threshold)
    names = [d["name"] for d in fig["data"]]
    assert "preferred" in names and fig["layout"]["xaxis"]["type"] == "log"


def test_scenarios():
    files = [ROOT / "params" / "scenarios" / f for f in ("high_bio.toml", "fast_growth.toml")]
    res = sweep(PARAMS, scenarios=files, n=512, rng=1)
    assert list(res.points["scenario"]) == ["high_bio", "fast_growth"]
    assert figures.sweep_chart(res)["data"]
    ref = simulate(load_params(PARAMS.files[0], scenarios=[files[0]]), n=512, rng=1, keep="summary")
    got = res.table[res.table["point"] == 0]
    np.testing.assert_array_equal(got["mean"], ref.summary()["mean"])


def test_executor_gives_the_same_table(threshold):
    with ThreadPoolExecutor(2) as ex:
        par = sweep(PARAMS, vary={"threshold_compute": THRESHOLDS}, n=N, rng=5, executor=ex)
    assert par.table.equals(threshold.table)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"vary": {"threshold_comptue": [0.1]}}, ValueError, "did you mean 'threshold_compute"),
        ({"vary": {"threshold_compute": []}}, ValueError, "non-empty"),
        ({"vary": {}}, ValueError, "vary is empty"),
        ({"vary": {"threshold_compute": ["a"]}}, ValueError, "list of numbers"),
        ({"vary": {"threshold_compute": [np.nan]}}, ValueError, "non-finite"),
        ({"vary": {"leakage": [1.5]}}, ParamFileError, "share"),
        ({}, ValueError, "one of the two"),
        ({"scenarios": []}, ValueError, "scenarios is empty"),
        ({"scenarios": ["nope.toml"]}, ParamFileError, "nope.toml: scenario file not found"),
    ],
)
def test_errors_are_one_line(kwargs, error, match):
    with pytest.raises(error, match=match) as e:
        sweep(PARAMS, n=16, rng=1, **kwargs)
    assert "\n" not in str(e.value)


def test_zip_needs_equal_lengths():
    vary = {"threshold_compute": [0.01, 0.02], PARAMS.uncertain_names[0]: [1.0]}
    with pytest.raises(ValueError, match="equal length"):
        sweep(PARAMS, vary=vary, n=16, rng=1, grid=False)
