"""Known-answer tests for model.analysis.decision (dampack / BCEA / voi reference cases)."""

import json

import numpy as np
import pandas as pd
import pytest
from reference_cases import reference_case
from scipy.stats import norm

from model import decision as dec


def _check_icer_table(table, exp, rtol=1e-9):
    assert list(table["strategy"]) == [str(s) for s in exp["Strategy"]]
    assert list(table["status"]) == exp["Status"]
    for col, key in [
        ("cost", "Cost"),
        ("effect", "Effect"),
        ("inc_cost", "Inc_Cost"),
        ("inc_effect", "Inc_Effect"),
        ("icer", "ICER"),
    ]:
        want = np.array([np.nan if v is None else v for v in exp[key]], dtype=float)
        np.testing.assert_allclose(table[col].to_numpy(float), want, rtol=rtol, equal_nan=True)


def test_icers_herc_strong_and_extended_dominance():
    d = reference_case("05_dampack_herc_icers")
    inp = pd.read_csv(d / "inputs.csv")
    exp = json.loads((d / "expected.json").read_text())["expected"]["icer_table"]
    table = dec.icers(inp["cost"], inp["effect"], inp["strategy"])
    _check_icer_table(table, exp)


def test_icers_ties_reference_is_cheapest_most_effective():
    inp = pd.read_csv(reference_case("06_dampack_ties_reference") / "inputs.csv")
    table = dec.icers(inp["cost"], inp["effect"], inp["strategy"])
    assert table["strategy"].iloc[0] == "Test & treat"  # dampack test_calculate_icers.R
    assert list(table["status"]) == ["ND", "D", "D"]


def test_icers_hiv_screening_paltiel():
    inp = pd.read_csv(reference_case("07_dampack_hiv_screening") / "inputs.csv")
    table = dec.icers(inp["cost"], inp["effect"], inp["strategy"])
    assert list(table["strategy"]) == ["status quo", "one time", "5yr", "3yr", "annual"]
    assert list(table["status"]) == ["ND", "ND", "ND", "ND", "D"]
    np.testing.assert_allclose(
        table["icer"].iloc[1], 1000 / (23.130833333333332 - 23.104166666666668), rtol=1e-12
    )


def test_icers_hundred_strategies_frontier_is_convex_hull():
    inp = pd.read_csv(reference_case("13_dampack_hund_strat_frontier") / "inputs.csv")
    table = dec.icers(inp["Cost"], inp["QALYs"], inp["Strategy"])
    nd = table[table["status"] == "ND"]
    icer = nd["icer"].to_numpy()[1:]
    assert np.all(np.diff(icer) > 0) and np.all(icer > 0)
    # every ND point lies on the lower-right hull: no other strategy below the frontier lines
    c, e = inp["Cost"].to_numpy(), inp["QALYs"].to_numpy()
    fc, fe = nd["cost"].to_numpy(), nd["effect"].to_numpy()
    for i in range(len(fc) - 1):
        inside = (e > fe[i]) & (e < fe[i + 1])
        line = fc[i] + (e[inside] - fe[i]) * (fc[i + 1] - fc[i]) / (fe[i + 1] - fe[i])
        assert np.all(c[inside] >= line - 1e-9)
    assert sorted(table["status"].value_counts().index) == ["D", "ED", "ND"]
    idx = dec.efficiency_frontier(c, e)
    assert list(inp["Strategy"].astype(str).iloc[idx]) == list(nd["strategy"])


def test_cdiff_icers_evpi_ceac():
    d = reference_case("08_dampack_cdiff_psa")
    cost, eff = pd.read_csv(d / "cost.csv.gz"), pd.read_csv(d / "effect.csv.gz")
    exp = json.loads((d / "expected.json").read_text())["expected"]
    table = dec.icers(cost.to_numpy(), eff.to_numpy(), cost.columns)
    _check_icer_table(table, exp["published"]["icer_table"], rtol=1e-9)
    for wtp, ref in exp["derived_not_published"].items():
        nb = float(wtp) * eff.to_numpy() - cost.to_numpy()
        np.testing.assert_allclose(dec.evpi(nb), ref["EVPI"], rtol=1e-9)
        np.testing.assert_allclose(dec.expected_loss(nb).min(), ref["EVPI"], rtol=1e-9)
        curve = dec.ceac(cost.to_numpy(), eff.to_numpy(), [float(wtp)])[0]
        want = np.array([ref["CEAC"][c] for c in cost.columns])
        np.testing.assert_array_equal(np.round(curve * 1000), np.round(want * 1000))
        frontier = dec.ceaf(cost, eff, [float(wtp)], names=cost.columns)
        assert frontier["option"].iloc[0] == ref["optimal_strategy"]


def test_example_psa_load_and_curves():
    d = reference_case("09_dampack_example_psa")
    psa = dec.load_psa(
        cost=d / "cost.csv.gz",
        effect=d / "effect.csv.gz",
        parameters=d / "parameters.csv.gz",
        wtp=d / "wtp.csv",
    )
    assert psa.names == ("Chemo", "Radio", "Surgery") and psa.n == 10000
    assert psa.inputs.shape == (10000, 8)
    curve = dec.ceac(psa.costs, psa.effects, psa.wtp)
    np.testing.assert_allclose(curve.sum(axis=1), 1.0)
    for i, w in enumerate(psa.wtp):
        nb = psa.nb(w)
        np.testing.assert_allclose(dec.evpi(nb), dec.expected_loss(nb).min(), rtol=1e-12)
        assert np.argmax(curve[i]) == np.argmax(dec.prob_best(nb))


def test_voi_chemo_evpi_by_wtp():
    d = reference_case("10_voi_chemo")
    exp = json.loads((d / "expected.json").read_text())["expected"]["published"]
    nb = pd.read_csv(d / "chemo_nb.csv.gz").to_numpy()
    np.testing.assert_allclose(dec.evpi(nb), 368.6050962259178, rtol=1e-9)
    np.testing.assert_allclose(dec.evpi(nb), exp["EVPI_chemo_nb_wtp20000"], atol=1e-4)
    psa = dec.load_psa(cost=d / "cost.csv.gz", effect=d / "effect.csv.gz")
    for k, v in exp["EVPI_chemo_cea_by_k"].items():
        np.testing.assert_allclose(dec.evpi(psa.nb(float(k))), v, rtol=1e-9)
    np.testing.assert_allclose(dec.prob_best(nb), [0.5077, 0.4923], atol=1e-12)


def test_evpi_two_option_normal_closed_form():
    rng = np.random.default_rng(11)
    mu, sigma, n = 0.3, 1.0, 2_000_000
    inc = rng.normal(mu, sigma, n)
    nb = np.column_stack([np.zeros(n), inc])
    exact = sigma * norm.pdf(mu / sigma) - abs(mu) * norm.cdf(-abs(mu) / sigma)
    np.testing.assert_allclose(dec.evpi(nb), exact, rtol=5e-3)


def test_evpi_population_discounted():
    nb = np.array([[0.0, 1.0], [0.0, -1.0]])  # EVPI = 0.5
    np.testing.assert_allclose(dec.evpi(nb), 0.5)
    got = dec.evpi(nb, population=1000, horizon=3, discount_rate=0.05)
    np.testing.assert_allclose(got, 0.5 * 1000 * (1 + 1 / 1.05 + 1 / 1.05**2), rtol=1e-14)
    np.testing.assert_allclose(dec.evpi(nb, population=10), 5.0)


def test_prob_best_splits_ties_and_ceac_first_wins():
    nb = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0], [3.0, 0.0, 3.0], [0.0, 0.0, 5.0]])
    np.testing.assert_allclose(dec.prob_best(nb), [0.25, 0.375, 0.375])
    costs = -nb  # wtp * 0 - cost = nb
    curve = dec.ceac(costs, np.zeros_like(nb), [0.0, 1.0])
    np.testing.assert_allclose(curve[0], [0.5, 0.25, 0.25])


def test_ceac_known_switch():
    costs = np.tile([0.0, 100.0], (4, 1))
    effects = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0], [0.0, 4.0]])
    curve = dec.ceac(costs, effects, [10, 40, 60, 1000])
    np.testing.assert_allclose(curve[:, 1], [0.0, 0.5, 0.75, 1.0])
    f = dec.ceaf(costs, effects, [10, 1000], names=["a", "b"])
    assert list(f["option"]) == ["a", "b"]
    np.testing.assert_allclose(f["prob"], [1.0, 1.0])


def test_losses_regret_cvar_negative_summary():
    nb = np.array([[1.0, 3.0], [2.0, 0.0], [3.0, 1.0], [4.0, -2.0]])
    np.testing.assert_allclose(dec.expected_loss(nb), [0.5, 2.5])
    np.testing.assert_allclose(dec.minimax_regret(nb), [2.0, 6.0])
    np.testing.assert_allclose(dec.cvar(nb, alpha=0.5), [1.5, -1.0])
    np.testing.assert_allclose(dec.cvar(nb, alpha=0.25), [1.0, -2.0])
    np.testing.assert_allclose(dec.prob_negative(nb), [0.0, 0.25])
    s = dec.expected_net_benefit(nb, names=["a", "b"])
    np.testing.assert_allclose(s.loc["a", "mean"], 2.5)
    np.testing.assert_allclose(s.loc["a", "se"], np.std([1, 2, 3, 4], ddof=1) / 2)
    assert list(s.columns) == ["mean", "se", "median", "p05", "p95"]


@pytest.mark.parametrize(
    ("nb", "match"),
    [
        (np.ones((5, 1)), "at least 2"),
        (np.ones(5), "2-D"),
        (np.array([[1.0, np.nan]]), "non-finite"),
    ],
)
def test_bad_arrays_raise_value_error(nb, match):
    with pytest.raises(ValueError, match=match):
        dec.prob_best(nb)


def test_shape_mismatch_and_names():
    with pytest.raises(ValueError, match="same shape"):
        dec.ceac(np.ones((3, 2)), np.ones((4, 2)), 1.0)
    with pytest.raises(ValueError, match="names has 1 entries"):
        dec.expected_net_benefit(np.ones((3, 2)), names=["a"])


# ------------------------------------------------------------------ load_psa errors


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_load_psa_row_mismatch(tmp_path):
    c = _write(tmp_path, "c.csv", "a,b\n1,2\n3,4\n")
    e = _write(tmp_path, "e.csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"e\.csv: rows: 1 draws but c\.csv has 2"):
        dec.load_psa(cost=c, effect=e)


def test_load_psa_mismatched_columns(tmp_path):
    c = _write(tmp_path, "c.csv", "a,b\n1,2\n")
    e = _write(tmp_path, "e.csv", "a,x\n1,2\n")
    with pytest.raises(ValueError, match=r"e\.csv: columns: option columns differ from c\.csv"):
        dec.load_psa(cost=c, effect=e)


def test_load_psa_missing_column(tmp_path):
    c = _write(tmp_path, "c.csv", "a,b\n1,2\n")
    e = _write(tmp_path, "e.csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"c\.csv: column 'z': missing option column"):
        dec.load_psa(cost=c, effect=e, names=["a", "z"])


def test_load_psa_nan(tmp_path):
    c = _write(tmp_path, "c.csv", "a,b\n1,\n")
    e = _write(tmp_path, "e.csv", "a,b\n1,2\n")
    with pytest.raises(
        ValueError, match=r"c\.csv: column 'b': missing value \(NaN\) at data row 1"
    ):
        dec.load_psa(cost=c, effect=e)


def test_load_psa_non_numeric(tmp_path):
    c = _write(tmp_path, "c.csv", "a,b\n1,2\n3,abc\n")
    e = _write(tmp_path, "e.csv", "a,b\n1,2\n3,4\n")
    with pytest.raises(ValueError, match=r"c\.csv: column 'b': non-numeric cell at data row 2"):
        dec.load_psa(cost=c, effect=e)


def test_load_psa_parameters_misaligned(tmp_path):
    c = _write(tmp_path, "c.csv", "a,b\n1,2\n3,4\n")
    e = _write(tmp_path, "e.csv", "a,b\n1,2\n3,4\n")
    p = _write(tmp_path, "p.csv", "x\n1\n2\n3\n")
    with pytest.raises(ValueError, match=r"p\.csv: rows: 3 draws but c\.csv has 2"):
        dec.load_psa(cost=c, effect=e, parameters=p)


def test_load_psa_missing_file(tmp_path):
    with pytest.raises(ValueError, match="file not found"):
        dec.load_psa(cost=tmp_path / "no.csv", effect=tmp_path / "no.csv")


def test_load_psa_frozen_and_nb(tmp_path):
    c = _write(tmp_path, "c.csv", "a,b\n1,2\n3,4\n")
    e = _write(tmp_path, "e.csv", "a,b\n1,1\n0,2\n")
    psa = dec.load_psa(cost=c, effect=e)
    np.testing.assert_allclose(psa.nb(10.0), [[9.0, 8.0], [-3.0, 16.0]])
    with pytest.raises(AttributeError):
        psa.names = ("x",)
    with pytest.raises(ValueError):
        psa.costs[0, 0] = 1.0
