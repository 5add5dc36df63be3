"""The HTML report: one self-contained file (plotly.js embedded once, no network requests).

>>> import model                                                   # doctest: +SKIP
>>> res = model.simulate(model.load_params("params/baseline.toml"), n=4096, rng=1)  # doctest: +SKIP
>>> model.report.write_report(res, "reports/baseline.html")         # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from model.inputs.evidence import find_register
from model.report import figures
from model.report.brief import build_brief, structural_flips
from model.report.content import (
    NEGLIGIBLE,
    ReportContent,
    analysis_for,
    build_content,
    switching_order,
)
from model.report.evidence import link_citations, register_html
from model.report.influence import influence_svg
from model.report.interactive import payload_json
from model.report.rule import rule_context
from model.report.wording import FirstUse, money, number
from model.study.outputs import temp_prefix
from model.study.progress import steps
from model.study.reevaluations import STRUCTURAL_DRAWS, Reevaluations, reevaluate

__all__ = [
    "ReportContent",
    "analysis_for",
    "build_content",
    "default_stem",
    "figures",
    "param_table",
    "render",
    "write_atomic",
    "write_report",
]

_TEMPLATES = Path(__file__).parent / "templates"
_DOCS = Path(__file__).resolve().parents[2] / "docs" / "model.md"
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"scale": 2}}


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )


def _fig_html(fig, div_id: str) -> str:
    """An empty div and the figure as JSON; the page draws it once plotly.js has loaded.

    Keeping plotly.js (4.8 MB) and the drawing at the end of the page lets the browser paint
    the text first.
    """
    spec = fig.to_json().replace("</", "<\\/")  # never closes the script early
    return (
        f'<div id="{div_id}" class="plotly-figure"></div>'
        f'<script type="application/json" data-plotly-figure="{div_id}">{spec}</script>'
    )


def _frame_html(df: pd.DataFrame, formatters: dict | None = None, index: bool = True) -> str:
    return df.to_html(
        index=index, border=0, classes="data", formatters=formatters, na_rep="n/a", escape=True
    )


def _equations_html(path: Path | None) -> str:
    import markdown

    path = _DOCS if path is None else Path(path)
    if not path.is_file():
        return (
            f"<p class='caveat'>The model's equations ({html.escape(path.name)}) were not found "
            f"next to this installation; see docs/model.md in the source repository.</p>"
        )
    text = path.read_text(encoding="utf-8")
    # an equation indented under a list item (6 spaces, as GitHub reads it) needs 8 spaces to
    # stay a code block in Python-Markdown; otherwise its lines run together as prose
    text = re.sub(r"(?m)^ {6}(?=\S)", " " * 8, text)
    body = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])
    body = re.sub(r"<(/?)h([1-4])\b", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 2}", body)
    return (
        f"<details><summary>Show the model's equations and assumptions (from "
        f"{html.escape(path.name)}; symbols are parameter names)</summary>{body}</details>"
    )


_BREAK = "\u2063\u2063"  # survives pandas' escaping; becomes <br> in the parameter table


def _pool_cell(p) -> str:
    """A pooled parameter's distribution, one expert per line."""
    lines = [f"{p.dist.method} pool of {len(p.experts)} experts:"]
    lines += [f"• {e.name}, weight {e.weight:g}: {e.dist.describe()}" for e in p.experts]
    return _BREAK.join(lines)


def param_table(params, cur: str, register) -> str:
    frame = params.to_frame()
    for i, name in enumerate(frame["name"]):
        p = params[name]
        if p.experts:
            frame.loc[i, "distribution"] = _pool_cell(p)
            srcs = [f"• {e.name}: {e.source}" for e in p.experts if e.source]
            frame.loc[i, "source"] = _BREAK.join([p.source, *srcs])
    fmt = lambda v: number(v, 3) if isinstance(v, (int, float, np.floating)) else str(v)  # noqa: E731
    frame = frame[["name", "description", "distribution", "p05", "median", "p95", "unit", "source"]]
    out = _frame_html(frame, {c: fmt for c in ("p05", "median", "p95")}, index=False)
    out = link_citations(out.replace(_BREAK, "<br>"), register)
    return out.replace('class="dataframe data"', 'class="dataframe data params"', 1)


def _sources(params) -> list[str]:
    """Every source of a parameter set, experts' included, in parameter order."""
    return [
        s for n in params.names for s in (params[n].source, *(e.source for e in params[n].experts))
    ]


def _provenance_rows(results, run_seconds: float | None) -> list[tuple[str, str]]:
    p = dict(results.provenance)
    rows = [
        ("package version", str(p.get("package_version"))),
        ("git commit", str(p.get("git_commit") or "not a git checkout")),
        ("python", str(p.get("python", ""))),
        ("parameter set", f"{p.get('params')} {list(results.params.scenarios) or ''}".strip()),
        ("seed", str(p.get("seed"))),
        ("design", str(p.get("design"))),
        ("draws (n)", f"{p.get('n'):,}"),
        ("simulation time", f"{p.get('run_seconds', float('nan')):.2f} s"),
        ("created (UTC)", str(p.get("created", ""))),
    ]
    if run_seconds is not None:
        rows.append(("report time (simulate + analyse + write)", f"{run_seconds:.2f} s"))
    for f, h in (p.get("files") or {}).items():
        rows.append((f"file {f}", f"sha256 {h}"))
    return rows


def _subsample_note(draws: int | None, n: int) -> str:
    if draws is None or draws >= n:
        return ""
    return (
        f" EVPPI is estimated on the first {draws:,} of the {n:,} draws (the regressions cost "
        "grows with the draws and their ranking is already stable at this size); every decision "
        "statistic uses all draws."
    )


def _figure_sections(results, c: ReportContent, evppi_draws: int | None = None) -> list[dict]:
    cur = c.currency
    out = []

    def add(fid, heading, build, note, table=None, findings=()):
        try:
            fig = build()
        except (ValueError, KeyError, TypeError, IndexError) as exc:  # a missing analysis table
            out.append(
                {
                    "id": fid,
                    "heading": heading,
                    "html": None,
                    "table": None,
                    "note": f"Not available for this run: {exc}",
                    "findings": list(findings),
                }
            )
            return
        out.append(
            {
                "id": fid,
                "heading": heading,
                "html": _fig_html(fig, f"fig-{fid}"),
                "note": note,
                "table": table,
                "findings": list(findings),
            }
        )

    add(
        "distributions",
        "Net benefit distributions",
        lambda: figures.net_benefit_distributions(results),
        "Each shape shows how likely each net benefit is across the simulated worlds; right of "
        "the dotted line the approach does more good than harm. The axis shows the 1st to 99th "
        "percentiles: zoom out (double-click) to see the long tails.",
    )
    add(
        "cumulative",
        "Cumulative net benefit",
        lambda: figures.cumulative_net_benefit(results),
        "Each S-curve gives the probability that an approach's net benefit is at most the value "
        "on the horizontal axis; the dot on the dotted zero line is the probability that it does "
        "more harm than good. A curve further right is better throughout; curves that cross "
        "trade a better typical outcome for a worse tail.",
    )
    add(
        "plane",
        "Risk reduction against cost",
        lambda: figures.cost_effect_plane(results),
        "The efficiency frontier joins approaches that buy the most risk reduction for their "
        "cost; approaches below it are dominated by a mix of those on it.",
        _frame_html(
            c.decision_table[["effect_mean", "cost_mean", "mean", "transfers_mean"]].rename(
                index=c.labels,
                columns={
                    "effect_mean": "risk reduction",
                    "cost_mean": "total cost",
                    "mean": "net benefit",
                    "transfers_mean": "transfers (not netted)",
                },
            ),
            {
                k: (lambda v: money(v, cur))
                for k in ("risk reduction", "total cost", "net benefit", "transfers (not netted)")
            },
        ),
    )
    add(
        "acceptability",
        "Acceptability over the value placed on risk reduction",
        lambda: figures.acceptability(
            results, c.ceac, "weight on risk reduction (1 = as valued in the parameter files)"
        ),
        "How robust the choice is to the main value judgement: each line is the probability "
        "that the approach has the highest net benefit when harm avoided is weighted by the "
        "factor on the horizontal axis (costs unchanged).",
    )
    sens_note = (
        "Bars show how far the decision-relevant difference moves when one input goes to its "
        "5th (blue) and 95th (red) percentile with every other input at its median; the "
        "vertical line is the difference with every input at its median. Right of zero the "
        "first approach is ahead."
    )
    add(
        "sensitivity",
        "Sensitivity: tornado",
        lambda: figures.tornado(results, _need(c.tornado, "tornado"), label=c.tornado_label),
        sens_note,
        _switching_html(c, results.params),
    )
    add(
        "sobol",
        "Sensitivity: Sobol indices",
        lambda: figures.sobol_indices(_need(c.sobol, _NO_SOBOL), params=results.params),
        f"Output: net benefit of {c.tornado_label}. First-order index: share of the variance "
        "explained by the input alone; total index: including its interactions with other "
        "inputs. Bars give 95% bootstrap intervals; wide intervals mean the indices are "
        "estimated imprecisely at this sample size.",
    )
    add(
        "voi",
        "Value of information",
        lambda: figures.evppi_ranking(
            _need(c.evppi, "EVPPI"), cur, evpi=c.evpi, params=results.params
        ),
        f"Expected value of partial perfect information (EVPPI) per input: how much better the "
        f"decision would be, on average, if that input were known exactly before choosing. "
        f"Perfect information on everything (EVPI) is worth {money(c.evpi, cur)}; inputs whose "
        f"EVPPI is negligible (learning them would not change the choice) are not drawn."
        + _subsample_note(evppi_draws, results.n),
        _evppi_html(c),
        c.expert_lines,
    )
    add(
        "time",
        "Risk reduction by harm over the years",
        lambda: figures.risk_reduction_over_time(results),
        "Harm avoided in each year (undiscounted), mean over the draws; the present values in "
        "the tables discount these.",
    )
    add(
        "calibration",
        "Calibration against reference figures",
        lambda: figures.calibration(results, c.calibration),
        "The model builds each harm bottom-up (events x severity); each is checked against an "
        "independent top-down reference range.",
        _frame_html(
            c.calibration.rename(index=c.harm_labels),
            {
                col: (lambda v: money(v, cur))
                for col in c.calibration.columns
                if col != "median_inside_reference"
            },
        ),
    )
    add(
        "convergence",
        "Monte Carlo convergence",
        lambda: figures.convergence(results, _need(c.convergence, "convergence")),
        "If the lines are still moving at the right-hand end, more draws are needed; the "
        "dashed line is the difference between the two leading approaches.",
    )
    return out


_NO_SOBOL = (
    "Sobol indices (they are computed only on request, with --sobol-n 512 or "
    "analyse(sobol_n=512): on this heavy-tailed output they need a large design to be stable; "
    "the inputs are ranked by the delta measure in 'What drives the decision')"
)


def _need(x, what: str):
    if x is None:
        raise ValueError(f"the analysis did not produce {what}")
    return x


def _describe(params, name) -> str:
    try:
        return str(params[name].description)
    except (KeyError, TypeError, AttributeError):
        return ""


def _switching_html(c: ReportContent, params=None) -> str | None:
    sw = c.switching
    if not isinstance(sw, pd.DataFrame) or "switching_value" not in sw:
        return None
    sw = switching_order(sw)
    if not len(sw):
        return "<p>No input switches the preferred approach on its own.</p>"
    cols = [x for x in ("parameter", "switching_value", "quantile", "to_option") if x in sw]
    t = sw[cols].copy()
    if "parameter" in t and params is not None:
        t.insert(1, "description", [_describe(params, p) for p in t["parameter"]])
    if "to_option" in t:
        t["to_option"] = [c.labels.get(str(v), str(v)) for v in t["to_option"]]
    return _frame_html(t, {"switching_value": number, "quantile": lambda q: f"{q:.3f}"}, False)


def _evppi_html(c: ReportContent) -> str | None:
    if not isinstance(c.evppi, pd.DataFrame):
        return None
    t = c.evppi.sort_values("evppi", ascending=False).head(25)
    cols = [x for x in ("evppi", "share_of_evpi") if x in t]
    tiny = NEGLIGIBLE * max(c.evpi, 1.0)
    out = _frame_html(
        t[cols],
        {
            "evppi": lambda v: money(v, c.currency) if v >= tiny else "negligible",
            "share_of_evpi": lambda v: f"{100 * v:.1f}%",
        },
    )
    return out + (_experts_html(c) or "")


def _experts_html(c: ReportContent) -> str | None:
    """The expert-disagreement table: one row per linearly pooled parameter."""
    e = c.experts
    if not isinstance(e, pd.DataFrame) or not len(e):
        return None
    cur = c.currency
    t = pd.DataFrame(
        {
            "experts (weight)": [
                "; ".join(f"{n} ({w:g})" for n, w in zip(r["experts"], r["weights"], strict=True))
                for _, r in e.iterrows()
            ],
            "value of knowing which expert is right": [money(v, cur) for v in e["evppi"]],
            "share of EVPI": [f"{100 * v:.1f}%" for v in e["share_of_evpi"]],
            "best approach if each expert is right": [
                "; ".join(c.labels.get(str(b), str(b)) for b in r["best_by_expert"])
                for _, r in e.iterrows()
            ],
        },
        index=pd.Index(e.index, name="pooled parameter"),
    )
    if "evppi_value" in e:
        tiny = NEGLIGIBLE * max(c.evpi, 1.0)
        t["value of knowing the parameter exactly"] = [
            money(v, cur) if v >= tiny else "negligible" for v in e["evppi_value"]
        ]
    return "<p><b>Expert disagreement</b></p>" + _frame_html(t)


def render(
    results,
    *,
    analysis=None,
    rule=None,
    title: str | None = None,
    equations: str | os.PathLike | None = None,
    run_seconds: float | None = None,
    sweep=None,
    reevaluated: Reevaluations | None = None,
    content: ReportContent | None = None,
) -> Iterator[str]:
    """The report as a stream of HTML text chunks (see :func:`write_report`)."""
    from markupsafe import Markup

    analysis = analysis_for(results) if analysis is None else analysis
    reevaluated = reevaluate(results) if reevaluated is None else reevaluated
    c = build_content(results, analysis, title=title, rule=rule) if content is None else content
    lab = lambda k: results.labels.get(k, k)  # noqa: E731
    brief = build_brief(
        results,
        analysis,
        rule,
        sweep=sweep,
        judged=reevaluated.judged,
        central=reevaluated.central,
        more_flips=structural_flips(
            reevaluated.structural, lab, results.regulation.settings.currency
        ),
    )
    sections = _figure_sections(results, c, getattr(analysis, "evppi_draws", None))
    rule_ctx = None
    if rule is not None:
        rule_ctx = rule_context(
            rule, results.regulation, c.currency, c.labels, _fig_html, results.params
        )
        rule_ctx = {
            k: Markup(v) if isinstance(v, str) and k != "threshold_text" else v
            for k, v in rule_ctx.items()
        }
    for s in sections:
        for k in ("html", "table"):
            if s[k] is not None:
                s[k] = Markup(s[k])
    template = _environment().get_template("report.html.j2")
    register = find_register(results.params.files)
    return template.generate(
        c=c,
        prov=results.provenance,
        settings=results.regulation.settings,
        params_summary=results.params.summary(),
        plotlyjs=Markup(figures.plotly_file("plotly.min.js").read_text(encoding="utf-8")),
        plotly_config=Markup(json.dumps(_PLOTLY_CONFIG)),
        figures=sections,
        param_table=Markup(param_table(results.params, c.currency, register)),
        structural_draws=f"{min(results.n, STRUCTURAL_DRAWS):,}",
        evidence_table=Markup(register_html(register, _sources(results.params))),
        equations=Markup(_equations_html(equations)),
        prov_rows=_provenance_rows(results, run_seconds),
        rule=rule_ctx,
        brief=brief,
        spell=FirstUse(),
        influence=Markup(influence_svg(results.regulation)),
        vj_json=Markup(payload_json(reevaluated.judged)),
        vj_m=reevaluated.judged.m,
    )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, chunks: Iterable[str]) -> None:
    """Write to a temporary file in ``path``'s directory, then ``os.replace`` it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_report(
    results,
    path: str | os.PathLike | None = None,
    *,
    analysis=None,
    rule=None,
    title: str | None = None,
    equations: str | os.PathLike | None = None,
    started: float | None = None,
    sweep=None,
    progress: bool = False,
    reevaluated: Reevaluations | None = None,
    content: ReportContent | None = None,
) -> Path:
    """Write the HTML report for ``results`` atomically and return its path.

    Parameters
    ----------
    results : Results
        From :func:`model.simulate`.
    path : path-like, optional
        Default ``reports/<params name>[_<scenario>...].html``.
    analysis : optional
        An ``Analysis`` from :func:`model.analyse` (computed when omitted).
    rule : RuleDesign, optional
        From :func:`model.study.design.design_rule`: adds the "Designing the rule" section.
    title : str, optional
        Defaults to the parameter set's title.
    equations : path-like, optional
        Markdown file with the model's equations (default ``docs/model.md``).
    started : float, optional
        ``time.perf_counter()`` at the start of the whole run, to report the total run time.
    sweep : SweepResult, optional
        From :func:`model.sweep` over scenario files: adds the evidence scenarios to the
        appraisal's scenario table (the value-judgement scenarios are always there).
    progress : bool
        Show progress bars on stderr (the analysis, when computed here, and the writing).
    reevaluated : Reevaluations, optional
        From :func:`model.study.reevaluations.reevaluate` (evaluated here when omitted): the
        structural alternatives, value judgements and central case, e.g. saved with the run.
    content : ReportContent, optional
        The report's words and tables, already built by :func:`build_content` from the same
        results, analysis, title and rule (built here when omitted).

    The file is written to a temporary file in the same directory and moved into place, so a
    failure never leaves a half-written report (a previous report at ``path`` is kept).
    """
    if path is None:
        path = Path("reports") / (default_stem(results.params) + ".html")
    path = Path(path)
    if analysis is None:
        analysis = analysis_for(results, progress=progress)
    with steps("writing the report", 2, progress) as start:
        start("words and figures")
        chunks = render(
            results,
            analysis=analysis,
            rule=rule,
            title=title,
            equations=equations,
            run_seconds=None if started is None else time.perf_counter() - started,
            sweep=sweep,
            reevaluated=reevaluated,
            content=content,
        )
        start("HTML file")
        write_atomic(path, chunks)
    return path


def default_stem(params) -> str:
    """``baseline`` or ``baseline_high_growth`` (parameter set name + scenario stems)."""
    return "_".join([params.name, *params.scenarios])
