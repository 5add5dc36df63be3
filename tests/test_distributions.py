"""Contract tests run over every distribution family, plus error messages and properties."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model.errors import ParamFileError
from model.inputs.distributions import FAMILIES, TABLE_RTOL, from_spec

SPECS = {
    "fixed": {"dist": "fixed", "value": 3.0},
    "uniform": {"dist": "uniform", "low": 1, "high": 3},
    "loguniform": {"dist": "loguniform", "low": 1, "high": 1000},
    "normal": {"dist": "normal", "p05": 1, "p95": 3},
    "normal_ms": {"dist": "normal", "mean": 2, "sd": 0.5},
    "lognormal": {"dist": "lognormal", "p05": 10, "p95": 30},
    "lognormal_mg": {"dist": "lognormal", "median": 100, "gsd": 2},
    "lognormal_ms": {"dist": "lognormal", "mean": 5, "sd": 2},
    "triangular": {"dist": "triangular", "low": 0, "mode": 1, "high": 4},
    "pert": {"dist": "pert", "low": 0, "mode": 1, "high": 4},
    "pert_l": {"dist": "pert", "low": 0, "mode": 0.1, "high": 1, "lambda": 6},
    "beta": {"dist": "beta", "alpha": 2, "beta": 5},
    "beta_u": {"dist": "beta", "alpha": 0.5, "beta": 0.5},
    "beta_ms": {"dist": "beta", "mean": 0.3, "sd": 0.1},
    "beta_q": {"dist": "beta", "p05": 0.05, "p95": 0.4},
    "gamma": {"dist": "gamma", "shape": 2, "scale": 3},
    "gamma_small": {"dist": "gamma", "shape": 0.3, "scale": 1},
    "gamma_ms": {"dist": "gamma", "mean": 5, "sd": 4},
    "discrete": {"dist": "discrete", "values": [1, 2, 5], "weights": [0.2, 0.5, 0.3]},
    "bernoulli": {"dist": "bernoulli", "p": 0.3},
}
TRUNCATED = {
    "normal_t": {"dist": "normal", "mean": 0, "sd": 1, "truncate": [-0.5, 2]},
    "lognormal_t": {"dist": "lognormal", "p05": 10, "p95": 30, "truncate": [1, 20]},
    "uniform_t": {"dist": "uniform", "low": 0, "high": 10, "truncate": [2, 5]},
    "loguniform_t": {"dist": "loguniform", "low": 1, "high": 100, "truncate": [2, 50]},
    "triangular_t": {"dist": "triangular", "low": 0, "mode": 1, "high": 4, "truncate": [0.5, 3]},
    "beta_t": {"dist": "beta", "alpha": 2, "beta": 5, "truncate": [0.1, 0.5]},
    "gamma_t": {"dist": "gamma", "mean": 5, "sd": 4, "truncate": [1, 10]},
    "pert_t": {"dist": "pert", "low": 0, "mode": 1, "high": 4, "truncate": [0.5, 3.5]},
}
ALL = {**SPECS, **TRUNCATED}
U_FINE = np.concatenate(
    [
        [1e-12, 1e-9, 1e-6, 2e-6, 1e-5, 1e-4],
        np.linspace(1e-3, 1 - 1e-3, 20001),
        1 - np.array([1e-4, 1e-5, 2e-6, 1e-6, 1e-9, 1e-12]),
    ]
)


def test_every_family_is_covered():
    assert {s["dist"] for s in SPECS.values()} == set(FAMILIES)


def test_equal_specs_share_one_quantile_table():
    """Scenario and sweep points rebuild their distributions; equal specs reuse the table."""
    a = from_spec({"dist": "beta", "alpha": 2.5, "beta": 7})
    b = from_spec({"dist": "beta", "alpha": 2.5, "beta": 7.0})
    c = from_spec({"dist": "beta", "alpha": 2.5, "beta": 7.5})
    assert a is not b and a._table is b._table
    assert c._table is not a._table
    u = np.linspace(0.001, 0.999, 101)
    np.testing.assert_array_equal(a.ppf(u), b.ppf(u))


@pytest.mark.parametrize("name", list(SPECS))
def test_p05_p95_reproduced(name):
    spec = SPECS[name]
    if "p05" not in spec:
        pytest.skip("no quantile spelling")
    d = from_spec(spec)
    fast = d.ppf(np.array([0.05, 0.95]))  # within the table's stated error (1e-6 of the range)
    np.testing.assert_allclose(fast, [spec["p05"], spec["p95"]], rtol=1e-9, atol=d.table_error)
    np.testing.assert_allclose(
        d.ppf(np.array([0.05, 0.95]), exact=True), [spec["p05"], spec["p95"]], rtol=1e-9
    )


@pytest.mark.parametrize("name", list(SPECS))
def test_mean_var_match_scipy(name):
    d = from_spec(SPECS[name])
    ref = d.to_scipy()
    if ref is None:
        pytest.skip("no scipy equivalent")
    np.testing.assert_allclose(d.mean(), ref.mean(), rtol=1e-10)
    np.testing.assert_allclose(d.var(), ref.var(), rtol=1e-9)


def test_closed_forms_known_numbers():
    assert from_spec(SPECS["uniform"]).mean() == 2.0
    assert from_spec(SPECS["uniform"]).var() == pytest.approx(4 / 12)
    assert from_spec(SPECS["triangular"]).mean() == pytest.approx(5 / 3)
    assert from_spec(SPECS["discrete"]).mean() == pytest.approx(0.2 + 1.0 + 1.5)
    assert from_spec(SPECS["bernoulli"]).var() == pytest.approx(0.21)
    ln = from_spec(SPECS["lognormal_ms"])
    assert ln.mean() == pytest.approx(5) and math.sqrt(ln.var()) == pytest.approx(2)
    g = from_spec(SPECS["gamma_ms"])
    assert g.mean() == pytest.approx(5) and g.var() == pytest.approx(16)
    b = from_spec(SPECS["beta_ms"])
    assert b.mean() == pytest.approx(0.3) and b.var() == pytest.approx(0.01)
    assert from_spec(SPECS["lognormal"]).ppf(np.array([0.5]))[0] == pytest.approx(math.sqrt(300))


@pytest.mark.parametrize("name", list(ALL))
def test_sampled_values_in_support(name):
    d = from_spec(ALL[name])
    u = np.random.default_rng(1).random(20000)
    x = d.ppf(np.concatenate([u, [2.0**-53, 1 - 2.0**-53]]))
    lo, hi = d.support
    assert np.all(np.isfinite(x))
    assert np.all((x >= lo) & (x <= hi))


@pytest.mark.parametrize("name", list(ALL))
def test_fast_ppf_within_stated_bound(name):
    d = from_spec(ALL[name])
    fast, exact = d.ppf(U_FINE), d.ppf(U_FINE, exact=True)
    err = np.max(np.abs(fast - exact))
    assert err <= d.table_error + 1e-12 * max(1.0, np.max(np.abs(exact)))
    if d.tabulated:
        scale = float(np.subtract(*d.ppf(np.array([0.99, 0.01]), exact=True)))
        assert 0 < d.table_error <= 2 * TABLE_RTOL * scale


@pytest.mark.parametrize("name", [n for n in SPECS if from_spec(SPECS[n]).tabulated])
def test_table_against_scipy_ppf(name):
    d = from_spec(SPECS[name])
    np.testing.assert_allclose(d.ppf(U_FINE), d.to_scipy().ppf(U_FINE), rtol=0, atol=d.table_error)


@pytest.mark.parametrize("name", list(TRUNCATED))
def test_truncation_is_truncation_not_clipping(name):
    spec = TRUNCATED[name]
    d = from_spec(spec)
    base = from_spec({k: v for k, v in spec.items() if k != "truncate"}).to_scipy()
    lo, hi = spec["truncate"]
    x = np.linspace(lo, hi, 101)
    expected = (base.cdf(x) - base.cdf(lo)) / (base.cdf(hi) - base.cdf(lo))
    np.testing.assert_allclose(d.cdf(x), expected, atol=1e-12)
    u = np.random.default_rng(2).random(50000)
    s = d.ppf(u)
    # no probability mass piles up at the bounds (clipping would put F(lo) of it there)
    assert np.mean(s <= lo + 1e-12) < 1e-3 and np.mean(s >= hi - 1e-12) < 1e-3
    res = stats.kstest(s, lambda v: (base.cdf(v) - base.cdf(lo)) / (base.cdf(hi) - base.cdf(lo)))
    assert res.pvalue > 1e-3
    # mean of the truncated distribution: numerical integral vs sample mean
    assert d.mean() == pytest.approx(s.mean(), abs=4 * math.sqrt(d.var() / s.size))


def test_truncated_normal_matches_scipy_truncnorm():
    d = from_spec(TRUNCATED["normal_t"])
    ref = stats.truncnorm(-0.5, 2)
    np.testing.assert_allclose(d.ppf(U_FINE), ref.ppf(U_FINE), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([d.mean(), d.var()], [ref.mean(), ref.var()], rtol=1e-7)


def test_describe():
    d = from_spec({"dist": "lognormal", "p05": 10, "p95": 30, "truncate": [1, 200]})
    assert d.describe() == "lognormal(p05=10, p95=30, truncate=[1, 200])"


# --------------------------------------------------------------------------- errors
W = ("params/x.toml", "n_dev")


def test_error_unknown_distribution_suggests_closest():
    with pytest.raises(
        ParamFileError,
        match=r"unknown distribution; got dist='lognormla'; did you mean 'lognormal'",
    ):
        from_spec({"dist": "lognormla", "p05": 1, "p95": 2}, W)


def test_error_missing_key():
    with pytest.raises(
        ParamFileError, match=r"\[n_dev\]: lognormal needs p05\+p95; got p05=10; add p95"
    ):
        from_spec({"dist": "lognormal", "p05": 10}, W)


def test_error_unknown_key():
    with pytest.raises(ParamFileError, match=r"unknown key 'p50' for lognormal; got p50=20"):
        from_spec({"dist": "lognormal", "p05": 10, "p95": 30, "p50": 20}, W)


def test_error_mixed_spellings():
    with pytest.raises(ParamFileError, match=r"lognormal mixes two spellings"):
        from_spec({"dist": "lognormal", "p05": 10, "p95": 30, "median": 20}, W)


def test_error_p05_not_below_p95():
    with pytest.raises(
        ParamFileError,
        match=r"^params/x.toml \[n_dev\]: lognormal needs p05 < p95; "
        r"got p05=30, p95=10; swap them$",
    ):
        from_spec({"dist": "lognormal", "p05": 30, "p95": 10}, W)


def test_error_negative_sd():
    with pytest.raises(ParamFileError, match=r"normal needs sd > 0; got sd=-1"):
        from_spec({"dist": "normal", "mean": 0, "sd": -1}, W)


def test_error_nan():
    with pytest.raises(ParamFileError, match=r"'p05' is NaN"):
        from_spec({"dist": "lognormal", "p05": float("nan"), "p95": 10}, W)


def test_error_inf():
    with pytest.raises(ParamFileError, match=r"'high' is infinite"):
        from_spec({"dist": "uniform", "low": 0, "high": float("inf")}, W)


def test_error_discrete_weights_sum():
    with pytest.raises(ParamFileError, match=r"discrete weights must sum to 1; got sum=0.9"):
        from_spec({"dist": "discrete", "values": [1, 2], "weights": [0.5, 0.4]}, W)


def test_error_mode_outside():
    with pytest.raises(ParamFileError, match=r"pert needs low <= mode <= high"):
        from_spec({"dist": "pert", "low": 0, "mode": 5, "high": 4}, W)


def test_error_beta_shape():
    with pytest.raises(ParamFileError, match=r"beta needs alpha > 0 and beta > 0"):
        from_spec({"dist": "beta", "alpha": 0, "beta": 2}, W)


def test_error_truncate_on_discrete_is_unknown_key():
    with pytest.raises(ParamFileError, match=r"unknown key 'truncate' for bernoulli"):
        from_spec({"dist": "bernoulli", "p": 0.5, "truncate": [0, 1]}, W)


# --------------------------------------------------------------------------- properties
pos = st.floats(0.01, 1e4, allow_nan=False)


@st.composite
def valid_specs(draw):
    fam = draw(st.sampled_from(["uniform", "loguniform", "normal", "lognormal", "triangular",
                                "pert", "beta", "gamma", "discrete", "bernoulli"]))  # fmt: skip
    a = draw(pos)
    b = a * draw(st.floats(1.05, 100))
    if fam in ("uniform", "loguniform"):
        return {"dist": fam, "low": a, "high": b}
    if fam in ("normal", "lognormal"):
        return {"dist": fam, "p05": a, "p95": b}
    if fam in ("triangular", "pert"):
        return {"dist": fam, "low": a, "mode": a + (b - a) * draw(st.floats(0, 1)), "high": b}
    if fam == "beta":
        return {"dist": "beta", "alpha": draw(st.floats(0.2, 50)), "beta": draw(st.floats(0.2, 50))}
    if fam == "gamma":
        return {"dist": "gamma", "shape": draw(st.floats(0.2, 50)), "scale": a}
    if fam == "discrete":
        w = np.array(draw(st.lists(st.floats(0.01, 1), min_size=1, max_size=6)))
        w = w / w.sum()
        w[-1] = 1 - w[:-1].sum()
        return {"dist": "discrete", "values": list(range(len(w))), "weights": [float(x) for x in w]}
    return {"dist": "bernoulli", "p": draw(st.floats(0, 1))}


@settings(max_examples=60, deadline=None)
@given(valid_specs())
def test_any_valid_spec_loads_and_ppf_is_monotone(spec):
    d = from_spec(spec)
    u = np.sort(np.random.default_rng(0).random(2000))
    x = d.ppf(np.concatenate([[1e-12], u, [1 - 1e-12]]))
    assert np.all(np.isfinite(x))
    assert np.all(np.diff(x) >= 0)


# ----------------------------------------------------------------------------- table cache


@pytest.fixture
def table_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("HEADWATER_NO_CACHE", raising=False)
    monkeypatch.setenv("HEADWATER_CACHE_DIR", str(tmp_path))
    return tmp_path / "quantile-tables"


def test_a_cached_table_is_the_built_table_bit_for_bit(table_dir):
    dist = from_spec({"dist": "beta", "p05": 0.2, "p95": 0.7})
    built = dist._new_table()
    first = dist._build_table()  # builds and stores
    assert len(list(table_dir.glob("*.npy"))) == 1
    again = from_spec({"dist": "beta", "p05": 0.2, "p95": 0.7})._build_table()  # reads
    for table in (first, again):
        np.testing.assert_array_equal(table.q, built.q)
        assert table.error == built.error and table.k == built.k
    u = np.linspace(1e-9, 1 - 1e-9, 1001)
    np.testing.assert_array_equal(again(u), built(u))


def test_a_damaged_cache_entry_is_rebuilt(table_dir):
    dist = from_spec({"dist": "gamma", "shape": 2.0, "scale": 1.5})
    built = dist._build_table()
    (entry,) = table_dir.glob("*.npy")
    entry.write_bytes(b"not a table")
    again = from_spec({"dist": "gamma", "shape": 2.0, "scale": 1.5})._build_table()
    np.testing.assert_array_equal(again.q, built.q)
    assert np.load(entry).size == built.q.size + 1  # stored again, whole


def test_no_cache_when_turned_off_or_unwritable(table_dir, tmp_path, monkeypatch):
    dist = from_spec({"dist": "pert", "low": 0.0, "mode": 1.0, "high": 5.0})
    monkeypatch.setenv("HEADWATER_NO_CACHE", "1")
    dist._build_table()
    assert not table_dir.exists()
    monkeypatch.delenv("HEADWATER_NO_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("HEADWATER_CACHE_DIR", str(blocker))  # a file: no folder can be made
    table = dist._build_table()
    np.testing.assert_array_equal(table.q, dist._new_table().q)
