"""The report's figures as plain plotly.js figures: one function per figure, each returning a
:class:`Figure` (``{"data": [traces], "layout": {...}}``) built from ``Results`` and plain
pandas tables.

No plotly objects are built: plotly.py's import and validation cost seconds per report, and
the page only needs the JSON. :meth:`Figure.to_plotly` gives a ``plotly.graph_objects.Figure``
for notebooks (which display a Figure through it). Every figure uses one template
(:func:`template`); money axes are in billions of the parameter set's currency with its symbol
on the ticks; approaches by label and inputs by description, never by code name.
"""

from __future__ import annotations

import base64
import copy
import functools
import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.discovery import PrimResult
from model.inputs.parameters import short_description
from model.report.wording import currency_symbol, money, share
from model.study.design import ThresholdDesign
from model.study.percentiles import quantile
from model.study.sweep import SweepResult

__all__ = [
    "Figure",
    "acceptability",
    "calibration",
    "convergence",
    "cost_effect_plane",
    "cumulative_net_benefit",
    "evppi_ranking",
    "net_benefit_distributions",
    "plotly_file",
    "prim_tradeoff",
    "risk_reduction_over_time",
    "sobol_indices",
    "subplot_grid",
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
#: plotly's "Viridis" colour scale, as plotly.py spells it out.
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e")
VIRIDIS += ("#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")
_BN = 1e9
_MAX_POINTS = 2000  # draws per approach drawn in distribution figures (file size)
#: numpy dtypes that plotly.js reads as typed arrays, by its short names.
_TYPED = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4"}
_TYPED |= {"uint32": "u4", "float32": "f4", "float64": "f8"}


def plotly_file(name: str) -> Path:
    """A file shipped in the installed plotly package (e.g. ``plotly.min.js``), found without
    importing plotly."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("plotly is not installed: the report embeds its plotly.js")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / name


def _typed_array(a: np.ndarray):
    """An array as plotly.py writes it: base64 typed array (64-bit integers narrowed to the
    smallest type that holds them), else a list."""
    if a.size and a.dtype.kind in "iu" and a.dtype.itemsize == 8:
        for small in ("int8", "int16", "int32") if a.dtype.kind == "i" else ("uint8", "uint16"):
            info = np.iinfo(small)
            if info.min <= a.min() and a.max() <= info.max:
                a = a.astype(small)
                break
        else:
            if a.dtype.kind == "u" and a.max() <= np.iinfo("uint32").max:
                a = a.astype("uint32")
    kind = _TYPED.get(str(a.dtype))
    if kind is None or not a.size:
        return a.tolist()
    out = {"dtype": kind, "bdata": base64.b64encode(np.ascontiguousarray(a)).decode("ascii")}
    if a.ndim > 1:
        out["shape"] = str(a.shape)[1:-1]
    return out


def _json_default(x):
    if isinstance(x, pd.Series | pd.Index):
        x = x.to_numpy()
    if isinstance(x, np.ndarray):
        return _typed_array(x)
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"cannot write {type(x).__name__} in a figure")


class Figure(dict):
    """A plotly.js figure as data: ``{"data": [trace dicts], "layout": {...}}``.

    Arrays may be numpy arrays or pandas Series; :meth:`to_json` writes them as plotly.py
    does (base64 typed arrays), so the page is the same as plotly.py's.
    """

    def to_json(self) -> str:
        """The figure as JSON for ``Plotly.newPlot`` (NaN and infinities as null)."""
        text = json.dumps(self, default=_json_default)
        if "NaN" in text or "Infinity" in text:  # not JSON: plotly.py writes them as null
            text = json.dumps(json.loads(text, parse_constant=lambda _: None))
        return text

    def to_plotly(self):
        """A ``plotly.graph_objects.Figure`` of this figure (imports and validates with
        plotly: for notebooks and standalone HTML files)."""
        import plotly.graph_objects as go

        return go.Figure(json.loads(self.to_json()))

    def to_html(self, **kwargs) -> str:
        """A standalone HTML page of the figure (``plotly.io.to_html``'s options)."""
        return self.to_plotly().to_html(**kwargs)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """Shown in a notebook as plotly shows its figures."""
        return self.to_plotly()._repr_mimebundle_(include, exclude, **kwargs)


def _merge(base: dict, update: dict) -> dict:
    """``base`` with ``update`` merged in, nested dicts key by key (as plotly's ``update``)."""
    out = dict(base)
    for k, v in update.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@functools.cache
def _template() -> dict:
    with plotly_file("templates/plotly_white.json").open(encoding="utf-8") as fh:
        white = json.load(fh)
    layout = {
        "font": {
            "family": "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif",
            "size": 13,
        },
        "colorway": list(PALETTE[1:]),
        "hoverlabel": {"namelength": -1, "bgcolor": "white", "font": {"size": 12}},
        "legend": {"orientation": "h", "y": -0.2},
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    }
    return {"data": white["data"], "layout": _merge(white["layout"], layout)}


def template() -> dict:
    """The one look of every figure: plotly_white with the report's font, palette and hovers
    (a copy: plotly.js reads it as ``layout.template``)."""
    return copy.deepcopy(_template())


def _figure(data: list[dict], title: str, height: int = 420, **layout) -> Figure:
    """A figure of ``data`` with the report's title position, template and ``height``."""
    layout |= {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "template": template(),
        "height": height,
    }
    return Figure(data=data, layout=layout)


def _axis(title: str | None = None, **settings) -> dict:
    return ({"title": {"text": title}} if title is not None else {}) | settings


def _vline(x: float, **line) -> dict:
    """A vertical line across the plot at ``x`` (plotly's ``add_vline``)."""
    return {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"} | {
        "line": line
    }


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


def net_benefit_distributions(results) -> Figure:
    """Violin of each approach's net benefit draws (status quo left out: it is 0 by definition)."""
    nb = results.net_benefit / _BN
    data = [
        {
            "type": "violin",
            "x": _thin(nb[:, j]),
            "name": _label(results, key),
            "orientation": "h",
            "line": {"color": _colour(j)},
            "meanline": {"visible": True},
            "points": False,
            "spanmode": "hard",
            "hoverinfo": "x+name",
        }
        for j, key in enumerate(results.approaches)
        if key != "status_quo"
    ]
    others = nb[:, [j for j, k in enumerate(results.approaches) if k != "status_quo"]]
    lo, hi = quantile(others.ravel(), [0.01, 0.99])
    pad = 0.05 * (hi - lo)
    return _figure(
        data,
        "Net benefit across the uncertainty (line inside each shape = mean)",
        460,
        shapes=[_vline(0, color="black", dash="dot")],
        showlegend=False,
        xaxis=_axis(
            f"net benefit vs status quo {_bn_axis(results)}",
            range=[lo - pad, hi + pad],
            **money_ticks(_currency(results)),
        ),
        yaxis={"automargin": True},
    )


def cumulative_net_benefit(results, points: int = 400) -> Figure:
    """Cumulative distribution (S-curve) of each approach's net benefit, zero marked.

    Each curve gives the probability that net benefit is at most x; its marker at x = 0 is the
    probability that the approach does more harm than good.
    """
    nb = results.net_benefit / _BN
    probs = np.linspace(0.0, 1.0, points)
    keep = [j for j, k in enumerate(results.approaches) if k != "status_quo"]
    data = []
    for j in keep:
        key = results.approaches[j]
        below = float((nb[:, j] < 0).mean())
        data.append(
            {
                "type": "scatter",
                "x": np.quantile(np.sort(nb[:, j]), probs),  # sorted: ~3x faster, same values
                "y": probs,
                "mode": "lines",
                "name": _label(results, key),
                "legendgroup": key,
                "line": {"color": _colour(j), "width": 2},
                "hovertemplate": "%{fullData.name}<br>P(net benefit ≤ %{x}) = %{y:.0%}"
                "<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": [0.0],
                "y": [below],
                "mode": "markers",
                "marker": {"size": 10, "color": _colour(j), "line": {"width": 1, "color": "black"}},
                "legendgroup": key,
                "showlegend": False,
                "name": _label(results, key),
                "hovertemplate": f"%{{fullData.name}}<br>P(net benefit < 0) = {share(below)}"
                "<extra></extra>",
            }
        )
    lo, hi = quantile(nb[:, keep].ravel(), [0.01, 0.99]) if keep else (0.0, 1.0)
    pad = 0.05 * (hi - lo)
    return _figure(
        data,
        "Cumulative net benefit (dot: probability of doing more harm than good)",
        shapes=[_vline(0, color="black", dash="dot")],
        xaxis=_axis(
            f"net benefit vs status quo {_bn_axis(results)}",
            range=[min(lo, 0.0) - pad, hi + pad],
            **money_ticks(_currency(results)),
        ),
        yaxis=_axis("probability net benefit is at most x", range=[0, 1], tickformat=".0%"),
    )


def cost_effect_plane(results, frontier: np.ndarray | None = None) -> Figure:
    """Risk reduction (money) against total social cost, draws and means, with the frontier.

    ``frontier`` holds indices of the approaches on the efficiency frontier (default: from
    :func:`model.analysis.decision.efficiency_frontier` on the means).
    """
    from model.analysis.decision import efficiency_frontier

    c = results.costs / _BN
    e = results.effects / _BN
    if frontier is None:
        frontier = efficiency_frontier(results.costs, results.effects)
    data = [
        {
            "type": "scatter",
            "x": _thin(c[:, j], 300),
            "y": _thin(e[:, j], 300),
            "mode": "markers",
            "marker": {"size": 3, "color": _colour(j), "opacity": 0.25},
            "name": _label(results, key),
            "legendgroup": key,
            "showlegend": False,
            "hoverinfo": "skip",
        }
        for j, key in enumerate(results.approaches)
        if key != "status_quo"
    ]
    mc, me = c.mean(axis=0), e.mean(axis=0)
    data += [
        {
            "type": "scatter",
            "x": [mc[j]],
            "y": [me[j]],
            "mode": "markers",
            "marker": {"size": 13, "color": _colour(j), "line": {"width": 1, "color": "black"}},
            "name": _label(results, key),
            "legendgroup": key,
            "hovertemplate": "%{fullData.name}<br>cost %{x}<br>risk reduction %{y}<extra></extra>",
        }
        for j, key in enumerate(results.approaches)
    ]
    f = [int(i) for i in frontier]
    data.append(
        {
            "type": "scatter",
            "x": mc[f],
            "y": me[f],
            "mode": "lines",
            "line": {"color": "black", "width": 2},
            "name": "efficiency frontier",
        }
    )
    hi_c = float(max(quantile(c.ravel(), 0.95), mc.max() * 1.2, 1e-9))
    hi_e = float(max(quantile(e.ravel(), 0.95), me.max() * 1.2, 1e-9))
    hi = max(hi_c, hi_e)
    data.append(
        {
            "type": "scatter",
            "x": [0, hi],
            "y": [0, hi],
            "mode": "lines",
            "line": {"color": "grey", "dash": "dot"},
            "name": "break-even (benefit = cost)",
        }
    )
    ticks = money_ticks(_currency(results))
    return _figure(
        data,
        "Risk reduction against cost (large dots = means, faint = draws)",
        560,
        xaxis=_axis(f"total social cost {_bn_axis(results)}", range=[0, hi_c], **ticks),
        yaxis=_axis(f"risk reduction {_bn_axis(results)}", range=[0, hi_e], **ticks),
    )


def acceptability(results, curve: pd.DataFrame, weight_name: str = "weight") -> Figure:
    """Acceptability curves: P(each approach is best) against a value-judgement weight.

    ``curve`` is indexed by the weight, one column per approach key.
    """
    x = curve.index.to_numpy(dtype=float)
    data = [
        {
            "type": "scatter",
            "x": x,
            "y": curve[key].to_numpy(dtype=float),
            "mode": "lines",
            "name": _label(results, key),
            "line": {"color": _colour(j), "width": 2},
            "hovertemplate": "%{fullData.name}<br>weight %{x}: best in %{y:.0%} of draws"
            "<extra></extra>",
        }
        for j, key in enumerate(results.approaches)
        if key in curve.columns
    ]
    marks = {}
    if x.min() <= 1 <= x.max():
        marks["shapes"] = [_vline(1, color="black", dash="dot")]
        marks["annotations"] = [
            {
                "showarrow": False,
                "text": "as valued",
                "x": 1,
                "xanchor": "left",
                "xref": "x",
                "y": 1,
                "yanchor": "top",
                "yref": "y domain",
            }
        ]
    return _figure(
        data,
        "Acceptability: which approach is best as the value judgement changes",
        **marks,
        xaxis=_axis(weight_name),
        yaxis=_axis("probability the approach is best", range=[0, 1.02]),
    )


def tornado(results, table: pd.DataFrame, top: int = 15, label: str | None = None) -> Figure:
    """One-way sensitivity bars (``parameter, y_low, y_high, base``), largest swing on top."""
    t = table.copy()
    t["swing"] = (t["y_high"] - t["y_low"]).abs()
    t = t.sort_values("swing", ascending=False).head(top).iloc[::-1]
    sym = currency_symbol(_currency(results))
    base = float(t["base"].iloc[0]) / _BN if "base" in t else 0.0
    names = [describe(results.params, p) for p in t["parameter"]]
    data = [
        {
            "type": "bar",
            "y": names,
            "x": t[col] / _BN - base,
            "base": base,
            "orientation": "h",
            "name": name,
            "marker": {"color": colour},
            "customdata": t[col] / _BN,
            "hovertemplate": f"%{{y}}<br>{name}: {sym}%{{customdata:,.4g}}bn<extra></extra>",
        }
        for col, name, colour in (
            ("y_low", "parameter at its 5th percentile", "#1f77b4"),
            ("y_high", "parameter at its 95th percentile", "#d62728"),
        )
    ]
    return _figure(
        data,
        "Tornado: one input at a time at its 5th and 95th percentile",
        max(360, 28 * len(t) + 140),
        shapes=[_vline(base, color="black")],
        barmode="overlay",
        xaxis=_axis(
            f"{label or 'outcome'}<br>({_currency(results)}, present value)",
            **money_ticks(_currency(results)),
        ),
        yaxis={"automargin": True},
    )


def sobol_indices(
    table: pd.DataFrame, top: int = 15, output: str | None = None, params=None
) -> Figure:
    """First-order and total Sobol indices with confidence intervals.

    ``table``: index = parameter, columns ``S1, S1_conf, ST, ST_conf``; ``params`` (a
    ParameterSet) labels the inputs by description.
    """
    t = table.sort_values("ST", ascending=False).head(top).iloc[::-1]
    names = [describe(params, str(i)) for i in t.index]
    data = [
        {
            "type": "bar",
            "y": names,
            "x": t[col],
            "orientation": "h",
            "name": name,
            "marker": {"color": colour},
            "error_x": {"type": "data", "array": t[f"{col}_conf"].to_numpy(), "visible": True},
            "customdata": t[f"{col}_conf"],
            "hovertemplate": f"%{{y}}<br>{name}: %{{x:.2f}} ± %{{customdata:.2f}}<extra></extra>",
        }
        for col, name, colour in (
            ("S1", "first order (alone)", "#1f77b4"),
            ("ST", "total (incl. interactions)", "#ff7f0e"),
        )
    ]
    return _figure(
        data,
        "Sobol indices: which inputs drive the variance",
        max(380, 36 * len(t) + 140),
        barmode="group",
        xaxis=_axis(
            "share of the output's variance (whiskers: 95% bootstrap interval)",
            range=[-0.05, 1.05],
        ),
        yaxis={"automargin": True},
    )


def evppi_ranking(
    table: pd.DataFrame,
    currency: str,
    evpi: float | None = None,
    top: int = 15,
    negligible: float = 1e-6,
    params=None,
) -> Figure:
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
    bars = {
        "type": "bar",
        "y": names,
        "x": values / _BN,
        "orientation": "h",
        "marker": {"color": colours},
        "text": [money(v, currency) for v in values],
        "textposition": "outside",
        "hovertemplate": "%{y}: %{text}<extra></extra>",
    }
    return _figure(
        [bars],
        "Value of information: what learning each input exactly would be worth",
        max(360, 28 * len(t) + 140),
        xaxis=_axis(
            f"expected value of perfect information ({currency}, per decision)",
            **money_ticks(currency),
        ),
        yaxis={"automargin": True},
    )


def convergence(results, table: pd.DataFrame) -> Figure:
    """Running mean (+/- 2 standard errors) against the number of draws.

    ``table``: long ``n, series, mean, se``; series are approach keys or a ``diff`` label.
    """
    data = []
    for i, (name, g) in enumerate(table.groupby("series", sort=False)):
        key = str(name)
        j = results.approaches.index(key) if key in results.approaches else len(PALETTE) - 1 - i
        if key == "status_quo":
            continue
        n = g["n"].to_numpy(dtype=float)
        m = g["mean"].to_numpy(dtype=float) / _BN
        s = g["se"].to_numpy(dtype=float) / _BN
        colour = _colour(j)
        data.append(
            {
                "type": "scatter",
                "x": np.r_[n, n[::-1]],
                "y": np.r_[m + 2 * s, (m - 2 * s)[::-1]],
                "fill": "toself",
                "line": {"width": 0},
                "fillcolor": colour,
                "opacity": 0.15,
                "hoverinfo": "skip",
                "showlegend": False,
                "legendgroup": key,
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": n,
                "y": m,
                "mode": "lines",
                "name": _label(results, key),
                "line": {"color": colour, "dash": "dash" if key.startswith("diff") else "solid"},
                "legendgroup": key,
                "hovertemplate": "%{fullData.name}<br>%{x:,} draws: %{y}<extra></extra>",
            }
        )
    return _figure(
        data,
        "Convergence: running means settle as draws are added (band = ±2 SE)",
        xaxis=_axis("number of draws", type="log"),
        yaxis=_axis(
            f"running mean net benefit ({_currency(results)})", **money_ticks(_currency(results))
        ),
    )


def _clamp(domain: list[float]) -> list[float]:
    return [max(0.0, domain[0]), min(1.0, domain[1])]


def subplot_grid(rows: int, cols: int, titles: list[str]) -> tuple[dict, list[dict]]:
    """Layout axes and title annotations of a ``rows`` x ``cols`` grid whose columns share
    their x axis, as plotly's ``make_subplots(..., subplot_titles=titles, shared_xaxes=True)``
    lays them out; and each cell's ``{"xaxis": ..., "yaxis": ...}`` for its traces, row by row.
    """
    across, down = 0.2 / cols, 0.5 / rows  # plotly's default spacing (with titles)
    widths = [(1.0 - across * (cols - 1)) / cols] * cols
    heights = [(1.0 - down * (rows - 1)) / rows] * rows
    layout: dict = {}
    cells, annotations = [], []
    for r in range(rows):
        bottom = sum(heights[: rows - 1 - r]) + (rows - 1 - r) * down
        top = bottom + heights[r]
        y = [bottom, 1.0 if 1.0 < top < 1.01 else top]  # plotly's rounding, then its clamp
        for c in range(cols):
            left = sum(widths[:c]) + c * across
            x = [left, left + widths[c]]
            i = r * cols + c + 1
            suffix = str(i) if i > 1 else ""
            layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "domain": _clamp(x)}
            layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": _clamp(y)}
            cells.append({"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
            if i <= len(titles) and titles[i - 1]:
                annotations.append(
                    {
                        "font": {"size": 16},
                        "showarrow": False,
                        "text": titles[i - 1],
                        "x": sum(x) / 2.0,
                        "xanchor": "center",
                        "xref": "paper",
                        "y": y[1],
                        "yanchor": "bottom",
                        "yref": "paper",
                    }
                )
    for r in range(rows - 1):  # each column's upper x axes follow its bottom one
        for c in range(cols):
            axis = layout["xaxis" + (str(r * cols + c + 1) if r * cols + c else "")]
            axis |= {"matches": cells[(rows - 1) * cols + c]["xaxis"], "showticklabels": False}
    if annotations:
        layout["annotations"] = annotations
    return layout, cells


def risk_reduction_over_time(results) -> Figure:
    """Mean annual risk reduction by harm and year for each approach, one panel per harm."""
    by_year = results.outcomes.risk_reduction_by_year / results.n  # (k, H, T)
    _k, h, t = by_year.shape
    regs = {x.key: x for x in results.regulation.harms}
    titles = [getattr(regs.get(name), "label", name) for name in results.harms]
    cols = 2 if h > 1 else 1
    rows = int(np.ceil(h / cols))
    layout, cells = subplot_grid(rows, cols, titles)
    years = np.arange(t)
    data = [
        {
            "type": "scatter",
            "x": years,
            "y": by_year[j, i] / _BN,
            "mode": "lines+markers",
            "marker": {"size": 4},
            "line": {"color": _colour(j)},
            "name": _label(results, key),
            "legendgroup": key,
            "showlegend": i == 0,
            "hovertemplate": "%{fullData.name}<br>year %{x}: %{y}<extra></extra>",
        }
        | cells[i]
        for i in range(h)
        for j, key in enumerate(results.approaches)
        if key != "status_quo"
    ]
    ticks = money_ticks(_currency(results))
    for i, cell in enumerate(cells):
        if i // cols == rows - 1:
            layout["xaxis" + cell["xaxis"][1:]]["title"] = {"text": "year"}
        axis = layout["yaxis" + cell["yaxis"][1:]]
        axis |= ticks
        if i % cols == 0:
            axis["title"] = {"text": f"{_currency(results)} a year"}
    return _figure(
        data,
        "Annual risk reduction by harm (mean over draws, not discounted)",
        320 * rows + 120,
        **layout,
    )


def calibration(results, table: pd.DataFrame) -> Figure:
    """Bottom-up harm estimate against its top-down reference range (90% intervals, log axis)."""
    regs = {x.key: x for x in results.regulation.harms}
    labels = [getattr(regs.get(h), "label", h) for h in table.index]
    data = []
    for prefix, name, colour, offset in (
        ("bottom_up", "bottom-up (model)", "#1f77b4", -0.12),
        ("reference", "top-down reference", "#ff7f0e", 0.12),
    ):
        mid = table[f"{prefix}_median"].to_numpy(dtype=float) / _BN
        lo = table[f"{prefix}_p05"].to_numpy(dtype=float) / _BN
        hi = table[f"{prefix}_p95"].to_numpy(dtype=float) / _BN
        data.append(
            {
                "type": "scatter",
                "x": mid,
                "y": np.arange(len(labels)) + offset,
                "mode": "markers",
                "marker": {"size": 10, "color": colour},
                "error_x": {"type": "data", "array": hi - mid, "arrayminus": mid - lo},
                "name": name,
                "hovertemplate": "median %{x}<extra>" + name + "</extra>",
            }
        )
    return _figure(
        data,
        "Calibration: the model's harm against independent reference figures",
        yaxis={"tickvals": list(range(len(labels))), "ticktext": labels, "automargin": True},
        xaxis=_axis(
            f"annual harm in year 0, {_currency(results)} (log scale; bars = 90%)",
            type="log",
            **money_ticks(_currency(results)),
        ),
    )


def prim_tradeoff(result: PrimResult, labels: dict | None = None) -> Figure:
    """Coverage vs density along the peeling trajectory.

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
    scale = [[i / (len(VIRIDIS) - 1), colour] for i, colour in enumerate(VIRIDIS)]
    c = result.chosen
    data = [
        {
            "type": "scatter",
            "x": result.coverage,
            "y": result.density,
            "mode": "markers",
            "name": "peeling trajectory",
            "text": hover,
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {
                "color": result.n_restricted,
                "colorscale": scale,
                "showscale": True,
                "colorbar": {"title": {"text": "restricted<br>inputs"}},
                "size": 8,
            },
        },
        {
            "type": "scatter",
            "x": [c.coverage],
            "y": [c.density],
            "mode": "markers",
            "name": "chosen box (pasted)" if c.pasted else f"chosen box (step {c.step})",
            "marker": {
                "symbol": "circle-open",
                "size": 18,
                "color": "crimson",
                "line": {"width": 3},
            },
            "text": [result.describe(labels).replace("; ", "<br>")],
            "hovertemplate": "%{text}<extra></extra>",
        },
    ]
    return _figure(
        data,
        "Scenario discovery: the PRIM peeling trajectory",
        xaxis=_axis("coverage (share of the worlds of interest inside the box)", range=[0, 1.02]),
        yaxis=_axis("density (share of the box's worlds that are of interest)"),
    )


def threshold_curve(
    design: ThresholdDesign, currency: str = "USD", label: str | None = None
) -> Figure:
    """The curve, the optimum and the EU rule marked (money in billions)."""
    band = 1.96 * design.mcse / _BN
    y = design.expected_net_benefit / _BN
    data = [
        {
            "type": "scatter",
            "x": np.r_[design.thresholds, design.thresholds[::-1]],
            "y": np.r_[y + band, (y - band)[::-1]],
            "fill": "toself",
            "line": {"width": 0},
            "fillcolor": PALETTE[1],
            "opacity": 0.2,
            "name": "95% Monte Carlo interval",
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": design.thresholds,
            "y": y,
            "mode": "lines+markers",
            "line": {"color": PALETTE[1]},
            "name": f"expected net benefit, {label or design.approach}",
            "hovertemplate": "threshold %{x:.2g}: %{y}<extra></extra>",
        },
    ]
    points = [(design.reference, design.reference_value, "EU one-third rule", "diamond")]
    if design.optimum is not None:
        points.append((design.optimum, design.optimum_value, "optimum", "star"))
    data += [
        {
            "type": "scatter",
            "x": [x],
            "y": [v / _BN],
            "mode": "markers",
            "marker": {"symbol": symbol, "size": 13, "color": "black"},
            "name": name,
            "hovertemplate": f"{name}<br>threshold %{{x:.2g}}: %{{y}}<extra></extra>",
        }
        for x, v, name, symbol in points
    ]
    return _figure(
        data,
        "Where to draw the line (present values)",
        xaxis=_axis(
            "threshold (share of base-model training compute)", type="log", exponentformat="power"
        ),
        yaxis=_axis(f"expected net benefit ({currency})", **money_ticks(currency)),
    )


def sweep_chart(
    sweep: SweepResult, params=None, labels: dict | None = None, currency: str = "USD"
) -> Figure:
    """The preferred approach across the sweep.

    One numeric parameter: expected net benefit of each approach against it, the preferred
    approach starred. Two parameters on a grid: a heatmap of the preferred approach. Else
    (scenarios, zipped or larger sweeps): grouped bars per point, a star on the preferred bar.
    ``params`` names the inputs by description and ``labels`` the approaches.
    """
    t, pref = sweep.table, sweep.preferred()
    approaches = list(dict.fromkeys(t["approach"]))
    name = lambda a: (labels or {}).get(a, a)  # noqa: E731
    title = lambda v: describe(params, v) if params is not None else v  # noqa: E731
    money_axis = _axis(f"expected net benefit ({currency}, present value)", **money_ticks(currency))
    numeric = all(pd.api.types.is_numeric_dtype(t[v]) for v in sweep.varied)
    if len(sweep.varied) == 1 and numeric:
        (x,) = sweep.varied
        data = []
        for j, a in enumerate(approaches):
            rows = t[t["approach"] == a]
            data.append(
                {
                    "type": "scatter",
                    "x": rows[x],
                    "y": rows["mean"] / _BN,
                    "mode": "lines+markers",
                    "name": name(a),
                    "line": {"color": _colour(j + 1)},
                    "error_y": {
                        "type": "data",
                        "array": 1.96 * rows["mcse"] / _BN,
                        "visible": True,
                    },
                    "hovertemplate": f"{name(a)}<br>%{{x}}: %{{y}}<extra></extra>",
                }
            )
        data.append(
            {
                "type": "scatter",
                "x": pref[x],
                "y": pref["mean"] / _BN,
                "mode": "markers",
                "name": "preferred",
                "text": [name(a) for a in pref["preferred"]],
                "marker": {"symbol": "star", "size": 14, "color": "black"},
                "hovertemplate": "preferred: %{text}<br>%{x}: %{y}<extra></extra>",
            }
        )
        values = t[x].to_numpy(dtype=float)
        log = bool((values > 0).all() and values.max() / values.min() >= 20)
        return _figure(
            data,
            f"Expected net benefit against {title(x)}; star: preferred approach",
            xaxis=_axis(title(x), type="log" if log else "linear"),
            yaxis=money_axis,
        )
    if len(sweep.varied) == 2 and sweep.grid and numeric:
        y, x = sweep.varied
        codes = pref.assign(code=pref["preferred"].map(approaches.index))
        z = codes.pivot(index=y, columns=x, values="code")
        text = codes.pivot(index=y, columns=x, values="preferred").map(name)
        k = len(approaches)
        scale = []
        for i in range(k):
            scale += [[i / k, _colour(i + 1)], [(i + 1) / k, _colour(i + 1)]]
        heatmap = {
            "type": "heatmap",
            "z": z.to_numpy(),
            "x": [str(v) for v in z.columns],
            "y": [str(v) for v in z.index],
            "text": text.to_numpy().tolist(),
            "texttemplate": "%{text}",
            "hovertemplate": f"{title(x)} %{{x}}<br>{title(y)} %{{y}}<br>%{{text}}<extra></extra>",
            "colorscale": scale,
            "zmin": -0.5,
            "zmax": k - 0.5,
            "showscale": False,
        }
        return _figure(
            [heatmap],
            "Preferred approach (highest expected net benefit)",
            xaxis=_axis(title(x), type="category"),
            yaxis=_axis(title(y), type="category"),
        )
    points = {
        p: ", ".join(f"{title(v)} = {r[v]}" if v != "scenario" else str(r[v]) for v in sweep.varied)
        for p, r in sweep.points.set_index("point").iterrows()
    }
    best = dict(zip(pref["point"], pref["preferred"], strict=True))
    data = [
        {
            "type": "bar",
            "x": [points[p] for p in rows["point"]],
            "y": rows["mean"] / _BN,
            "name": name(a),
            "marker": {"color": _colour(j + 1)},
            "text": ["★" if best[p] == a else "" for p in rows["point"]],
            "textposition": "outside",
            "hovertemplate": f"{name(a)}<br>%{{x}}: %{{y}}<extra></extra>",
        }
        for j, a in enumerate(approaches)
        for rows in [t[t["approach"] == a]]
    ]
    return _figure(
        data,
        "Expected net benefit per point; ★ marks the preferred approach",
        480,
        barmode="group",
        yaxis=money_axis,
    )
