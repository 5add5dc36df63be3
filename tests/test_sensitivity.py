"""Known-answer tests for model.analysis.sensitivity: Ishigami, G-function, linear models, SALib."""

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from reference_cases import reference_case
from scipy import stats

from model import sensitivity as sa
from model.analysis.sensitivity.one_at_a_time import BISECTIONS

PI = np.pi


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


ISHIGAMI = {"names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}


def _ishigami_expected():
    p = reference_case("01_ishigami") / "expected.json"
    e = json.loads(p.read_text())["expected"]
    return list(e["S1"].values()), list(e["ST"].values())


def test_ishigami_dict_problem_n2_12():
    s1, st = _ishigami_expected()
    res = sa.sobol(ishigami, ISHIGAMI, n=2**12, rng=1)
    np.testing.assert_allclose(res.first[0], s1, atol=0.02)
    np.testing.assert_allclose(res.total[0], st, atol=0.02)
    assert res.n_evaluations == 2**12 * 5
    assert (res.first_conf > 0).all() and (res.first_conf < 0.05).all()
    assert res.to_frame().shape == (3, 4)


class UniformSet:
    """A minimal ParameterSet-like object (duck type)."""

    def __init__(self, lo, hi, names):
        self.lo, self.hi, self.names = np.asarray(lo, float), np.asarray(hi, float), names
        self.parameters = {
            n: SimpleNamespace(dist=stats.uniform(lo_, h - lo_))
            for n, lo_, h in zip(names, self.lo, self.hi, strict=True)
        }
        self.uncertain_names = names

    def transform(self, u):
        return self.lo + np.asarray(u) * (self.hi - self.lo)


@pytest.mark.slow
def test_ishigami_parameterset_second_order_n2_14():
    s1, st = _ishigami_expected()
    ps = UniformSet([-PI] * 3, [PI] * 3, ["x1", "x2", "x3"])
    res = sa.sobol(ishigami, ps, n=2**14, second_order=True, rng=2)
    np.testing.assert_allclose(res.first[0], s1, atol=0.01)
    np.testing.assert_allclose(res.total[0], st, atol=0.01)
    np.testing.assert_allclose(res.second[0, 0, 2], 0.2436836640621477, atol=0.02)
    np.testing.assert_allclose(res.second[0, 0, 1], 0.0, atol=0.02)


def g_function(a):
    a = np.asarray(a, float)

    def f(x):
        return np.prod((np.abs(4 * x - 2) + a) / (1 + a), axis=1)

    vi = 1 / (3 * (1 + a) ** 2)
    v = np.prod(1 + vi) - 1
    s1 = vi / v
    st = vi * np.prod(1 + vi) / (1 + vi) / v
    return f, s1, st


@pytest.mark.parametrize("fname", ["problem_a6.csv", "problem_a8.csv"])
def test_sobol_g_function(fname):
    p = reference_case("02_sobol_g") / fname
    a = pd.read_csv(p)["a"].to_numpy()
    f, s1, st = g_function(a)
    problem = {"names": [f"x{i}" for i in range(len(a))], "bounds": [[0, 1]] * len(a)}
    res = sa.sobol(f, problem, n=2**13, rng=3)
    np.testing.assert_allclose(res.first[0], s1, atol=0.02)
    np.testing.assert_allclose(res.total[0], st, atol=0.02)


def test_linear_models_and_multi_output():
    problem = {"names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * 3}

    def f(x):
        return np.column_stack([x @ [1.0, 2.0, 3.0], x @ [3.0, 0.0, 0.0]])

    res = sa.sobol(f, problem, n=2**13, rng=4, output_names=["L1", "only_x1"])
    want = np.array([1, 4, 9]) / 14
    np.testing.assert_allclose(res.first[0], want, atol=0.01)
    np.testing.assert_allclose(res.total[0], want, atol=0.01)
    np.testing.assert_allclose(res.first[1], [1, 0, 0], atol=1e-12)
    assert res.to_frame().loc[("only_x1", "x1"), "ST"] == pytest.approx(1.0)


def test_linear_normal_l2_through_dists():
    problem = {
        "names": ["x1", "x2", "x3", "x4"],
        "bounds": [[0, 1], [1, 3], [-2, 2], [10, 5]],
        "dists": ["norm"] * 4,
    }
    res = sa.sobol(lambda x: x @ [2.0, -1.0, 0.5, 0.0], problem, n=2**13, rng=5)
    want = np.array([4, 9, 1, 0]) / 14
    np.testing.assert_allclose(res.first[0], want, atol=0.02)
    np.testing.assert_allclose(res.total[0], want, atol=0.02)


def test_sobol_matches_salib_analyze_exactly():
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    for second in (False, True):
        d = 5
        prob = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
        x = salib_sample.sample(prob, 512, calc_second_order=second, seed=3)
        y = x[:, 0] + 2 * x[:, 1] * x[:, 2] ** 2 + np.sin(6 * x[:, 3])
        ref = salib_sobol.analyze(prob, y, calc_second_order=second, num_resamples=100, seed=7)
        got = sa.sobol_indices(y, d, 512, second, 100, 0.95, 7)
        for i, key in enumerate(["S1", "ST", "S1_conf", "ST_conf"]):
            np.testing.assert_allclose(got[i], ref[key], rtol=0, atol=1e-10)
        if second:
            np.testing.assert_allclose(got[4], ref["S2"], atol=1e-10)
            np.testing.assert_allclose(got[5], ref["S2_conf"], atol=1e-10)


def test_sobol_rejects_non_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        sa.sobol(ishigami, ISHIGAMI, n=1000)


def test_morris_linear_exact():
    """A unit step spans the 0.5th to 99.5th percentile: 0.99 of a uniform's width."""
    problem = {"names": ["x1", "x2", "x3"], "bounds": [[0, 1], [0, 2], [-1, 4]]}
    res = sa.morris(lambda x: x @ [1.0, 2.0, 3.0], problem, r=10, rng=1)
    np.testing.assert_allclose(res["mu_star"], 0.99 * np.array([1.0, 4.0, 15.0]), rtol=1e-9)
    np.testing.assert_allclose(res["mu"], 0.99 * np.array([1.0, 4.0, 15.0]), rtol=1e-9)
    assert "99.5th percentile" in res.attrs["units"]
    np.testing.assert_allclose(res["sigma"], 0.0, atol=1e-9)


def test_morris_unbounded_marginals_are_finite():
    ps = SimpleNamespace(names=["a", "b"], transform=lambda u: stats.norm.ppf(u))
    res = sa.morris(lambda x: x[:, 0] + 0 * x[:, 1], ps, r=8, rng=2)
    assert np.isfinite(res.to_numpy(float)).all()
    assert res.loc["b", "mu_star"] == 0.0


@pytest.mark.parametrize(("d", "n", "second_order", "seed"), [(3, 8, True, 5), (17, 64, False, 9)])
def test_saltelli_design_is_salibs(d, n, second_order, seed):
    from SALib.sample import sobol as salib_sample

    prob = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    ref = salib_sample.sample(prob, n, calc_second_order=second_order, seed=seed)
    np.testing.assert_array_equal(sa.saltelli_design(d, n, second_order, seed), ref)


def test_rbd_fast_matches_salib():
    from SALib.analyze import rbd_fast as salib_rbd

    rng = np.random.default_rng(1)
    x = rng.random((3001, 4))
    y = x[:, 0] + 2 * x[:, 1] ** 2 + x[:, 2] * x[:, 3]
    prob = {"num_vars": 4, "names": list("abcd"), "bounds": [[0, 1]] * 4}
    ref = salib_rbd.analyze(prob, x, y, M=10, num_resamples=50, seed=4)
    got = sa.rbd_fast(x, y, list("abcd"), m=10, n_boot=50, rng=4)
    np.testing.assert_allclose(got["S1"], ref["S1"], atol=1e-10)
    np.testing.assert_allclose(got["S1_conf"], ref["S1_conf"], atol=1e-10)


def test_delta_matches_salib_deterministic_part():
    from SALib.analyze import delta as salib_delta

    rng = np.random.default_rng(2)
    n = 3000
    x = rng.random((n, 3))
    y = x[:, 0] + 3 * x[:, 1] ** 2
    exp = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    m = np.linspace(0, n, int(np.round(min(int(np.ceil(n**exp)), 48))) + 1)
    grid = np.linspace(y.min(), y.max(), 100)
    got = sa.delta(x, y, ["a", "b", "c"], n_boot=5, rng=1)
    for j, name in enumerate("abc"):
        np.testing.assert_allclose(
            got.loc[name, "delta"], salib_delta.calc_delta(y, grid, x[:, j], m), atol=1e-10
        )
        np.testing.assert_allclose(
            got.loc[name, "S1"], salib_delta.sobol_first(y, x[:, j], m), atol=1e-10
        )
    assert got.loc["b", "delta"] > got.loc["a", "delta"] > got.loc["c", "delta"]
    assert (got["delta_conf"] > 0).all()


@pytest.mark.parametrize("threads", [1, 3])
def test_rbd_fast_matches_salib_odd_n_and_rng_stream(threads):
    """Odd sizes, several blocks of resamples (230 > 104 a block), on one or three threads."""
    from SALib.analyze import rbd_fast as salib_rbd

    rng = np.random.default_rng(11)
    n = 20001  # odd n, odd half: the resample size and zig-zag both change parity
    x = np.column_stack([rng.normal(size=n), rng.gamma(2.0, size=n), rng.random(n)])
    y = np.sin(3 * x[:, 0]) + 0.3 * x[:, 1] ** 2 + 0.05 * rng.normal(size=n)
    prob = {"num_vars": 3, "names": list("abc"), "bounds": [[0, 1]] * 3}
    ref = salib_rbd.analyze(prob, x, y, M=6, num_resamples=230, conf_level=0.9, seed=8)
    got = sa.rbd_fast(
        x, y, m=6, n_boot=230, conf=0.9, rng=np.random.default_rng(8), threads=threads
    )
    np.testing.assert_allclose(got["S1"], ref["S1"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(got["S1_conf"], ref["S1_conf"], rtol=0, atol=1e-10)
    assert got["S1_conf"].gt(0).all()
    assert sa.rbd_fast(x, y, n_boot=0)["S1_conf"].isna().all()
    with pytest.raises(ValueError, match="needs at least 42 draws"):
        sa.rbd_fast(x[:41], y[:41])
    with pytest.raises(ValueError, match="threads must be a positive integer or None, got 0"):
        sa.rbd_fast(x, y, threads=0)


@pytest.mark.parametrize("case", ["heavy_tail", "near_discrete", "atom", "tied_inputs", "small_n"])
def test_delta_kde_expansion_matches_salib_calc_delta(case):
    """The anchored kernel expansion against scipy's direct KDE inside SALib calc_delta."""
    from SALib.analyze import delta as salib_delta

    rng = np.random.default_rng(12)
    n = 150 if case == "small_n" else 6000
    x = rng.random((n, 3))
    y = {
        "heavy_tail": np.exp(3 * rng.normal(size=n)) * x[:, 0] + x[:, 1],
        "near_discrete": np.round(5 * x[:, 0]) + 1e-4 * x[:, 1],  # bandwidths << grid step
        "atom": np.where(x[:, 0] < 0.5, 0.0, x[:, 1]),  # classes with a constant output
        "tied_inputs": x[:, 0] + x[:, 1] ** 2,
        "small_n": x[:, 0] + x[:, 1] ** 2,
    }[case]
    if case == "tied_inputs":
        x = np.floor(4 * x)
    exp = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    m = np.linspace(0, n, int(np.round(min(int(np.ceil(n**exp)), 48))) + 1)
    grid = np.linspace(y.min(), y.max(), 100)
    got = sa.delta(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns about skipped classes
        want = [salib_delta.calc_delta(y, grid, x[:, j], m) for j in range(3)]
        s1 = [salib_delta.sobol_first(y, x[:, j], m) for j in range(3)]
    np.testing.assert_allclose(got["delta"], want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got["S1"], s1, rtol=0, atol=1e-10)


def test_delta_rejects_constant_output():
    with pytest.raises(ValueError, match="y is constant"):
        sa.delta(np.random.default_rng(0).random((50, 2)), np.ones(50))


def _decision_model():
    ps = UniformSet([0, 0, 0], [1, 2, 1], ["a", "b", "c"])

    def f(x):  # option 0: 0; option 1: a - 0.5*b ; option 2: 0.2*c - 0.05
        return np.column_stack([np.zeros(len(x)), x[:, 0] - 0.5 * x[:, 1], 0.2 * x[:, 2] - 0.05])

    return ps, f


def test_tornado_one_way_on_marginals():
    ps, f = _decision_model()
    t = sa.tornado(lambda x: f(x)[:, 1], ps)
    assert list(t["parameter"]) == ["a", "b", "c"]
    np.testing.assert_allclose(t["swing"], [0.9, 0.9, 0.0], atol=1e-12)
    np.testing.assert_allclose(t.loc[0, "low_value"], 0.05)
    np.testing.assert_allclose(t["base"], 0.0, atol=1e-12)


def test_spider_two_way_and_switching_values():
    ps, f = _decision_model()
    sp = sa.spider(lambda x: f(x)[:, 1], ps, quantiles=[0.1, 0.9])
    np.testing.assert_allclose(sp.loc[sp.parameter == "b", "y"], [0.4, -0.4], atol=1e-12)
    tw = sa.two_way(f, ps, "a", "b", grid=3, option_names=["none", "A", "C"])
    assert tw.shape == (3, 3) and tw.iloc[2, 0] == "A" and tw.iloc[0, 2] == "C"
    sw = sa.switching_values(f, ps, option_names=["none", "A", "C"]).set_index("parameter")
    # at the medians option 1 (0.5 - 0.5 = 0) ties 0; option 2 = 0.05 leads.
    # a: option 1 overtakes option 2 when a - 0.5 = 0.05
    np.testing.assert_allclose(sw.loc["a", "switching_value"], 0.55, atol=1e-9)
    assert sw.loc["a", "to_option"] == "A"
    np.testing.assert_allclose(sw.loc["c", "switching_value"], 0.25, atol=1e-9)
    np.testing.assert_allclose(sw.loc["b", "switching_value"], 0.9, atol=1e-9)
    with pytest.raises(ValueError, match="unknown parameter 'zz'"):
        sa.switching_values(f, ps, names=["zz"])


def test_switching_values_walk_the_bisection_exactly():
    """Several bisection steps a call of the model give the quantiles one step a call gives,
    bit for bit, including roots a midpoint hits exactly (in the first step and after it)."""
    q = np.linspace(0.005, 0.995, 41)
    lo, hi = q[30], q[31]
    r_a = 0.5 * (lo + hi)  # the first midpoint
    for up in (False, True, False, True, False):  # a midpoint six steps down: a later call
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if up else (lo, mid)
    roots = {"a": r_a, "b": 0.5 * (lo + hi), "c": 0.8123456789}

    def f(x):  # option 1 leads (1) below each root, ties (0) at it, trails (-1) above it
        steps = [np.sign(r - x[:, j]) for j, r in enumerate(roots.values())]
        return np.column_stack([np.zeros(len(x)), np.min(steps, axis=0)])

    def bisection(r):  # one step at a time, as a call per step would
        i = int(np.searchsorted(q, r)) - 1
        lo, hi = q[i], q[i + 1]
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            s = np.sign(r - mid)
            lo, hi = (mid, hi) if s > 0 else (lo, mid)
            if s == 0:
                lo = hi = mid
        return 0.5 * (lo + hi)

    problem = {"names": list(roots), "bounds": [[0.0, 1.0]] * 3}
    sw = sa.switching_values(f, problem).set_index("parameter")
    assert sw.loc["a", "quantile"] == r_a and sw.loc["b", "quantile"] == roots["b"]
    assert sw.loc["c", "quantile"] == bisection(roots["c"])
    assert [sw.loc[k, "quantile"] for k in roots] == [bisection(r) for r in roots.values()]


def test_convergence_warning():
    rng = np.random.default_rng(0)
    nb = rng.normal(size=(2000, 3)) + np.array([0.0, 0.01, 5.0])
    res = sa.convergence(nb, names=["a", "b", "c"])
    assert res.warning is None
    last = res.table[res.table.n == 2000].set_index("series")
    np.testing.assert_allclose(last.loc["c", "mean"], nb[:, 2].mean())
    np.testing.assert_allclose(last.loc["c", "se"], nb[:, 2].std(ddof=1) / np.sqrt(2000))
    close = sa.convergence(rng.normal(size=(500, 2)))
    assert "not stable" in close.warning


def test_morris_on_lognormal_is_bounded_by_the_995_range():
    ps = SimpleNamespace(names=["a", "b"], transform=lambda u: stats.lognorm.ppf(u, s=3.0))
    res = sa.morris(lambda x: x[:, 0] + x[:, 1], ps, r=20, rng=4)
    width = stats.lognorm.ppf(0.995, s=3.0) - stats.lognorm.ppf(0.005, s=3.0)
    assert (res["mu_star"] <= width * (1 + 1e-9)).all()


def test_global_ranking_on_heavy_tails_is_stable_and_beats_noise():
    g = np.random.default_rng(0)
    x = g.normal(size=(20_000, 12))
    y = np.exp(3 * x[:, 0] + 1.5 * x[:, 1]) * g.standard_t(1.5, 20_000)  # heavy-tailed
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.SensitivityWarning)
        table = sa.global_ranking(x, y, top=2, rng=1)
    assert list(table.index[:2]) == ["x0", "x1"]
    assert table.attrs["agreement"] == 1.0 and table.attrs["warnings"] == ()
    assert table.loc[["x0", "x1"], "above_noise"].all()
    assert not table["above_noise"].iloc[2:].any()
    assert ((table["delta"] >= 0) & (table["delta"] <= 1)).all()


def test_unstable_ranking_and_out_of_range_indices_warn():
    g = np.random.default_rng(1)
    x = g.normal(size=(400, 30))
    with pytest.warns(sa.SensitivityWarning, match="not stable"):
        table = sa.global_ranking(x, g.standard_t(1.2, 400), rng=0)
    assert table.attrs["agreement"] < 0.8
    bad = pd.DataFrame({"S1": [1.251, 0.1], "ST": [0.5, -0.2]}, index=["a", "b"])
    msgs = sa.index_problems(bad)
    assert len(msgs) == 2 and "a: 1.25" in msgs[0] and "b: -0.2" in msgs[1]
    heavy = {"names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    with pytest.warns(sa.SensitivityWarning, match="outside"):
        sa.sobol(lambda u: np.exp(40 * u[:, 0]) * (u[:, 1] - 0.5), heavy, n=16, rng=1)
    assert sa.rank_agreement(pd.Series([3, 2, 1]), pd.Series([1, 2, 3]), top=1) == 0.0
