"""Loading, merging and validating parameter files; one test per error message."""

import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from model.errors import ParamFileError, ParamFileErrors
from model.inputs.parameters import ParameterSet
from model.inputs.paramfiles import load_params, validate_files

DATA = Path(__file__).parent / "data" / "params"
BAD = DATA / "bad"


def test_load_good_file():
    p = load_params(DATA / "good.toml")
    assert isinstance(p, ParameterSet)
    assert p.name == "good"
    assert p.names == ("p_bio", "n_upstream", "g_downstream", "g_value", "horizon")
    assert p.uncertain_names == ("p_bio", "n_upstream", "g_downstream", "g_value")
    assert len(p) == 5 and "horizon" in p and list(p) == list(p.names)
    assert p["n_upstream"].dist.describe() == "lognormal(p05=10, p95=30, truncate=[1, 200])"
    assert p["n_upstream"].kind == "count"
    assert p.correlations[0].rho == 0.5
    assert p.structure["harms"]["ncii"]["label"] == "Intimate image abuse"
    assert p.structure_files["harms.cyber"].endswith("good_part.toml")
    assert len(p.files) == 2 and all(len(h) == 64 for h in p.file_hashes.values())
    with pytest.raises(TypeError):
        p.structure["harms"]["x"] = 1
    df = p.to_frame()
    assert list(df.columns[:9]) == [
        "name", "description", "unit", "kind", "distribution", "p05", "median", "p95", "source",
    ]  # fmt: skip
    assert df.loc[1, "p05"] == pytest.approx(10) and df.loc[1, "p95"] == pytest.approx(30)
    assert "<table" in p._repr_html_() and "n_upstream" in str(p)
    assert pickle.loads(pickle.dumps(p)) == p


def test_extends_scenario_overrides():
    s = load_params(DATA / "scenario.toml")
    assert s["g_downstream"].dist.is_fixed and s["g_downstream"].dist.value == 0.4
    assert s["g_downstream"].unit == "1/year"  # inherited
    assert s["n_upstream"].dist.describe() == "uniform(low=5, high=50)"
    assert s.structure["settings"]["discount"]["rate"] == 0.015
    assert s.structure["harms"]["ncii"]["label"] == "Intimate image abuse"
    assert s.extends.endswith("good.toml")


def test_scenarios_argument_applies_overrides():
    p = load_params(DATA / "good.toml", scenarios=[DATA / "scenario.toml"])
    assert p.name == "good" and p.scenarios == ("scenario",)
    assert p["g_downstream"].dist.value == 0.4


def test_replace():
    p = load_params(DATA / "good.toml")
    q = p.replace(g_value=0.2, n_upstream={"dist": "uniform", "low": 1, "high": 2})
    assert q["g_value"].dist.is_fixed and q["n_upstream"].dist.support == (1.0, 2.0)
    assert p["g_value"].dist.describe() == "uniform(low=0, high=0.3)"  # unchanged
    with pytest.raises(
        ParamFileError, match=r"\[g_valu\]: unknown parameter.*did you mean 'g_value'"
    ):
        p.replace(g_valu=1)
    with pytest.raises(ParamFileError, match=r"kind 'probability' needs support inside \[0, 1\]"):
        p.replace(p_bio=2.0)


def test_transform_copula_spearman():
    p = load_params(DATA / "good.toml")
    u = np.random.default_rng(5).random((100_000, len(p.uncertain_names)))
    x = p.transform(u)
    assert x.shape == (100_000, 5)
    rho = stats.spearmanr(x[:, 2], x[:, 3]).statistic
    assert abs(rho - 0.5) < 0.02
    assert np.all(x[:, 4] == 10)
    # full-width input gives the same result (the fixed column is ignored)
    full = np.column_stack([u, np.full(len(u), 0.3)])
    np.testing.assert_array_equal(p.transform(full), x)


# --------------------------------------------------------------------------- errors
def load(name):
    return load_params(BAD / name)


def test_error_not_toml():
    with pytest.raises(ParamFileError, match=r"not_toml.toml: not valid TOML; got .*line 1"):
        load("not_toml.toml")


def test_error_share_given_lognormal():
    with pytest.raises(
        ParamFileError,
        match=r"\[p_bio\]: kind 'share' needs support inside \[0, 1\]; got lognormal\(p05=0.01, "
        r"p95=0.1\) with support \(0, inf\); use beta, or truncate = \[0, 1\]",
    ):
        load("share_lognormal.toml")


def test_error_correlation_outside_range():
    with pytest.raises(ParamFileError, match=r"correlation rho must be in \[-1, 1\]; got rho=1.5"):
        load("corr_range.toml")


def test_error_correlation_unknown_parameter():
    with pytest.raises(ParamFileError, match=r"correlation names unknown parameter 'zz'"):
        load("corr_unknown.toml")


def test_error_correlations_not_positive_definite_names_pairs():
    with pytest.raises(
        ParamFileError, match=r"correlations are not positive definite.*got pairs a~b .*b~c .*a~c"
    ):
        load("corr_not_pd.toml")


def test_error_cyclic_extends():
    with pytest.raises(
        ParamFileError, match=r"cyclic extends; got .*cycle_a.toml -> .*cycle_b.toml -> .*cycle_a"
    ):
        load("cycle_a.toml")


def test_error_missing_extends_file():
    with pytest.raises(ParamFileError, match=r"\[extends\]: extends file not found; got .*no_such"):
        load("missing_base.toml")


def test_error_duplicate_parameter_via_include():
    with pytest.raises(
        ParamFileError,
        match=r"duplicate parameter 'a'; got defined in .*dup_part.toml and .*dup_main.toml",
    ):
        load("dup_main.toml")


def test_error_nan():
    with pytest.raises(ParamFileError, match=r"nan.toml \[a\]: 'p05' is NaN"):
        load("nan.toml")


def test_error_inf():
    with pytest.raises(ParamFileError, match=r"inf.toml \[a\]: 'high' is infinite"):
        load("inf.toml")


def test_error_override_without_source():
    with pytest.raises(
        ParamFileError, match=r"\[g_value\]: override of 'g_value' needs its own source"
    ):
        load("override_no_source.toml")


def test_error_discrete_weights():
    with pytest.raises(ParamFileError, match=r"weights.toml \[a\]: discrete weights must sum to 1"):
        load("weights.toml")


def test_error_unknown_top_level_scalar():
    with pytest.raises(ParamFileError, match=r"\[version\]: unknown top-level key 'version'"):
        load("top_scalar.toml")


def test_error_missing_file():
    with pytest.raises(ParamFileError, match=r"nope.toml: file not found"):
        load_params(DATA / "nope.toml")


def test_error_is_one_line():
    with pytest.raises(ParamFileError) as e:
        load("not_toml.toml")
    assert "\n" not in str(e.value)


def test_validate_files_reports_every_error():
    summaries, errors = validate_files([DATA / "good.toml", BAD])
    assert summaries[0].endswith(
        "good.toml: 5 parameters (4 uncertain), 1 correlations, extends none"
    )
    text = [str(e) for e in errors]
    # both errors of two_errors.toml, plus one per other bad file
    assert any("two_errors.toml [a]: lognormal needs p05 < p95" in t for t in text)
    assert any("two_errors.toml [b]: normal needs sd > 0" in t for t in text)
    names = ["not_toml", "corr_range", "corr_unknown", "corr_not_pd", "cycle_a", "nan", "inf"]
    names += ["missing_base", "dup_main", "weights", "share_lognormal", "top_scalar"]
    for name in names:
        assert any(f"{name}.toml" in t for t in text), name
    combined = ParamFileErrors(errors)
    assert str(combined).count("\n") == len(errors) - 1
