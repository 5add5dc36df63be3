"""Designing the rule: where to draw the regulatory threshold.

The compute threshold (modification compute as a share of the base model's training compute, as
in the EU's one-third criterion) is a continuous design variable. Every candidate threshold is
evaluated on the SAME draws (common random numbers: the draws are made once), which gives the
expected net benefit curve, its optimum (optionally subject to a cap on the probability that
residual risk exceeds the acceptable level), the value of the EU rule on the same curve, and
how uncertain the optimum is: its distribution over draws and the expected loss of choosing
the expected-value optimum (the expected value of perfect information about the threshold).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from model.errors import ParamFileError
from model.inputs.parameters import ParameterSet, short_description
from model.inputs.sampling import Sampler, seed_entropy
from model.regulation import LevelSearch, build_model
from model.regulation.world import SCOPE_TRIGGER, TRIGGERS
from model.study.portfolios import search_portfolios
from model.study.progress import steps

__all__ = ["RuleDesign", "ThresholdDesign", "design_rule", "optimise_threshold"]

EU_ONE_THIRD = 1.0 / 3.0

#: Draws the threshold curve uses at most: every threshold is evaluated on the same draws, so
#: the curve's differences are precise well below the run's size (stated in the report).
THRESHOLD_DRAWS = 8192


@dataclass(frozen=True)
class ThresholdDesign:
    """The expected net benefit curve over thresholds for one approach, and its optimum."""

    approach: str
    thresholds: np.ndarray  # (m,) candidate thresholds, increasing
    expected_net_benefit: np.ndarray  # (m,)
    mcse: np.ndarray  # (m,) Monte Carlo standard error of the mean
    prob_exceeds: np.ndarray  # (m,) P(residual > acceptable for any harm)
    max_exceed_prob: float | None
    optimum: float | None  # None when no threshold meets the cap
    optimum_value: float | None
    reference: float  # the EU one-third rule
    reference_value: float
    draw_optima: np.ndarray  # (n,) the best grid threshold in each draw
    expected_loss: float  # E[max over thresholds] - E[net benefit at the optimum]
    n: int

    @property
    def feasible(self) -> np.ndarray:
        if self.max_exceed_prob is None:
            return np.ones(self.thresholds.shape, dtype=bool)
        return self.prob_exceeds <= self.max_exceed_prob

    def to_frame(self) -> pd.DataFrame:
        """The curve: one row per threshold."""
        return pd.DataFrame(
            {
                "threshold": self.thresholds,
                "expected_net_benefit": self.expected_net_benefit,
                "mcse": self.mcse,
                "prob_exceeds": self.prob_exceeds,
                "feasible": self.feasible,
            }
        )

    def optimum_quantiles(self, q=(0.05, 0.5, 0.95)) -> np.ndarray:
        """Quantiles of the per-draw optimal threshold."""
        return np.quantile(self.draw_optima, q)

    def describe(self, money=lambda v: f"{v:,.4g}") -> str:
        """The result in plain words (``money`` formats amounts)."""
        if self.optimum is None:
            return (
                f"No threshold keeps P(residual risk above the acceptable level) at or below "
                f"{self.max_exceed_prob:.0%} for {self.approach}."
            )
        lo, mid, hi = self.optimum_quantiles()
        gain = self.optimum_value - self.reference_value
        return (
            f"For {self.approach}, the threshold with the highest expected net benefit is "
            f"{self.optimum:.3g} of the base model's training compute, against the EU rule's "
            f"{self.reference:.3g}; it adds {money(gain)} in expected net benefit. The best "
            f"threshold varies across draws (median {mid:.3g}, 90% interval {lo:.3g} to "
            f"{hi:.3g}); choosing the expected-value optimum loses "
            f"{money(self.expected_loss)} on average against knowing the best threshold in "
            f"each world (on {self.n:,} draws, the same for every threshold)."
        )


#: Default candidate levels of each trigger (the compute threshold: shares of the base model's
#: training compute; capability: multiples of the base model's evaluation score; reach:
#: downloads a year).
GRIDS = {
    "threshold": np.logspace(-5, 0, 50),
    "capability": np.logspace(0, np.log10(2.0), 50),
    "reach": np.logspace(1, 7, 50),
}


def _check(params: ParameterSet, approach: str, thresholds: np.ndarray, trigger: str):
    regulation = build_model(params)
    file = str(params.files[0]) if params.files else "<python>"
    if trigger != "threshold":
        if trigger not in TRIGGERS or any(n not in params.names for n in TRIGGERS[trigger]):
            raise ValueError(f"trigger {trigger!r} needs the parameters {TRIGGERS.get(trigger)}")
        if thresholds.size < 2 or not np.all((thresholds > 0) & np.isfinite(thresholds)):
            raise ValueError(f"levels must be at least two positive values; got {thresholds}")
    elif regulation.settings.threshold != "compute":
        raise ParamFileError(
            file,
            "settings.threshold",
            "threshold design needs a compute threshold",
            got=regulation.settings.threshold,
            fix='set threshold = "compute" in [settings] and declare the compute parameters',
        )
    if approach not in regulation.approach_names:
        raise ValueError(
            f"unknown approach {approach!r}; use one of {', '.join(regulation.approach_names)}"
        )
    bad = thresholds[~((thresholds > 0) & (thresholds <= 1) & np.isfinite(thresholds))]
    if trigger == "threshold" and (thresholds.size < 2 or bad.size):
        raise ValueError(
            f"thresholds must be at least two values in (0, 1] (shares of the base model's "
            f"training compute); got {bad[:3].tolist() if bad.size else thresholds.tolist()}"
        )
    only = next(a for a in regulation.approaches if a.key == approach)
    return replace(regulation, approaches=(only,))


def optimise_threshold(
    params: ParameterSet,
    *,
    thresholds=None,
    approach: str = "targeted_downstream",
    n: int = 20_000,
    rng: int | np.random.SeedSequence | None = None,
    design: str = "sobol",
    max_exceed_prob: float | None = None,
    reference: float | None = None,
    refine: bool = True,
    chunk_size: int = 8192,
    trigger: str = "threshold",
    draws: np.ndarray | None = None,
) -> ThresholdDesign:
    """Expected net benefit of ``approach`` over levels of a trigger (by default the compute
    threshold), on common random numbers.

    Parameters
    ----------
    params : ParameterSet
        With ``[settings] threshold = "compute"`` and a ``threshold_compute`` parameter.
    thresholds : array-like, optional
        Candidate thresholds in (0, 1]; default 50 values log-spaced from 1e-5 to 1.
    approach : str
        The approach whose net benefit is maximised (one with an above-threshold obligation).
    n, rng, design : draws, made once and shared by every threshold.
    max_exceed_prob : float, optional
        Only thresholds with P(residual > acceptable, any harm) at or below this are eligible.
    reference : float, optional
        The rule to compare with (default: the EU one-third criterion for the compute
        threshold, the parameter file's level for another trigger).
    refine : bool
        Refine the best grid threshold by a bounded scalar search between its neighbours.
    trigger : str
        "threshold" (the compute threshold) or a key of ``model.regulation.world.TRIGGERS``
        ("capability", "reach"); the approach's obligation must be scoped on it.
    draws : ndarray, optional
        The first ``n`` rows (columns in ``params.names`` order) of ``design`` with seed
        ``rng`` when already made, e.g. a Sobol run's own first draws; default: sampled. Their
        shape and first row are checked.
    """
    grid = GRIDS[trigger] if thresholds is None else np.sort(np.asarray(thresholds, float))
    regulation = _check(params, approach, grid, trigger)
    if reference is None:
        level = TRIGGERS[trigger][0] if trigger != "threshold" else None
        reference = (
            EU_ONE_THIRD if level is None else float(params[level].dist.ppf(np.array([0.5]))[0])
        )
    if max_exceed_prob is not None and not 0 <= max_exceed_prob <= 1:
        raise ValueError(f"max_exceed_prob must lie in [0, 1]; got {max_exceed_prob}")
    sampler = Sampler(params, int(n), design, seed_entropy(rng), int(chunk_size))
    if draws is not None:
        sampler.check(draws)
    rows = (lambda a, b: draws[a:b]) if draws is not None else sampler.chunk
    chunks = [dict(zip(params.names, rows(a, b).T, strict=True)) for a, b in sampler.bounds()]

    searches = [LevelSearch(regulation, values, trigger=trigger) for values in chunks]

    def outcomes_at(tau: float):
        nb, exceeds = [], []
        for search in searches:
            o = search.at(tau)
            nb.append(o.net_benefit[:, 0])
            exceeds.append(o.exceeds_acceptable[:, 0].any(axis=1))
        return np.concatenate(nb), np.concatenate(exceeds)

    per_threshold = [outcomes_at(tau) for tau in grid]
    nb = np.stack([x for x, _ in per_threshold], axis=1)  # (n, m)
    exceeds = np.stack([e for _, e in per_threshold], axis=1).mean(axis=0)
    mean = nb.mean(axis=0)
    mcse = nb.std(axis=0, ddof=1) / np.sqrt(nb.shape[0])
    feasible = np.ones(grid.shape, bool) if max_exceed_prob is None else exceeds <= max_exceed_prob
    optimum = value = None
    if feasible.any():
        best = int(np.flatnonzero(feasible)[np.argmax(mean[feasible])])
        optimum, value = float(grid[best]), float(mean[best])
        if refine:
            optimum, value = _refine(grid, best, optimum, value, outcomes_at, max_exceed_prob)
    reference_value = float(outcomes_at(reference)[0].mean())
    # the EVPI over the grid when the optimum is a grid point; against a refined optimum off the
    # grid, the loss of choosing it instead of each draw's best grid threshold
    expected_loss = float(nb.max(axis=1).mean() - (value if value is not None else mean.max()))
    return ThresholdDesign(
        approach=approach,
        thresholds=grid,
        expected_net_benefit=mean,
        mcse=mcse,
        prob_exceeds=exceeds,
        max_exceed_prob=max_exceed_prob,
        optimum=optimum,
        optimum_value=value,
        reference=reference,
        reference_value=reference_value,
        draw_optima=grid[nb.argmax(axis=1)],
        expected_loss=max(expected_loss, 0.0),
        n=int(n),
    )


#: Tolerance of the refined threshold in log units: 1% of the threshold (the curve is flat
#: near its optimum: a finer search costs evaluations and moves the value by far less than its
#: Monte Carlo error).
REFINE_TOL = 0.01


def _refine(grid, best, optimum, value, outcomes_at, cap):
    """Bounded search on log(threshold) between the best grid point's neighbours, to within
    :data:`REFINE_TOL`."""
    lo, hi = np.log(grid[max(best - 1, 0)]), np.log(grid[min(best + 1, grid.size - 1)])
    if hi <= lo:
        return optimum, value

    def loss(x):
        nb, exceeds = outcomes_at(float(np.exp(x)))
        feasible = cap is None or exceeds.mean() <= cap
        return -nb.mean() if feasible else np.inf

    found = minimize_scalar(loss, bounds=(lo, hi), method="bounded", options={"xatol": REFINE_TOL})
    if np.isfinite(found.fun) and -found.fun > value:
        return float(np.exp(found.x)), float(-found.fun)
    return optimum, value


@dataclass(frozen=True)
class RuleDesign:
    """Everything the report's "Designing the rule" section shows, computed from one run."""

    threshold: ThresholdDesign | None
    threshold_note: str  # why there is no threshold curve, or ""
    boxes: tuple  # (approach a, approach b, PrimResult or None, plain-words text)
    adaptive: pd.DataFrame  # adaptive approaches beside their static counterparts
    portfolios: pd.DataFrame  # best portfolios: mean net benefit and P(best)
    additions: pd.DataFrame  # each instrument's marginal net benefit over portfolios lacking it
    search_note: str = ""  # how the portfolios were searched (screened, then confirmed)
    mixes: pd.DataFrame | None = None  # the paper's mixes of options: each one's best portfolio
    declared_means: pd.DataFrame | None = None  # declared approaches' E[NB] on the same draws
    triggers: pd.DataFrame | None = None  # the best level of each trigger beside compute
    duties: pd.DataFrame | None = None  # the best portfolio with each kind of downstream duty
    mix_voi: pd.DataFrame | None = None  # EVPPI of the inputs for the choice between mixes
    mix_evpi: float | None = None  # EVPI of the choice between the mixes of options


def _static_counterparts(regulation) -> list[tuple[str, str]]:
    """(adaptive approach, static approach with the base obligation in its place)."""
    out = []
    for a in regulation.approaches:
        swapped = tuple(
            regulation.instruments[i].base if regulation.instruments[i].base else i
            for i in a.instruments
        )
        if swapped == a.instruments:
            continue
        static = [b.key for b in regulation.approaches if set(b.instruments) == set(swapped)]
        if static:
            out.append((a.key, static[0]))
    return out


def _adaptive_table(results) -> pd.DataFrame:
    nb, names = results.net_benefit, results.approaches
    rows = []
    for adaptive, static in _static_counterparts(results.regulation):
        i, j = names.index(adaptive), names.index(static)
        rows.append(
            {
                "adaptive": adaptive,
                "static": static,
                "adaptive_mean": nb[:, i].mean(),
                "static_mean": nb[:, j].mean(),
                "prob_adaptive_better": float((nb[:, i] > nb[:, j]).mean()),
                "prob_switched_on": float((results.outcomes.entities[:, i] > 0).mean()),
            }
        )
    return pd.DataFrame(rows)


#: Draws scenario discovery peels (the first ones of the run), in half the time of 65,536: at
#: the baseline the leading comparison's box is the same as with all 65,536 draws and the weak
#: second one (density 8%) keeps its two main inputs.
PRIM_DRAWS = 16_384


def _limit_unit(parameter) -> str:
    """The unit to write after a limit on ``parameter`` ("" for shares and pure numbers)."""
    plain = parameter.kind in ("share", "probability") or parameter.unit in ("", "dimensionless")
    return "" if plain else parameter.unit


def _boxes(results, pairs: int, draws: int = PRIM_DRAWS) -> tuple:
    from model.analysis.discovery import discover

    nb, names, m = results.net_benefit, results.approaches, min(results.n, draws)
    order = [names[k] for k in np.argsort(-nb.mean(axis=0)) if names[k] != "status_quo"]
    on = f" (found on the first {m:,} of the {results.n:,} draws)" if m < results.n else ""
    # the first m rows only: in a forked design the run's own frame of all its draws is not
    # made yet (0.1-0.2 s at 65,536 draws)
    params, inputs = results.params, results.params.uncertain_frame(results.draws[:m])
    columns = inputs.columns
    labels = {n: short_description(params[n].description) for n in columns} | results.labels
    units = {n: _limit_unit(params[n]) for n in columns}
    out = []
    for other in order[1 : pairs + 1]:
        a, b = order[0], other
        wins = float((nb[:, names.index(b)] > nb[:, names.index(a)]).mean())
        try:
            found = _readable(discover(nb[:m], names, inputs, b, a))
            text = (
                f"{found.describe(labels, units)}{on}; it wins in {wins:.0%} of all "
                "simulated worlds."
            )
        except ValueError as exc:  # b never (or always) beats a: no box to find
            found, text = None, f"No region found where {results.labels[b]} beats it: {exc}"
        out.append((b, a, found, text))
    return tuple(out)


def _readable(found, max_inputs: int = 3, min_coverage: float = 0.5):
    """The densest box restricting at most ``max_inputs`` inputs with enough coverage.

    A box over many inputs is rarely actionable; when none qualifies, PRIM's own choice stands.
    """
    t = found.trajectory()
    ok = t[(t["n_restricted"] <= max_inputs) & (t["coverage"] >= min_coverage)]
    if ok.empty:
        return found
    return found.select(int(ok.sort_values(["density", "coverage"]).iloc[-1]["step"]))


def _portfolio_tables(results, rng, found=None) -> tuple:
    """The best portfolios (screened on a subsample, then confirmed on all the run's draws with
    the same random numbers), what each instrument adds on average over the portfolios lacking
    it (on the screening draws), how the search was done, and the best portfolio of each mix of
    the paper's options. ``found``: the search already made for this run, if any."""
    if found is None:
        design = results.provenance.get("design", "sobol")
        found = search_portfolios(results.params, n=results.n, rng=rng, design=design)
    top = found.table.head(8)[["mean", "p05", "p95", "prob_best"]]
    additions = (
        found.screen.marginal_values()
        .groupby("instrument")
        .agg(
            marginal_mean=("marginal_mean", "mean"),
            prob_positive=("prob_positive", "mean"),
            portfolios=("portfolio", "size"),
        )
        .sort_values("marginal_mean", ascending=False)
    )
    additions["label"] = [found.regulation.instruments[i].label for i in additions.index]
    declared = found.table[found.table["declared"] != ""]
    means = pd.DataFrame(
        {"mean": declared["mean"].to_numpy()},
        index=pd.Index(declared["declared"].to_numpy(), name="approach"),
    )
    evpi, voi = found.mix_voi(top=5, rng=rng or 0)
    return top, additions, found.describe(), found.mixes(), means, found.duties(), voi, evpi


def design_rule(
    results,
    *,
    n: int | None = None,
    rng: int | None = None,
    pairs: int = 2,
    portfolios: bool = True,
    progress: bool = False,
    found=None,
) -> RuleDesign:
    """Threshold curve, scenario-discovery boxes, adaptive vs static, and which additions pay.

    ``n`` bounds the threshold curve's simulation (at most ``THRESHOLD_DRAWS``; default the
    run's n). The portfolios are screened on a subsample and confirmed on all the run's draws
    with the same seed and design; the boxes and the adaptive table reuse the run's own draws.
    ``progress`` shows a progress bar over the steps on stderr. ``found``: the portfolio search
    already made for this run (:func:`model.study.portfolios.search_portfolios`), reused.
    """
    with steps("designing the rule", 3, progress) as start:
        return _design_rule(results, n, rng, pairs, portfolios, start, found)


def _design_rule(results, n, rng, pairs, portfolios, start, found=None) -> RuleDesign:
    start("threshold")
    n = min(results.n, 16_384) if n is None else int(n)
    seed = results.provenance.get("seed", 0) if rng is None else rng
    best_targeted = [
        a.key
        for a in results.regulation.approaches
        if any(
            results.regulation.instruments[i].scope == "above_threshold"
            and results.regulation.instruments[i].type == "downstream_obligation"
            for i in a.instruments
        )
    ]
    threshold, note = None, ""
    if results.regulation.settings.threshold != "compute":
        note = "The threshold is a fixed share of developers in this parameter set."
    elif not best_targeted:
        note = "No approach has obligations above a threshold."
    else:
        means = dict(zip(results.approaches, results.net_benefit.mean(axis=0), strict=True))
        approach = max(best_targeted, key=means.get)
        m = min(n, THRESHOLD_DRAWS)
        threshold = optimise_threshold(
            results.params, approach=approach, n=m, rng=seed, draws=_run_draws(results, m, seed)
        )
    triggers = _trigger_levels(results, seed)
    start("portfolios")
    tables = (pd.DataFrame(), pd.DataFrame(), "", None, None, None, None, None)
    if portfolios:
        tables = _portfolio_tables(results, seed, found)
    start("scenario discovery")
    top, additions, search_note, mixes, means, duties, voi, evpi = tables
    return RuleDesign(
        threshold,
        note,
        _boxes(results, pairs),
        _adaptive_table(results),
        top,
        additions,
        search_note,
        mixes,
        means,
        triggers,
        duties,
        voi,
        evpi,
    )


def _run_draws(results, n: int, seed) -> np.ndarray | None:
    """The run's own first ``n`` draws when they are those of the curves' Sobol design with
    ``seed`` (a scrambled Sobol sequence's first points do not depend on its length), so that
    the curves need not sample them again (~0.1 s each); else None."""
    p = results.provenance
    ours = p.get("design") == "sobol" and p.get("seed") == seed and n <= results.n
    return results.draws[:n] if ours else None


#: Draws and candidate levels of each trigger's curve beside the compute threshold's.
TRIGGER_DRAWS, TRIGGER_LEVELS = 4096, 25


def _trigger_levels(results, seed) -> pd.DataFrame | None:
    """For each trigger other than the compute threshold that a declared approach's obligation
    is scoped on: the file's level and the best level, with expected net benefit at each, on
    common random numbers (None when no approach uses one)."""
    rows = {}
    for a in results.regulation.approaches:
        for key in a.instruments:
            scope = results.regulation.instruments[key].scope
            trigger = SCOPE_TRIGGER.get(scope or "")
            if trigger in TRIGGERS and trigger not in rows and len(a.instruments) == 1:
                grid = GRIDS[trigger][:: len(GRIDS[trigger]) // TRIGGER_LEVELS]
                m = min(results.n, TRIGGER_DRAWS)
                d = optimise_threshold(
                    results.params,
                    approach=a.key,
                    n=m,
                    rng=seed,
                    thresholds=grid,
                    trigger=trigger,
                    draws=_run_draws(results, m, seed),
                )
                rows[trigger] = {
                    "approach": a.key,
                    "level": d.reference,
                    "value_at_level": d.reference_value,
                    "best_level": d.optimum,
                    "value_at_best": d.optimum_value,
                    "draws": d.n,
                }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("trigger") if rows else None
