"""What the report says: decision tables and plain-words findings from ``Results``.

The report renders the :class:`~model.study.analyse.Analysis` it is given and recomputes no
decision statistic: P(best), expected loss, CVaR and the acceptability curve come from
:mod:`model.analysis.decision` through ``analyse``, once. ``ReportContent`` holds everything
the template needs, in words and pandas tables, and is usable on its own (e.g. for
``headwater run --json``).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.analysis.drivers import drivers_sentence
from model.regulation import PAYERS
from model.report.wording import (
    count,
    money,
    money_interval,
    share,
    short_description,
    signed_money,
)
from model.study.appraisal import INTERVAL
from model.study.percentiles import quantile

__all__ = [
    "ReportContent",
    "analysis_for",
    "build_content",
    "design_lines",
    "expert_lines",
    "in_words",
    "param_label",
    "switching_order",
]

NEGLIGIBLE = 1e-6  # EVPPI below this share of EVPI (or $1) is estimation noise


# ----------------------------------------------------------------------------- analysis


def analysis_for(results, **kwargs):
    """:func:`model.study.analyse.analyse` with the report's defaults: no Sobol design
    (``sobol_n=0``; its indices are unstable on this heavy-tailed output at an affordable size
    and cost a third of a run: the report ranks inputs by the delta measure instead)."""
    from model.study.analyse import analyse

    kwargs.setdefault("sobol_n", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return analyse(results, **kwargs)


def _get(analysis, *names, default=None):
    """The first attribute of ``analysis`` among ``names`` that exists and is not None."""
    for n in names:
        v = getattr(analysis, n, None)
        if v is not None:
            return v
    return default


_CLIPPED = re.compile(r"^EVPPI for (.+?) = (\S+) clipped to \[0, EVPI = (\S+)\]")


#: Sensitivity indices as analysis warnings name them, in words.
_INDEX_WORDS = {
    "S1 indices": "first-order Sobol indices (an input's share of the output's variance alone)",
    "ST indices": "total-order Sobol indices (an input's share of the output's variance, "
    "interactions included)",
}
_IDENTIFIER = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")


_PAIR = re.compile(r"(?<![\w-])([a-z][a-z0-9_]*) - ([a-z][a-z0-9_]*)(?![\w-])")


def in_words(text: str, params, labels: dict[str, str]) -> str:
    """``text`` (an analysis' message) with its identifiers in words: a pair of approach keys
    ``a - b`` (a decision's margin) as "A minus B" by their labels, a parameter key as its short
    description, an approach key as its label; other identifiers are left as they are."""

    def pair(m: re.Match) -> str:
        a, b = m.groups()
        return f"{labels[a]} minus {labels[b]}" if a in labels and b in labels else m.group(0)

    def word(m: re.Match) -> str:
        key = m.group(0)
        if key in getattr(params, "names", ()):
            return param_label(params, key)
        return labels.get(key, key)  # an approach (e.g. a Sobol output) by its label

    for name, words in _INDEX_WORDS.items():
        text = text.replace(name, words)
    return _IDENTIFIER.sub(word, _PAIR.sub(pair, text))


def _caveats(warns, params, labels: dict[str, str]) -> list[str]:
    """Analysis warnings in words; EVPPI clipping at estimation noise is summarised, not listed."""
    out, material = [], []
    for w in warns:
        m = _CLIPPED.match(str(w))
        if m is None:
            text = in_words(str(w), params, labels)
            out.append(text[:1].upper() + text[1:])
            continue
        value, total = float(m.group(2)), float(m.group(3))
        if abs(value) > 0.01 * total:
            material.append(param_label(params, m.group(1)))
    if material:
        out.append(
            "The value-of-information estimates for "
            + ", ".join(material)
            + " were clipped to [0, EVPI] by more than 1% of EVPI: they are imprecise at this "
            "number of draws."
        )
    return out


# ----------------------------------------------------------------------------- content


@dataclass
class ReportContent:
    """Everything the report shows, as words and tables (money in currency units)."""

    title: str
    currency: str
    labels: dict[str, str]
    best: str
    headline: list[str]
    robustness: list[str]
    evidence: list[str]
    caveats: list[str]
    decision_table: pd.DataFrame  # one row per approach, numeric
    approach_rows: list[dict]  # one dict per approach, formatted strings
    component_rows: list[dict]  # component x approach matrix: label, cells [(main, sub)]
    harm_labels: dict[str, str]
    ceac: pd.DataFrame  # weight x approach
    tornado: pd.DataFrame | None
    tornado_label: str
    switching: pd.DataFrame | None
    sobol: pd.DataFrame | None
    evppi: pd.DataFrame | None
    convergence: pd.DataFrame | None
    calibration: pd.DataFrame
    evpi: float
    extras: dict = field(default_factory=dict)
    design: list[tuple[str, str]] = field(default_factory=list)  # (topic, finding) from a rule
    expert_lines: list[str] = field(default_factory=list)  # does expert disagreement matter?
    experts: pd.DataFrame | None = None  # Analysis.experts
    drivers: pd.DataFrame | None = None  # Analysis.drivers: one ranking of the drivers
    global_ranking: pd.DataFrame | None = None  # Analysis.global_ranking (delta, checked)
    headline_voi: pd.DataFrame | None = None  # Analysis.headline: EVPI/EVPPI of the pair
    evsi: pd.DataFrame | None = None  # Analysis.evsi: EVSI and ENBS by study size

    def to_json_dict(self) -> dict:
        """A JSON-serialisable summary (plain floats and strings)."""
        rows = []
        for key, r in self.decision_table.iterrows():
            rows.append(
                {"approach": key, "label": self.labels.get(key, key)}
                | {c: _plain(v) for c, v in r.items()}
            )
        ev = []
        if self.evppi is not None:
            for p, r in self.evppi.head(10).iterrows():
                ev.append({"parameter": str(p), "evppi": _plain(r["evppi"])})
        return {
            "title": self.title,
            "currency": self.currency,
            "best": self.best,
            "best_label": self.labels.get(self.best, self.best),
            "evpi": _plain(self.evpi),
            "headline": self.headline,
            "robustness": self.robustness,
            "evidence": self.evidence,
            "caveats": self.caveats,
            "design": [f"{k}: {v}" for k, v in self.design],
            "experts": self.expert_lines,
            "approaches": rows,
            "evppi_top": ev,
        }


def _plain(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _decision_table(results, analysis) -> pd.DataFrame:
    """The analysis' decision statistics beside the components' means, per approach."""
    stats = analysis.summary[
        ["mean", "p05", "p95", "prob_best", "expected_loss", "prob_negative", "cvar05"]
    ]
    return stats.assign(
        effect_mean=results.effects.mean(axis=0),
        cost_mean=results.costs.mean(axis=0),
        transfers_mean=results.outcomes.transfers.mean(axis=0),
    ).rename_axis("approach")


def _means_and_intervals(table: np.ndarray, cur: str) -> list[list[tuple[str, str]]]:
    """(mean, 90% interval) in words of each column of an (n, k, ...) table of draws, per
    approach (axis 1) and column within it: each column's mean as ``x.mean()`` gives it (a
    contiguous row sums in the same order) and its percentiles as ``np.quantile``, one
    approach's columns at a time (memory grows by one approach's draws)."""
    out = []
    for j in range(table.shape[1]):
        block = table[:, j]
        columns = np.ascontiguousarray(block.reshape(block.shape[0], -1).T)
        lo, hi = quantile(columns.T, INTERVAL)  # a view: not copied again
        out.append(
            [
                (money(float(m), cur), money_interval(a, b, cur))
                for m, a, b in zip(columns.mean(axis=1), lo, hi, strict=True)
            ]
        )
    return out


def _approach_rows(results, table: pd.DataFrame, cur: str) -> list[dict]:
    o = results.outcomes
    harm_labels = {h.key: h.label for h in results.regulation.harms}
    harms = [harm_labels.get(h, h) for h in results.harms]
    words = {
        name: _means_and_intervals(x, cur)
        for name, x in (
            ("nb", o.net_benefit),
            ("effect", results.effects),
            ("by_harm", o.risk_reduction),
            ("burden", o.burden),
            ("innovation", o.innovation_cost),
            ("cost", results.costs),
            ("transfers", o.transfers),
            ("residual", o.residual_harm),
        )
    }
    exceeds = np.count_nonzero(o.exceeds_acceptable, axis=0) / results.n  # as .mean() gives it
    entities = o.entities.T.copy()  # each approach's draws contiguous, as its column's mean
    entities_low, entities_high = quantile(o.entities, INTERVAL)
    rows = []
    for j, key in enumerate(results.approaches):
        t = table.loc[key]
        row = {
            "key": key,
            "label": results.labels.get(key, key),
            "nb": words["nb"][j][0],
            "effect": words["effect"][j][0],
            "by_harm": [(h, *words["by_harm"][j][i]) for i, h in enumerate(harms)],
            "burden": [(p, *words["burden"][j][i]) for i, p in enumerate(PAYERS)],
            "innovation": words["innovation"][j][0],
            "cost": words["cost"][j][0],
            "transfers": words["transfers"][j][0],
            "prob_best": share(t["prob_best"]),
            "expected_loss": money(t["expected_loss"], cur),
            "prob_negative": (
                share(t["prob_negative"]) if key != "status_quo" else "n/a (reference)"
            ),
            "cvar": money(t["cvar05"], cur),
            "residual": [
                (h, *words["residual"][j][i], share(exceeds[j, i])) for i, h in enumerate(harms)
            ],
            "entities": (
                count(float(entities[j].mean())),
                f"{count(float(entities_low[j]))} to {count(float(entities_high[j]))}",
            ),
            "compliance": _compliance(o.compliance[:, j]),
        }
        rows.append(row)
    return rows


def _component_rows(rows: list[dict]) -> list[dict]:
    """The per-approach dicts as a component x approach matrix for one wide table."""

    def line(label, get, strong=False, indent=False, note=None):
        return {
            "label": label,
            "cells": [get(r) for r in rows],
            "strong": strong,
            "indent": indent,
            "note": note,
        }

    out = [
        line("Net benefit", lambda r: r["nb"], strong=True),
        line("Risk reduction, all harms", lambda r: r["effect"]),
    ]
    for i, h in enumerate(rows[0]["by_harm"]):
        out.append(line(h[0], lambda r, i=i: r["by_harm"][i][1:], indent=True))
    out.append(line("Total social cost", lambda r: r["cost"]))
    for i, b in enumerate(rows[0]["burden"]):
        out.append(
            line(f"Compliance burden: {b[0]}", lambda r, i=i: r["burden"][i][1:], indent=True)
        )
    out.append(line("Innovation cost", lambda r: r["innovation"], indent=True))
    out.append(
        line(
            "Transfers: damages paid (not netted)",
            lambda r: r["transfers"],
            note="paid by developers to victims; a transfer, not a social cost",
        )
    )
    out.append(line("P(best) / expected loss", lambda r: (r["prob_best"], r["expected_loss"])))
    out.append(line("P(NB < 0) / CVaR 5%", lambda r: (r["prob_negative"], r["cvar"])))
    out.append(line("Residual annual harm in the final year", lambda r: ("", "")))
    for i, h in enumerate(rows[0]["residual"]):
        out.append(line(h[0], lambda r, i=i: r["residual"][i][1:3], indent=True))
    out.append(line("P(residual harm above its acceptable level)", lambda r: ("", "")))
    for i, h in enumerate(rows[0]["residual"]):
        out.append(line(h[0], lambda r, i=i: (r["residual"][i][3], ""), indent=True))
    out.append(line("Regulated entities (final year)", lambda r: r["entities"]))
    out.append(line("Compliance rate (final year)", lambda r: r["compliance"]))
    return out


def _compliance(c: np.ndarray) -> tuple[str, str]:
    ok = c[np.isfinite(c)]
    if ok.size == 0:
        return ("no regulated entity", "")
    lo, hi = quantile(ok, INTERVAL)
    return share(float(ok.mean())), f"{share(lo)} to {share(hi)}"


def _value_judgement(ceaf: pd.DataFrame, best: str, lab) -> str:
    """Where along the weight on risk reduction the expected-value choice changes (the
    analysis' acceptability frontier)."""
    weights, choice = ceaf["wtp"].to_numpy(), list(ceaf["option"])
    below = [(w, c) for w, c in zip(weights, choice, strict=True) if w < 1 and c != best]
    above = [(w, c) for w, c in zip(weights, choice, strict=True) if w > 1 and c != best]
    parts = []
    if below:
        w, c = below[-1]
        parts.append(f"at a weight of {w:g}x or less it would be {lab(c)}")
    if above:
        w, c = above[0]
        parts.append(f"at {w:g}x or more it would be {lab(c)}")
    if not parts:
        return (
            f"Value judgement: {lab(best)} stays the expected-value choice for any weight on "
            f"risk reduction from {weights[0]:g}x to {weights[-1]:g}x its stated value."
        )
    return (
        f"Value judgement: with risk reduction weighted as stated (1x) {lab(best)} is the "
        f"expected-value choice; " + " and ".join(parts) + "."
    )


def switching_order(switching: pd.DataFrame) -> pd.DataFrame:
    """Switching values found, closest to the input's median first (|quantile - 0.5|)."""
    sw = switching.dropna(subset=["switching_value"])
    if "quantile" not in sw:
        return sw
    return sw.iloc[np.argsort(np.abs(sw["quantile"].to_numpy() - 0.5), kind="stable")]


def param_label(params, name, limit: int = 70) -> str:
    """A parameter in words: its short description, or its name with spaces if it has none (the
    key itself, an identifier, is for the parameter table, not for sentences)."""
    name = str(name)
    try:
        desc = params[name].description
    except (KeyError, TypeError, AttributeError):
        desc = ""
    return short_description(desc, limit) or name.replace("_", " ")


def expert_lines(experts, params, lab, cur: str, evpi: float) -> list[str]:
    """One plain sentence per linearly pooled parameter: does the disagreement matter?"""
    if not isinstance(experts, pd.DataFrame) or not len(experts):
        return []
    out = []
    for name, r in experts.iterrows():
        who = list(r["experts"])
        value, noise = float(r["evppi"]), float(r.get("noise", 0.0) or 0.0)
        best = [b for b in r["best_by_expert"]]
        head = (
            f"Experts disagree about {param_label(params, name)}: "
            + " vs ".join(who)
            + f". Knowing which expert is right would be worth {money(value, cur)} "
            f"({share(value / evpi if evpi > 0 else 0.0, 1)} of EVPI): "
        )
        if len({b for b in best if b is not None}) <= 1:
            choice = next((b for b in best if b is not None), None)
            tail = (
                f"every expert's view leads to the same choice ({lab(str(choice))}), so the "
                "disagreement does not matter for the decision."
            )
        else:
            views = "; ".join(
                f"if {w} is right, {lab(str(b))}" for w, b in zip(who, best, strict=False) if b
            )
            if value > max(2.0 * noise, 0.01 * evpi):
                tail = f"{views}. The disagreement matters for the decision."
            else:
                tail = (
                    f"{views}, but the stakes are small (under 1% of EVPI or within the "
                    "estimate's noise), so the disagreement barely matters for the decision."
                )
        ev = r.get("evppi_value")
        if ev is not None and np.isfinite(ev):
            worth = money(float(ev), cur) if ev >= NEGLIGIBLE * max(evpi, 1.0) else "negligible"
            tail += f" Knowing the value itself exactly: {worth}."
        out.append(head + tail)
    return out


def design_lines(rule, lab, cur: str) -> list[tuple[str, str]]:
    """What the "Designing the rule" section found, one (topic, finding) per part."""
    if rule is None:
        return []
    out = []
    t = getattr(rule, "threshold", None)
    if t is None:
        note = getattr(rule, "threshold_note", "")
        if note:
            out.append(("Threshold", note))
    elif t.optimum is None:
        out.append(
            (
                "Threshold",
                f"no compute threshold keeps P(residual risk above the acceptable level) at or "
                f"below {t.max_exceed_prob:.0%} for {lab(t.approach)}.",
            )
        )
    else:
        gain = t.optimum_value - t.reference_value
        lo, _, hi = t.optimum_quantiles()
        rel = (
            f", {share(abs(gain) / abs(t.optimum_value), 1)} of its expected net benefit"
            if t.optimum_value
            else ""
        )
        flat = abs(gain) < 0.01 * abs(t.optimum_value or 1.0)
        out.append(
            (
                "Threshold",
                f"for {lab(t.approach)}, the best compute threshold is {t.optimum:.3g} of the "
                f"base model's training compute, against the EU rule's one third; moving to it "
                f"changes expected net benefit by {signed_money(gain, cur)}{rel}"
                + (" (the curve is flat near the EU rule)" if flat else "")
                + f". The best threshold differs between simulated worlds (90% between "
                f"{lo:.3g} and {hi:.3g}).",
            )
        )
    add = getattr(rule, "additions", None)
    if isinstance(add, pd.DataFrame) and len(add):
        pays = (add["marginal_mean"] > 0) & (add["prob_positive"] >= 0.5)
        name = lambda i: short_description(add.loc[i, "label"], 90, lower=False)  # noqa: E731
        yes = [
            f"{name(i)} ({signed_money(add.loc[i, 'marginal_mean'], cur)}, "
            f"{share(add.loc[i, 'prob_positive'])})"
            for i in add.index[pays]
        ]
        no = [name(i) for i in add.index[~pays]]
        text = (
            "mean gain in net benefit from adding each instrument to the portfolios that lack "
            "it, and the share of simulated worlds where it gains: "
            + ("; ".join(yes) if yes else "no instrument gains on average in most worlds")
            + "."
        )
        if no:
            text += " Not paying (a loss on average or in most worlds): " + "; ".join(no) + "."
        out.append(("Additions that pay", text))
    boxes = getattr(rule, "boxes", ()) or ()
    if len(boxes):
        out.append(("When the choice flips", str(boxes[0][3])))
    return out


def _sobol_output(sobol, pair: str | None):
    """The decision-relevant slice of a long Sobol table (index output, parameter)."""
    if sobol is None:
        return None, None
    if hasattr(sobol, "to_frame"):
        sobol = sobol.to_frame()
    if not isinstance(sobol.index, pd.MultiIndex):
        return sobol, None
    outputs = list(dict.fromkeys(sobol.index.get_level_values(0)))
    pick = pair if pair in outputs else next((o for o in outputs if " - " in str(o)), outputs[0])
    return sobol.xs(pick, level=0), pick


def build_content(results, analysis=None, *, title: str | None = None, rule=None) -> ReportContent:
    """Assemble the report's words and tables from ``results`` and its ``Analysis``.

    ``rule`` (a :class:`model.study.design.RuleDesign`, optional) adds the summary's bullets on
    designing the rule (threshold, additions that pay, where the choice flips).
    """
    if analysis is None:
        analysis = analysis_for(results)
    cur = results.regulation.settings.currency
    settings = results.regulation.settings
    labels = dict(results.labels)
    lab = lambda k: labels.get(k, k)  # noqa: E731
    table = _decision_table(results, analysis)
    best = str(table["mean"].idxmax())
    runner = str(table.drop(index=best)["mean"].idxmax())
    tb = table.loc[best]
    evpi = float(analysis.evpi)

    headline = [
        f"{lab(best)} has the highest expected net benefit: {money(tb['mean'], cur)} "
        f"(90% interval {money_interval(tb['p05'], tb['p95'], cur)}), present value over "
        f"{settings.horizon_years} years against the status quo ({cur}, "
        f"{settings.standing} standing).",
        f"It is the best approach in {share(tb['prob_best'])} of the {results.n:,} simulated "
        f"worlds (its probability of being best, P(best)); the runner-up, {lab(runner)}, is "
        "best in "
        f"{share(table.loc[runner, 'prob_best'])} with an expected net benefit of "
        f"{money(table.loc[runner, 'mean'], cur)}.",
    ]
    robust = [
        f"Regret: choosing {lab(best)} costs {money(tb['expected_loss'], cur)} on average "
        f"against the best approach in each world (expected loss; equal to the expected value "
        f"of perfect information (EVPI), the most that resolving all uncertainty before "
        f"deciding could be worth).",
        f"Tail risk: in {share(tb['prob_negative'])} of draws it does more harm than good "
        f"(net benefit below zero); its conditional value at risk (CVaR), the average net "
        f"benefit in the worst 5% of draws, is {money(tb['cvar05'], cur)}.",
        _value_judgement(analysis.ceaf, best, lab),
    ]
    switching = _get(analysis, "switching_values", "switching")

    evppi = _get(analysis, "evppi")
    evidence = []
    if isinstance(evppi, pd.DataFrame) and "evppi" in evppi and len(evppi):
        evppi = evppi.sort_values("evppi", ascending=False)
        clear = ~evppi["within_noise"].astype(bool) if "within_noise" in evppi else True
        top = evppi[(evppi["evppi"] > NEGLIGIBLE * max(evpi, 1.0)) & clear].head(3)
        if len(top):
            small = top["evppi"].iloc[0] < 0.05 * evpi
            evidence.append(
                "Evidence that would most change the answer (the expected value of partial "
                "perfect information (EVPPI) of an input: what learning it exactly before "
                "deciding would be worth): "
                + "; ".join(
                    f"{param_label(results.params, p)} ({money(v, cur)}, "
                    f"{share(v / evpi if evpi else 0, 1)} of EVPI)"
                    for p, v in top["evppi"].items()
                )
                + f". Resolving all uncertainty together is worth {money(evpi, cur)}"
                + (
                    "; each single input is small next to that, so no one piece of evidence "
                    "is likely to change the choice."
                    if small
                    else "."
                )
            )
        elif "within_noise" in evppi and evppi["within_noise"].any():
            evidence.append(
                f"No single input's expected value of partial perfect information can be told "
                f"from estimation noise at {_get(analysis, 'evppi_draws', default=results.n):,} "
                "draws; resolving all uncertainty "
                f"together is worth {money(evpi, cur)}."
            )
        else:
            evidence.append(
                f"No single input is worth researching on its own: learning any one of them "
                f"exactly would not change the choice in expectation (every EVPPI is "
                f"negligible), although resolving all uncertainty together is worth "
                f"{money(evpi, cur)}. The choice is robust to any one piece of new evidence."
            )
    if isinstance(evppi, pd.DataFrame) and "within_noise" in evppi:
        noisy = int(evppi["within_noise"].sum())
        evidence.append(
            f"Each EVPPI is shown beside what the same estimator gives a column of pure noise "
            f"({money(float(evppi['noise'].max()), cur)} at most); {noisy} of {len(evppi)} "
            "inputs do not clear that level by two standard errors and are marked as noise."
        )
    evidence += _study_lines(analysis, results.params, lab, cur)
    experts = _get(analysis, "experts")
    expert_text = expert_lines(experts, results.params, lab, cur, evpi)
    evidence += expert_text
    caveats = _caveats(_get(analysis, "warnings", default=()) or (), results.params, labels)
    calib = results.calibration()
    outside = [
        lab_h for h, ok in calib["median_inside_reference"].items() if not ok for lab_h in [str(h)]
    ]
    if outside:
        caveats.append(
            "Calibration: the bottom-up harm estimate lies outside its reference range for "
            + ", ".join(outside)
            + "; treat those harms' figures with care."
        )
    convergence = _get(analysis, "convergence")
    if hasattr(convergence, "table"):
        if getattr(convergence, "warning", None):
            caveats.append(str(convergence.warning))
        convergence = convergence.table
    tornado = _get(analysis, "tornado")
    pair = tornado.attrs.get("output") if isinstance(tornado, pd.DataFrame) else None
    lead = pair.split(" - ") if pair and " - " in pair else (best, runner)
    sobol, _ = _sobol_output(_get(analysis, "sobol"), pair)
    ceac = analysis.ceac
    return ReportContent(
        title=title or results.params.title or results.params.name,
        currency=cur,
        labels=labels,
        best=best,
        headline=headline,
        robustness=robust,
        evidence=evidence,
        caveats=list(dict.fromkeys(caveats)),
        decision_table=table,
        approach_rows=(rows := _approach_rows(results, table, cur)),
        component_rows=_component_rows(rows),
        harm_labels={h.key: h.label for h in results.regulation.harms},
        ceac=ceac,
        tornado=tornado,
        tornado_label=f"{lab(lead[0])} minus {lab(lead[1])}",
        switching=switching,
        sobol=sobol,
        evppi=evppi,
        convergence=convergence,
        calibration=calib,
        evpi=evpi,
        design=design_lines(rule, lab, cur),
        expert_lines=expert_text,
        experts=experts if isinstance(experts, pd.DataFrame) else None,
        drivers=_get(analysis, "drivers"),
        global_ranking=_get(analysis, "global_ranking"),
        headline_voi=_get(analysis, "headline"),
        evsi=_get(analysis, "evsi"),
    )


def _ranking_draws(ranking) -> str:
    """The subsample the delta ranking and PRIM used, stated beside the drivers."""
    if not isinstance(ranking, pd.DataFrame) or "n" not in ranking.attrs:
        return ""
    return (
        f" The delta measure and PRIM use {ranking.attrs['n']:,} random draws of the run (two "
        f"halves agree on {ranking.attrs['agreement']:.0%} of their leading inputs); every "
        "decision statistic uses all draws."
    )


def _study_lines(analysis, params, lab, cur: str) -> list[str]:
    """What drives the decision (one sentence), the headline decision's VOI, and ENBS."""
    out = []
    drivers = _get(analysis, "drivers")
    if isinstance(drivers, pd.DataFrame) and len(drivers):
        a = drivers.attrs
        out.append(
            "What drives the decision: "
            + drivers_sentence(drivers, a["leaders"], a["silent"], lambda p: param_label(params, p))
            + _ranking_draws(_get(analysis, "global_ranking"))
        )
    head = _get(analysis, "headline")
    if isinstance(head, pd.DataFrame) and len(head) > 1:
        a, b = head.attrs["decision"].split(" - ")
        total = float(head["evppi"].iloc[0])
        top = head.iloc[1:]
        top = top[~top["within_noise"].astype(bool)]
        learn = "; ".join(
            f"{param_label(params, p)} {money(r['evppi'], cur)} (standard error "
            f"{money(r['se'], cur)})"
            for p, r in top.head(3).iterrows()
        )
        out.append(
            f"For the headline choice between {lab(a)} and {lab(b)}, resolving all uncertainty "
            f"is worth {money(total, cur)}; "
            + (
                f"learning one input exactly: {learn}."
                if learn
                else "no single input clears the noise control."
            )
        )
    study = _get(analysis, "evsi")
    if isinstance(study, pd.DataFrame) and len(study):
        best = study.attrs["optimal_n"]
        fixed, per = study.attrs["cost"]
        if best is None:
            verdict = "no size tested repays its cost"
        else:
            r = study.loc[best]
            verdict = (
                f"{best:,} respondents is best: expected value {money(r['evsi'], cur)} against a "
                f"cost of {money(r['cost'], cur)} (net {money(r['enbs'], cur)})"
            )
        proposed = in_words(study.attrs["study"], params, {})
        out.append(
            f"A proposed {proposed}, costing {money(fixed, cur)} plus "
            f"{money(per, cur)} a respondent (declared): {verdict} (expected value of sample "
            "information by regression; expected net benefit of sampling)."
        )
    return out
