"""The report's "Designing the rule" section: threshold, scenario discovery, adaptive, additions."""

from __future__ import annotations

from html import escape

import pandas as pd

from model.report import figures
from model.report.wording import money, number, share
from model.study.design import RuleDesign
from model.study.portfolios import MIX_VOI_DRAWS


def _table(df: pd.DataFrame, formatters: dict, index: bool = True) -> str:
    return df.to_html(
        index=index, border=0, classes="data", formatters=formatters, escape=True, na_rep="n/a"
    )


def _portfolio_label(key: str) -> str:
    """``upstream_controls+liability`` -> ``upstream controls + liability``."""
    return "status quo" if key == "status_quo" else key.replace("+", " + ").replace("_", " ")


def rule_context(
    rule: RuleDesign, regulation, currency: str, labels: dict, fig_html, params=None
) -> dict:
    """Words, tables and figures (HTML strings) for the template.

    ``params`` (the ParameterSet) names the inputs of the PRIM chart by description.
    """
    box_labels = dict(labels)
    if params is not None:
        box_labels |= {n: figures.describe(params, n) for n in params.names}
    cash = lambda v: money(v, currency)  # noqa: E731
    out: dict = {"threshold_text": rule.threshold_note, "threshold_fig": None, "curve": None}
    t = rule.threshold
    if t is not None:
        text = t.describe(money=cash)
        out["threshold_text"] = text.replace(t.approach, labels.get(t.approach, t.approach))
        out["threshold_fig"] = fig_html(
            figures.threshold_curve(t, currency, labels.get(t.approach)), "fig-threshold"
        )
        curve = t.to_frame().iloc[::3].astype({"mcse": object})
        curve["mcse"] = [cash(v) if v == v else "n/a (one draw)" for v in curve["mcse"]]
        out["curve"] = _table(
            curve,
            {
                "threshold": number,
                "expected_net_benefit": cash,
                "prob_exceeds": share,
            },
            index=False,
        )
    out["triggers"] = None
    if getattr(rule, "triggers", None) is not None and len(rule.triggers):
        tr = rule.triggers.copy()
        tr["approach"] = [labels.get(k, k) for k in tr["approach"]]
        tr.columns = [
            "approach",
            "level in the parameter file",
            "E[net benefit] there",
            "best level",
            "E[net benefit] at the best level",
            "draws",
        ]
        out["triggers"] = _table(
            tr,
            {
                "level in the parameter file": number,
                "best level": number,
                "E[net benefit] there": cash,
                "E[net benefit] at the best level": cash,
                "draws": lambda v: f"{v:,.0f}",
            },
        )
    out["boxes"] = [text for _, _, _, text in rule.boxes]
    first = next((found for _, _, found, _ in rule.boxes if found is not None), None)
    out["box_fig"] = None
    if first is not None:
        out["box_fig"] = fig_html(figures.prim_tradeoff(first, box_labels), "fig-prim")
    out["adaptive"] = None
    if len(rule.adaptive):
        a = rule.adaptive.copy()
        a["adaptive"] = [labels.get(k, k) for k in a["adaptive"]]
        a["static"] = [labels.get(k, k) for k in a["static"]]
        a.columns = [
            "adaptive approach",
            "static counterpart",
            "E[net benefit], adaptive",
            "E[net benefit], static",
            "P(adaptive better)",
            "P(switched on by the end)",
        ]
        out["adaptive"] = _table(
            a,
            {
                "E[net benefit], adaptive": cash,
                "E[net benefit], static": cash,
                "P(adaptive better)": share,
                "P(switched on by the end)": share,
            },
            index=False,
        )
    out["additions"] = out["portfolios"] = None
    out["portfolio_search"] = rule.search_note
    if len(rule.additions):
        add = rule.additions[["label", "marginal_mean", "prob_positive", "portfolios"]].copy()
        add.columns = ["instrument", "mean gain from adding it", "P(gain > 0)", "portfolios"]
        out["additions"] = _table(
            add, {"mean gain from adding it": cash, "P(gain > 0)": share}, index=False
        )
        top = rule.portfolios.copy()
        top.index = [_portfolio_label(k) for k in top.index]
        top.columns = ["E[net benefit]", "5th percentile", "95th percentile", "P(best)"]
        out["portfolios"] = _table(
            top,
            {c: cash for c in top.columns[:3]} | {"P(best)": share},
        )
    out["mixes"] = out["duties"] = out["mix_voi"] = None
    if rule.mixes is not None and len(rule.mixes):
        out["mixes"] = _best_of(
            rule.mixes, "options", "the paper's options", cash, "best portfolio of this mix"
        )
        out["duties"] = _best_of(getattr(rule, "duties", None), "duty", "the downstream duty", cash)
        out["mix_voi"] = _mix_voi(rule, labels, params, cash)
    return out


def _best_of(
    table, column: str, title: str, cash, portfolio: str = "best portfolio with it"
) -> str | None:
    """A table of the best portfolio of each group (mixes, duties) as HTML: ``column`` names
    the group under ``title``, the portfolio's instruments under ``portfolio``."""
    if table is None or not len(table):
        return None
    m = table[[column, "instruments", "mean", "median", "p05", "p95", "prob_best"]].rename(
        columns={
            column: title,
            "instruments": portfolio,
            "mean": "E[net benefit]",
            "p05": "5th percentile",
            "p95": "95th percentile",
            "prob_best": "P(best)",
        }
    )
    money_cols = ["E[net benefit]", "median", "5th percentile", "95th percentile"]
    return _table(m, {c: cash for c in money_cols} | {"P(best)": share}, index=False)


def _mix_voi(rule, labels: dict, params, cash) -> str | None:
    """The value of information of the choice between the mixes, in words (HTML-escaped: it
    quotes parameter descriptions)."""
    voi, evpi = getattr(rule, "mix_voi", None), getattr(rule, "mix_evpi", None)
    if voi is None or evpi is None:
        return None
    name = (lambda n: figures.describe(params, n)) if params is not None else labels.get
    clear = voi[voi["evppi"] > 2 * voi["se"]]
    inputs = "; ".join(
        f"{name(k) or k} {cash(r['evppi'])} (±{cash(2 * r['se'])})" for k, r in clear.iterrows()
    )
    return escape(
        f"Perfect information before choosing between these mixes would be worth {cash(evpi)} "
        "in expectation (the expected value of perfect information, EVPI); the inputs whose "
        "resolution alone is worth most (expected value of partial perfect information, "
        f"EVPPI, on at most the first {MIX_VOI_DRAWS:,} draws, ± two standard errors): "
        f"{inputs or 'none clearly above its own noise'}."
    )
