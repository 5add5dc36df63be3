"""analyse() on a small synthetic linear results object with known answers."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from model.analysis import Analysis, analyse


def _results(n=4096, seed=0):
    names = ["a", "b", "c"]
    lo, hi = np.array([0.0, 0.0, 0.0]), np.array([2.0, 1.0, 1.0])
    params = SimpleNamespace(
        names=names,
        uncertain_names=names,
        transform=lambda u: lo + np.asarray(u) * (hi - lo),
        parameters={
            n: SimpleNamespace(dist=stats.uniform(lo_, h - lo_))
            for n, lo_, h in zip(names, lo, hi, strict=True)
        },
    )

    def costs_effects(x):
        # option 0: status quo; option 1: cost b, effect a; option 2: cost 0.5, effect 0.6 + 0.1c
        c = np.column_stack([np.zeros(len(x)), x[:, 1], np.full(len(x), 0.5)])
        e = np.column_stack([np.zeros(len(x)), x[:, 0], 0.6 + 0.1 * x[:, 2]])
        return c, e

    def evaluate(x):
        c, e = costs_effects(np.asarray(x, float))
        return e - c

    x = params.transform(np.random.default_rng(seed).random((n, 3)))
    c, e = costs_effects(x)
    return SimpleNamespace(
        approaches=("status_quo", "one", "two"),
        net_benefit=e - c,
        costs=c,
        effects=e,
        inputs=pd.DataFrame(x, columns=names),
        params=params,
        evaluate=evaluate,
    )


def test_analyse_linear_known_answers():
    res = _results()
    out = analyse(res, sobol_n=256, rng=1)
    assert isinstance(out, Analysis)
    # E[nb] = (0, 1 - 0.5, 0.6 + 0.05 - 0.5) = (0, 0.5, 0.15)
    np.testing.assert_allclose(out.summary["mean"], [0.0, 0.5, 0.15], atol=0.03)
    assert out.summary["prob_best"].idxmax() == "one"
    np.testing.assert_allclose(out.summary["prob_best"].sum(), 1.0)
    np.testing.assert_allclose(out.evpi, out.summary["expected_loss"].min(), rtol=1e-12)
    assert out.ceac.shape == (31, 3)
    np.testing.assert_allclose(out.ceac.loc[0.0, "status_quo"], 1.0)  # weight 0: costs only
    # leading pair: one - two = a - b - 0.1 - 0.1 c ; tornado swing a > b > c
    assert list(out.tornado["parameter"]) == ["a", "b", "c"]
    np.testing.assert_allclose(out.tornado["swing"], [1.8, 0.9, 0.09], rtol=1e-9)
    # Sobol on the difference: variances 4/12, 1/12, 0.01/12 of uniform(0,2), U(0,1), 0.1*U
    s1 = out.sobol.xs("one - two", level="output")["S1"]
    np.testing.assert_allclose(s1, np.array([4, 1, 0.01]) / 5.01, atol=0.05)
    # switching: at medians one leads (1 - 0.5 = 0.5 vs 0.15); one = two when a - 0.5 = 0.15
    sw = out.switching_values.set_index("parameter")
    np.testing.assert_allclose(sw.loc["a", "switching_value"], 0.65, atol=1e-6)
    assert out.evppi.index[0] == "a"
    assert set(out.convergence["series"]) >= {"status_quo", "one", "two"}
    assert out.icers["status"].iloc[0] == "ND"
