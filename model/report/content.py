"""What the report says: decision tables and plain-words findings from ``Results``.

``analysis_for(results)`` uses :func:`model.analysis.analyse` when that module is present and
falls back to calling ``model.decision`` / ``model.sensitivity`` / ``model.voi`` directly, so the
report works on any tree. ``ReportContent`` holds everything the template needs, in words and
pandas tables, and is usable on its own (e.g. for ``headwater run --json``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd

from model import decision
from model.regulation import PAYERS
from model.report.wording import money, money_interval, number, share

__all__ = ["ReportContent", "analysis_for", "build_content", "WEIGHTS"]

WEIGHTS = np.round(np.linspace(0.0, 3.0, 61), 3)  # weight on risk reduction for acceptability
ALPHA = 0.05  # CVaR tail


# ----------------------------------------------------------------------------- analysis


def _lead_function(results, best: int, runner: int):
    """(m, d) inputs -> (m,) net benefit of ``best`` minus ``runner`` (one vectorised call)."""

    def lead(x):
        y = results.evaluate(x)
        return y[:, best] - y[:, runner]

    return lead


def _fallback_analysis(results, *, sobol_n: int = 1024, rng=0) -> SimpleNamespace:
    """The analysis tables computed directly from the library modules."""
    from model import sensitivity, voi

    nb = results.net_benefit
    keys = list(results.approaches)
    order = np.argsort(nb.mean(axis=0))[::-1]
    best, runner = int(order[0]), int(order[1])
    uncertain = list(results.params.uncertain_names)
    lead = _lead_function(results, best, runner)
    out = SimpleNamespace(warnings=[])
    out.tornado = sensitivity.tornado(
        lambda x: lead(x)[:, None], results.params, names=uncertain, output=0
    )
    out.switching = sensitivity.switching_values(
        results.evaluate, results.params, names=uncertain, option_names=keys
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = sensitivity.sobol(lead, results.params, n=sobol_n, rng=rng)
        table = s.to_frame().xs(s.outputs[0], level="output")
        out.sobol = table.loc[[p for p in table.index if p in uncertain]]
        out.evppi = voi.research_priorities(nb, results.inputs)
    conv = sensitivity.convergence(nb, names=keys)
    out.convergence = conv.table
    if conv.warning:
        out.warnings.append(conv.warning)
    out.lead = (keys[best], keys[runner])
    return out


def analysis_for(results, **kwargs):
    """``model.analysis.analyse(results)`` if available, else the fallback tables."""
    try:
        from model.analysis import analyse
    except ImportError:
        return _fallback_analysis(results, **kwargs)
    return analyse(results)


def _get(analysis, *names, default=None):
    """The first attribute of ``analysis`` among ``names`` that exists and is not None."""
    for n in names:
        v = getattr(analysis, n, None)
        if v is not None:
            return v
    return default


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
            "approaches": rows,
            "evppi_top": ev,
        }


def _plain(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _decision_table(results, weights) -> pd.DataFrame:
    nb = results.net_benefit
    q = np.quantile(nb, [0.05, 0.95], axis=0)
    return pd.DataFrame(
        {
            "mean": nb.mean(axis=0),
            "p05": q[0],
            "p95": q[1],
            "prob_best": decision.prob_best(nb),
            "expected_loss": decision.expected_loss(nb),
            "prob_negative": decision.prob_negative(nb),
            "cvar05": decision.cvar(nb, ALPHA),
            "effect_mean": results.effects.mean(axis=0),
            "cost_mean": results.costs.mean(axis=0),
            "transfers_mean": results.outcomes.transfers.mean(axis=0),
        },
        index=pd.Index(results.approaches, name="approach"),
    )


def _mean_ci(x: np.ndarray, cur: str) -> tuple[str, str]:
    lo, hi = np.quantile(x, [0.05, 0.95])
    return money(float(x.mean()), cur), money_interval(lo, hi, cur)


def _approach_rows(results, table: pd.DataFrame, cur: str) -> list[dict]:
    o = results.outcomes
    harm_labels = {h.key: h.label for h in results.regulation.harms}
    rows = []
    for j, key in enumerate(results.approaches):
        t = table.loc[key]
        row = {
            "key": key,
            "label": results.labels.get(key, key),
            "nb": _mean_ci(o.net_benefit[:, j], cur),
            "effect": _mean_ci(results.effects[:, j], cur),
            "by_harm": [
                (harm_labels.get(h, h), *_mean_ci(o.risk_reduction[:, j, i], cur))
                for i, h in enumerate(results.harms)
            ],
            "burden": [(p, *_mean_ci(o.burden[:, j, i], cur)) for i, p in enumerate(PAYERS)],
            "innovation": _mean_ci(o.innovation_cost[:, j], cur),
            "cost": _mean_ci(results.costs[:, j], cur),
            "transfers": _mean_ci(o.transfers[:, j], cur),
            "prob_best": share(t["prob_best"]),
            "expected_loss": money(t["expected_loss"], cur),
            "prob_negative": share(t["prob_negative"]) if key != "status_quo" else "n/a",
            "cvar": money(t["cvar05"], cur),
            "residual": [
                (
                    harm_labels.get(h, h),
                    *_mean_ci(o.residual_harm[:, j, i], cur),
                    share(o.exceeds_acceptable[:, j, i].mean()),
                )
                for i, h in enumerate(results.harms)
            ],
            "entities": (
                number(float(o.entities[:, j].mean())),
                f"{number(float(np.quantile(o.entities[:, j], 0.05)))} to "
                f"{number(float(np.quantile(o.entities[:, j], 0.95)))}",
            ),
            "compliance": _compliance(o.compliance[:, j]),
        }
        rows.append(row)
    return rows


def _compliance(c: np.ndarray) -> tuple[str, str]:
    ok = c[np.isfinite(c)]
    if ok.size == 0:
        return ("no regulated entity", "")
    lo, hi = np.quantile(ok, [0.05, 0.95])
    return share(float(ok.mean())), f"{share(lo)} to {share(hi)}"


def _ceac(results, weights) -> pd.DataFrame:
    curve = decision.ceac(results.costs, results.effects, weights)
    return pd.DataFrame(curve, index=pd.Index(weights, name="weight"), columns=results.approaches)


def _weight_where_best_changes(results, weights) -> list[tuple[float, str]]:
    """Weights at which the approach with the highest expected NB changes."""
    enb = weights[:, None] * results.effects.mean(axis=0) - results.costs.mean(axis=0)
    best = enb.argmax(axis=1)
    changes = np.flatnonzero(np.diff(best)) + 1
    return [(float(weights[i]), results.approaches[int(best[i])]) for i in changes]


def build_content(results, analysis=None, *, title: str | None = None) -> ReportContent:
    """Assemble the report's words and tables from ``results`` and its analysis."""
    if analysis is None:
        analysis = analysis_for(results)
    cur = results.regulation.settings.currency
    labels = dict(results.labels)
    lab = lambda k: labels.get(k, k)  # noqa: E731
    table = _decision_table(results, WEIGHTS)
    nb = results.net_benefit
    best = str(table["mean"].idxmax())
    others = table.drop(index=best).sort_values("mean", ascending=False)
    runner = str(others.index[0])
    tb = table.loc[best]
    evpi = decision.evpi(nb)

    headline = [
        f"{lab(best)} has the highest expected net benefit: {money(tb['mean'], cur)} "
        f"(90% interval {money_interval(tb['p05'], tb['p95'], cur)}), present value over "
        f"{results.regulation.settings.horizon_years} years against the status quo, "
        f"{cur}, {results.regulation.settings.standing} standing.",
        f"It is the best approach in {share(tb['prob_best'])} of the {results.n:,} simulated "
        f"worlds; the runner-up, {lab(runner)}, is best in "
        f"{share(table.loc[runner, 'prob_best'])} with an expected net benefit of "
        f"{money(table.loc[runner, 'mean'], cur)}.",
    ]
    robust = [
        f"Choosing {lab(best)} and being wrong costs {money(tb['expected_loss'], cur)} on "
        f"average (expected loss; this is also the expected value of perfect information, "
        f"the most any research could be worth to this decision).",
        f"Downside: in {share(tb['prob_negative'])} of draws it does more harm than good "
        f"(net benefit below zero); the average of the worst 5% of draws (CVaR) is "
        f"{money(tb['cvar05'], cur)}.",
    ]
    changes = _weight_where_best_changes(results, WEIGHTS)
    if changes:
        w, to = min(changes, key=lambda c: abs(c[0] - 1.0))
        robust.append(
            f"Value judgement: if risk reduction were weighted {w:g}x instead of 1x, the "
            f"expected-value choice would change to {lab(to)}."
        )
    else:
        robust.append(
            f"Value judgement: {lab(best)} stays the expected-value choice for any weight on "
            f"risk reduction from {WEIGHTS[0]:g}x to {WEIGHTS[-1]:g}x."
        )
    switching = _get(analysis, "switching", "switching_values")
    if isinstance(switching, pd.DataFrame) and "switching_value" in switching:
        sw = switching.dropna(subset=["switching_value"])
        if len(sw):
            params = results.params
            bits = []
            for _, r in sw.head(4).iterrows():
                p = params[r["parameter"]] if r["parameter"] in params else None
                unit = f" {p.unit}" if p is not None and p.unit else ""
                q = r.get("quantile")
                qtxt = f", its {100 * q:.0f}th percentile" if q is not None and np.isfinite(q) else ""
                bits.append(
                    f"{r['parameter']} = {number(r['switching_value'])}{unit}{qtxt} "
                    f"(to {lab(str(r['to_option']))})"
                )
            robust.append(
                "Switching values (one input at a time, others at their medians): the "
                "preferred approach changes if " + "; ".join(bits) + "."
            )
        else:
            robust.append(
                "No single input, moved alone across its 0.5%-99.5% range, changes the "
                "preferred approach (switching values)."
            )

    evppi = _get(analysis, "evppi", "evppi_ranking", "research_priorities")
    evidence = []
    if isinstance(evppi, pd.DataFrame) and "evppi" in evppi and len(evppi):
        ev = evppi.sort_values("evppi", ascending=False)
        top = ev[ev["evppi"] > 0].head(3)
        if len(top):
            evidence.append(
                "The evidence that would most change the answer (expected value of partial "
                "perfect information): "
                + "; ".join(f"{p} ({money(v, cur)})" for p, v in top["evppi"].items())
                + f". Perfect information on everything is worth {money(evpi, cur)}."
            )
        else:
            evidence.append(
                f"No single input's uncertainty is worth resolving on its own (all EVPPI are "
                f"zero); perfect information on everything is worth {money(evpi, cur)}."
            )
    caveats = [str(w) for w in (_get(analysis, "warnings", default=[]) or [])]
    calib = results.calibration()
    outside = [str(h) for h, ok in calib["median_inside_reference"].items() if not ok]
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
    lead = _get(analysis, "lead", default=(best, runner))
    sobol = _get(analysis, "sobol")
    if hasattr(sobol, "to_frame"):
        sobol = sobol.to_frame()
    if isinstance(sobol, pd.DataFrame) and isinstance(sobol.index, pd.MultiIndex):
        sobol = sobol.xs(sobol.index.get_level_values(0)[0], level=0)
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
        approach_rows=_approach_rows(results, table, cur),
        harm_labels={h.key: h.label for h in results.regulation.harms},
        ceac=_ceac(results, WEIGHTS),
        tornado=tornado,
        tornado_label=(
            f"net benefit of {lab(lead[0])} minus {lab(lead[1])}, "
            f"{cur} bn"
        ),
        switching=switching,
        sobol=sobol,
        evppi=evppi,
        convergence=convergence,
        calibration=calib,
        evpi=evpi,
    )
