"""Orchestration: load params -> sample chunks -> evaluate -> reduce into ``Results``.

Chunks are independent tasks (any ``concurrent.futures.Executor`` may run them) merged in a fixed
order, so results are bit-identical whatever the chunk count, executor or number of workers.
"""

from __future__ import annotations

import itertools
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.decision import evpi, prob_best, prob_negative
from model.errors import HeadwaterError
from model.inputs.parameters import ParameterSet
from model.inputs.sampling import Sampler, seed_entropy
from model.regulation import PAYERS, Outcomes, RegulationModel, build_model, calibration, evaluate
from model.study.background import can_fork, in_background, shared_empty
from model.study.executors import map_tasks, worker_count
from model.study.finite import check_finite
from model.study.runtime import tune_allocator
from model.study.summaries import ALPHA, X_MIN, Moments, Summary, Tallies

TASKS_PER_WORKER = 4
#: Draws whose by-year sums are folded one draw at a time before the blocks' sums are added in
#: order: chunks are cut at these boundaries and tasks hold whole blocks, so the sums are the
#: same whatever the chunk size, task size or executor.
BLOCK = 8192
KEEP = ("draws", "summary")

__all__ = [
    "KEEP",
    "Results",
    "SummaryResults",
    "run_chunk",
    "run_task",
    "simulate",
    "warm_tables",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("headwater")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def run_chunk(
    sampler: Sampler,
    regulation: RegulationModel,
    start: int,
    stop: int,
    into: tuple[np.ndarray, Outcomes] | None = None,
    by_year: np.ndarray | None = None,
    sampled: bool = False,
):
    """One task: draws rows start..stop and evaluates every approach on them.

    ``into`` (a run's draws and :meth:`Outcomes.empty` tables, serial runs only) receives
    the chunk in place; the views are returned; ``sampled``: its draws are already made, so
    they are read rather than drawn again. ``by_year`` (k, H, T) receives the by-year
    sums folded draw by draw (see :func:`model.regulation.evaluate`). A non-finite net benefit
    is a one-line error naming the parameter responsible (:func:`check_finite`).
    """
    if into is None:
        draws = sampler.chunk(start, stop)
        out = None
    else:
        draws = into[0][start:stop]
        if not sampled:
            sampler.chunk(start, stop, out=draws)
        out = into[1].rows(start, stop)
    values = dict(zip(sampler.params.names, draws.T, strict=True))
    outcomes = evaluate(regulation, values, out=out, by_year=by_year)
    check_finite(sampler.params, regulation, draws, outcomes.net_benefit)
    return draws, outcomes


def run_task(
    sampler: Sampler,
    regulation: RegulationModel,
    start: int,
    stop: int,
    keep: str = "draws",
    into: tuple[np.ndarray, Outcomes] | None = None,
    sampled: bool = False,
):
    """One task: the chunks of ``sampler.chunk_size`` rows in start..stop, one after another,
    cut at every :data:`BLOCK` boundary too when draws are kept (``into``, ``sampled``: see
    :func:`run_chunk`).

    ``start`` must be a block boundary (``keep="draws"``) or a chunk boundary. Returns
    (``keep="draws"``) a list of ``(draws, outcomes)`` per chunk (written in place when
    ``into`` is given, see :func:`run_chunk`) and the by-year sums of each block, to be added
    in order; or (``keep="summary"``)
    ``(moments, tallies)``: one :class:`Moments` per chunk, merged later in chunk order, and
    the chunks' :class:`Tallies` merged (exact).
    """
    tune_allocator()  # in each worker process too
    c = int(sampler.chunk_size)
    blocks_at = range(start, stop, BLOCK) if keep == "draws" else ()
    bounds = list(itertools.pairwise(sorted({*range(start, stop, c), *blocks_at, stop})))
    if keep == "draws":
        k, h = len(regulation.approaches), len(regulation.harm_names)
        blocks: dict[int, np.ndarray] = {}
        chunks = []
        for a, b in bounds:
            acc = blocks.setdefault(a // BLOCK, np.zeros((k, h, regulation.settings.horizon_years)))
            chunks.append(run_chunk(sampler, regulation, a, b, into, acc, sampled))
        return chunks, list(blocks.values())
    moments: list[Moments] = []
    tallies: Tallies | None = None
    for a, b in bounds:
        s = Summary.of(run_chunk(sampler, regulation, a, b)[1])
        moments.append(s.moments)
        tallies = s.tallies if tallies is None else tallies.merge(s.tallies)
    return moments, tallies


def _task_bounds(
    n: int, chunk_size: int, executor, task_size: int | None, unit: int
) -> list[tuple]:
    """Task row ranges: whole ``unit`` s of draws, about 4 tasks per worker on an executor."""
    n_chunks = -(-n // chunk_size)
    if task_size is not None:
        per_task = max(1, -(-int(task_size) // chunk_size))
    elif executor is None:
        per_task = 1
    else:
        per_task = max(1, -(-n_chunks // (TASKS_PER_WORKER * worker_count(executor))))
    step = -(-per_task * chunk_size // unit) * unit
    return [(a, min(a + step, n)) for a in range(0, n, step)]


@dataclass(frozen=True)
class Results:
    """Every approach on the same draws. Arrays are (n, k[, ...]), approaches on axis 1."""

    params: ParameterSet
    regulation: RegulationModel
    draws: np.ndarray  # (n, d) parameter values in data units, columns = params.names
    outcomes: Outcomes
    provenance: dict = field(repr=False)

    def __post_init__(self):
        for f in fields(Outcomes):
            value = getattr(self.outcomes, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
        self.draws.setflags(write=False)

    # -- names and the arrays analysts use most -------------------------------------------------
    @property
    def approaches(self) -> tuple[str, ...]:
        return self.outcomes.approaches

    @property
    def labels(self) -> dict[str, str]:
        return {a.key: a.label for a in self.regulation.approaches}

    @property
    def harms(self) -> tuple[str, ...]:
        return self.outcomes.harms

    @property
    def n(self) -> int:
        return self.draws.shape[0]

    @property
    def net_benefit(self) -> np.ndarray:
        """(n, k) present value net benefit, incremental to the status quo."""
        return self.outcomes.net_benefit

    @cached_property
    def costs(self) -> np.ndarray:
        """(n, k) total social cost: compliance burden of all payers plus innovation cost."""
        return self.outcomes.burden.sum(axis=2) + self.outcomes.innovation_cost

    @cached_property
    def effects(self) -> np.ndarray:
        """(n, k) risk reduction in money, summed over harms."""
        return self.outcomes.risk_reduction.sum(axis=2)

    @cached_property
    def inputs(self) -> pd.DataFrame:
        """The uncertain parameters' draws, one column each (fixed parameters left out)."""
        return self.params.uncertain_frame(self.draws)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Net benefit (m, k) for input rows ``x`` (m, d) in ``params.names`` order."""
        x = np.asarray(x, dtype=float)
        return evaluate(self.regulation, dict(zip(self.params.names, x.T, strict=True))).net_benefit

    def evaluator(self, approaches: Sequence[str]):
        """A function like :meth:`evaluate` for ``approaches`` only (their columns, in that
        order; each against the status quo as always): sensitivity analyses that read two
        approaches evaluate two, not all."""
        chosen = tuple(self.regulation.approaches[self.approaches.index(a)] for a in approaches)
        regulation = replace(self.regulation, approaches=chosen)
        names = self.params.names

        def evaluate_chosen(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=float)
            return evaluate(regulation, dict(zip(names, x.T, strict=True))).net_benefit

        return evaluate_chosen

    @property
    def evpi(self) -> float:
        """Expected value of perfect information, E[max_j NB_j] - max_j E[NB_j]."""
        return evpi(self.net_benefit)

    @property
    def prob_negative(self) -> pd.Series:
        """P(net benefit < 0) per approach."""
        return pd.Series(prob_negative(self.net_benefit), index=self.approaches)

    # -- tables -----------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per approach: net benefit mean, median, p05, p95, MC standard error, P(best)
        (ties split, :func:`model.decision.prob_best`)."""
        nb = self.net_benefit
        return pd.DataFrame(
            {
                "approach": self.approaches,
                "mean": nb.mean(axis=0),
                "median": np.median(nb, axis=0),
                "p05": np.quantile(nb, 0.05, axis=0),
                "p95": np.quantile(nb, 0.95, axis=0),
                "mcse": nb.std(axis=0, ddof=1) / np.sqrt(self.n),
                "prob_best": prob_best(nb),
            }
        ).set_index("approach")

    def components(self) -> pd.DataFrame:
        """Mean and 90% interval of every outcome component, one row per approach."""
        o = self.outcomes
        columns = {"net_benefit": o.net_benefit, "risk_reduction": self.effects}
        columns |= {
            f"risk_reduction_{h}": o.risk_reduction[:, :, i] for i, h in enumerate(self.harms)
        }
        columns |= {f"burden_{p}": o.burden[:, :, i] for i, p in enumerate(PAYERS)}
        columns |= {
            "innovation_cost": o.innovation_cost,
            "transfers": o.transfers,
            "regulated_entities": o.entities,
        }
        columns |= {f"residual_{h}": o.residual_harm[:, :, i] for i, h in enumerate(self.harms)}
        rows = {}
        for name, x in columns.items():
            rows[(name, "mean")] = x.mean(axis=0)
            rows[(name, "p05")] = np.quantile(x, 0.05, axis=0)
            rows[(name, "p95")] = np.quantile(x, 0.95, axis=0)
        for i, h in enumerate(self.harms):
            rows[(f"p_exceeds_{h}", "mean")] = o.exceeds_acceptable[:, :, i].mean(axis=0)
        table = pd.DataFrame(rows, index=pd.Index(self.approaches, name="approach"))
        return table

    def class_burden(self, approach: str) -> pd.DataFrame:
        """What ``approach`` costs each class of downstream developer: developers regulated in
        the final year (mean), PV of their compliance cost (mean, p05, p95), the annual cost per
        regulated developer in the final year (ratio of means), and the PV cost as a share of
        the PV value the class creates (ratio of means: the small-firm lens)."""
        o, j = self.outcomes, self.approaches.index(approach)
        labels = {c.key: c.label for c in self.regulation.classes}
        burden, value = o.class_burden[:, j], o.class_value
        developers = o.class_entities[:, j].mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_developer = o.class_annual_cost[:, j].mean(axis=0) / developers
            share = burden.mean(axis=0) / value.mean(axis=0)
        return pd.DataFrame(
            {
                "label": [labels.get(k, "All downstream developers") for k in o.classes],
                "developers": developers,
                "burden_mean": burden.mean(axis=0),
                "burden_p05": np.quantile(burden, 0.05, axis=0),
                "burden_p95": np.quantile(burden, 0.95, axis=0),
                "annual_cost_per_developer": np.where(developers > 0, per_developer, np.nan),
                "cost_share_of_value": share,
            },
            index=pd.Index(o.classes, name="developer_class"),
        )

    def calibration(self) -> pd.DataFrame:
        """Bottom-up harm in year 0 against its top-down reference range, per harm."""
        values = dict(zip(self.params.names, self.draws.T, strict=True))
        rows = []
        for harm, (bottom_up, reference) in calibration(self.regulation, values).items():
            lo, mid, hi = np.quantile(bottom_up, [0.05, 0.5, 0.95])
            rlo, rmid, rhi = np.quantile(reference, [0.05, 0.5, 0.95])
            rows.append(
                {
                    "harm": harm,
                    "bottom_up_p05": lo,
                    "bottom_up_median": mid,
                    "bottom_up_p95": hi,
                    "reference_p05": rlo,
                    "reference_median": rmid,
                    "reference_p95": rhi,
                    "median_inside_reference": bool(rlo <= mid <= rhi),
                }
            )
        return pd.DataFrame(rows).set_index("harm")

    def marginal_values(self) -> pd.DataFrame:
        """Mean net benefit of adding each instrument to each portfolio that lacks it.

        Meaningful for results simulated with ``portfolios=True``; rows: portfolio, instrument,
        marginal mean, P(marginal > 0).
        """
        sets = {a.key: frozenset(a.instruments) for a in self.regulation.approaches}
        index = {s: k for k, s in sets.items()}
        nb = self.net_benefit
        rows = []
        for j, (key, base) in enumerate(sets.items()):
            for inst in self.regulation.instruments:
                grown = index.get(base | {inst})
                if inst in base or grown is None:
                    continue
                delta = nb[:, self.approaches.index(grown)] - nb[:, j]
                rows.append(
                    {
                        "portfolio": key,
                        "instrument": inst,
                        "marginal_mean": delta.mean(),
                        "prob_positive": (delta > 0).mean(),
                    }
                )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class SummaryResults:
    """Every approach on the same draws, kept as mergeable summaries (``keep="summary"``).

    Same tables as :class:`Results` (``summary()``, ``components()``) without per-draw arrays.
    Means, MC standard errors, probabilities and the EVPI equal draws mode up to rounding;
    medians and 5/95% quantiles come from a sketch with relative accuracy
    :data:`model.study.summaries.ALPHA` (0.5%; bound stated in :mod:`model.study.summaries`).
    """

    params: ParameterSet
    regulation: RegulationModel
    stats: Summary
    provenance: dict = field(repr=False)

    @property
    def approaches(self) -> tuple[str, ...]:
        return self.stats.approaches

    @property
    def labels(self) -> dict[str, str]:
        return {a.key: a.label for a in self.regulation.approaches}

    @property
    def harms(self) -> tuple[str, ...]:
        return self.stats.harms

    @property
    def n(self) -> int:
        return self.stats.n

    @property
    def evpi(self) -> float:
        """Expected value of perfect information, E[max_j NB_j] - max_j E[NB_j]."""
        return self.stats.evpi

    @property
    def prob_negative(self) -> pd.Series:
        """P(net benefit < 0) per approach."""
        return pd.Series(self.stats.prob_negative, index=self.approaches)

    @property
    def risk_reduction_by_year(self) -> np.ndarray:
        """(k, H, T) risk reduction summed over draws (divide by ``n`` for the mean)."""
        return self.stats.moments.risk_reduction_by_year

    def summary(self) -> pd.DataFrame:
        """One row per approach: net benefit mean, median, p05, p95, MC standard error, P(best)."""
        s = self.stats
        return pd.DataFrame(
            {
                "approach": self.approaches,
                "mean": s.mean("net_benefit"),
                "median": s.quantile("net_benefit", 0.5),
                "p05": s.quantile("net_benefit", 0.05),
                "p95": s.quantile("net_benefit", 0.95),
                "mcse": s.mcse("net_benefit"),
                "prob_best": s.prob_best,
            }
        ).set_index("approach")

    def components(self) -> pd.DataFrame:
        """Mean and 90% interval of every outcome component, one row per approach."""
        s = self.stats
        rows = {}
        for name in s.components:
            rows[(name, "mean")] = s.mean(name)
            rows[(name, "p05")] = s.quantile(name, 0.05)
            rows[(name, "p95")] = s.quantile(name, 0.95)
        for i, h in enumerate(self.harms):
            rows[(f"p_exceeds_{h}", "mean")] = s.prob_exceeds[:, i]
        return pd.DataFrame(rows, index=pd.Index(self.approaches, name="approach"))


#: Memory a run holds per kept draw, as a multiple of its result tables (the analysis and the
#: report work on copies of a few of them).
MEMORY_FACTOR = 3


def available_memory() -> int:
    """Bytes this machine can still give a process (MemAvailable, else physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(regulation: RegulationModel, n_params: int, n: int) -> None:
    """Refuse a draws-mode run whose tables cannot fit in this machine's memory."""
    k, h = len(regulation.approaches), len(regulation.harm_names)
    c = len(regulation.class_names)
    # see Outcomes.empty: per-draw tables by approach, harm, payer and developer class
    per_draw = 8 * (n_params + 2 * k * h + 8 * k + h + 3 * k * c + c) + k * h
    free = available_memory()
    fits = free // (MEMORY_FACTOR * per_draw)
    if n > fits:
        raise HeadwaterError(
            f"n = {n:,} draws need about {MEMORY_FACTOR * per_draw * n / 2**30:,.1f} GiB of "
            f"memory and {free / 2**30:,.1f} GiB is available; use n <= {fits:,} "
            "(or keep='summary' from Python)"
        )


def simulate(
    params: ParameterSet,
    *,
    n: int,
    rng: int | np.random.SeedSequence | None = None,
    design: str = "sobol",
    chunk_size: int = 8192,
    executor=None,
    portfolios: bool | Sequence[Sequence[str]] = False,
    progress: bool = False,
    keep: str = "draws",
    task_size: int | None = None,
    draws: np.ndarray | None = None,
) -> Results | SummaryResults:
    """Evaluate every approach on the same ``n`` draws (common random numbers).

    Parameters
    ----------
    params : ParameterSet
        From ``load_params``.
    n : int
        Number of draws.
    rng : int, SeedSequence or None
        Seed (None: fresh entropy, recorded in ``provenance``).
    design : {"sobol", "lhs", "random"}
    chunk_size : int
        Draws evaluated at a time (~8k keeps temporaries in cache; chunks are also cut at
        every :data:`BLOCK` draws). It does not change draws, outcomes or draws-mode tables,
        by-year sums included; in summary mode it sets the order in which means and variances
        are merged, so it changes them in the last bits only (~1e-15 relative).
    executor : concurrent.futures.Executor, optional
        Runs tasks (processes, a Dask client's executor, ...; see
        :func:`model.study.executors.executor_from_spec`); default serial. Results are bit-identical
        whatever the executor and its number of workers.
    portfolios : bool or sequence of instrument-key tuples
        True: evaluate every admissible combination of the declared instruments instead of the
        named approaches; a sequence: evaluate those combinations (status quo included if given).
    progress : bool
        Show a progress bar over tasks.
    keep : {"draws", "summary"}
        ``"draws"`` keeps every draw and outcome (:class:`Results`); ``"summary"`` keeps mergeable
        summaries only (:class:`SummaryResults`), with memory bounded by ``chunk_size``
        whatever ``n``.
    task_size : int, optional
        Draws per task, rounded up to whole blocks (:data:`BLOCK`; whole chunks in summary
        mode). Default: one block (chunk) serially, else
        ``n / (4 x workers)`` so that each task is coarse (the sampler and model are sent once
        per task).
    draws : array (n, len(params.names)), optional
        The draws these arguments make, already made (a portfolio search's,
        :attr:`model.study.portfolios.PortfolioSearch.draws`): a serial run keeping draws
        takes them as its draws table instead of sampling again. Their first row is checked.

    Returns
    -------
    Results or SummaryResults
    """
    started = time.perf_counter()
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {KEEP}; got {keep!r}")
    regulation = build_model(params)
    if portfolios is True:
        regulation = regulation.with_portfolios()
    elif portfolios:
        regulation = regulation.with_portfolios([tuple(c) for c in portfolios])
    if keep == "draws":
        check_memory(regulation, len(params.names), int(n))
    sampler = Sampler(params, int(n), design, seed_entropy(rng), int(chunk_size))
    unit = BLOCK if keep == "draws" else int(chunk_size)  # draws: whole blocks, see run_task
    tasks = _task_bounds(sampler.n, int(chunk_size), executor, task_size, unit)
    if executor is not None:
        warm_tables(params)
    in_place = keep == "draws" and executor is None
    split = in_place and len(tasks) > 1 and can_fork()  # the later tasks on a second CPU
    sampled = draws is not None
    if sampled:
        _check_draws(draws, sampler, in_place)
    into = None  # a run's tables, allocated once; serial chunks are written in place
    if keep == "draws":
        empty = shared_empty if split else np.empty
        into = (
            draws if sampled else empty((sampler.n, len(params.names)), order="F"),
            Outcomes.empty(regulation, n, empty=empty),
        )
    args = [
        (sampler, regulation, a, b, keep, into if in_place else None, sampled) for a, b in tasks
    ]
    if in_place:
        blocks_of_tasks = _in_place(args, progress, split)
    else:
        results = map_tasks(run_task, args, executor, progress)
    provenance = {
        "package_version": _version(),
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "params": params.name,
        "files": {str(k): v for k, v in params.file_hashes.items()},
        "seed": sampler.seed,
        "design": design,
        "n": int(n),
        "chunk_size": int(chunk_size),
        "portfolios": (
            portfolios
            if isinstance(portfolios, bool)
            else [list(a.instruments) for a in regulation.approaches]
        ),
        "keep": keep,
        "tasks": len(tasks),
        "executor": "serial" if executor is None else type(executor).__name__,
    }
    if keep == "draws":
        draws, outcomes = into
        if not in_place:
            blocks_of_tasks = []
            row = 0
            for chunks, blocks in results:
                for chunk_draws, part in chunks:
                    stop = row + len(chunk_draws)
                    draws[row:stop] = chunk_draws
                    outcomes.rows(row, stop).write(part)
                    row = stop
                blocks_of_tasks.append(blocks)
        for blocks in blocks_of_tasks:  # in task order: by-year sums added in one order always
            for block in blocks:
                outcomes.risk_reduction_by_year[...] += block
        provenance |= _timing(started)
        return Results(params, regulation, draws, outcomes, provenance)
    moments: Moments | None = None
    tallies: Tallies | None = None
    for chunk_moments, task_tallies in results:
        for m in chunk_moments:  # in chunk order: bit-identical whatever the task grouping
            moments = m if moments is None else moments.merge(m)
        tallies = task_tallies if tallies is None else tallies.merge(task_tallies)
    stats = Summary(regulation.approach_names, regulation.harm_names, moments, tallies)
    provenance |= _timing(started) | {"sketch_alpha": ALPHA, "sketch_x_min": X_MIN}
    return SummaryResults(params, regulation, stats, provenance)


def _in_place(args: list[tuple], progress: bool, split: bool) -> list[list[np.ndarray]]:
    """Run serial tasks that write a run's tables in place, the later half in a forked child
    (``split``: the tables are in shared memory) while this process runs the first half.
    Returns each task's by-year sums, in task order: the run is bit-identical to one process
    running every task."""
    if not split:
        return [blocks for _, blocks in map_tasks(run_task, args, None, progress)]
    half = len(args) // 2
    warm_tables(args[0][0].params)  # built once, before the fork

    def later() -> list[list[np.ndarray]]:
        return [run_task(*a)[1] for a in args[half:]]

    with in_background(later) as pending:
        first = [blocks for _, blocks in map_tasks(run_task, args[:half], None, progress)]
        return first + pending.result()


def _check_draws(draws: np.ndarray, sampler: Sampler, in_place: bool) -> None:
    """Raise ValueError unless ``draws`` can be a serial run's draws table for ``sampler``."""
    if not in_place:
        raise ValueError("draws are reused by serial runs that keep draws only")
    sampler.check(draws)


def warm_tables(params: ParameterSet) -> None:
    """Build the distributions' inverse-CDF tables here, once: they then travel with ``params``
    to every task instead of being rebuilt by each worker."""
    params.transform(np.full((1, len(params.uncertain_names)), 0.5))


def _timing(started: float) -> dict:
    return {
        "run_seconds": time.perf_counter() - started,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
