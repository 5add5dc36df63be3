"""Plotly figures for the report and for notebooks: one function per figure, each returning a
``plotly.graph_objects.Figure`` built from ``Results`` and plain pandas tables.

Money axes are shown in billions of the parameter set's currency; approach labels, not keys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from model.analysis.discovery import PrimResult
from model.report.wording import currency_symbol, money
from model.study.design import ThresholdDesign
from model.study.sweep import SweepResult

__all__ = [
    "acceptability",
    "calibration",
    "convergence",
    "cost_effect_plane",
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


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _currency(results) -> str:
    return results.regulation.settings.currency


def _bn_axis(results) -> str:
    return f"{currency_symbol(_currency(results))}bn ({_currency(results)}, present value)"


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
        title=f"net benefit vs status quo, {_bn_axis(results)}",
        range=[lo - pad, hi + pad],
    )
    fig.update_yaxes(automargin=True)
    return _layout(fig, "Net benefit across the uncertainty (line inside each shape = mean)", 460)


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
                hovertemplate="%{fullData.name}<br>cost %{x:.3g}bn<br>risk reduction %{y:.3g}bn"
                "<extra></extra>",
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
    fig.update_xaxes(title=f"total social cost, {_bn_axis(results)}", range=[0, hi_c])
    fig.update_yaxes(title=f"risk reduction, {_bn_axis(results)}", range=[0, hi_e])
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
    base = float(t["base"].iloc[0]) / _BN if "base" in t else 0.0
    fig = go.Figure()
    for col, name, colour in (
        ("y_low", "parameter at its 5th percentile", "#1f77b4"),
        ("y_high", "parameter at its 95th percentile", "#d62728"),
    ):
        fig.add_trace(
            go.Bar(
                y=t["parameter"],
                x=t[col] / _BN - base,
                base=base,
                orientation="h",
                name=name,
                marker_color=colour,
                hovertemplate="%{y}: %{x:.3g}bn<extra></extra>",
            )
        )
    fig.add_vline(x=base, line_color="black")
    fig.update_layout(barmode="overlay")
    sym = currency_symbol(_currency(results))
    fig.update_xaxes(title=f"{label or 'outcome'}, {sym}bn (present value)")
    fig.update_yaxes(automargin=True)
    return _layout(
        fig,
        "Tornado: one input at a time at its 5th and 95th percentile",
        max(360, 28 * len(t) + 140),
    )


def sobol_indices(table: pd.DataFrame, top: int = 15, output: str | None = None) -> go.Figure:
    """First-order and total Sobol indices with confidence intervals.

    ``table``: index = parameter, columns ``S1, S1_conf, ST, ST_conf``.
    """
    t = table.sort_values("ST", ascending=False).head(top).iloc[::-1]
    fig = go.Figure()
    for col, name, colour in (
        ("S1", "first order (alone)", "#1f77b4"),
        ("ST", "total (incl. interactions)", "#ff7f0e"),
    ):
        fig.add_trace(
            go.Bar(
                y=[str(i) for i in t.index],
                x=t[col],
                orientation="h",
                name=name,
                marker_color=colour,
                error_x={"type": "data", "array": t[f"{col}_conf"].to_numpy(), "visible": True},
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
) -> go.Figure:
    """Horizontal bars of EVPPI (money per decision), highest on top, with EVPI for scale.

    ``table``: index = parameter, column ``evppi``. Values below ``negligible`` x EVPI are
    estimation noise: those inputs are left out (the largest one is kept, drawn as 0).
    """
    t = table.sort_values("evppi", ascending=False)
    if evpi is not None and len(t):  # negligible inputs are noise: drop them, keep the first
        keep = t["evppi"].to_numpy(dtype=float) >= negligible * max(evpi, 1.0)
        keep[0] = True
        t = t[keep]
    t = t.head(top).iloc[::-1]
    values = t["evppi"].to_numpy(dtype=float)
    names = [str(i) for i in t.index]
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
    fig.update_xaxes(title=f"expected value of perfect information, {currency_symbol(currency)}bn")
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
            )
        )
    fig.update_xaxes(title="number of draws", type="log")
    sym = currency_symbol(_currency(results))
    fig.update_yaxes(title=f"running mean net benefit, {sym}bn")
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
                ),
                row=r + 1,
                col=c + 1,
            )
    sym = currency_symbol(_currency(results))
    fig.update_xaxes(title_text="year", row=rows)
    fig.update_yaxes(title_text=f"{sym}bn a year", col=1)
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
                hovertemplate="median %{x:.3g}bn<extra>" + name + "</extra>",
            )
        )
    fig.update_yaxes(tickvals=list(range(len(labels))), ticktext=labels, automargin=True)
    sym = currency_symbol(_currency(results))
    fig.update_xaxes(type="log", title=f"annual harm in year 0, {sym}bn (log scale; bars = 90%)")
    return _layout(fig, "Calibration: the model's harm against independent reference figures")


def prim_tradeoff(result: PrimResult) -> go.Figure:
    """Plotly figure: coverage vs density along the peeling trajectory.

    Points are coloured by the number of restricted inputs; the chosen box is ringed.
    """
    steps = np.arange(result.n_steps)
    hover = [
        f"step {i}<br>coverage {c:.3f}<br>density {d:.3f}<br>mass {m:.3f}<br>restricted {r}"
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
            hoverinfo="text",
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
            hoverinfo="text",
            text=[result.describe()],
        )
    )
    fig.update_layout(
        xaxis_title="coverage",
        yaxis_title="density",
        xaxis_range=[0, 1.02],
        title="PRIM peeling trajectory",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def threshold_curve(design: ThresholdDesign) -> go.Figure:
    """Plotly figure: the curve, the optimum and the EU rule marked."""
    fig = go.Figure()
    band = 1.96 * design.mcse
    fig.add_trace(
        go.Scatter(
            x=np.r_[design.thresholds, design.thresholds[::-1]],
            y=np.r_[design.expected_net_benefit + band, (design.expected_net_benefit - band)[::-1]],
            fill="toself",
            line={"width": 0},
            name="95% MC interval",
            hoverinfo="skip",
            opacity=0.3,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=design.thresholds,
            y=design.expected_net_benefit,
            mode="lines+markers",
            name=f"E[net benefit], {design.approach}",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[design.reference],
            y=[design.reference_value],
            mode="markers",
            marker={"symbol": "diamond", "size": 12},
            name="EU one-third rule",
        )
    )
    if design.optimum is not None:
        fig.add_trace(
            go.Scatter(
                x=[design.optimum],
                y=[design.optimum_value],
                mode="markers",
                marker={"symbol": "star", "size": 14},
                name="optimum",
            )
        )
    fig.update_xaxes(
        type="log",
        exponentformat="power",
        title="threshold (share of base-model training compute)",
    )
    fig.update_yaxes(title="expected net benefit (present value)")
    fig.update_layout(title="Where to draw the line", template="plotly_white")
    return fig


def sweep_chart(sweep: SweepResult) -> go.Figure:
    """Plotly figure of the preferred approach across the sweep.

    One numeric parameter: expected net benefit of each approach against it, the preferred
    approach marked. Two parameters on a grid: a heatmap of the preferred approach. Else
    (scenarios, zipped or larger sweeps): grouped bars per point, the preferred one marked.
    """
    t, pref = sweep.table, sweep.preferred()
    approaches = list(dict.fromkeys(t["approach"]))
    numeric = all(pd.api.types.is_numeric_dtype(t[v]) for v in sweep.varied)
    if len(sweep.varied) == 1 and numeric:
        (x,) = sweep.varied
        fig = go.Figure()
        for a in approaches:
            rows = t[t["approach"] == a]
            fig.add_scatter(
                x=rows[x],
                y=rows["mean"],
                mode="lines+markers",
                name=a,
                error_y={"type": "data", "array": 1.96 * rows["mcse"], "visible": True},
            )
        fig.add_scatter(
            x=pref[x],
            y=pref["mean"],
            mode="markers",
            name="preferred",
            text=pref["preferred"],
            marker={"symbol": "star", "size": 14, "color": "black"},
            hovertemplate="%{text}<br>%{x}: %{y:.3s}<extra>preferred</extra>",
        )
        values = t[x].to_numpy(dtype=float)
        log = bool((values > 0).all() and values.max() / values.min() >= 20)
        fig.update_layout(
            title=f"Expected net benefit against {x}",
            xaxis={"title": x, "type": "log" if log else "linear"},
            yaxis={"title": "expected net benefit (present value)"},
        )
        return fig
    if len(sweep.varied) == 2 and sweep.grid and numeric:
        y, x = sweep.varied
        codes = pref.assign(code=pref["preferred"].map(approaches.index))
        z = codes.pivot(index=y, columns=x, values="code")
        text = codes.pivot(index=y, columns=x, values="preferred")
        k = len(approaches)
        palette = [
            "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        ]  # fmt: skip
        scale = []
        for i in range(k):
            c = palette[i % len(palette)]
            scale += [[i / k, c], [(i + 1) / k, c]]
        fig = go.Figure(
            go.Heatmap(
                z=z.to_numpy(),
                x=[str(v) for v in z.columns],
                y=[str(v) for v in z.index],
                text=text.to_numpy(),
                texttemplate="%{text}",
                hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>%{{text}}<extra></extra>",
                colorscale=scale,
                zmin=-0.5,
                zmax=k - 0.5,
                showscale=False,
            )
        )
        fig.update_layout(
            title="Preferred approach (highest expected net benefit)",
            xaxis={"title": x, "type": "category"},
            yaxis={"title": y, "type": "category"},
        )
        return fig
    labels = {
        p: ", ".join(f"{v}={r[v]}" if v != "scenario" else str(r[v]) for v in sweep.varied)
        for p, r in sweep.points.set_index("point").iterrows()
    }
    fig = go.Figure()
    for a in approaches:
        rows = t[t["approach"] == a]
        fig.add_bar(x=[labels[p] for p in rows["point"]], y=rows["mean"], name=a)
    fig.add_scatter(
        x=[labels[p] for p in pref["point"]],
        y=pref["mean"],
        mode="markers",
        name="preferred",
        text=pref["preferred"],
        marker={"symbol": "star", "size": 14, "color": "black"},
    )
    fig.update_layout(
        barmode="group",
        title="Expected net benefit per point; star: preferred approach",
        yaxis={"title": "expected net benefit (present value)"},
    )
    return fig
