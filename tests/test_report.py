"""The HTML report: sections, figures, self-containment, wording and atomic writing."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import model
import model.report as report
from model.report import build_content, write_report
from model.report.wording import money, number, share

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = [
    "summary",
    "headline",
    "flips",
    "drivers",
    "judgements",
    "approaches",
    "appraisal",
    "traceability",
    "influence",
    "distributions",
    "cumulative",
    "plane",
    "acceptability",
    "sensitivity",
    "sobol",
    "voi",
    "time",
    "calibration",
    "convergence",
    "parameters",
    "equations",
    "provenance",
]


@pytest.fixture(scope="module")
def results(baseline_results_small):
    return baseline_results_small


@pytest.fixture(scope="module")
def analysis(results):
    return report.analysis_for(results, sobol_n=64)


@pytest.fixture(scope="module")
def html(results, analysis, tmp_path_factory) -> str:
    path = write_report(results, tmp_path_factory.mktemp("r") / "r.html", analysis=analysis)
    return path.read_text(encoding="utf-8")


def test_every_section_and_figure_is_present(html):
    for s in SECTIONS:
        assert f'id="{s}"' in html, s
    figs = set(re.findall(r'<div id="(fig-[a-z]+)"', html))
    assert figs == {
        "fig-distributions",
        "fig-cumulative",
        "fig-plane",
        "fig-acceptability",
        "fig-sensitivity",
        "fig-sobol",
        "fig-voi",
        "fig-time",
        "fig-calibration",
        "fig-convergence",
    }
    assert "Not available for this run" not in html


def test_plotlyjs_is_embedded_once_and_nothing_is_fetched(html):
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert html.count(bundle[:200]) == 1  # the library is inlined exactly once
    rest = html.replace(bundle, "")
    # doc links and the evidence register's addresses are text, not loads
    rest = re.sub(r'<section id="(equations|evidence)">.*?</section>', "", rest, flags=re.S)
    assert len(re.findall(r"<script[^>]*\bsrc=", rest)) == 0
    assert "<link" not in rest  # no stylesheet or web font
    assert not re.search(r"https?://|@import|@font-face", rest.replace("http://www.w3.org", ""))
    assert 'id="ev-' in html and 'href="#ev-' in html  # sources link to register entries
    assert rest.count("Plotly.newPlot") == 1  # every figure drawn by the one library, after it
    assert rest.count("data-plotly-figure=") == 10
    assert html.index(bundle[:200]) > html.rindex("data-plotly-figure=")


def test_summary_names_best_approach_with_labels_and_money(results, html):
    nb = results.net_benefit.mean(axis=0)
    best = results.approaches[int(np.argmax(nb))]
    label = results.labels[best]
    answer = re.search(r'<p class="answer" id="headline-answer">(.*?)</p>', html, re.S).group(1)
    assert label.replace("+", "+") in answer.replace("&#43;", "+")
    assert re.search(r"\$\d[\d.,]*(bn|tn|m)", answer)
    assert best not in answer  # labels, not keys
    for word in (
        "Regret",
        "Tail risk",
        "CVaR",
        "Value judgement",
        "EVPPI" if "EVPPI" in html else "perfect information",
    ):
        assert word in html


def test_decision_table_matches_results(results, analysis):
    c = build_content(results, analysis)
    t = c.decision_table
    np.testing.assert_allclose(t["mean"], results.net_benefit.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(t["prob_best"].sum(), 1.0, rtol=1e-12)
    assert t.loc[c.best, "expected_loss"] == pytest.approx(c.evpi, rel=1e-9)
    # transfers are shown, never netted: NB = effects - costs
    np.testing.assert_allclose(
        results.net_benefit, results.effects - results.costs, rtol=1e-9, atol=1e-3
    )
    assert "Transfers: damages paid (not netted)" in [r["label"] for r in c.component_rows]
    doc = c.to_json_dict()
    assert json.loads(json.dumps(doc, allow_nan=False))["best"] == c.best


def test_parameter_table_provenance_and_equations(results, html):
    for name in results.params.uncertain_names[:5]:
        assert f">{name}<" in html
    assert results.provenance["files"]
    for f, h in results.provenance["files"].items():
        assert h in html and f in html
    assert f"<td>{results.provenance['seed']}</td>" in html
    if (ROOT / "docs" / "model.md").is_file():
        assert "from model.md; symbols are parameter names" in html
    else:
        assert "were not found" in html


def test_missing_equations_file_is_said_not_fatal(results, analysis, tmp_path):
    path = write_report(
        results, tmp_path / "x.html", analysis=analysis, equations=tmp_path / "nope.md"
    )
    assert "nope.md) were not found" in path.read_text(encoding="utf-8")


def test_atomic_write_keeps_previous_report_on_failure(results, analysis, tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("previous report", encoding="utf-8")
    real = report.render

    def failing(*args, **kwargs):
        chunks = real(*args, **kwargs)
        yield next(chunks)
        yield next(chunks)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report, "render", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_report(results, path, analysis=analysis)
    assert path.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_failure_before_writing_leaves_nothing(results, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("analysis failed")

    monkeypatch.setattr(report, "build_content", broken)
    with pytest.raises(ValueError):
        write_report(results, tmp_path / "new.html", analysis=object())
    assert list(tmp_path.iterdir()) == []


def test_default_path_uses_params_and_scenario_names(tmp_path, monkeypatch):
    params = model.load_params(
        ROOT / "params" / "baseline.toml",
        scenarios=[ROOT / "params" / "scenarios" / "high_bio.toml"],
    )
    assert report.default_stem(params) == "baseline_high_bio"


@pytest.mark.parametrize(
    ("x", "text"),
    [(12.34e9, "$12.3bn"), (-2.5e6, "-$2.50m"), (0.0, "$0"), (999.9e9, "$1.00tn"), (850, "$850")],
)
def test_money(x, text):
    assert money(x, "USD 2024") == text


def test_share_and_number():
    assert share(0.0004) == "<1%"
    assert share(0.9996) == ">99%"
    assert share(0.5) == "50%"
    assert number(3_490) == "3.49k"
    assert money(1e9, "GBP 2024") == "£1.00bn"


def test_summary_says_what_designing_the_rule_found(results, analysis, html, tmp_path):
    from model.study.design import design_rule

    rule = design_rule(results, n=512, pairs=1)
    page = write_report(results, tmp_path / "rule.html", analysis=analysis, rule=rule)
    text = page.read_text(encoding="utf-8")
    block = re.search(r'<ul class="summary design" id="design-summary">(.*?)</ul>', text, re.S)
    items = re.findall(r"<li><b>(.*?):</b>", block.group(1))
    assert items == ["Threshold", "Additions that pay", "When the choice flips"]
    assert f"{rule.threshold.optimum:.3g} of the base model" in block.group(1)
    assert text.index('id="design-summary"') < text.index('id="decision-table"')
    assert 'id="design"' in text
    assert 'id="design-summary"' not in html  # no rule, no bullets (and render still works)


def test_design_lines_pick_the_additions_that_pay():
    import pandas as pd

    from model.report.content import design_lines

    add = pd.DataFrame(
        {
            "label": ["Pays (a long aside)", "Rarely gains", "Loses"],
            "marginal_mean": [2e9, 1e9, -3e9],
            "prob_positive": [0.8, 0.4, 0.7],
            "portfolios": [4, 4, 4],
        },
        index=["pays", "rare", "loses"],
    )
    rule = SimpleNamespace(
        threshold=None,
        threshold_note="The threshold is a fixed share of developers in this parameter set.",
        additions=add,
        boxes=(("b", "a", None, "B beats A whenever x is below 1."),),
    )
    lines = dict(design_lines(rule, str, "USD 2024"))
    assert lines["Threshold"] == rule.threshold_note
    pays, not_paying = lines["Additions that pay"].split("Not paying")
    assert "Pays (+$2.00bn, 80%)" in pays and "aside" not in pays
    assert "Rarely gains" in not_paying and "Loses" in not_paying
    assert lines["When the choice flips"] == "B beats A whenever x is below 1."
    assert design_lines(None, str, "USD 2024") == []


def test_expert_lines_say_whether_the_disagreement_matters():
    import pandas as pd

    from model.report.content import expert_lines

    params = {
        "x": SimpleNamespace(description="Annual uplift (per year, as a share) of attackers"),
        "y": SimpleNamespace(description="Agreed input"),
    }
    experts = pd.DataFrame(
        {
            "experts": [("Optimist", "Pessimist"), ("C", "D")],
            "weights": [(0.5, 0.5), (0.3, 0.7)],
            "evppi": [4.5e9, 0.0],
            "share_of_evpi": [0.45, 0.0],
            "noise": [1e6, 1e6],
            "best_by_expert": [("status_quo", "b"), ("b", "b")],
            "evppi_value": [5e9, 0.0],
        },
        index=pd.Index(["x", "y"], name="parameter"),
    )
    labels = {"status_quo": "Status quo", "b": "Option B"}
    x, y = expert_lines(experts, params, lambda k: labels.get(k, k), "USD 2024", 1e10)
    assert x.startswith("Experts disagree about annual uplift of attackers: Optimist vs")
    assert "Knowing which expert is right would be worth $4.50bn (45.0% of EVPI)" in x
    assert "if Pessimist is right, Option B" in x
    assert "The disagreement matters for the decision." in x
    assert "same choice (Option B)" in y and "does not matter for the decision" in y


def test_parameter_table_lists_pooled_experts_one_per_line():
    params = model.load_params(
        ROOT / "params" / "baseline.toml",
        scenarios=[ROOT / "params" / "scenarios" / "bio_expert_pool.toml"],
    )
    from model.inputs.evidence import find_register

    table = report.param_table(params, "USD 2024", find_register(params.files))
    row = re.search(r"<td>bio_uplift_probability</td>.*?</tr>", table, re.S).group(0)
    assert (
        "linear pool of 2 experts:<br>• Forecasters (FRI/GovAI 2025), weight 0.5: lognormal" in row
    )
    link = '[<a href="#ev-rand-red-team-bio-2024">rand-red-team-bio-2024</a>]'
    assert f"<br>• Red team (RAND 2024): {link}" in row


def test_equations_keep_their_lines(html):
    """An equation indented under a list item stays a code block, not a run-together line."""
    assert "<pre><code>C_h(t) = sum_cells weight(cell) (1 - prod_i (1 - e_i(cell)))" in html
    assert "<pre><code>removed_h(t) = 1 - (1 - a_h C_h(t) - S_h D_services) (1 - M_h)" in html


def test_figures_share_one_template_name_inputs_and_show_currency(results, analysis):
    from model.report import figures

    sobol = analysis.sobol.xs(analysis.sobol.index.get_level_values("output")[0], level="output")
    figs = {
        "tornado": figures.tornado(results, analysis.tornado),
        "sobol": figures.sobol_indices(sobol, params=results.params),
        "voi": figures.evppi_ranking(analysis.evppi, "USD 2024", params=results.params),
        "cumulative": figures.cumulative_net_benefit(results),
    }
    font = figures.template()["layout"]["font"]["family"]
    codes = set(results.params.names)
    for name, fig in figs.items():
        assert fig["layout"]["template"]["layout"]["font"]["family"] == font, name
        assert not codes & {str(y) for d in fig["data"] for y in d.get("y", ())}
    assert figs["tornado"]["layout"]["xaxis"]["tickprefix"] == "$"
    assert figs["tornado"]["layout"]["xaxis"]["ticksuffix"] == "bn"
    zero = [d for d in figs["cumulative"]["data"] if list(d["x"]) == [0.0]]  # P(NB < 0) at zero
    assert len(zero) == len(results.approaches) - 1


def test_the_report_does_not_import_plotly(results, analysis, monkeypatch):
    """The figures are built as plain data and plotly.js is read from plotly's package files:
    importing plotly.py and validating figures with it cost seconds per report."""
    for name in [m for m in sys.modules if m.split(".")[0] == "plotly"]:
        monkeypatch.delitem(sys.modules, name)
    page = "".join(report.render(results, analysis=analysis))
    assert page.count("data-plotly-figure=") == 10
    assert not [m for m in sys.modules if m.split(".")[0] == "plotly"]


def test_every_figure_is_what_plotly_would_write(html):
    """Each figure in the page, read by plotly.py (which validates every property and value)
    and written again, is unchanged: the plain figures are exactly plotly's."""
    import plotly.graph_objects as go

    specs = re.findall(r'data-plotly-figure="fig-[a-z]+">(.*?)</script>', html)
    assert len(specs) == 10
    for spec in specs:
        fig = json.loads(spec)
        assert fig["layout"]["template"]["layout"]["colorway"][0] == "#1f77b4"
        assert json.loads(go.Figure(fig).to_json()) == fig


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (1, 2), (2, 2), (3, 2)])
def test_subplot_grid_lays_out_as_plotly(rows, cols):
    from plotly.subplots import make_subplots

    from model.report import figures

    titles = [f"harm {i}" for i in range(max(1, rows * cols - 1))]  # an empty last cell
    layout, cells = figures.subplot_grid(rows, cols, titles)
    ref = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_xaxes=True)
    expected = json.loads(ref.to_json())["layout"]
    del expected["template"]
    assert layout == expected
    assert cells[0] == {"xaxis": "x", "yaxis": "y"}
    assert (
        cells[-1] == {"xaxis": f"x{rows * cols}", "yaxis": f"y{rows * cols}"} or rows == cols == 1
    )


def _without_run_time(page: str) -> str:
    return re.sub(r"<tr><th>report time [^\n]*</tr>", "", page)


def test_report_from_a_saved_run_is_the_runs_report(tmp_path, capsys, monkeypatch):
    """run --save keeps the analysis, rule and what the report evaluates beyond them, so report
    --from evaluates the model nowhere and writes the run's report again (but its run time);
    a run saved before the re-evaluations were kept has them evaluated again, with a note."""
    from model import cli
    from model.study import central, judgements, structural

    saved, first, second = tmp_path / "saved", tmp_path / "a.html", tmp_path / "b.html"
    base = str(ROOT / "params" / "baseline.toml")
    argv = ["run", base, "--n", "256", "--sobol-n", "0", "--quiet", "--out", str(first)]
    assert cli.main([*argv, "--save", str(saved)]) == 0
    expected = _without_run_time(first.read_text(encoding="utf-8"))

    def evaluated(*args, **kwargs):
        raise AssertionError("report --from evaluated the model")

    with monkeypatch.context() as m:
        for module in (central, judgements, structural):
            m.setattr(module, "evaluate", evaluated)
        again = ["report", "--from", str(saved), "--out", str(second), "--sobol-n", "0"]
        assert cli.main(again) == 0
    assert "recomputing" not in capsys.readouterr().err
    assert _without_run_time(second.read_text(encoding="utf-8")) == expected
    shutil.rmtree(saved / "reevaluations")  # as saved by an earlier version
    assert cli.main(again) == 0
    assert "re-evaluating for the report: no saved re-evaluation" in capsys.readouterr().err
    assert _without_run_time(second.read_text(encoding="utf-8")) == expected


def test_ordinals_shares_and_counts_read_correctly():
    from model.report.wording import count, ordinal, share

    assert [ordinal(q) for q in (0.762, 0.417, 0.01, 0.5, 0.113)] == [
        "76th",
        "42nd",
        "1st",
        "50th",
        "11th",
    ]
    assert share(0.0) == "0%" and share(0.004) == "<1%" and share(0.9999) == ">99%"
    assert count(18.3) == "18"


def test_rule_section_answers_the_papers_question_by_mix(results, analysis, tmp_path):
    """Designing the rule shows the best portfolio of each mix of options A, B and C."""
    rule = model.design.design_rule(results, n=1024)
    page = write_report(results, tmp_path / "r.html", analysis=analysis, rule=rule).read_text()
    section = page[page.index("Which mix of the paper") :]
    section = section[: section.index("</table>")]
    assert "direct duties on downstream developers + duties on upstream developers" in section
    assert section.count("<tr") == 1 + 8  # header + the 8 mixes, status quo included


def test_first_screen_lists_the_structural_assumptions_that_can_flip_it(html, results):
    """Issue 12: the report states which structural assumptions can change the decision."""
    from markupsafe import escape

    from model.report.wording import setting_label
    from model.study.structural import structural_uncertainty

    table = html[html.index('id="flip-table"') :]
    table = table[: table.index("</table>")]
    su = structural_uncertainty(results.params, n=results.n, rng=results.provenance["seed"])
    v = su.variants
    judged = v["setting"].isin(["standing", "horizon_years"])  # their value-judgement rows
    others = v.loc[~v["is_file_choice"] & ~judged, ["setting", "alternative"]]
    assert len(others.drop_duplicates()) >= 7
    for setting, alt in others.drop_duplicates().itertuples(index=False):
        what, words = setting_label(setting, alt)  # in plain words, not the setting's values
        assert f"<td>structural assumption: {escape(what)}</td><td>{escape(words)}</td>" in table
    assert "model average (declared weights)" in table


def test_the_first_screen_names_the_jurisdiction(html):
    assert (
        "Jurisdiction: an EU-like jurisdiction (EU-27 shares of harm, value and developers)."
        in html
    )


def _first_screen(page: str) -> str:
    """The Summary section's text as a reader sees it: tags, styles and scripts stripped."""
    import html as markup

    section = page[page.index('<section id="summary">') :]
    section = section[: section.index("</section>")]
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", section, flags=re.S)
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


#: Abbreviations that are names every reader knows, not jargon to spell out.
NAMES = {"AI", "EU", "UK", "US", "USD"}


@pytest.fixture(scope="module")
def first_screen(results, analysis, tmp_path_factory) -> str:
    rule = model.design.design_rule(results, n=512, pairs=1)  # the design bullets too
    path = write_report(
        results, tmp_path_factory.mktemp("s") / "s.html", analysis=analysis, rule=rule
    )
    return _first_screen(path.read_text(encoding="utf-8"))


def test_first_screen_has_no_identifiers_and_spells_out_its_abbreviations(first_screen):
    from model.report.wording import ABBREVIATIONS

    text = first_screen
    assert "Designing the rule" in text and "What flips the decision" in text
    assert re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text) == []  # no snake_case
    assert ".toml" not in text
    used = set()
    for abbr, (long, _meaning) in ABBREVIATIONS.items():
        found = re.search(rf"(?<![\w-]){re.escape(abbr)}(?=s?(?!\w))", text)
        if found is None:
            continue
        used.add(abbr)
        before = text[: found.start()].lower()
        assert long.lower() in before[-(len(long) + 3) :], f"{abbr} not spelled out at first use"
    assert {"P(best)", "EVPI", "EVPPI", "CVaR", "PRIM"} <= used
    capitals = set(re.findall(r"\b[A-Z][A-Za-z]*[A-Z][a-z]*\b", text)) - NAMES
    assert {c.removesuffix("s") for c in capitals} <= set(ABBREVIATIONS), capitals


def test_first_use_spells_an_abbreviation_out_once_with_its_meaning():
    from model.report.wording import FirstUse

    spell = FirstUse()
    assert spell("worst draws (CVaR) and CVaR") == (
        "worst draws (conditional value at risk, CVaR: the average net benefit in the worst 5% "
        "of simulated worlds) and CVaR"
    )
    assert spell("CVaR 5%") == "CVaR 5%"  # once a page
    assert spell("QALYs lost") == (
        "quality-adjusted life years (QALYs: a year of life in full health) lost"
    )
    spelled = "the expected value of perfect information (EVPI), what it is worth"
    assert spell(spelled) == spelled  # already spelled out where it is used
    assert spell("EVPPI is not EVPI") == (
        "expected value of partial perfect information (EVPPI: what resolving one input's "
        "uncertainty before deciding would be worth) is not EVPI"
    )


def test_analysis_messages_name_inputs_and_approaches_in_words():
    from model.report.content import in_words

    class Params(dict):
        names = ("liability_deterrence",)

    params = Params(
        liability_deterrence=SimpleNamespace(description="Share of risk deterred (declared)")
    )
    labels = {"combined": "All three", "upstream_mitigation": "Upstream duties"}
    warning = (
        "1 ST indices outside [0, 1] (e.g. combined - upstream_mitigation / "
        "liability_deterrence: 1.35)"
    )
    assert in_words(warning, params, labels) == (
        "1 total-order Sobol indices (an input's share of the output's variance, interactions "
        "included) outside [0, 1] (e.g. All three minus Upstream duties / share of risk deterred: "
        "1.35)"
    )
    assert in_words("unknown_key stays", params, labels) == "unknown_key stays"


def test_appraisal_shows_intervals_transfers_and_the_price_base(html, results):
    from model.report.wording import money_interval

    table = html[html.index('id="appraisal-table"') :]
    table = table[: table.index("</table>")]
    for j in range(1, len(results.approaches)):  # the status quo has no column
        lo, hi = np.quantile(results.effects[:, j], [0.05, 0.95])
        assert f"90%: {money_interval(lo, hi)}" in table  # PV benefits
        lo, hi = np.quantile(results.costs[:, j], [0.05, 0.95])
        assert f"90%: {money_interval(lo, hi)}" in table  # PV costs
    transfers = html[html.index('id="transfer-table"') :]
    transfers = transfers[: transfers.index("</table>")]
    j = results.approaches.index("liability")
    paid = results.outcomes.transfers[:, j]
    assert money(paid.mean()) in transfers and money(-paid.mean()) in transfers
    assert "excluded from NPSV" in html
    header = html[html.index("<header>") : html.index("</header>")]
    assert "price base year 2024" in header and "present-value base year 2024" in header
    assert "not on the UK Regulatory Policy Committee&#39;s basis" in html
