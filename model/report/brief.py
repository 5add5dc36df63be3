"""The first screen and the appraisal summary: what a minister and a regulatory reviewer read.

Built from the run's ``Results``, its ``Analysis``, the rule design (portfolios) and the
declared value judgements re-evaluated on the run's first draws
(:class:`model.study.judgements.Judgements`). Every figure carries its uncertainty or a stated
stability check; what the model cannot say is said.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.inputs.evidence import cited
from model.regulation import PAYERS
from model.regulation.spec import Settings
from model.report.content import param_label, switching_order
from model.report.wording import (
    currency_name,
    money,
    money_interval,
    number,
    price_base,
    price_year,
    setting_label,
    share,
    short_description,
)
from model.study.appraisal import BUSINESS, INTERVAL, OptimismBias, appraisal, transfers
from model.study.central import CentralCase, central_case
from model.study.judgements import Judgements
from model.study.percentiles import quantile
from model.study.portfolios import BEST

__all__ = [
    "RPC_BASIS",
    "Brief",
    "FlipRow",
    "build_brief",
    "eandcb_basis",
    "rpc_applies",
    "scope",
    "standing_words",
    "uncited",
]


def uncited(source: str) -> str:
    """A source's text without the register IDs it opens with (for a sentence, not a table)."""
    return source.split("] ", 1)[-1] if cited(source) else source


@dataclass(frozen=True)
class FlipRow:
    """One row of "what flips the decision": a judgement, its alternative, the result there."""

    judgement: str
    alternative: str
    result: str
    flips: bool


@dataclass
class Brief:
    """Words and rows for the headline, the drivers paragraph and the appraisal summary."""

    answer: str
    standing: list[str]  # what this standing counts, what the other would count
    figures: list[tuple[str, str]]  # (measure, value with its uncertainty)
    scope: str  # declared approaches vs the best portfolio found
    flips: list[FlipRow]
    flip_note: str
    drivers: str
    price_base: str  # currency, price base year and present-value base year of every figure
    eandcb_basis: str  # EANDCB against the UK Regulatory Policy Committee's price basis
    rpc_run: bool  # a UK appraisal, where the RPC's basis is the one expected
    appraisal: pd.DataFrame  # model.study.appraisal.appraisal
    appraisal_rows: list[dict]  # label, cells, note
    transfer_rows: list[dict]  # approach, role, party, mean, interval (appraisal.transfers)
    small_business: list[str]
    scenario_rows: list[dict]  # scenario, preferred, its mean, the run's choice there
    scenario_note: str
    optimism: OptimismBias
    central: CentralCase
    best: str
    columns: list[tuple[str, str]]  # (approach, label) of the appraisal table
    worked_harms: list[dict]  # the central case, harm by harm
    worked_total: list[tuple[str, str]]  # ... and from harm averted to net benefit


def _jurisdiction(results) -> str:
    """The jurisdiction's name if the settings give one, else what its harm shares describe."""
    name = getattr(results.regulation.settings, "jurisdiction", None)
    if name:
        return str(name)
    p = results.params[results.regulation.harms[0].roles["jurisdiction_share"]]
    source = uncited(p.source.removeprefix("assumption:").strip())
    return f"not named in the parameter files; its harm shares are sourced as: {source} ({p.name})"


def _standing(results) -> list[str]:
    s = results.regulation.settings.standing
    names = list(results.params.names)
    ranges = []
    for h in results.regulation.harms:
        draws = results.draws[:, names.index(h.roles["jurisdiction_share"])]
        lo, hi = quantile(draws, INTERVAL)
        ranges.append(f"{h.label.lower()} {share(lo)} to {share(hi)}")
    world = (
        "World standing counts harm averted wherever in the world it falls, and every cost of "
        "the rules."
    )
    local = (
        "Jurisdiction standing would count only the share of each harm borne by people in the "
        f"jurisdiction (90% ranges: {'; '.join(ranges)}), only the jurisdiction's share of "
        "upstream firms' compliance costs and of the ecosystem value lost, and domestic "
        "developers', the regulator's and liability costs in full."
    )
    lead = f"Jurisdiction: {_jurisdiction(results)}. This run uses {s} standing."
    if s == "world":
        return [lead, world, local]
    return [lead, local.replace("would count", "counts"), world.replace("counts", "would count")]


#: The UK Regulatory Policy Committee's basis for EANDCB: (price base year, present-value base).
RPC_BASIS = (2019, 2020)


def rpc_applies(settings: Settings) -> bool:
    """Is this a UK appraisal (named jurisdiction or pounds), where the RPC's basis applies?"""
    return "United Kingdom" in settings.jurisdiction or settings.currency.upper().startswith("GBP")


def eandcb_basis(settings: Settings) -> str:
    """EANDCB's price basis against the RPC's, said plainly: the parameter files declare no GDP
    deflator, so no conversion is made."""
    year = price_year(settings.currency) or "the run's"
    prices, base = RPC_BASIS
    stated = (
        f"EANDCB is given in {currency_name(settings.currency)} at {year} prices with a {year} "
        f"present-value base, not on the UK Regulatory Policy Committee's basis ({prices} "
        f"prices, {base} present-value base, in pounds)"
    )
    if rpc_applies(settings):
        return (
            stated + ": the parameter files declare no GDP deflator for that conversion, so "
            "none is made; convert it before setting it beside the Committee's figures."
        )
    return stated + ", which applies to UK impact assessments only."


def _mean_pm(t: pd.Series, cur: str) -> str:
    return f"{money(t['mean'], cur)} (±{money(1.96 * t['mcse'], cur)} Monte Carlo error)"


def _figures(results, best: str, ap: pd.DataFrame, central: CentralCase, cur: str) -> list:
    a = ap.loc[best]
    nb = central.costs(best)["net_benefit"]
    return [
        ("Expected net benefit (mean)", f"{money(a['npsv_mean'], cur)} "
         f"(±{money(1.96 * a['npsv_mcse'], cur)}, 95% Monte Carlo error)"),
        ("Median", money(a["npsv_central"], cur)),
        ("90% interval", money_interval(a["npsv_low"], a["npsv_high"], cur)),
        ("Benefit-cost ratio", _bcr_figure(a, cur)),
        ("Central case", f"{money(nb, cur)}: the model evaluated once with every input at its "
         "median (worked through in the Traceability section)"),
        ("Cost to each class of developer", _class_costs(results, best, cur)),
    ]  # fmt: skip


def _class_costs(results, best: str, cur: str) -> str:
    """One line: each class's compliance cost under the recommended approach, per regulated
    developer a year and as a share of the value the class creates (means)."""
    parts = []
    for _, r in results.class_burden(best).iterrows():
        name = r["label"].split(" (")[0]
        if not r["burden_mean"] > 0:
            parts.append(f"{name}: none")
            continue
        parts.append(
            f"{name}: {money(r['annual_cost_per_developer'], cur)} a year per regulated "
            f"developer ({r['developers']:,.0f} regulated), {r['cost_share_of_value']:.2%} of "
            "the value the class creates"
        )
    return "; ".join(parts) + " (details in the appraisal summary)"


def _bcr_figure(a: pd.Series, cur: str) -> str:
    """The headline ratio: of the means, then the per-draw ratio's 90% interval and the PV
    benefits and costs it divides, each with its own."""
    ratio, spread = _ratio(a)
    if spread:
        ratio += f" (90% interval of the ratio in each draw: {spread})"
    return (
        f"{ratio}: mean benefits {money(a['pv_benefits'], cur)} (90% interval "
        f"{money_interval(a['pv_benefits_low'], a['pv_benefits_high'], cur)}) over mean costs "
        f"{money(a['pv_costs'], cur)} (90% interval "
        f"{money_interval(a['pv_costs_low'], a['pv_costs_high'], cur)}), present values; "
        "transfers excluded"
    )


def scope(results, best: str, rule, lab, cur: str) -> str:
    """How the ranking of the declared approaches relates to the best mix of instruments found."""
    k = len(results.approaches)
    if BEST in results.approaches:
        note = getattr(rule, "search_note", "").rstrip(".")
        text = (
            f"This ranks the {k - 1} declared approaches (status quo included) and the best mix "
            f"of instruments found ({note[:1].lower() + note[1:]}). "
        )
    else:
        text = f"This ranks the {k} declared approaches (status quo included). "
    top = getattr(rule, "portfolios", None)
    if not isinstance(top, pd.DataFrame) or not len(top):
        return text + "Other mixes of the instruments were not searched in this run."
    insts = str(top.index[0]).split("+")
    names = " + ".join(
        short_description(results.regulation.instruments[i].label, 90, lower=False) for i in insts
    )
    mean = float(top["mean"].iloc[0])
    on_search = getattr(rule, "declared_means", None)
    if on_search is not None and best in on_search.index:
        declared, draws = float(on_search.loc[best, "mean"]), "on the same draws"
    else:  # an older saved rule design: the run's own mean, other draws
        declared = float(results.net_benefit[:, results.approaches.index(best)].mean())
        draws = "against its mean on the run's draws"
    found = (
        f"{names}: {money(mean, cur)}, best in {share(top['prob_best'].iloc[0])} of draws among "
        "the portfolios confirmed, whose near neighbours share the rest (same seed; Designing "
        "the rule)"
    )
    mine = set(results.regulation.approaches[results.approaches.index(best)].instruments)
    if set(insts) == mine:
        return (
            text
            + f"The best mix of instruments found is the same: {found}."
            + _runner_up(results, top, cur)
        )
    if mean <= declared:
        return text + f"No mix of instruments found beats it; the best mix is {found}."
    return text + (
        f"A mix of instruments that is not a declared approach does better: {found}, "
        f"{money(mean - declared, cur)} more than {lab(best)} ({money(declared, cur)} {draws}). "
        "Declaring it would put it in this ranking."
    )


def _runner_up(results, top: pd.DataFrame, cur: str) -> str:
    """How the best portfolio stands against the next best one found (its nesting)."""
    if len(top) < 2:
        return ""
    first, second = (set(str(k).split("+")) for k in top.index[:2])
    diff = [results.regulation.instruments[i].label for i in sorted(second ^ first)]
    how = "adds" if second > first else "drops" if second < first else "swaps"
    gap = float(top["mean"].iloc[0] - top["mean"].iloc[1])
    close = gap < 0.05 * abs(float(top["mean"].iloc[0]))
    return (
        f" The runner-up {how} {'; '.join(diff)}: {money(gap, cur)} less in expectation, best in "
        f"{share(top['prob_best'].iloc[1])} of worlds among the portfolios confirmed"
        + ("; little turns on the choice between them." if close else ".")
    )


def standing_words(judged: Judgements, standing: str) -> str:
    """A standing in plain words: what it counts and, when it is not the run's and a scenario
    file sets it, what that file also changes (not the file's name or its parameter keys)."""
    res = judged.results
    text = (
        f"{standing} standing (costs and benefits counted: {setting_label('standing', standing)[1]}"
    )
    changed = {}
    if standing != res.regulation.settings.standing:
        changed = judged.scenarios.get(standing, (None, {}))[1].get("parameters", {})
    if changed:
        text += "; its scenario also sets its own " + ", ".join(
            param_label(res.params, p) for p in changed
        )
    return text + ")"


def _alternative(judged: Judgements, judgement: str, words: str) -> str:
    """A judgement's alternative in plain words (the other standing by :func:`standing_words`)."""
    if judgement != "standing":
        return uncited(words)
    other = "jurisdiction" if judged.results.regulation.settings.standing == "world" else "world"
    return standing_words(judged, other)


def _flips(judged: Judgements, best: str, lab, cur: str) -> list[FlipRow]:
    rows = []
    for alt in judged.alternatives():
        t = alt.table
        result = f"{lab(alt.best)}: {_mean_pm(t.loc[alt.best], cur)}"
        if alt.best != best:
            gap, se = alt.gap(alt.best, best)
            result += (
                f"; {lab(best)}: {_mean_pm(t.loc[best], cur)}; the difference, "
                f"{money(gap, cur)} (±{money(1.96 * se, cur)} on the same draws), "
                + ("is beyond" if gap > 1.96 * se else "is within")
                + " its Monte Carlo error"
            )
        alternative = _alternative(judged, alt.judgement, alt.setting)
        rows.append(FlipRow(alt.judgement, alternative, result, alt.flips))
    return rows


def _optimism_flip(ap: pd.DataFrame, best: str, lab, cur: str) -> FlipRow:
    """The optimism-bias adjustment (appraisal summary) as a row of "what flips the decision",
    on all draws."""
    o = OptimismBias()
    top = str(ap["optimism_mean"].idxmax())
    result = (
        f"{lab(top)}: {money(ap.loc[top, 'optimism_mean'], cur)} "
        f"(best in {share(ap.loc[top, 'optimism_prob_best'])} of draws)"
    )
    if top != best:
        result += f"; {lab(best)}: {money(ap.loc[best, 'optimism_mean'], cur)}"
    alternative = f"costs +{o.costs:.0%}, benefits -{o.benefits:.0%} (declared)"
    return FlipRow("optimism bias", alternative, result, top != best)


def _drivers(results, analysis, lab, cur: str) -> str:
    params = results.params
    parts = []
    tornado = analysis.tornado
    if isinstance(tornado, pd.DataFrame) and len(tornado):
        top = tornado.sort_values("swing", ascending=False).head(3)
        pair = str(tornado.attrs.get("output", ""))
        what = " minus ".join(lab(p) for p in pair.split(" - ")) if " - " in pair else pair
        parts.append(
            f"The gap between the leading approaches ({what}) moves most with "
            + "; ".join(
                f"{param_label(params, r['parameter'])} (swing {money(r['swing'], cur)})"
                for _, r in top.iterrows()
            )
            + " (tornado: each input from its 5th to its 95th percentile, others at medians)."
        )
    sw = analysis.switching_values
    if isinstance(sw, pd.DataFrame) and "switching_value" in sw:
        near = switching_order(sw).head(3)
        if len(near):
            parts.append(
                "The decision switches closest to the median for "
                + "; ".join(
                    f"{param_label(params, r['parameter'])} at {number(r['switching_value'])} "
                    f"(percentile {100 * r['quantile']:.1f} of its distribution), to "
                    f"{lab(str(r['to_option']))}"
                    for _, r in near.iterrows()
                )
                + " (switching values, one input at a time, the most fragile first)."
            )
        else:
            parts.append("No single input switches the decision on its own (switching values).")
    ev = analysis.evppi
    if isinstance(ev, pd.DataFrame) and "evppi" in ev and len(ev) and analysis.evpi > 0:
        top = ev.sort_values("evppi", ascending=False).head(3)
        se = top["se"] if "se" in top else pd.Series(np.nan, index=top.index)
        parts.append(
            "The evidence most worth having before deciding: "
            + "; ".join(
                f"{param_label(params, p)} ({money(v, cur)}, {share(v / analysis.evpi)} of "
                f"the {money(analysis.evpi, cur)} that resolving all uncertainty is worth"
                + (", within its estimation noise" if v < 1.96 * se[p] else "")
                + ")"
                for p, v in top["evppi"].items()
            )
            + " (EVPPI)."
        )
    return " ".join(parts)


def _ratio(r) -> tuple[str, str]:
    """The BCR: the ratio of means, and the 90% interval of the per-draw ratio where PV costs
    are positive (with the share of such draws when it is not all of them), or ""."""
    if not np.isfinite(r["bcr"]):
        return "n/a (no cost)", ""
    spread = ""
    if np.isfinite(r["bcr_low"]):
        spread = f"{number(r['bcr_low'])} to {number(r['bcr_high'])}"
        if r["bcr_draws"] < 1:
            spread += f", in the {share(r['bcr_draws'])} of draws with costs"
    return f"{r['bcr']:.2f}", spread


def _appraisal_rows(ap: pd.DataFrame, opt: OptimismBias, cur: str) -> list[dict]:
    """The appraisal table: each cell is (value, the line beneath it: its 90% interval)."""
    cash = lambda v: money(v, cur) if np.isfinite(v) else "n/a (no cost)"  # noqa: E731

    def ranged(name):  # the mean, and beneath it the 90% interval across draws
        return lambda r: (
            cash(r[name]),
            f"90%: {money_interval(r[f'{name}_low'], r[f'{name}_high'], cur)}",
        )

    def ratio(r):  # the ratio of means, and beneath it its 90% interval
        value, spread = _ratio(r)
        return value, f"90%: {spread}" if spread else ""

    def row(label, get, note=None, strong=False):
        cells = [get(r) for _, r in ap.iterrows()]
        cells = [c if isinstance(c, tuple) else (c, "") for c in cells]
        return {"label": label, "cells": cells, "note": note, "strong": strong}

    return [
        row("NPSV central (median)", lambda r: cash(r["npsv_central"]), strong=True),
        row("NPSV low / high (5th / 95th percentile)",
            lambda r: f"{cash(r['npsv_low'])} / {cash(r['npsv_high'])}"),
        row("NPSV mean (±95% Monte Carlo error)",
            lambda r: f"{cash(r['npsv_mean'])} (±{cash(1.96 * r['npsv_mcse'])})"),
        row("PV benefits (harm averted)", ranged("pv_benefits"),
            note="mean; beneath it the 90% interval across draws"),
        row("PV costs (burden + innovation cost)", ranged("pv_costs"),
            note="mean and 90% interval"),
        row("Benefit-cost ratio", ratio,
            note="the ratio of mean PV benefits to mean PV costs; beneath it the 5th to 95th "
            "percentile of the ratio in each draw, over the draws whose PV costs are positive; "
            "transfers excluded"),
        row("Business NPV", ranged("business_npv"),
            note="minus direct costs to developers and damages they pay; benefits to business "
            "(e.g. cyber losses firms avoid) are not split out, so this is a lower bound"),
        row("Equivalent annual net direct cost to business (EANDCB)", ranged("eandcb"),
            note="PV of direct business costs annuitised over the appraisal period at the run's "
            "discount schedule, in the run's price and present-value base year (not the "
            "Regulatory Policy Committee's 2019 prices and 2020 base: see below); damages paid, "
            "a transfer, are excluded"),
        row("Regulated entities (final year)", lambda r: number(round(r["entities"]))),
        row("Direct business cost per regulated entity per year",
            lambda r: cash(r["cost_per_entity_year"]) if r["entities"] >= 1
            else "n/a (none regulated)",
            note="EANDCB / regulated entities; liability's litigation and precaution costs fall "
            "on all developers, so with liability this overstates the cost per entity"),
        *[row(f"Cost to {p}" + (" (business)" if p in BUSINESS else " (government)"),
              lambda r, p=p: cash(r[f"burden_{p}"])) for p in PAYERS],
        row("Innovation cost (ecosystem value lost)", lambda r: cash(r["innovation_cost"]),
            note="indirect: deterred entry, blocked modifications, chilling"),
        row("Transfers: damages paid (not netted)", ranged("transfers"),
            note="by payer and recipient in the table below"),
        row(f"Optimism bias: costs +{opt.costs:.0%}, benefits -{opt.benefits:.0%}",
            lambda r: f"{cash(r['optimism_mean'])}; P(best) {share(r['optimism_prob_best'])}",
            note="mean net benefit after the adjustment"),
    ]  # fmt: skip


def _transfer_rows(results, lab, cur: str) -> list[dict]:
    """The damages paid under liability by payer and recipient, approach by approach."""
    return [
        {
            "approach": lab(r["approach"]),
            "role": r["role"],
            "party": r["party"],
            "mean": money(r["pv_mean"], cur),
            "interval": money_interval(r["pv_low"], r["pv_high"], cur),
        }
        for _, r in transfers(results).iterrows()
    ]


def _small_business(results, best: str, cur: str) -> list[str]:
    """The small-firm lens: what the recommended approach costs each class of developer."""
    table = results.class_burden(best)
    lines = []
    for _, r in table.iterrows():
        if not r["burden_mean"] > 0:
            lines.append(f"{r['label']}: no compliance cost under {results.labels[best]}.")
            continue
        lines.append(
            f"{r['label']}: {r['developers']:,.0f} regulated in the final year; compliance cost "
            f"{money(r['burden_mean'], cur)} in present value (90% interval "
            f"{money(r['burden_p05'], cur)} to {money(r['burden_p95'], cur)}), "
            f"{money(r['annual_cost_per_developer'], cur)} a year per regulated developer, "
            f"{r['cost_share_of_value']:.2%} of the value the class creates."
        )
    lines.append(
        "Costs are those of duties and guidance borne by each class; developers a duty deters "
        "pay nothing and lose value instead (innovation cost). Classes differ in number, "
        "growth, value, compute, share of risk and capacity to comply (params/classes.toml); "
        "an exemption for a class is a portfolio without the duty on it."
    )
    return lines


def _scenarios(judged_rows: list[FlipRow], sweep, best: str, lab, cur: str) -> list[dict]:
    rows = [{"scenario": f"{r.judgement}: {r.alternative}", "result": r.result,
             "flips": r.flips} for r in judged_rows]  # fmt: skip
    if sweep is not None:
        n = sweep.provenance["n"]
        for _, r in sweep.preferred().iterrows():
            rows.append(
                {
                    "scenario": f"evidence: {r['scenario']}",
                    "result": f"{lab(r['preferred'])}: {money(r['mean'], cur)} "
                    f"(P(best) {share(r['prob_best'])}, n = {n:,})",
                    "flips": r["preferred"] != best,
                }
            )
    return rows


def _worked(results, central: CentralCase, best: str, cur: str) -> tuple[list, list]:
    x = central.inputs
    rows = []
    for h, (_, r) in zip(results.regulation.harms, central.harms(best).iterrows(), strict=True):
        rows.append(
            {
                "harm": h.label,
                "factors": " × ".join(f"{f} {number(x[f])}" for f in h.harm),
                "year0": money(r["harm_year0"], cur),
                "pv": money(r["pv_status_quo"], cur),
                "removed": share(r["share_removed"], 1),
                "averted": money(r["risk_reduction"], cur),
            }
        )
    c = central.costs(best)
    averted = float(central.harms(best)["risk_reduction"].sum())
    total = [("Harm averted, all harms", money(averted, cur))]
    total += [(f"minus burden on {p}", money(c[f"burden_{p}"], cur)) for p in PAYERS]
    total += [
        ("minus innovation cost", money(c["innovation_cost"], cur)),
        ("= net benefit, central case", money(c["net_benefit"], cur)),
        ("transfers: damages paid (not netted)", money(c["transfers"], cur)),
    ]
    return rows, total


def _best(results) -> str:
    return results.approaches[int(np.argmax(results.net_benefit.mean(axis=0)))]


#: Structural settings that already have a value-judgement row (evaluated on the judgements'
#: draws), so the structural rows do not repeat them.
JUDGED = ("standing", "horizon_years")


def structural_flips(su, lab, cur: str) -> list[FlipRow]:
    """Rows of "what flips the decision" for each structural alternative other than the file's
    choice (:func:`model.structural_uncertainty`: every alternative on the same draws; standing
    and the horizon have their value-judgement rows), and a last row for the model average
    over the declared weights."""
    v = su.variants
    chosen = set(map(tuple, v.loc[v["is_file_choice"], ["setting", "alternative"]].to_numpy()))
    decisions = su.decisions()
    as_filed = decisions.loc[[k in chosen for k in decisions.index], "best"].iloc[0]
    filed = v[v["is_file_choice"] & (v["setting"] == v["setting"].iloc[0])]
    filed = filed.set_index("approach")["expected_net_benefit"]  # the same draws, as filed

    def result_of(best: str, value: float, prob: float) -> str:
        """An alternative's best approach with its value beside the file's on the same draws
        (these draws are fewer than the headline's: the pair is what compares)."""
        return (
            f"{lab(best)}: {money(value, cur)} (best in {share(prob)} of draws; "
            f"{money(filed[best], cur)} under the parameter file's own assumption, same draws)"
        )

    rows = []
    for (setting, alt), r in decisions.iterrows():
        if (setting, alt) not in chosen and setting not in JUDGED:
            result = result_of(r["best"], r["expected_net_benefit"], r["prob_best"])
            what, words = setting_label(setting, alt)
            name = f"structural assumption: {what}"
            rows.append(FlipRow(name, words, result, bool(r["changes_decision"])))
    avg = su.averaged.sort_values("expected_net_benefit", ascending=False)
    top = str(avg.index[0])
    result = result_of(top, avg.loc[top, "expected_net_benefit"], avg.loc[top, "prob_best"])
    rows.append(
        FlipRow(
            "structural assumptions", "model average (declared weights)", result, top != as_filed
        )
    )
    return rows


def build_brief(
    results,
    analysis,
    rule=None,
    *,
    sweep=None,
    judged: Judgements | None = None,
    central: CentralCase | None = None,
    more_flips: Iterable[FlipRow] = (),
) -> Brief:
    """The headline block, drivers paragraph and appraisal summary for ``results``.

    ``more_flips`` adds rows to "what flips the decision" beside the declared value judgements
    (for example structural assumptions, each evaluated by its caller).
    """
    cur = results.regulation.settings.currency
    lab = lambda k: results.labels.get(k, k)  # noqa: E731
    best = _best(results)
    ap = appraisal(results)
    central = central or central_case(results)
    judged = judged or Judgements(results)
    flips = [*_flips(judged, best, lab, cur), _optimism_flip(ap, best, lab, cur), *more_flips]
    s = results.regulation.settings
    among = "the declared approaches"
    if BEST in results.approaches:
        among += " and every mix of the instruments searched"
    answer = (
        f"Recommended among {among}: {lab(best)}, the highest expected net "
        f"benefit, {money(ap.loc[best, 'npsv_mean'], cur)} present value over "
        f"{s.horizon_years} years against the status quo ({cur}, {s.standing} standing)."
    )
    flip_note = (
        f"Each declared value judgement changed on its own and evaluated on the run's first "
        f"{judged.m:,} draws (same seed; ± is the 95% Monte Carlo error at that size)."
    )
    optimism = OptimismBias()
    shown = ap.drop(index=results.approaches[0])
    worked_harms, worked_total = _worked(results, central, best, cur)
    return Brief(
        answer=answer,
        standing=_standing(results),
        figures=_figures(results, best, ap, central, cur),
        scope=scope(results, best, rule, lab, cur),
        flips=flips,
        flip_note=flip_note,
        drivers=_drivers(results, analysis, lab, cur),
        price_base=price_base(cur, s.horizon_years),
        eandcb_basis=eandcb_basis(s),
        rpc_run=rpc_applies(s),
        appraisal=ap,
        appraisal_rows=_appraisal_rows(shown, optimism, cur),
        transfer_rows=_transfer_rows(results, lab, cur),
        small_business=_small_business(results, best, cur),
        scenario_rows=_scenarios(flips, sweep, best, lab, cur),
        scenario_note=(
            "Value-judgement scenarios are re-evaluated on the run's own draws. Evidence "
            "scenarios (other distributions) need their own draws: "
            + (
                f"run with model.sweep at n = {sweep.provenance['n']:,}."
                if sweep is not None
                else "not run in this report (pass sweep= to write_report, or run "
                "`headwater sweep` over params/scenarios/)."
            )
        ),
        optimism=optimism,
        central=central,
        best=best,
        columns=[(k, lab(k)) for k in shown.index],
        worked_harms=worked_harms,
        worked_total=worked_total,
    )
