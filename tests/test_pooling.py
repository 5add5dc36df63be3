"""Expert pooling (dist = "pool"): linear and log pools, known answers, errors."""

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from model.errors import ParamFileError
from model.inputs.distributions import Pool, expert_index, from_spec
from model.inputs.parameters import expert_indicators
from model.inputs.paramfiles import load_params
from model.inputs.sampling import sample

DATA = Path(__file__).parent / "data" / "params"
A = {"name": "Expert A", "weight": 0.6, "dist": "beta", "alpha": 2, "beta": 4}
B = {"name": "Expert B", "weight": 0.4, "dist": "uniform", "low": 0.1, "high": 0.5}
LINEAR = {"dist": "pool", "method": "linear", "experts": [A, B]}
LOG = {"dist": "pool", "method": "log", "experts": [A, B]}
U_FINE = np.concatenate(
    [
        [2.0**-53, 1e-12, 1e-9, 1e-6, 1e-4],
        np.linspace(1e-3, 1 - 1e-3, 20001),
        1 - np.array([1e-4, 1e-6, 1e-9, 1e-12]),
    ]
)
ref_a, ref_b = stats.beta(2, 4), stats.uniform(0.1, 0.4)


def _mix_cdf(x):
    return 0.6 * ref_a.cdf(x) + 0.4 * ref_b.cdf(x)


# ----------------------------------------------------------------------------- linear pool
def test_linear_pool_describe_experts_support():
    d = from_spec(LINEAR)
    assert isinstance(d, Pool)
    assert d.describe() == (
        "linear pool: Expert A 0.6 beta(alpha=2, beta=4); Expert B 0.4 uniform(low=0.1, high=0.5)"
    )
    assert [(e.name, e.weight) for e in d.experts] == [("Expert A", 0.6), ("Expert B", 0.4)]
    assert d.experts[1].dist.describe() == "uniform(low=0.1, high=0.5)"
    assert d.support == (0.0, 1.0)


def test_linear_pool_mean_var_closed_form():
    d = from_spec(LINEAR)
    m = 0.6 * ref_a.mean() + 0.4 * ref_b.mean()
    v = 0.6 * (ref_a.var() + ref_a.mean() ** 2) + 0.4 * (ref_b.var() + ref_b.mean() ** 2) - m * m
    assert d.mean() == pytest.approx(m, rel=1e-14) and d.var() == pytest.approx(v, rel=1e-12)
    # and against numerical integration of the mixture density
    mq = integrate.quad(lambda x: x * d.pdf(np.array([x]))[0], 0, 1, points=[0.1, 0.5])[0]
    assert mq == pytest.approx(m, abs=1e-10)


def test_linear_pool_exact_ppf_inverts_cdf():
    d = from_spec(LINEAR)
    x = d.ppf(U_FINE, exact=True)
    np.testing.assert_allclose(_mix_cdf(x), U_FINE, rtol=1e-12, atol=1e-15)
    for u in (0.01, 0.2, 0.5, 0.77, 0.999):  # brentq on scipy's CDFs
        r = optimize.brentq(lambda t, u=u: _mix_cdf(t) - u, 0, 1, xtol=1e-15)
        assert d.ppf(np.array([u]), exact=True)[0] == pytest.approx(r, abs=1e-13)


def test_linear_pool_table_within_stated_bound():
    d = from_spec(LINEAR)
    err = np.max(np.abs(d.ppf(U_FINE) - d.ppf(U_FINE, exact=True)))
    assert err <= d.table_error
    scale = float(np.subtract(*d.ppf(np.array([0.99, 0.01]), exact=True)))
    assert 0 < d.table_error <= 2e-6 * scale
    # around the kinks where Expert B's support ends (F(0.1), F(0.5)), densely
    for b in (0.1, 0.5):
        ub = _mix_cdf(b)
        u = ub + np.linspace(-1e-3, 1e-3, 20001)
        assert np.max(np.abs(d.ppf(u) - d.ppf(u, exact=True))) <= d.table_error


def test_linear_pool_gap_between_experts():
    d = from_spec(
        {
            "dist": "pool",
            "method": "linear",
            "experts": [
                {"name": "low", "weight": 0.5, "dist": "uniform", "low": 0, "high": 0.2},
                {"name": "high", "weight": 0.5, "dist": "uniform", "low": 0.6, "high": 1},
            ],
        }
    )
    u = np.linspace(1e-6, 1 - 1e-6, 200001)
    x = d.ppf(u)
    assert not np.any((x > 0.2 + 1e-12) & (x < 0.6 - 1e-12))  # nothing in the gap
    expected = np.where(u < 0.5, 0.4 * u, 0.6 + 0.8 * (u - 0.5))
    np.testing.assert_allclose(x, expected, rtol=0, atol=d.table_error)
    assert d.table_error < 1e-6


@pytest.mark.slow
def test_linear_pool_sample_matches_mixture():
    d = from_spec(LINEAR)
    s = d.ppf(np.random.default_rng(3).random(200_000))
    assert stats.kstest(s, _mix_cdf).pvalue > 1e-3
    assert s.mean() == pytest.approx(d.mean(), abs=4 * math.sqrt(d.var() / s.size))


# ----------------------------------------------------------------------------- log pool
def test_log_pool_of_normals_is_precision_weighted_normal():
    w1, w2 = 0.3, 0.7
    d = from_spec(
        {
            "dist": "pool",
            "method": "log",
            "experts": [
                {"name": "a", "weight": w1, "dist": "normal", "mean": 0, "sd": 1},
                {"name": "b", "weight": w2, "dist": "normal", "mean": 3, "sd": 2},
            ],
        }
    )
    tau = w1 / 1**2 + w2 / 2**2
    ref = stats.norm((w1 * 0 / 1 + w2 * 3 / 4) / tau, tau**-0.5)
    np.testing.assert_allclose(d.ppf(U_FINE), ref.ppf(U_FINE), rtol=0, atol=d.table_error)
    assert d.table_error < 1e-5
    assert d.mean() == pytest.approx(ref.mean(), abs=1e-9)
    assert d.var() == pytest.approx(ref.var(), rel=1e-8)
    x = np.linspace(-3, 6, 19)
    np.testing.assert_allclose(d.pdf(x), ref.pdf(x), rtol=1e-8)


def test_log_pool_against_numerical_integration():
    d = from_spec(LOG)
    assert d.support == (0.1, 0.5)

    def g(x):
        return ref_a.pdf(x) ** 0.6 * ref_b.pdf(x) ** 0.4

    z = integrate.quad(g, 0.1, 0.5, epsabs=1e-14, epsrel=1e-13)[0]
    for u in (1e-6, 0.01, 0.3, 0.5, 0.9, 0.999, 1 - 1e-6):
        x = d.ppf(np.array([u]))[0]
        # the exact quantile, by root-finding on the quad-integrated CDF
        r = optimize.brentq(
            lambda t, u=u: integrate.quad(g, 0.1, t, epsabs=1e-15, epsrel=1e-13)[0] / z - u,
            0.1,
            0.5,
            xtol=1e-14,
        )
        assert abs(x - r) <= d.table_error, (u, x, r)
    mq = integrate.quad(lambda t: t * g(t), 0.1, 0.5, epsabs=1e-14)[0] / z
    assert d.mean() == pytest.approx(mq, abs=1e-9)
    assert d.pdf(np.array([0.3]))[0] == pytest.approx(g(0.3) / z, rel=1e-8)
    with pytest.raises(ValueError, match="log pool is not a mixture"):
        expert_index(d, np.array([0.3]))


# ----------------------------------------------------------------------------- parameter files
def test_parameter_file_with_pools():
    p = load_params(DATA / "pooling.toml")
    par = p["cyber_share_modified"]
    assert [e.name for e in par.experts] == ["Expert A", "Expert B"]
    assert par.experts[0].source == "assumption: test elicitation A"
    assert p["n_upstream"].experts == ()
    df = p.to_frame()
    assert df.loc[0, "distribution"].startswith("linear pool: Expert A 0.6 beta(alpha=2, beta=4)")
    assert df.loc[1, "distribution"].startswith("log pool: Expert A 0.5 beta(mean=0.3, sd=0.1)")
    ex = p.experts_frame()
    assert list(ex["expert"]) == ["Expert A", "Expert B", "Expert A", "Expert C"]
    assert list(ex.columns) == ["parameter", "method", "expert", "weight", "distribution", "source"]
    d = sample(p, 4096, design="sobol", rng=1)
    assert d["cyber_share_modified"].mean() == pytest.approx(par.dist.mean(), abs=2e-3)
    assert stats.spearmanr(d["cyber_share_modified"], d["leak"])[0] == pytest.approx(0.4, abs=0.05)
    assert pickle.loads(pickle.dumps(p)) == p


def test_expert_indicators_posterior():
    p = load_params(DATA / "pooling.toml")
    d = sample(p, 50_000, design="random", rng=2)
    ind = expert_indicators(p, d, rng=5)
    assert list(ind.columns) == ["cyber_share_modified"]  # the log pool is not a mixture
    i = ind["cyber_share_modified"].to_numpy()
    x = d["cyber_share_modified"]
    assert i.mean() == pytest.approx(0.4, abs=0.01)  # P(expert B) = its weight
    # outside Expert B's support every draw is Expert A's
    assert np.all(i[(x < 0.1) | (x > 0.5)] == 0)
    # given the expert, the values follow that expert (Expert B: uniform on [0.1, 0.5])
    assert stats.kstest(x[i == 1], ref_b.cdf).pvalue > 1e-3
    assert stats.kstest(x[i == 0], ref_a.cdf).pvalue > 1e-3
    np.testing.assert_array_equal(i, expert_indicators(p, d, rng=5)["cyber_share_modified"])


def test_replace_with_pool_checks_kind():
    p = load_params(DATA / "pooling.toml")
    q = p.replace(leak=LINEAR)
    assert q["leak"].experts[0].name == "Expert A"
    bad = {**LINEAR, "experts": [A, {**B, "dist": "normal", "mean": 0.3, "sd": 0.2}]}
    bad["experts"][1] = {
        "name": "Expert B",
        "weight": 0.4,
        "dist": "normal",
        "mean": 0.3,
        "sd": 0.2,
    }
    with pytest.raises(ParamFileError, match="truncate = \\[0, 1\\] in the table of expert"):
        p.replace(leak=bad)


# ----------------------------------------------------------------------------- errors
def _err(name):
    return DATA / f"pooling_bad_{name}.toml"


def test_error_weights_do_not_sum_to_one():
    with pytest.raises(
        ParamFileError,
        match=r"pooling_bad_weights.toml \[cyber_share_modified\]: expert weights must sum to 1; "
        r"got weights 0.6 \+ 0.5 = 1.1; divide each weight by 1.1",
    ):
        load_params(_err("weights"))


def test_error_fewer_than_two_experts():
    with pytest.raises(
        ParamFileError, match=r"\[cyber_share_modified\]: a pool needs at least two experts"
    ):
        load_params(_err("one_expert"))


def test_error_unknown_method():
    with pytest.raises(
        ParamFileError,
        match=r"unknown pooling method; got method='geometric'; use method = \"linear\" or \"log\"",
    ):
        load_params(_err("method"))


def test_error_invalid_expert_distribution_names_expert():
    with pytest.raises(
        ParamFileError,
        match=r"\[cyber_share_modified expert 'Expert B'\]: uniform needs low < high",
    ):
        load_params(_err("expert"))


def test_error_log_pool_supports_do_not_overlap():
    with pytest.raises(
        ParamFileError,
        match=r"log pool needs experts whose supports overlap; got supports Expert A \(0.6, 0.9\)",
    ):
        load_params(_err("log_support"))


def test_error_kind_against_pooled_support():
    with pytest.raises(
        ParamFileError,
        match=r"kind 'share' needs support inside \[0, 1\]; got linear pool: "
        r".* support \(-inf, inf\)",
    ):
        load_params(_err("kind"))


def test_error_weight_not_positive_and_unknown_key():
    bad = {**LINEAR, "experts": [{**A, "weight": -0.6}, B]}
    with pytest.raises(
        ParamFileError, match=r"expert 'Expert A'\]: expert weight must be a positive number"
    ):
        from_spec(bad, ("f.toml", "x"))
    with pytest.raises(ParamFileError, match=r"unknown key 'truncate' for a pool"):
        from_spec({**LINEAR, "truncate": [0, 1]}, ("f.toml", "x"))
    with pytest.raises(ParamFileError, match=r"pooled experts need a continuous distribution"):
        from_spec({**LINEAR, "experts": [A, {"name": "c", "weight": 0.4, "value": 0.3}]}, "x")


def test_errors_are_one_line():
    for name in ("weights", "one_expert", "method", "expert", "log_support", "kind"):
        with pytest.raises(ParamFileError) as e:
            load_params(_err(name))
        assert "\n" not in str(e.value) and "pooling_bad" in str(e.value)
