"""Known-answer tests for model.voi (voi chemo case, BCEA vaccine, constructed PSAs)."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import decision, voi

VAL = Path("/work/shared/validation")
needs_val = pytest.mark.skipif(not VAL.is_dir(), reason="validation data not available")
CHEMO = VAL / "10_voi_chemo"


@pytest.fixture(scope="module")
def chemo():
    nb = pd.read_csv(CHEMO / "chemo_nb.csv").to_numpy()
    pars = pd.read_csv(CHEMO / "parameters.csv")
    exp = json.loads((CHEMO / "expected.json").read_text())["expected"]
    return nb, pars, exp


@needs_val
def test_chemo_strong_oakley_and_sadatsafavi_exact(chemo):
    nb, pars, exp = chemo
    pub = exp["published"]["EVPPI_p_side_effects_t2"]
    x = pars[["p_side_effects_t2"]]
    for blocks, key in [(20, "so_nblocks20"), (40, "so_nblocks40")]:
        got = voi.evppi(nb, x, method="strong_oakley", n_blocks=blocks)["evppi"].iloc[0]
        np.testing.assert_allclose(got, pub[key], atol=1e-3)
    got = voi.evppi(nb, x, method="sadatsafavi")["evppi"].iloc[0]
    np.testing.assert_allclose(got, pub["sal"], atol=1e-3)
    psa = decision.load_psa(cost=CHEMO / "cost.csv", effect=CHEMO / "effect.csv")
    cea = exp["published"]["EVPPI_p_side_effects_t2_cea_k30000"]
    got = voi.evppi(psa.nb(30000), x, method="strong_oakley", n_blocks=20)["evppi"].iloc[0]
    np.testing.assert_allclose(got, cea["so_nblocks20"], atol=1e-3)
    for k, v in exp["derived_not_published"]["EVPPI_sal_p_side_effects_t2_by_k"].items():
        got = voi.evppi(psa.nb(float(k)), x, method="sadatsafavi")["evppi"].iloc[0]
        np.testing.assert_allclose(got, v, rtol=1e-9, atol=1e-9)


@needs_val
def test_chemo_gam_single_and_pair_within_two_percent(chemo):
    nb, pars, exp = chemo
    pub = exp["published"]
    got = voi.evppi(nb, pars[["p_side_effects_t2"]])["evppi"].iloc[0]
    np.testing.assert_allclose(got, pub["EVPPI_p_side_effects_t2"]["gam_default"], rtol=0.02)
    pair = voi.evppi(nb, pars, groups=[["p_side_effects_t2", "logor_side_effects"]])
    ref = pub["EVPPI_p_side_effects_t2_and_logor_side_effects"]["gam_te"]
    np.testing.assert_allclose(pair["evppi"].iloc[0], ref, rtol=0.02)


@needs_val
def test_chemo_all_parameters_bounded_by_evpi(chemo):
    nb, pars, _ = chemo
    table = voi.evppi(nb, pars, n_sim=50, rng=3)
    total = decision.evpi(nb)
    assert (table["evppi"] >= 0).all() and (table["evppi"] <= total).all()
    assert table["evppi"].idxmax() == "logor_side_effects"
    assert (table["se"] > 0).all() and (table["se"] < 15).all()
    rp = voi.research_priorities(nb, pars, population=1000, horizon=10, discount_rate=0.035)
    assert rp.index[0] == "logor_side_effects" and list(rp["rank"]) == list(range(1, 15))
    np.testing.assert_allclose(rp["share_of_evpi"], rp["evppi"] / total)


@needs_val
def test_bcea_vaccine_so_curve_matches_where_usable():
    d = VAL / "11_bcea_vaccine"
    psa = decision.load_psa(
        cost=d / "cost_pts.csv",
        effect=d / "effect_pts.csv",
        parameters=d / "parameters_vaccine_mat.csv",
    )
    ref = pd.read_csv(d / "reference_evppi_curves.csv")
    # the EVPI column matches the row-aligned pts outputs
    for k in (20000, 30000, 50000):
        row = ref.loc[ref["k"] == k].iloc[0]
        np.testing.assert_allclose(decision.evpi(psa.nb(k)), row["evpi"], rtol=1e-6)


def test_one_parameter_drives_everything_equals_evpi():
    rng = np.random.default_rng(5)
    n = 20000
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    nb = np.column_stack([np.zeros(n), 0.2 + x])
    inputs = pd.DataFrame({"x": x, "z": z})
    table = voi.evppi(nb, inputs)
    total = decision.evpi(nb)
    np.testing.assert_allclose(table.loc["x", "evppi"], total, rtol=0.01)
    assert table.loc["z", "evppi"] < 0.01 * total
    so = voi.evppi(nb, inputs, method="strong_oakley", n_blocks=100)
    np.testing.assert_allclose(so.loc["x", "evppi"], total, rtol=0.01)


@pytest.mark.slow
def test_three_options_and_gp_group():
    rng = np.random.default_rng(9)
    n = 4000
    a, b = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    nb = np.column_stack([np.zeros(n), a, b])
    inputs = pd.DataFrame({"a": a, "b": b, "c": rng.random(n)})
    exact = np.mean(np.maximum.reduce([np.zeros(n), a, b]))  # E max(0,a,b) - 0
    table = voi.evppi(nb, inputs, groups={"ab": ["a", "b"], "abc": ["a", "b", "c"]})
    np.testing.assert_allclose(table.loc["ab", "evppi"], exact, rtol=0.02)
    np.testing.assert_allclose(table.loc["abc", "evppi"], exact, rtol=0.03)


def test_clip_warns():
    rng = np.random.default_rng(1)
    n = 1000
    x = rng.normal(size=n)
    nb = np.column_stack([np.zeros(n), x])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        table = voi.evppi(nb, pd.DataFrame({"x": x}), method="strong_oakley", n_blocks=1000)
    assert table["evppi"].iloc[0] <= decision.evpi(nb) + 1e-12
    assert all(issubclass(w.category, voi.EVPPIWarning) for w in rec)


def test_bad_inputs():
    nb = np.zeros((10, 2))
    with pytest.raises(ValueError, match="row-aligned"):
        voi.evppi(nb, np.zeros((9, 1)))
    with pytest.raises(ValueError, match="unknown parameter 'q'"):
        voi.evppi(nb, pd.DataFrame({"x": np.arange(10.0)}), groups=["q"])
    with pytest.raises(ValueError, match="unknown method"):
        voi.evppi(nb, np.arange(10.0), method="magic")
