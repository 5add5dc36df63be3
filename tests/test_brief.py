"""The brief's content: headline figures, value judgements, appraisal summary, traceability.

Numbers are checked against hand-worked values or an independent route through the API.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import model
from model.report.brief import FlipRow, build_brief
from model.report.content import param_label, switching_order
from model.report.influence import influence_svg, structure
from model.report.interactive import payload
from model.study.appraisal import OptimismBias, appraisal, transfers
from model.study.central import central_case
from model.study.judgements import Judgements, reweigh

BASELINE = Path(__file__).resolve().parents[1] / "params" / "baseline.toml"
SCENARIOS = BASELINE.parent / "scenarios"


@pytest.fixture(scope="module")
def results(baseline_results_small):
    return baseline_results_small


@pytest.fixture(scope="module")
def judged(results):
    return Judgements(results, m=512)


def test_eandcb_annuitises_business_costs_at_the_green_book_rate(results):
    ap = appraisal(results)
    # 3.5% for ten years, payments in years 0..9: (1 - 1.035^-10) / (1 - 1/1.035) = 8.6077
    annuity = (1 - 1.035**-10) / (1 - 1 / 1.035)
    assert annuity == pytest.approx(8.607687, rel=1e-6)
    o = results.outcomes
    business = o.burden[:, :, 0] + o.burden[:, :, 1]  # upstream + downstream
    np.testing.assert_allclose(ap["eandcb"], business.mean(axis=0) / annuity, rtol=1e-12)
    np.testing.assert_allclose(
        ap["business_npv"], -(business + o.transfers).mean(axis=0), rtol=1e-12
    )
    j = results.approaches.index("targeted_downstream")
    assert ap["cost_per_entity_year"].iloc[j] == pytest.approx(
        ap["eandcb"].iloc[j] / o.entities[:, j].mean()
    )


def test_npsv_bcr_and_optimism_bias(results):
    ap = appraisal(results, OptimismBias(costs=0.2, benefits=0.1))
    nb = results.net_benefit
    np.testing.assert_allclose(ap["npsv_central"], np.median(nb, axis=0))
    np.testing.assert_allclose(ap["npsv_low"], np.quantile(nb, 0.05, axis=0))
    j = results.approaches.index("combined")
    assert ap["bcr"].iloc[j] == pytest.approx(
        results.effects[:, j].mean() / results.costs[:, j].mean()
    )
    assert np.isnan(ap["bcr"].iloc[0])  # the status quo costs nothing: no ratio
    adjusted = 0.9 * results.effects - 1.2 * results.costs
    np.testing.assert_allclose(ap["optimism_mean"], adjusted.mean(axis=0), rtol=1e-12)
    none = appraisal(results, OptimismBias(costs=0.0, benefits=0.0))
    np.testing.assert_allclose(none["optimism_mean"], nb.mean(axis=0), rtol=1e-9, atol=1e-3)


def test_every_appraisal_figure_has_its_90pct_interval_across_draws(results):
    ap = appraisal(results)
    o = results.outcomes
    annuity = float(results.regulation.settings.discount.sum())
    business = o.burden[:, :, 0] + o.burden[:, :, 1]
    per_draw = {
        "pv_benefits": results.effects,
        "pv_costs": results.costs,
        "business_npv": -(business + o.transfers),
        "eandcb": business / annuity,
        "transfers": o.transfers,
    }
    for name, x in per_draw.items():
        np.testing.assert_allclose(ap[f"{name}_low"], np.quantile(x, 0.05, axis=0))
        np.testing.assert_allclose(ap[f"{name}_high"], np.quantile(x, 0.95, axis=0))
        np.testing.assert_allclose(ap[name], x.mean(axis=0), rtol=1e-12)
        assert (ap[f"{name}_low"] <= ap[f"{name}_high"]).all()
    # the ratio: of the means, with the per-draw ratio's interval where PV costs are positive
    j = results.approaches.index("combined")
    b, c = results.effects[:, j], results.costs[:, j]
    ratio = b[c > 0] / c[c > 0]
    assert ap["bcr"].iloc[j] == pytest.approx(b.mean() / c.mean())
    assert ap["bcr_low"].iloc[j] == pytest.approx(np.quantile(ratio, 0.05))
    assert ap["bcr_high"].iloc[j] == pytest.approx(np.quantile(ratio, 0.95))
    assert ap["bcr_draws"].iloc[j] == pytest.approx((c > 0).mean())
    assert np.isnan(ap["bcr_low"].iloc[0]) and ap["bcr_draws"].iloc[0] == 0  # status quo


def test_transfers_by_payer_and_recipient_sum_to_outcomes_transfers(results):
    t = transfers(results)
    paid = results.outcomes.transfers
    liable = [a for j, a in enumerate(results.approaches) if (paid[:, j] != 0).any()]
    assert liable and list(dict.fromkeys(t["approach"])) == liable  # only approaches with any
    for a, rows in t.groupby("approach", sort=False):
        j = results.approaches.index(a)
        mean = paid[:, j].mean()
        received = rows.set_index("role")
        assert received.loc["receives", "pv_mean"] == pytest.approx(mean, rel=1e-12)
        assert received.loc["pays", "pv_mean"] == pytest.approx(-mean, rel=1e-12)
        assert rows["pv_mean"].sum() == pytest.approx(0.0, abs=1e-9 * mean)  # nets to zero
        assert received.loc["receives", "pv_low"] == pytest.approx(np.quantile(paid[:, j], 0.05))
        assert received.loc["pays", "pv_low"] == pytest.approx(-np.quantile(paid[:, j], 0.95))


def test_central_case_is_the_model_at_the_medians_step_by_step(results):
    cc = central_case(results)
    frame = results.params.to_frame().set_index("name")
    for name in ("vsl", "leakage", "n_downstream"):
        assert cc.inputs[name] == pytest.approx(frame.loc[name, "median"], rel=1e-6)
    nb = results.evaluate(cc.inputs.to_numpy()[None])[0]
    for j, a in enumerate(results.approaches):
        costs = cc.costs(a)
        assert costs["net_benefit"] == pytest.approx(nb[j], rel=1e-12, abs=1e-3)
        averted = cc.harms(a)["risk_reduction"].sum()
        spent = costs[["burden_upstream", "burden_downstream", "burden_regulator"]].sum()
        assert averted - spent - costs["innovation_cost"] == pytest.approx(nb[j], rel=1e-9)
    # bio in year 0 = uplift x share modified x deaths x VSL, at the medians
    x = cc.inputs
    hand = x["bio_uplift_probability"] * x["bio_share_modified"] * x["bio_deaths"] * x["vsl"]
    assert cc.harm_year0["bio"] == pytest.approx(hand, rel=1e-12)


def test_reweigh_at_the_run_judgements_is_the_run_itself(results, judged):
    t = judged.reweigh()
    nb = results.net_benefit[:512]
    np.testing.assert_allclose(t["mean"], nb.mean(axis=0), rtol=1e-9, atol=1e-3)
    np.testing.assert_allclose(t["p95"], np.quantile(nb, 0.95, axis=0), rtol=1e-9, atol=1e-3)


def test_vsl_scale_and_innovation_weight_by_hand(results, judged):
    o = results.outcomes
    h = list(results.harms)
    life = o.risk_reduction[:512, :, [h.index("ncii"), h.index("bio")]].sum(axis=2)
    nb = results.net_benefit[:512] + life + 0.5 * o.innovation_cost[:512]  # vsl 2x, innov 0.5x
    t = judged.reweigh(vsl_scale=2.0, innovation_weight=0.5)
    np.testing.assert_allclose(t["mean"], nb.mean(axis=0), rtol=1e-9, atol=1e-3)
    assert t["prob_best"].sum() == pytest.approx(1.0)


def test_standing_and_discount_match_their_scenario_files(results, judged):
    for scenario, kw in (
        ("jurisdiction_standing", {"standing": "jurisdiction"}),
        ("discount_us_7pct", {"discount": "discount_us_7pct"}),
    ):
        p = model.load_params(BASELINE, scenarios=[SCENARIOS / f"{scenario}.toml"])
        other = model.simulate(p, n=results.n, rng=results.provenance["seed"])
        same = [i for i, n in enumerate(p.names) if p[n].dist == results.params[n].dist]
        assert len(same) >= len(p.names) - 1  # the EU VSL is the standing file's only change
        np.testing.assert_array_equal(other.draws[:, same], results.draws[:, same])
        t = reweigh(results, m=512, **kw)
        np.testing.assert_allclose(
            t["mean"], other.net_benefit[:512].mean(axis=0), rtol=1e-9, atol=1e-3
        )


def test_alternatives_cover_every_declared_judgement(judged):
    alts = judged.alternatives()
    kinds = [a.judgement for a in alts]
    assert kinds.count("standing") == 1 and kinds.count("horizon") == 1
    assert kinds.count("discounting") == 4  # four presets, none the Green Book schedule
    horizon = next(a for a in alts if a.judgement == "horizon")
    assert horizon.setting == "a 20-year horizon"
    for a in alts:
        assert a.best == a.table["mean"].idxmax()
        assert a.reference.equals(alts[0].reference)
    standing = alts[0]
    gap, se = standing.gap("combined", "upstream_mitigation")
    t = standing.table
    assert gap == pytest.approx(t.loc["combined", "mean"] - t.loc["upstream_mitigation", "mean"])
    assert 0 < se < min(t.loc["combined", "mcse"], t.loc["upstream_mitigation", "mcse"])


def test_switching_values_closest_to_the_median_first():
    sw = pd.DataFrame(
        {
            "parameter": ["a", "b", "c", "d"],
            "switching_value": [1.0, 2.0, np.nan, 3.0],
            "quantile": [0.9, 0.417, np.nan, 0.6],
            "to_option": ["x", "y", None, "z"],
        }
    )
    assert list(switching_order(sw)["parameter"]) == ["b", "d", "a"]


def test_brief_headline_and_flip_rows(results):
    analysis = model.report.analysis_for(results, sobol_n=64)
    extra = FlipRow("structure", "no substitution", "Status quo: $0", True)
    b = build_brief(results, analysis, judged=Judgements(results, m=512), more_flips=[extra])
    assert b.flips[-1] == extra  # more rows join the declared judgements
    best = results.approaches[int(np.argmax(results.net_benefit.mean(axis=0)))]
    assert b.best == best and results.labels[best] in b.answer
    figures = dict(b.figures)
    ap = appraisal(results)
    assert figures["Median"] == model.report.wording.money(ap.loc[best, "npsv_central"])
    assert f"{ap.loc[best, 'bcr']:.2f}" in figures["Benefit-cost ratio"]
    assert "transfers excluded" in figures["Benefit-cost ratio"]
    assert "Other mixes of the instruments were not searched" in b.scope  # no rule given
    assert b.flips[0].judgement == "standing"
    assert "World standing counts" in " ".join(b.standing)
    assert "status_quo" not in [k for k, _ in b.columns]
    # drivers: the widest tornado swing first; switching values closest to the median first
    # (inputs in words: their short descriptions, not their keys)
    words = lambda p: param_label(results.params, p)  # noqa: E731
    first = b.drivers.split(". ")[0]
    widest = analysis.tornado.sort_values("swing", ascending=False)["parameter"].iloc[0]
    assert f"with {words(widest)} (swing" in first and f"({widest})" not in first
    near = switching_order(analysis.switching_values)["parameter"].head(3).tolist()
    switching = b.drivers[b.drivers.index("switches closest to the median") :]
    positions = [switching.index(f"{words(p)} at ") for p in near]
    assert positions == sorted(positions) and len(near) > 1


def test_structural_rows_set_each_alternative_beside_the_file_on_the_same_draws(results):
    """A structural alternative's result is on the run's first draws, fewer than the headline's:
    its row also gives the best approach's value under the file's own assumption on those
    draws, which is what compares."""
    from model.report.brief import structural_flips
    from model.report.wording import money
    from model.study.structural import structural_on_draws

    params = results.params
    first = results.draws[:256]
    su = structural_on_draws(params, dict(zip(params.names, first.T, strict=True)))
    v = su.variants
    filed = v[v["is_file_choice"]].groupby("approach")["expected_net_benefit"].first()
    labels = {k: results.labels.get(k, k) for k in results.approaches}
    rows = structural_flips(su, labels.get, "USD 2024")
    assert len(rows) > 5
    nb = np.asarray(results.net_benefit)[:256]
    for approach, value in filed.items():  # as filed: the run itself on those draws
        j = list(results.approaches).index(approach)
        assert value == pytest.approx(nb[:, j].mean(), rel=1e-9)
    for row in rows:
        best = next(k for k, label in labels.items() if row.result.startswith(f"{label}:"))
        same = f"{money(filed[best], 'USD 2024')} under the parameter file's own assumption"
        assert same in row.result, row


def test_influence_diagram_follows_the_model(results):
    reg = results.regulation
    columns, edges = structure(reg)
    assert [n for n, _, _ in columns[1]] == [f"h:{h}" for h in reg.harm_names]
    to_approaches = [e for e in edges if e[0].startswith("i:") and e[1].startswith("a:")]
    assert len(to_approaches) == sum(len(a.instruments) for a in reg.approaches)
    svg = influence_svg(reg)
    assert svg.count("<g data-node=") == sum(len(c) for c in columns)
    assert "vsl" in svg  # the bio harm's factors are listed on hover


def test_payload_holds_the_components_as_float32(results, judged):
    p = payload(judged)
    assert p["m"] == 512 and p["approaches"] == list(results.approaches)
    assert p["discounts"][0]["key"] == "run"
    assert len(p["discounts"]) == 4  # the run's schedule and three distinct presets (3% twice)
    life = np.frombuffer(base64.b64decode(p["data"]["jurisdiction|run"]["life"]), "<f4")
    expect = judged.components("jurisdiction").life.ravel()
    np.testing.assert_allclose(life, expect, rtol=1e-6)


def test_scope_states_the_best_portfolio_beside_the_ranking(results):
    from types import SimpleNamespace

    from model.report.brief import scope

    lab = results.labels.get
    combined = "+".join(
        results.regulation.approaches[results.approaches.index("combined")].instruments
    )
    top = pd.DataFrame(
        {"mean": [2.5e11, 2.4e11], "prob_best": [0.2, 0.1]},
        index=[combined, combined + "+hosting_duties"],
    )
    same = scope(results, "combined", SimpleNamespace(portfolios=top), lab, "USD 2024")
    assert (
        "ranks the 13 declared approaches" in same
        and "best mix of instruments found is the same" in same
    )
    # the runner-up and how it nests: it adds hosting duties, $10bn less
    assert "The runner-up adds O6: duties on model hubs" in same and "$10.0bn less" in same
    other = scope(results, "upstream_mitigation", SimpleNamespace(portfolios=top), lab, "USD")
    gain = 2.5e11 - results.net_benefit[:, results.approaches.index("upstream_mitigation")].mean()
    assert "does better" in other and model.report.wording.money(gain) in other
    assert "Clarified tort liability" in other  # instrument labels, not keys
    top["mean"] = -1.0
    worse = scope(results, "upstream_mitigation", SimpleNamespace(portfolios=top), lab, "USD")
    assert "No mix of instruments found beats it" in worse


def test_evidence_scenarios_join_the_scenario_table_from_a_sweep(results, judged):
    analysis = model.report.analysis_for(results, sobol_n=64)
    files = [SCENARIOS / "high_bio.toml", SCENARIOS / "fast_growth.toml"]
    sw = model.sweep(results.params, scenarios=files, n=256, rng=7)
    b = build_brief(results, analysis, sweep=sw, judged=judged)
    rows = {r["scenario"]: r for r in b.scenario_rows}
    for _, p in sw.preferred().iterrows():
        r = rows[f"evidence: {p['scenario']}"]
        assert results.labels[p["preferred"]] in r["result"]
        assert model.report.wording.money(p["mean"]) in r["result"]
        assert r["flips"] == (p["preferred"] != b.best)
    assert "n = 256" in rows["evidence: high_bio"]["result"]
    assert "model.sweep at n = 256" in b.scenario_note


def test_presets_name_their_jurisdiction():
    from model.regulation import build_model

    names = {
        f: build_model(model.load_params(SCENARIOS / f"{f}.toml")).settings.jurisdiction
        for f in ("eu", "uk", "us")
    }
    assert names == {
        "eu": "the European Union (EU-27)",
        "uk": "the United Kingdom",
        "us": "the United States",
    }


def test_the_portfolio_gap_is_measured_on_the_same_draws(results):
    from model.report.brief import scope

    rule = model.design.design_rule(results, n=512, pairs=1)
    best = str(results.summary()["mean"].idxmax())
    text = scope(results, best, rule, str, "USD 2024")
    top = float(rule.portfolios["mean"].iloc[0])
    if top > float(rule.declared_means.loc[best, "mean"]):
        assert "on the same draws" in text
    assert set(rule.declared_means.index) == set(results.approaches)  # all confirmed


def test_optimism_bias_is_a_row_of_what_flips_the_decision(results, judged):
    from model.report.brief import build_brief
    from model.study.appraisal import appraisal

    analysis = model.analyse(results, sobol_n=0, one_way=False)
    brief = build_brief(results, analysis, judged=judged)
    row = next(r for r in brief.flips if r.judgement == "optimism bias")
    ap = appraisal(results)
    top = str(ap["optimism_mean"].idxmax())
    assert row.flips == (top != str(ap["npsv_mean"].idxmax()))
    assert row.result.startswith(results.labels[top])


def test_every_money_figure_states_its_price_and_present_value_base():
    from model.regulation import build_model
    from model.report.brief import eandcb_basis, rpc_applies
    from model.report.wording import price_base

    text = price_base("USD 2024", 10)
    assert "US dollars at 2024 prices (price base year 2024)" in text
    assert "present-value base year 2024" in text
    assert "names no price base year" in price_base("CHF", 10)
    settings = {
        f: build_model(model.load_params(SCENARIOS / f"{f}.toml")).settings for f in ("uk", "us")
    }
    assert rpc_applies(settings["uk"]) and not rpc_applies(settings["us"])
    uk = eandcb_basis(settings["uk"])
    # the UK preset is in USD 2024 and declares no deflator: said plainly, not converted
    assert uk.startswith("EANDCB is given in US dollars at 2024 prices with a 2024 present-value")
    assert "not on the UK Regulatory Policy Committee's basis (2019 prices, 2020" in uk
    assert "no GDP deflator" in uk
    assert "UK impact assessments only" in eandcb_basis(settings["us"])
