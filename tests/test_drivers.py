"""decision_drivers: one ranking from tornado, switching values, EVPPI, PRIM and delta."""

import numpy as np
import pandas as pd

from model.analysis.discovery import prim
from model.analysis.drivers import decision_drivers, prim_restrictions


def _tables():
    tornado = pd.DataFrame({"parameter": ["a", "b", "c"], "swing": [5.0, 3.0, 0.0]})
    switching = pd.DataFrame({"parameter": ["a", "b", "c"], "quantile": [0.9, 0.45, None]})
    evppi = pd.DataFrame(
        {"evppi": [2.0, 1.0, 0.1], "within_noise": [False, False, True]}, index=["b", "a", "c"]
    )
    return tornado, switching, evppi


def test_ranks_and_mean_rank():
    tornado, switching, evppi = _tables()
    out = decision_drivers(tornado=tornado, switching=switching, evppi=evppi)
    # tornado a1 b2 c3(no swing); switching b1 (|0.45-0.5|) a2 c3; evppi b1 a2 c3 (noise)
    assert list(out.index) == ["b", "a", "c"]
    np.testing.assert_allclose(out.loc["b", "mean_rank"], (2 + 1 + 1) / 3)
    np.testing.assert_allclose(out.loc["a", "switch_percentile"], 90.0)
    assert out.loc["c", ["tornado_rank", "switching_rank", "evppi_rank"]].tolist() == [3, 3, 3]
    assert out.attrs["leaders"] == {"tornado": "a", "switching": "b", "evppi": "b"}
    sentence = out.attrs["sentence"]
    assert "tornado names a" in sentence and "one-at-a-time" in sentence


def test_agreement_and_silent_measures():
    tornado, _, _ = _tables()
    evppi = pd.DataFrame({"evppi": [1.0], "within_noise": [True]}, index=["a"])
    out = decision_drivers(tornado=tornado, evppi=evppi)
    assert out.attrs["silent"] == ["evppi"] and "evppi_rank" not in out
    assert out.attrs["sentence"].startswith("All 1 measures (tornado) name a")
    assert "EVPPI singles out no input" in out.attrs["sentence"]


def test_prim_restrictions_share_excluded():
    g = np.random.default_rng(0)
    x = pd.DataFrame({"u": g.random(5000), "v": g.random(5000)})
    res = prim(x, (x["u"] > 0.7).to_numpy())
    share = prim_restrictions(res.chosen, x)
    assert list(share.index) == ["u"]
    np.testing.assert_allclose(share["u"], 0.7, atol=0.03)
    out = decision_drivers(prim=share)
    assert out.index[0] == "u"
