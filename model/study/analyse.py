"""One call that runs the decision, sensitivity and value-of-information analyses.

``analyse(results)`` works on any duck-typed results object with ``approaches``,
``net_benefit`` (n, k), ``costs`` (n, k), ``effects`` (n, k), ``inputs`` (DataFrame n x p),
``params`` (ParameterSet-like) and ``evaluate(X) -> (m, k)`` net benefit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model import decision, discovery, evsi, sensitivity, voi
from model.analysis.drivers import decision_drivers, prim_restrictions
from model.study.progress import steps

__all__ = ["STUDY_COST", "Analysis", "analyse", "expert_evppi", "proposed_study"]


#: Default weights on risk reduction (1 = as valued) for the acceptability curve and frontier.
WEIGHTS = np.round(np.linspace(0.0, 3.0, 61), 3)
#: Draws the EVPPI regressions use by default: the first 32,768 (a balanced prefix of a Sobol
#: design). At the baseline the ranking of the inputs and each EVPPI above 1% of EVPI agree
#: with all 65,536 draws to within the estimator's spread, in under half the time. (16,384
#: is not enough: the headline decision's leading EVPPI falls into the noise and the
#: proposed study disappears.)
EVPPI_DRAWS = 32_768

#: Declared cost of the proposed study (currency units): fixed, and per respondent.
STUDY_COST = (250_000.0, 2_000.0)

#: Study sizes (respondents) over which ENBS is computed.
STUDY_SIZES = (10, 30, 100, 300, 1000, 3000)

#: Draws the global ranking (delta, two halves) and PRIM work on at most. Fewer saves little
#: (delta's cost per input hardly depends on the draws) and moves the random stream the
#: proposed study's EVSI uses after it.
RANKING_DRAWS = 16384


@dataclass(frozen=True)
class Analysis:
    """Tables from :func:`analyse` (pandas DataFrames; None when a step was skipped).

    Attributes
    ----------
    summary : per option: mean, se, median, p05, p95, prob_best, expected_loss, cvar,
        prob_negative, max_regret.
    evpi : float, per decision.
    ceac : index ``weight`` (multiplier on the effects, 1 = as valued), one column per option.
    ceaf : frontier over the same weights.
    icers : incremental table on means (costs vs effects).
    tornado, switching_values, sobol, evppi, convergence : see the functions in
        :mod:`model.analysis.sensitivity` and :mod:`model.analysis.voi`.
    evppi_draws : the number of draws the EVPPI regressions used (the first ones of the run;
        every decision statistic uses all draws).
    experts : per linearly pooled parameter (index ``parameter``): ``experts`` (names),
        ``weights``, ``evppi`` (value of learning which expert is right), ``share_of_evpi``,
        ``noise`` (what the estimator gives for an irrelevant indicator with the same group
        sizes), ``best_by_expert`` (the option with the highest mean given each expert) and
        ``evppi_value`` (EVPPI of the parameter's value, when estimated). None when nothing is
        pooled linearly; see :func:`expert_evppi`.
    global_ranking : inputs ranked by the delta measure on the normal scores of the leading
        pair's margin, with a convergence check across two halves of the draws and a noise
        level (:func:`model.analysis.sensitivity.global_ranking`); the ranking the report
        uses, stable on heavy tails.
    drivers : one ranking reconciling tornado, switching values, EVPPI, PRIM and delta
        (:func:`model.analysis.drivers.decision_drivers`; ``attrs["sentence"]``).
    headline : VOI of the headline decision, the leading option against the runner-up:
        row ``(all inputs)`` is its EVPI (``se``: Monte Carlo), then EVPPI (with ``se``, ``noise``,
        ``within_noise``) of the ten leading EVPPI inputs; ``attrs["decision"]``.
    evsi : EVSI and ENBS, for the headline decision, of a proposed study of its leading
        EVPPI input that clears the noise control, over ``STUDY_SIZES``
        (:func:`model.analysis.evsi.enbs`; ``attrs``: ``optimal_n``, ``study``, ``cost``,
        ``decision``); None when no input clears the noise.
    warnings : tuple of str.
    """

    summary: pd.DataFrame
    evpi: float
    ceac: pd.DataFrame
    ceaf: pd.DataFrame
    icers: pd.DataFrame
    tornado: pd.DataFrame | None
    switching_values: pd.DataFrame | None
    sobol: pd.DataFrame | None
    evppi: pd.DataFrame | None
    convergence: pd.DataFrame
    warnings: tuple[str, ...] = field(default=())
    experts: pd.DataFrame | None = None
    evppi_draws: int | None = None
    global_ranking: pd.DataFrame | None = None
    drivers: pd.DataFrame | None = None
    headline: pd.DataFrame | None = None
    evsi: pd.DataFrame | None = None


def analyse(
    results,
    *,
    sobol_n: int = 256,
    rng=0,
    wtp=None,
    cvar_alpha: float = 0.05,
    evppi_method: str | None = None,
    one_way: bool = True,
    evppi_draws: int | None = EVPPI_DRAWS,
    progress: bool = False,
) -> Analysis:
    """Run the whole analysis layer with sensible defaults.

    Parameters
    ----------
    results : Results-like
        See the module docstring.
    sobol_n : int
        Base sample size of the Sobol design (power of 2; 0 skips Sobol). Indices are for
        the net benefit of the two leading options (by expected net benefit) and their
        difference.
    rng : int or numpy.random.Generator
    wtp : array_like, optional
        Grid of weights on the effects (risk reduction in money) for the acceptability
        curve, default :data:`WEIGHTS` (0 to 3 in steps of 0.05): net benefit =
        weight * effects - costs.
    cvar_alpha : float
    evppi_method : str, optional
        Passed to :func:`model.analysis.voi.evppi`.
    one_way : bool
        Run tornado and switching values (they call ``results.evaluate``).
    evppi_draws : int, optional
        Estimate EVPPI on the first ``evppi_draws`` draws (None: all); the regressions' cost
        grows with the draws while their error is already small at this size.
    progress : bool
        Show a progress bar over the steps on stderr.

    Returns
    -------
    Analysis
    """
    with steps("analysing", 6, progress) as start:
        return _analyse(
            results, start, sobol_n, rng, wtp, cvar_alpha, evppi_method, one_way, evppi_draws
        )


def _analyse(
    results, start, sobol_n, rng, wtp, cvar_alpha, evppi_method, one_way, evppi_draws
) -> Analysis:
    start("decision statistics")
    names = [str(a) for a in results.approaches]
    nb = decision.as_matrix(results.net_benefit, "net_benefit")
    costs = np.asarray(results.costs, dtype=float)
    effects = np.asarray(results.effects, dtype=float)
    gen = np.random.default_rng(rng)
    notes: list[str] = []

    summary = decision.expected_net_benefit(nb, names)
    summary["prob_best"] = decision.prob_best(nb)
    summary["expected_loss"] = decision.expected_loss(nb)
    summary[f"cvar{round(cvar_alpha * 100):02d}"] = decision.cvar(nb, cvar_alpha)
    summary["prob_negative"] = decision.prob_negative(nb)
    summary["max_regret"] = decision.minimax_regret(nb)

    grid = WEIGHTS if wtp is None else np.atleast_1d(np.asarray(wtp, float))
    curve = decision.ceac(costs, effects, grid)
    ceac = pd.DataFrame(curve, index=pd.Index(grid, name="weight"), columns=names)
    ceaf = decision.ceaf(costs, effects, grid, names=names, curve=curve)
    icers = decision.icers(costs, effects, names)

    params = getattr(results, "params", None)
    inputs = getattr(results, "inputs", None)
    evaluate = getattr(results, "evaluate", None)
    uncertain = list(getattr(params, "uncertain_names", getattr(params, "names", []) or []))
    lead = np.argsort(nb.mean(axis=0))[::-1][:2]
    pair = f"{names[lead[0]]} - {names[lead[1]]}"
    narrow = getattr(results, "evaluator", None)
    if narrow is not None:  # the two leading approaches only: what tornado and Sobol read
        lead_evaluate = narrow([names[i] for i in lead])
    elif evaluate is not None:

        def lead_evaluate(x):
            return np.asarray(evaluate(x), dtype=float)[:, lead]

    start("tornado and switching values")
    tornado = switching = None
    if one_way and params is not None and evaluate is not None:

        def diff(x):
            y = np.asarray(lead_evaluate(x), dtype=float)
            return y[:, 0] - y[:, 1]

        sel = [u for u in uncertain if u in list(params.names)] or None
        tornado = sensitivity.tornado(diff, params, names=sel)
        tornado.attrs["output"] = pair
        switching = sensitivity.switching_values(evaluate, params, names=sel, option_names=names)

    start("Sobol indices")
    sobol = None
    if sobol_n and params is not None and evaluate is not None:

        def lead_outputs(x):
            y = np.asarray(lead_evaluate(x), dtype=float)
            return np.column_stack([y[:, 0], y[:, 1], y[:, 0] - y[:, 1]])

        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always", sensitivity.SensitivityWarning)
            res = sensitivity.sobol(
                lead_outputs,
                params,
                n=sobol_n,
                rng=gen,
                output_names=[names[lead[0]], names[lead[1]], pair],
            )
        notes += [
            f"Sobol: {w.message}" for w in rec if w.category is sensitivity.SensitivityWarning
        ]
        sobol = res.to_frame()
        if uncertain:
            sobol = sobol[sobol.index.get_level_values("parameter").isin(uncertain)]

    start("value of information")
    evppi = ranking = drivers = headline = study_table = None
    m = len(nb) if evppi_draws is None else min(len(nb), int(evppi_draws))
    if inputs is not None:
        df = inputs if isinstance(inputs, pd.DataFrame) else pd.DataFrame(np.asarray(inputs))
        cols = [c for c in df.columns if c in uncertain] or list(df.columns)
        df = df[cols].iloc[:m]
        df = df.loc[:, (df.max() > df.min()).to_numpy()]
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always", voi.EVPPIWarning)
            evppi = voi.research_priorities(nb[:m], df, method=evppi_method, rng=gen)
        notes += [str(w.message) for w in rec if w.category is voi.EVPPIWarning]

    start("expert disagreement and convergence")
    experts = None
    pooled = _linear_pools(params)
    if pooled and inputs is not None:
        missing = [p for p in pooled if p not in getattr(inputs, "columns", ())]
        if missing:
            notes.append(
                "expert disagreement not analysed: no draws for the pooled parameter(s) "
                + ", ".join(missing)
            )
        else:
            from model.inputs.parameters import expert_indicators

            seeds = gen.integers(2**63, size=2)  # before the headline VOI, ranking, drivers
            idx = expert_indicators(params, inputs, rng=int(seeds[0]))
            sizes = {p: len(params[p].experts) for p in idx}
            experts = expert_evppi(nb, idx, names=names, n_experts=sizes, rng=int(seeds[1]))
            experts.insert(0, "experts", [tuple(e.name for e in params[p].experts) for p in idx])
            experts.insert(1, "weights", [tuple(e.weight for e in params[p].experts) for p in idx])
            if evppi is not None:
                experts["evppi_value"] = evppi["evppi"].reindex(experts.index)

    start("headline VOI, global ranking, drivers and sample information")
    if evppi is not None:  # after the expert seeds: adding these moves no earlier result
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always", voi.EVPPIWarning)
            warnings.simplefilter("always", sensitivity.SensitivityWarning)
            headline = _headline(nb[:m], df, evppi, lead, evppi_method, gen)
            headline.attrs["decision"] = pair
            margin = nb[:m, lead[0]] - nb[:m, lead[1]]
            ranking = sensitivity.global_ranking(df, margin, max_draws=RANKING_DRAWS, rng=gen)
            study = proposed_study(df, headline.drop(index="(all inputs)"))
            if study is not None:
                study_table = evsi.enbs(nb[:m, lead], df, study, STUDY_SIZES, rng=gen)
                study_table.attrs |= {"cost": STUDY_COST, "decision": pair}
        notes += [f"headline decision: {w.message}" for w in rec if w.category is voi.EVPPIWarning]
        notes += [str(w.message) for w in rec if w.category is sensitivity.SensitivityWarning]
        keep = np.sort(gen.permutation(m)[:RANKING_DRAWS])
        sample = df.iloc[keep]
        box = discovery.discover(nb[keep], names, sample, int(lead[1]), int(lead[0])).chosen
        drivers = decision_drivers(
            tornado=tornado,
            switching=switching,
            evppi=evppi,
            prim=prim_restrictions(box, sample),
            delta=ranking,
        )

    conv = sensitivity.convergence(nb, names)
    if conv.warning:
        notes.append(conv.warning)
    total = decision.evpi(nb)
    if summary["prob_best"].max() < 0.5:
        notes.append(
            f"no option is best in more than half of the draws "
            f"(max P(best) = {summary['prob_best'].max():.2f})"
        )
    return Analysis(
        summary=summary,
        evpi=total,
        ceac=ceac,
        ceaf=ceaf,
        icers=icers,
        tornado=tornado,
        switching_values=switching,
        sobol=sobol,
        evppi=evppi,
        convergence=conv.table,
        warnings=tuple(notes),
        experts=experts,
        evppi_draws=m if evppi is not None else None,
        global_ranking=ranking,
        drivers=drivers,
        headline=headline,
        evsi=study_table,
    )


def _headline(nb, inputs, evppi, lead, method, rng) -> pd.DataFrame:
    """EVPI and EVPPI (ten leading inputs) of the choice between the two leading options."""
    pair = nb[:, lead]
    table = voi.research_priorities(pair, inputs[list(evppi.index[:10])], method=method, rng=rng)
    total = decision.evpi(pair)
    loss = pair.max(axis=1) - pair[:, int(np.argmax(pair.mean(axis=0)))]
    se = float(loss.std(ddof=1) / np.sqrt(len(loss)))  # Monte Carlo SE of EVPI
    top = pd.DataFrame(
        {"evppi": [total], "se": [se], "share_of_evpi": [1.0]}, index=["(all inputs)"]
    )
    cols = ["evppi", "se", "share_of_evpi", "noise", "within_noise"]
    return pd.concat([top, table[cols]]).rename_axis("parameter")


def proposed_study(inputs: pd.DataFrame, evppi: pd.DataFrame) -> evsi.Study | None:
    """A study of the leading EVPPI input that clears the noise control (None if none does).

    A share (draws in [0, 1]) is surveyed: each respondent answers yes with that
    probability (binomial). A positive quantity is measured on the log scale, any other on
    its own scale, with normal error whose sd per respondent equals the spread of the
    current draws (one respondent tells as much as the prior). Cost: ``STUDY_COST``.
    """
    clear = evppi[~evppi["within_noise"].astype(bool)] if "within_noise" in evppi else evppi
    clear = clear[clear["evppi"] > 0]
    if not len(clear):
        return None
    name = str(clear.index[0])
    x = inputs[name].to_numpy(dtype=float)
    if x.min() >= 0 and x.max() <= 1:
        measure = evsi.Measure(name, "binomial")
    elif x.min() > 0:
        measure = evsi.Measure(name, "normal", sd=float(np.log(x).std()), log=True)
    else:
        measure = evsi.Measure(name, "normal", sd=float(x.std()))
    fixed, per = STUDY_COST
    return evsi.Study((measure,), cost_fixed=fixed, cost_per_unit=per, name=f"study of {name}")


def _linear_pools(params) -> list[str]:
    """Names of the linearly pooled parameters of ``params`` (duck-typed; [] if none)."""
    out = []
    for n in list(getattr(params, "names", []) or []):
        try:
            p = params[n]
        except (TypeError, KeyError):
            return []
        if getattr(p, "experts", ()) and getattr(p.dist, "method", None) == "linear":
            out.append(n)
    return out


def expert_evppi(
    nb, indicators, *, names=None, n_experts=None, n_noise: int = 20, rng=0
) -> pd.DataFrame:
    """Value of learning which expert is right, exactly, for discrete expert indicators.

    For an indicator ``e`` taking values 0..m-1 the EVPPI is
    ``sum_e P(e) max_a E[NB_a | e] - max_a E[NB_a]``, estimated from the group means of the
    draws. A regression smoother (:func:`model.analysis.voi.evppi`) is built for continuous inputs;
    on a discrete one the group means are the exact conditional expectations.

    Parameters
    ----------
    nb : array_like, (n, k)
        Net benefit draws, draws on axis 0.
    indicators : pandas.DataFrame, (n, p)
        0-based expert index per draw (:func:`model.inputs.parameters.expert_indicators`).
    names : sequence of str, optional
        Option names for ``best_by_expert`` (default ``0..k-1``).
    n_experts : dict, optional
        Number of experts per column (default: largest index seen + 1).
    n_noise : int
        Random relabellings of each indicator (same group sizes) whose mean EVPPI is the
        estimator's upward bias when the experts do not matter (``noise``); 0 skips it.
    rng : int or numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        Index ``parameter``; columns ``evppi``, ``share_of_evpi``, ``noise``,
        ``best_by_expert`` (tuple of option names, one per expert; None for an expert with no
        draws), ``prob_expert`` (tuple: share of draws attributed to each expert).

    References
    ----------
    Strong, M. and Oakley, J. E. (2013). An efficient method for computing single-parameter
    partial expected value of perfect information. Medical Decision Making 33(6), 755-766.
    """
    x = decision.as_matrix(nb, "nb")
    n, k = x.shape
    labels = [str(a) for a in (names if names is not None else range(k))]
    gen = np.random.default_rng(rng)
    total = decision.evpi(x)
    base = x.mean(axis=0).max()

    def value(e, m):
        counts = np.bincount(e, minlength=m)
        sums = np.zeros((m, k))
        np.add.at(sums, e, x)
        seen = counts > 0
        return float(sums[seen].max(axis=1).sum() / n - base), counts, sums

    rows = []
    for col in indicators.columns:
        e = np.asarray(indicators[col], dtype=np.intp)
        if e.shape != (n,) or (e < 0).any():
            raise ValueError(
                f"expert indicator {col!r}: need {n} non-negative integers (one per draw), "
                f"got shape {e.shape} with minimum {e.min() if e.size else 'n/a'}"
            )
        m = max(int(e.max()) + 1, int((n_experts or {}).get(col, 0)))
        val, counts, sums = value(e, m)
        noise = (
            float(np.mean([value(gen.permutation(e), m)[0] for _ in range(n_noise)]))
            if n_noise
            else np.nan
        )
        best = tuple(labels[int(np.argmax(sums[i]))] if counts[i] else None for i in range(m))
        if len({b for b in best if b is not None}) <= 1:
            val = 0.0  # the same choice under every expert: exactly zero (not rounding error)
        val = min(max(val, 0.0), total)
        rows.append((col, val, val / total if total > 0 else 0.0, noise, best, tuple(counts / n)))
    cols = ["parameter", "evppi", "share_of_evpi", "noise", "best_by_expert", "prob_expert"]
    return pd.DataFrame(rows, columns=cols).set_index("parameter")
