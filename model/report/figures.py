"""Plotly figures for the report and for notebooks: one function per figure, each returning a
``plotly.graph_objects.Figure`` built from ``Results`` and plain pandas tables.

Every figure uses one template (:func:`template`); money axes are in billions of the parameter
set's currency with its symbol on the ticks; approaches by label and inputs by description,
never by code name.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from model.analysis.discovery import PrimResult
from model.inputs.parameters import short_description
from model.report.wording import currency_symbol, money, share
from model.study.design import ThresholdDesign
from model.study.sweep import SweepResult

__all__ = [
    "acceptability",
    "calibration",
    "convergence",
    "cost_effect_plane",
    "cumulative_net_benefit",
    "evppi_ranking",
    "net_benefit_distributions",
    "prim_tradeoff",
    "risk_reduction_over_time",
    "sobol_indices",
    "sweep_chart",
    "threshold_curve",
    "tornado",
]

PALETTE = (
    "#7f7f7f",  # status quo: grey
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)
_BN = 1e9
_MAX_POINTS = 2000  # draws per approach drawn in distribution figures (file size)


@functools.cache
def template() -> go.layout.Template:
    """The one look of every figure: plotly_white with the report's font, palette and hovers."""
    import plotly.io as pio

    t = go.layout.Template(pio.templates["plotly_white"])
    t.layout.update(
        font={
            "family": "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif",
            "size": 13,
        },
        colorway=list(PALETTE[1:]),
        hoverlabel={"namelength": -1, "bgcolor": "white", "font": {"size": 12}},
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
    return t


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template=template(),
        height=height,
    )
    return fig


def _currency(results) -> str:
    return results.regulation.settings.currency


def _bn_axis(results) -> str:
    return f"({_currency(results)}, present value)"


def money_ticks(currency: str) -> dict:
    """Axis settings for an axis in billions: ticks read ``$250bn``, hovers ``$251.3bn``."""
    return {"tickprefix": currency_symbol(currency), "ticksuffix": "bn", "hoverformat": ",.4g"}


def describe(params, name: str) -> str:
    """An input's short description for a chart (its code name if it has none)."""
    try:
        text = params[name].description
    except (KeyError, TypeError, AttributeError):
        return str(name)
    return short_description(text, 55, lower=False) if text else str(name)


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _thin(x: np.ndarray, m: int = _MAX_POINTS) -> np.ndarray:
    """Every k-th draw so that at most ``m`` are drawn (deterministic)."""
    step = max(1, int(np.ceil(x.shape[0] / m)))
    return x[::step]


def _label(results, key: str) -> str:
    return results.labels.get(key, key)


def net_benefit_distributions(results) -> go.Figure:
    """Violin of each approach's net benefit draws (status quo left out: it is 0 by definition)."""
    fig = go.Figure()
    nb = results.net_benefit / _BN
    for j, key in enumerate(results.approaches):
        if key == "status_quo":
            continue
        x = _thin(nb[:, j])
        fig.add_trace(
            go.Violin(
                x=x,
                name=_label(results, key),
                orientation="h",
                line_color=_colour(j),
                meanline_visible=True,
                points=False,
                spanmode="hard",
                hoverinfo="x+name",
            )
        )
    fig.add_vline(x=0, line_dash="dot", line_color="black")
    fig.update_layout(showlegend=False)
    others = nb[:, [j for j, k in enumerate(results.approaches) if k != "status_quo"]]
    lo, hi = np.quantile(others, [0.01, 0.99])
    pad = 0.05 * (hi - lo)
    fig.update_xaxes(
        title=f"net benefit vs status quo {_bn_axis(results)}",
        range=[lo - pad, hi + pad],
        **money_ticks(_currency(results)),
    )
    fig.update_yaxes(automargin=True)
    return _layout(fig, "Net benefit across the uncertainty (line inside each shape = mean)", 460)


def cumulative_net_benefit(results, points: int = 400) -> go.Figure:
    """Cumulative distribution (S-curve) of each approach's net benefit, zero marked.

    Each curve gives the probability that net benefit is at most x; its marker at x = 0 is the
    probability that the approach does more harm than good.
    """
    fig = go.Figure()
    nb = results.net_benefit / _BN
    probs = np.linspace(0.0, 1.0, points)
    keep = [j for j, k in enumerate(results.approaches) if k != "status_quo"]
    for j in keep:
        key = results.approaches[j]
        x = np.quantile(nb[:, j], probs)
        below = float((nb[:, j] < 0).mean())
        fig.add_trace(
            go.Scatter(
                x=x,
                y=probs,
                mode="lines",
                name=_label(results, key),
                legendgroup=key,
                line={"color": _colour(j), "width": 2},
                hovertemplate="%{fullData.name}<br>P(net benefit ≤ %{x}) = %{y:.0%}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[0.0],
                y=[below],
                mode="markers",
                marker={"size": 10, "color": _colour(j), "line": {"width": 1, "color": "black"}},
                legendgroup=key,
                showlegend=False,
                name=_label(results, key),
                hovertemplate=f"%{{fullData.name}}<br>P(net benefit < 0) = {share(below)}"
                "<extra></extra>",
            )
        )
    fig.add_vline(x=0, line_dash="dot", line_color="black")
    lo, hi = np.quantile(nb[:, keep], [0.01, 0.99]) if keep else (0.0, 1.0)
    pad = 0.05 * (hi - lo)
    fig.update_xaxes(
        title=f"net benefit vs status quo {_bn_axis(results)}",
        range=[min(lo, 0.0) - pad, hi + pad],
        **money_ticks(_currency(results)),
    )
    fig.update_yaxes(title="probability net benefit is at most x", range=[0, 1], tickformat=".0%")
    return _layout(fig, "Cumulative net benefit (dot: probability of doing more harm than good)")


def cost_effect_plane(results, frontier: np.ndarray | None = None) -> go.Figure:
    """Risk reduction (money) against total social cost, draws and means, with the frontier.

    ``frontier`` holds indices of the approaches on the efficiency frontier (default: from
    :func:`model.analysis.decision.efficiency_frontier` on the means).
    """
    from model.analysis.decision import efficiency_frontier

    c = results.costs / _BN
    e = results.effects / _BN
    if frontier is None:
        frontier = efficiency_frontier(results.costs, results.effects)
    fig = go.Figure()
    for j, key in enumerate(results.approaches):
        if key == "status_quo":
            continue
        fig.add_trace(
            go.Scatter(
                x=_thin(c[:, j], 300),
                y=_thin(e[:, j], 300),
                mode="markers",
                marker={"size": 3, "color": _colour(j), "opacity": 0.25},
                name=_label(results, key),
                legendgroup=key,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    mc, me = c.mean(axis=0), e.mean(axis=0)
    for j, key in enumerate(results.approaches):
        fig.add_trace(
            go.Scatter(
                x=[mc[j]],
                y=[me[j]],
                mode="markers",
                marker={"size": 13, "color": _colour(j), "line": {"width": 1, "color": "black"}},
                name=_label(results, key),
                legendgroup=key,
                hovertemplate="%{fullData.name}<br>cost %{x}<br>risk reduction %{y}<extra></extra>",
            )
        )
    f = [int(i) for i in frontier]
    fig.add_trace(
        go.Scatter(
            x=mc[f],
            y=me[f],
            mode="lines",
            line={"color": "black", "width": 2},
            name="efficiency frontier",
        )
    )
    hi_c = float(max(np.quantile(c, 0.95), mc.max() * 1.2, 1e-9))
    hi_e = float(max(np.quantile(e, 0.95), me.max() * 1.2, 1e-9))
    hi = max(hi_c, hi_e)
    fig.add_trace(
        go.Scatter(
            x=[0, hi],
            y=[0, hi],
            mode="lines",
            line={"color": "grey", "dash": "dot"},
            name="break-even (benefit = cost)",
        )
    )
    ticks = money_ticks(_currency(results))
    fig.update_xaxes(title=f"total social cost {_bn_axis(results)}", range=[0, hi_c], **ticks)
    fig.update_yaxes(title=f"risk reduction {_bn_axis(results)}", range=[0, hi_e], **ticks)
    return _layout(fig, "Risk reduction against cost (large dots = means, faint = draws)", 560)


def acceptability(results, curve: pd.DataFrame, weight_name: str = "weight") -> go.Figure:
    """Acceptability curves: P(each approach is best) against a value-judgement weight.

    ``curve`` is indexed by the weight, one column per approach key.
    """
    fig = go.Figure()
    x = curve.index.to_numpy(dtype=float)
    for j, key in enumerate(results.approaches):
        if key not in curve.columns:
            continue
        fig.add_trace(
            go.Scatter(
                x=x,
                y=curve[key].to_numpy(dtype=float),
                mode="lines",
                name=_label(results, key),
                line={"color": _colour(j), "width": 2},
                hovertemplate="%{fullData.name}<br>weight %{x}: best in %{y:.0%} of draws"
                "<extra></extra>",
            )
        )
    if x.min() <= 1 <= x.max():
        fig.add_vline(x=1, line_dash="dot", line_color="black", annotation_text="as valued")
    fig.update_xaxes(title=weight_name)
    fig.update_yaxes(title="probability the approach is best", range=[0, 1.02])
    return _layout(fig, "Acceptability: which approach is best as the value judgement changes")


def tornado(results, table: pd.DataFrame, top: int = 15, label: str | None = None) -> go.Figure:
    """One-way sensitivity bars (``parameter, y_low, y_high, base``), largest swing on top."""
    t = table.copy()
    t["swing"] = (t["y_high"] - t["y_low"]).abs()
    t = t.sort_values("swing", ascending=False).head(top).iloc[::-1]
    sym = currency_symbol(_currency(results))
    base = float(t["base"].iloc[0]) / _BN if "base" in t else 0.0
    names = [describe(results.params, p) for p in t["parameter"]]
    fig = go.Figure()
    for col, name, colour in (
        ("y_low", "parameter at its 5th percentile", "#1f77b4"),
        ("y_high", "parameter at its 95th percentile", "#d62728"),
    ):
        fig.add_trace(
            go.Bar(
                y=names,
                x=t[col] / _BN - base,
                base=base,
                orientation="h",
                name=name,
                marker_color=colour,
                customdata=t[col] / _BN,
                hovertemplate=f"%{{y}}<br>{name}: {sym}%{{customdata:,.4g}}bn<extra></extra>",
            )
        )
    fig.add_vline(x=base, line_color="black")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(
        title=f"{label or 'outcome'}<br>({_currency(results)}, present value)",
        **money_ticks(_currency(results)),
    )
    fig.update_yaxes(automargin=True)
    return _layout(
        fig,
        "Tornado: one input at a time at its 5th and 95th percentile",
        max(360, 28 * len(t) + 140),
    )


def sobol_indices(
    table: pd.DataFrame, top: int = 15, output: str | None = None, params=None
) -> go.Figure:
    """First-order and total Sobol indices with confidence intervals.

    ``table``: index = parameter, columns ``S1, S1_conf, ST, ST_conf``; ``params`` (a
    ParameterSet) labels the inputs by description.
    """
    t = table.sort_values("ST", ascending=False).head(top).iloc[::-1]
    names = [describe(params, str(i)) for i in t.index]
    fig = go.Figure()
    for col, name, colour in (
        ("S1", "first order (alone)", "#1f77b4"),
        ("ST", "total (incl. interactions)", "#ff7f0e"),
    ):
        fig.add_trace(
            go.Bar(
                y=names,
                x=t[col],
                orientation="h",
                name=name,
                marker_color=colour,
                error_x={"type": "data", "array": t[f"{col}_conf"].to_numpy(), "visible": True},
                customdata=t[f"{col}_conf"],
                hovertemplate=f"%{{y}}<br>{name}: %{{x:.2f}} ± %{{customdata:.2f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(
        title="share of the output's variance (whiskers: 95% bootstrap interval)",
        range=[-0.05, 1.05],
    )
    fig.update_yaxes(automargin=True)
    return _layout(
        fig, "Sobol indices: which inputs drive the variance", max(380, 36 * len(t) + 140)
    )


def evppi_ranking(
    table: pd.DataFrame,
    currency: str,
    evpi: float | None = None,
    top: int = 15,
    negligible: float = 1e-6,
    params=None,
) -> go.Figure:
    """Horizontal bars of EVPPI (money per decision), highest on top, with EVPI for scale.

    ``table``: index = parameter, column ``evppi``; ``params`` labels inputs by description.
    Values below ``negligible`` x EVPI are estimation noise: those inputs are left out (the
    largest one is kept, drawn as 0).
    """
    t = table.sort_values("evppi", ascending=False)
    if evpi is not None and len(t):  # negligible inputs are noise: drop them, keep the first
        keep = t["evppi"].to_numpy(dtype=float) >= negligible * max(evpi, 1.0)
        keep[0] = True
        t = t[keep]
    t = t.head(top).iloc[::-1]
    values = t["evppi"].to_numpy(dtype=float)
    names = [describe(params, str(i)) for i in t.index]
    if evpi is not None:
        values = np.where(values < negligible * max(evpi, 1.0), 0.0, values)
        values = np.r_[values, evpi]
        names = [*names, "ALL inputs together (EVPI)"]
    colours = ["#2ca02c"] * len(t) + (["#555555"] if evpi is not None else [])
    fig = go.Figure(
        go.Bar(
            y=names,
            x=values / _BN,
            orientation="h",
            marker_color=colours,
            text=[money(v, currency) for v in values],
            textposition="outside",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title=f"expected value of perfect information ({currency}, per decision)",
        **money_ticks(currency),
    )
    fig.update_yaxes(automargin=True)
    return _layout(
        fig,
        "Value of information: what learning each input exactly would be worth",
        max(360, 28 * len(t) + 140),
    )


def convergence(results, table: pd.DataFrame) -> go.Figure:
    """Running mean (+/- 2 standard errors) against the number of draws.

    ``table``: long ``n, series, mean, se``; series are approach keys or a ``diff`` label.
    """
    fig = go.Figure()
    for i, (name, g) in enumerate(table.groupby("series", sort=False)):
        key = str(name)
        j = results.approaches.index(key) if key in results.approaches else len(PALETTE) - 1 - i
        if key == "status_quo":
            continue
        n = g["n"].to_numpy(dtype=float)
        m = g["mean"].to_numpy(dtype=float) / _BN
        s = g["se"].to_numpy(dtype=float) / _BN
        colour = _colour(j)
        fig.add_trace(
            go.Scatter(
                x=np.r_[n, n[::-1]],
                y=np.r_[m + 2 * s, (m - 2 * s)[::-1]],
                fill="toself",
                line={"width": 0},
                fillcolor=colour,
                opacity=0.15,
                hoverinfo="skip",
                showlegend=False,
                legendgroup=key,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=n,
                y=m,
                mode="lines",
                name=_label(results, key),
                line={"color": colour, "dash": "dash" if key.startswith("diff") else "solid"},
                legendgroup=key,
                hovertemplate="%{fullData.name}<br>%{x:,} draws: %{y}<extra></extra>",
            )
        )
    fig.update_xaxes(title="number of draws", type="log")
    fig.update_yaxes(
        title=f"running mean net benefit ({_currency(results)})", **money_ticks(_currency(results))
    )
    return _layout(fig, "Convergence: running means settle as draws are added (band = ±2 SE)")


def risk_reduction_over_time(results) -> go.Figure:
    """Mean annual risk reduction by harm and year for each approach, one panel per harm."""
    by_year = results.outcomes.risk_reduction_by_year / results.n  # (k, H, T)
    _k, h, t = by_year.shape
    regs = {x.key: x for x in results.regulation.harms}
    titles = [getattr(regs.get(name), "label", name) for name in results.harms]
    cols = 2 if h > 1 else 1
    rows = int(np.ceil(h / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_xaxes=True)
    years = np.arange(t)
    for i in range(h):
        r, c = divmod(i, cols)
        for j, key in enumerate(results.approaches):
            if key == "status_quo":
                continue
            fig.add_trace(
                go.Scatter(
                    x=years,
                    y=by_year[j, i] / _BN,
                    mode="lines+markers",
                    marker={"size": 4},
                    line={"color": _colour(j)},
                    name=_label(results, key),
                    legendgroup=key,
                    showlegend=i == 0,
                    hovertemplate="%{fullData.name}<br>year %{x}: %{y}<extra></extra>",
                ),
                row=r + 1,
                col=c + 1,
            )
    fig.update_xaxes(title_text="year", row=rows)
    fig.update_yaxes(**money_ticks(_currency(results)))
    fig.update_yaxes(title_text=f"{_currency(results)} a year", col=1)
    return _layout(
        fig, "Annual risk reduction by harm (mean over draws, not discounted)", 320 * rows + 120
    )


def calibration(results, table: pd.DataFrame) -> go.Figure:
    """Bottom-up harm estimate against its top-down reference range (90% intervals, log axis)."""
    regs = {x.key: x for x in results.regulation.harms}
    labels = [getattr(regs.get(h), "label", h) for h in table.index]
    fig = go.Figure()
    for prefix, name, colour, offset in (
        ("bottom_up", "bottom-up (model)", "#1f77b4", -0.12),
        ("reference", "top-down reference", "#ff7f0e", 0.12),
    ):
        mid = table[f"{prefix}_median"].to_numpy(dtype=float) / _BN
        lo = table[f"{prefix}_p05"].to_numpy(dtype=float) / _BN
        hi = table[f"{prefix}_p95"].to_numpy(dtype=float) / _BN
        fig.add_trace(
            go.Scatter(
                x=mid,
                y=np.arange(len(labels)) + offset,
                mode="markers",
                marker={"size": 10, "color": colour},
                error_x={"type": "data", "array": hi - mid, "arrayminus": mid - lo},
                name=name,
                hovertemplate="median %{x}<extra>" + name + "</extra>",
            )
        )
    fig.update_yaxes(tickvals=list(range(len(labels))), ticktext=labels, automargin=True)
    fig.update_xaxes(
        type="log",
        title=f"annual harm in year 0, {_currency(results)} (log scale; bars = 90%)",
        **money_ticks(_currency(results)),
    )
    return _layout(fig, "Calibration: the model's harm against independent reference figures")


def prim_tradeoff(result: PrimResult, labels: dict | None = None) -> go.Figure:
    """Plotly figure: coverage vs density along the peeling trajectory.

    Points are coloured by the number of restricted inputs; the chosen box is ringed and its
    hover states the box with ``labels`` (input and approach descriptions by key).
    """
    steps = np.arange(result.n_steps)
    hover = [
        f"step {i}<br>coverage {share(c)}<br>density {share(d)}<br>share of draws {share(m)}"
        f"<br>inputs restricted: {r}"
        for i, c, d, m, r in zip(
            steps, result.coverage, result.density, result.mass, result.n_restricted, strict=True
        )
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=result.coverage,
            y=result.density,
            mode="markers",
            name="peeling trajectory",
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            marker={
                "color": result.n_restricted,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": "restricted<br>inputs"}},
                "size": 8,
            },
        )
    )
    c = result.chosen
    fig.add_trace(
        go.Scatter(
            x=[c.coverage],
            y=[c.density],
            mode="markers",
            name="chosen box (pasted)" if c.pasted else f"chosen box (step {c.step})",
            marker={"symbol": "circle-open", "size": 18, "color": "crimson", "line": {"width": 3}},
            text=[result.describe(labels).replace("; ", "<br>")],
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title="coverage (share of the worlds of interest inside the box)", range=[0, 1.02]
    )
    fig.update_yaxes(title="density (share of the box's worlds that are of interest)")
    return _layout(fig, "Scenario discovery: the PRIM peeling trajectory")


def threshold_curve(
    design: ThresholdDesign, currency: str = "USD", label: str | None = None
) -> go.Figure:
    """Plotly figure: the curve, the optimum and the EU rule marked (money in billions)."""
    fig = go.Figure()
    band = 1.96 * design.mcse / _BN
    y = design.expected_net_benefit / _BN
    fig.add_trace(
        go.Scatter(
            x=np.r_[design.thresholds, design.thresholds[::-1]],
            y=np.r_[y + band, (y - band)[::-1]],
            fill="toself",
            line={"width": 0},
            fillcolor=PALETTE[1],
            opacity=0.2,
            name="95% Monte Carlo interval",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=design.thresholds,
            y=y,
            mode="lines+markers",
            line={"color": PALETTE[1]},
            name=f"expected net benefit, {label or design.approach}",
            hovertemplate="threshold %{x:.2g}: %{y}<extra></extra>",
        )
    )
    points = [(design.reference, design.reference_value, "EU one-third rule", "diamond")]
    if design.optimum is not None:
        points.append((design.optimum, design.optimum_value, "optimum", "star"))
    for x, v, name, symbol in points:
        fig.add_trace(
            go.Scatter(
                x=[x],
                y=[v / _BN],
                mode="markers",
                marker={"symbol": symbol, "size": 13, "color": "black"},
                name=name,
                hovertemplate=f"{name}<br>threshold %{{x:.2g}}: %{{y}}<extra></extra>",
            )
        )
    fig.update_xaxes(
        type="log",
        exponentformat="power",
        title="threshold (share of base-model training compute)",
    )
    fig.update_yaxes(title=f"expected net benefit ({currency})", **money_ticks(currency))
    return _layout(fig, "Where to draw the line (present values)")


def sweep_chart(
    sweep: SweepResult, params=None, labels: dict | None = None, currency: str = "USD"
) -> go.Figure:
    """Plotly figure of the preferred approach across the sweep.

    One numeric parameter: expected net benefit of each approach against it, the preferred
    approach starred. Two parameters on a grid: a heatmap of the preferred approach. Else
    (scenarios, zipped or larger sweeps): grouped bars per point, a star on the preferred bar.
    ``params`` names the inputs by description and ``labels`` the approaches.
    """
    t, pref = sweep.table, sweep.preferred()
    approaches = list(dict.fromkeys(t["approach"]))
    name = lambda a: (labels or {}).get(a, a)  # noqa: E731
    title = lambda v: describe(params, v) if params is not None else v  # noqa: E731
    ticks = money_ticks(currency)
    y_title = f"expected net benefit ({currency}, present value)"
    numeric = all(pd.api.types.is_numeric_dtype(t[v]) for v in sweep.varied)
    if len(sweep.varied) == 1 and numeric:
        (x,) = sweep.varied
        fig = go.Figure()
        for j, a in enumerate(approaches):
            rows = t[t["approach"] == a]
            fig.add_scatter(
                x=rows[x],
                y=rows["mean"] / _BN,
                mode="lines+markers",
                name=name(a),
                line={"color": _colour(j + 1)},
                error_y={"type": "data", "array": 1.96 * rows["mcse"] / _BN, "visible": True},
                hovertemplate=f"{name(a)}<br>%{{x}}: %{{y}}<extra></extra>",
            )
        fig.add_scatter(
            x=pref[x],
            y=pref["mean"] / _BN,
            mode="markers",
            name="preferred",
            text=[name(a) for a in pref["preferred"]],
            marker={"symbol": "star", "size": 14, "color": "black"},
            hovertemplate="preferred: %{text}<br>%{x}: %{y}<extra></extra>",
        )
        values = t[x].to_numpy(dtype=float)
        log = bool((values > 0).all() and values.max() / values.min() >= 20)
        fig.update_xaxes(title=title(x), type="log" if log else "linear")
        fig.update_yaxes(title=y_title, **ticks)
        return _layout(fig, f"Expected net benefit against {title(x)}; star: preferred approach")
    if len(sweep.varied) == 2 and sweep.grid and numeric:
        y, x = sweep.varied
        codes = pref.assign(code=pref["preferred"].map(approaches.index))
        z = codes.pivot(index=y, columns=x, values="code")
        text = codes.pivot(index=y, columns=x, values="preferred").map(name)
        k = len(approaches)
        scale = []
        for i in range(k):
            scale += [[i / k, _colour(i + 1)], [(i + 1) / k, _colour(i + 1)]]
        fig = go.Figure(
            go.Heatmap(
                z=z.to_numpy(),
                x=[str(v) for v in z.columns],
                y=[str(v) for v in z.index],
                text=text.to_numpy(),
                texttemplate="%{text}",
                hovertemplate=f"{title(x)} %{{x}}<br>{title(y)} %{{y}}<br>%{{text}}<extra></extra>",
                colorscale=scale,
                zmin=-0.5,
                zmax=k - 0.5,
                showscale=False,
            )
        )
        fig.update_xaxes(title=title(x), type="category")
        fig.update_yaxes(title=title(y), type="category")
        return _layout(fig, "Preferred approach (highest expected net benefit)")
    points = {
        p: ", ".join(f"{title(v)} = {r[v]}" if v != "scenario" else str(r[v]) for v in sweep.varied)
        for p, r in sweep.points.set_index("point").iterrows()
    }
    best = dict(zip(pref["point"], pref["preferred"], strict=True))
    fig = go.Figure()
    for j, a in enumerate(approaches):
        rows = t[t["approach"] == a]
        fig.add_bar(
            x=[points[p] for p in rows["point"]],
            y=rows["mean"] / _BN,
            name=name(a),
            marker_color=_colour(j + 1),
            text=["★" if best[p] == a else "" for p in rows["point"]],
            textposition="outside",
            hovertemplate=f"{name(a)}<br>%{{x}}: %{{y}}<extra></extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=y_title, **ticks)
    return _layout(fig, "Expected net benefit per point; ★ marks the preferred approach", 480)
