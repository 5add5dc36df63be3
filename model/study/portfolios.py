"""The best portfolio of instruments: screen every admissible combination, then confirm the
leaders on all draws with common random numbers.

Every admissible portfolio's net benefit is computed exactly, sharing work between portfolios
(:func:`model.regulation.factorial.portfolio_net_benefit`, ~20x faster per portfolio than a
full evaluation), on the first ``screen_n`` draws of the run's own design. Those not clearly
worse than the screening leader (paired difference within ``z`` standard errors), the
``keep_top`` best, the best of each mix of options and every declared approach are then
evaluated on all ``n`` draws by the same method (their net benefit). ``headwater run`` screens
(:func:`screen_portfolios`), runs the declared approaches with the screen's leader on all
draws, and confirms on that run's draws (:func:`confirm_portfolios`). With the Sobol and
random designs the screening draws are the first ``screen_n`` draws of the confirmation run
itself (the same seed), so the two stages share their random numbers; the LHS design has no
such prefix and screens on a design of its own. ``screen_n >= n`` screens every portfolio on
every draw (the exact factorial, chunk by chunk, holding only sums).

The seed paper asks which mix of its three options is warranted: (A) direct duties on
downstream developers (on all of them or above a threshold), (B) duties on upstream developers
to mitigate modification risk, (C) other tools such as clarified liability and voluntary
guidance. Each portfolio belongs to one mix (the options its instruments come from); the best
portfolio of each mix is always confirmed, and :meth:`PortfolioSearch.mixes` answers the
paper's question on all draws, with its value of information in :meth:`PortfolioSearch.mix_voi`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from model.analysis.decision import evpi, prob_best
from model.analysis.voi import EVPPIWarning, evppi
from model.inputs.parameters import ParameterSet, freeze
from model.inputs.sampling import Sampler, seed_entropy
from model.regulation import RegulationModel, build_model
from model.regulation.factorial import portfolio_net_benefit
from model.study.background import on_two_cores, shared_empty
from model.study.runtime import tune_allocator
from model.study.simulate import check_memory

__all__ = [
    "OPTIONS",
    "OPTION_OF_TYPE",
    "PortfolioSearch",
    "Screen",
    "Screening",
    "confirm_portfolios",
    "mix_of",
    "screen_portfolios",
    "search_portfolios",
    "with_best_portfolio",
]

#: Draws the EVPPI of the choice between mixes uses at most (the EVPI uses all).
MIX_VOI_DRAWS = 16_384
#: Key of the approach :func:`with_best_portfolio` adds.
BEST = "best_portfolio"

#: The seed paper's three options.
OPTIONS = {
    "A": "direct duties on downstream developers",
    "B": "duties on upstream developers",
    "C": "other tools (liability, guidance)",
}
#: The options in two words, for labels.
SHORT = {"A": "direct duties", "B": "upstream duties", "C": "other tools"}
#: Which option each instrument type belongs to.
OPTION_OF_TYPE = {
    "downstream_obligation": "A",
    "adaptive": "A",
    "service_enforcement": "A",
    "upstream_controls": "B",
    "licence_terms": "B",
    "structured_access": "B",
    "finetune_monitoring": "B",
    "tamper_resistance": "B",
    "modification_evaluation": "B",
    "information_duties": "B",
    "hosting_duties": "B",
    "liability": "C",
    "voluntary_guidance": "C",
}


def mix_of(instrument_types: list[str] | tuple[str, ...]) -> str:
    """The mix of options a portfolio's instrument types make, e.g. ``"A+B"`` ("" = none)."""
    unknown = [t for t in instrument_types if t not in OPTION_OF_TYPE]
    if unknown:
        raise ValueError(
            f"instrument type {unknown[0]!r} belongs to no option; add it to OPTION_OF_TYPE"
        )
    return "+".join(sorted({OPTION_OF_TYPE[t] for t in instrument_types}))


def _duty(types: dict[str, str], combo) -> str:
    """The downstream duty a portfolio holds (its instrument key; "" for none)."""
    return next((i for i in combo if types[i] in ("downstream_obligation", "adaptive")), "")


def _mix_words(mix: str) -> str:
    return " + ".join(OPTIONS[o] for o in mix.split("+")) if mix else "status quo"


@dataclass(frozen=True)
class Screen:
    """Every portfolio's net benefit on the screening draws, (m, P), portfolios in
    ``combos`` order (their keys in ``keys``)."""

    net_benefit: np.ndarray
    keys: tuple[str, ...]
    combos: tuple[tuple[str, ...], ...]

    def marginal_values(self) -> pd.DataFrame:
        """Net benefit of adding each instrument to each portfolio that lacks it (when the
        grown portfolio is admissible): rows portfolio, instrument, marginal mean,
        P(marginal > 0) on the screening draws."""
        instruments = sorted({i for c in self.combos for i in c})
        bits = {inst: 1 << b for b, inst in enumerate(instruments)}
        # each portfolio as a bit mask of its instruments: the grown portfolio of every pair is
        # found by one sorted search per instrument instead of a set lookup per portfolio
        masks = np.array([sum(bits[i] for i in set(c)) for c in self.combos], dtype=np.int64)
        order = np.argsort(masks, kind="stable")
        ranked = masks[order]
        pairs = []  # (instrument, portfolios lacking it, the same with it)
        for inst in instruments:
            base = np.flatnonzero((masks & bits[inst]) == 0)
            wanted = masks[base] | bits[inst]
            at = np.searchsorted(ranked, wanted, side="right") - 1  # the last of equal sets
            ok = (at >= 0) & (ranked[np.maximum(at, 0)] == wanted)
            if ok.any():
                pairs.append((inst, base[ok], order[at[ok]]))
        if not pairs:
            return pd.DataFrame()
        base = np.concatenate([b for _, b, _ in pairs])
        grown = np.concatenate([g for _, _, g in pairs])
        nb = self.net_benefit
        means = nb.mean(axis=0)  # a marginal mean is a difference of two portfolios' means
        return pd.DataFrame(
            {
                "portfolio": np.asarray(self.keys)[base],
                "instrument": np.repeat([i for i, _, _ in pairs], [len(b) for _, b, _ in pairs]),
                "marginal_mean": means[grown] - means[base],
                "prob_positive": _share_greater(nb, grown, base),  # every pair in one pass
            }
        )


def _share_greater(
    nb: np.ndarray, a: np.ndarray, b: np.ndarray, rows: int = 16, block: int = 256
) -> np.ndarray:
    """Share of the rows of ``nb`` where column ``a[j]`` exceeds column ``b[j]``, for each j.

    Counted ``rows`` rows at a time, every pair's columns gathered from a slice that stays in
    cache (gathering whole columns of a row-major table reads a cache line per value: ~10x
    slower); a column-major table is read as rows of ``nb.T``, ``block`` pairs at a time.
    """
    if nb.flags.f_contiguous and not nb.flags.c_contiguous:
        columns, out = nb.T, np.empty(len(a))
        for s in range(0, len(a), block):
            greater = columns[a[s : s + block]] > columns[b[s : s + block]]
            out[s : s + block] = np.count_nonzero(greater, axis=1) / len(nb)
        return out
    counts = np.zeros(len(a), dtype=np.int64)
    for s in range(0, len(nb), rows):
        part = nb[s : s + rows]
        counts += np.count_nonzero(np.take(part, a, axis=1) > np.take(part, b, axis=1), axis=0)
    return counts / len(nb)


@dataclass(frozen=True)
class PortfolioSearch:
    """What :func:`search_portfolios` found (money in present value, the run's currency)."""

    #: Confirmed portfolios on all draws, best first: ``instruments`` (labels), ``size``,
    #: ``mean``, ``mcse``, ``median``, ``p05``, ``p95``, ``prob_best`` (among the confirmed),
    #: ``screen_mean``, ``declared`` (the declared approach with exactly these instruments,
    #: or ""), ``mix`` (the paper's options it draws on, e.g. "A+B"; "" = none) and ``duty``
    #: (the downstream duty it holds; "" = none).
    table: pd.DataFrame
    #: Every portfolio on the screening draws: ``mean``, ``gap`` (leader minus it, paired),
    #: ``gap_se`` and ``kept``.
    screening: pd.DataFrame
    #: Net benefit (n, confirmed) of every confirmed portfolio on all draws, in the order of
    #: ``regulation.approach_names``.
    net_benefit: np.ndarray
    #: The model whose approaches are the confirmed portfolios.
    regulation: RegulationModel
    #: Every parameter's draws (n, parameters) the confirmation used, and the parameter set
    #: (its ``names`` are the columns of ``draws``; see :meth:`inputs`).
    draws: np.ndarray
    params: ParameterSet
    #: Every portfolio on the screening draws (at most the first 4,096 when exact).
    screen: Screen
    n_screen: int
    n: int
    exact: bool

    def inputs(self, rows: int | None = None) -> pd.DataFrame:
        """The uncertain inputs' draws on the first ``rows`` draws (all by default)."""
        return self.params.uncertain_frame(self.draws[:rows])

    @property
    def best(self) -> str:
        """Key of the portfolio with the highest expected net benefit on all draws."""
        return str(self.table.index[0])

    def leading(self) -> tuple[tuple[str, ...], str]:
        """The best portfolio's instruments and the declared approach that has exactly them
        ("" if none)."""
        return self.instruments_of(self.best), str(self.table["declared"].iloc[0])

    @property
    def runner_up(self) -> str:
        return str(self.table.index[1]) if len(self.table) > 1 else ""

    def instruments_of(self, portfolio: str) -> tuple[str, ...]:
        """The instrument keys of a confirmed portfolio."""
        return self.regulation.approaches[self._index(portfolio)].instruments

    def contains(self, portfolio: str) -> list[str]:
        """Declared approaches whose instruments all belong to ``portfolio`` (its nesting)."""
        own = set(self.instruments_of(portfolio))
        named = self.table[self.table["declared"] != ""]
        return [
            name
            for key, name in zip(named.index, named["declared"], strict=True)
            if self.instruments_of(key) and set(self.instruments_of(key)) <= own
        ]

    def mixes(self) -> pd.DataFrame:
        """The paper's question on all draws: per mix of options, its best portfolio, with
        mean, median, 90% interval and P(best) among the mixes (status quo included)."""
        table = self._best_table("mix")
        table.insert(0, "options", [_mix_words(m) for m in table.index])
        return table.set_axis([m or "none" for m in table.index]).rename_axis("mix")

    def duties(self) -> pd.DataFrame:
        """Direct vs targeted duties vs none: per kind of downstream duty (all developers,
        above the compute threshold, a capability or a reach, adaptive, none), the best
        portfolio holding it, with mean, median, 90% interval and P(best) among them."""
        table = self._best_table("duty")
        labels = {k: i.label for k, i in self.regulation.instruments.items()}
        table.insert(0, "duty", [labels.get(k, "no downstream duty") for k in table.index])
        return table.set_axis([k or "none" for k in table.index]).rename_axis("duty_key")

    def mix_net_benefit(self) -> tuple[np.ndarray, list[str]]:
        """Net benefit (n, mixes) of each mix's best confirmed portfolio, and their keys."""
        return self._best_by("mix")

    def _best_by(self, column: str) -> tuple[np.ndarray, list[str]]:
        """Net benefit (n, groups) of the best confirmed portfolio of each value of
        ``column``, and their keys."""
        best = self.table.reset_index().groupby(column, sort=False).first()["portfolio"]
        keys = list(best)
        return self.net_benefit[:, [self._index(k) for k in keys]], keys

    def _best_table(self, column: str) -> pd.DataFrame:
        nb, keys = self._best_by(column)
        t = self.table.loc[keys]
        return pd.DataFrame(
            {
                "portfolio": keys,
                "instruments": t["instruments"].to_numpy(),
                "mean": t["mean"].to_numpy(),
                "mcse": t["mcse"].to_numpy(),
                "median": t["median"].to_numpy(),
                "p05": t["p05"].to_numpy(),
                "p95": t["p95"].to_numpy(),
                "prob_best": prob_best(nb),
            },
            index=pd.Index(t[column].to_numpy()),
        ).sort_values("mean", ascending=False, kind="stable")

    def mix_voi(
        self, *, top: int = 10, rng: int = 0, draws: int = MIX_VOI_DRAWS
    ) -> tuple[float, pd.DataFrame]:
        """EVPI of the choice between mixes (all draws), and the ``top`` inputs by EVPPI for
        that choice on the first ``draws`` draws, with standard errors (an estimate within two
        of them of zero is noise; the imprecision warnings are the caller's to state)."""
        nb, _ = self.mix_net_benefit()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EVPPIWarning)
            ev = evppi(nb[:draws], self.inputs(draws), rng=rng)
        return float(evpi(nb)), ev.sort_values("evppi", ascending=False).head(top)

    def describe(self) -> str:
        """How the search was done, in one sentence for the report."""
        total = len(self.screening)
        kept = (
            f"the {len(self.table)} not clearly worse than the leader (with the best of each "
            "mix of options and every declared approach) were confirmed"
        )
        if self.exact:
            return f"All {total} portfolios were evaluated exactly on all {self.n:,} draws; {kept}."
        return (
            f"All {total} portfolios were screened exactly on the first {self.n_screen:,} "
            f"draws; {kept} on all {self.n:,} draws with the same random numbers."
        )

    def _index(self, key: str) -> int:
        return self.regulation.approach_names.index(key)


@dataclass(frozen=True)
class Screening:
    """What the screen found (:func:`screen_portfolios`): every admissible portfolio on the
    screening draws and which of them go on to be confirmed on all the run's draws."""

    params: ParameterSet
    regulation: RegulationModel
    combos: tuple[tuple[str, ...], ...]
    #: Every portfolio: ``mean``, ``gap`` (leader minus it, paired), ``gap_se``, ``kept``,
    #: ``mix`` and ``duty``.
    table: pd.DataFrame
    screen: Screen
    #: The confirmation's draws: all ``n`` of the run's design and seed.
    sampler: Sampler
    n_screen: int
    exact: bool

    def leading(self) -> tuple[tuple[str, ...], str]:
        """The screen leader's instruments and the declared approach that has exactly them
        ("" if none)."""
        combo = self.combos[int(self.table["mean"].to_numpy().argmax())]
        return combo, _declared(self.regulation).get(frozenset(combo), "")


def screen_portfolios(
    params: ParameterSet,
    *,
    n: int,
    rng: int | None = 0,
    design: str = "sobol",
    screen_n: int = 4096,
    keep_top: int = 8,
    z: float = 3.0,
) -> Screening:
    """Screen every admissible portfolio on the first ``screen_n`` of a run's ``n`` draws and
    choose which to confirm on all of them (arguments as for :func:`search_portfolios`)."""
    tune_allocator()  # as simulate does: large temporaries stay on the heap
    regulation = build_model(params)
    check_memory(regulation, len(params.names), int(n))  # the confirmation holds every draw
    combos = tuple(regulation.portfolio_combinations())
    keys = tuple("+".join(c) or "status_quo" for c in combos)
    exact = screen_n >= n
    m = int(min(screen_n, n))
    seed = seed_entropy(rng)
    sampler = Sampler(params, int(n) if design != "lhs" or exact else m, design, seed)
    mean, gap, gap_se, kept_draws = _screen(sampler, regulation, combos, m)
    order = np.argsort(-mean, kind="stable")
    declared = _declared(regulation)
    kept = (gap <= z * gap_se) | np.isin(np.arange(len(combos)), order[:keep_top])
    kept |= np.array([frozenset(c) in declared for c in combos])
    kept[int(mean.argmax())] = True
    types = {k: i.type for k, i in regulation.instruments.items()}
    mixes = np.array([mix_of([types[i] for i in c]) for c in combos])
    duties = np.array([_duty(types, c) for c in combos])
    for groups in (mixes, duties):  # the best screened portfolio of every mix and duty
        for g in np.unique(groups):
            kept[np.flatnonzero(groups == g)[np.argmax(mean[groups == g])]] = True
    table = pd.DataFrame(
        {"mean": mean, "gap": gap, "gap_se": gap_se, "kept": kept, "mix": mixes, "duty": duties},
        index=pd.Index(keys, name="portfolio"),
    )
    # the screening's own draws (its first m) and the rest: common random numbers
    full = sampler if sampler.n == n else Sampler(params, int(n), design, seed)
    return Screening(
        params, regulation, combos, table, Screen(kept_draws, keys, combos), full, m, exact
    )


def confirm_portfolios(screening: Screening, draws: np.ndarray | None = None) -> PortfolioSearch:
    """Confirm the portfolios the screen kept on all the run's draws (common random numbers),
    each by :func:`~model.regulation.factorial.portfolio_net_benefit` (one method for every
    portfolio: portfolios that tie on every draw tie exactly).

    ``draws``: the run's draws (n, parameters), already made by a run with the same n, seed
    and design (``Results.draws``), read instead of sampled again (their first row is checked).
    Without them, they are made here, into shared memory, each core sampling the rows it
    confirms (a run can take them: ``simulate(..., draws=found.draws)``)."""
    params, regulation, full = screening.params, screening.regulation, screening.sampler
    n = full.n
    kept = screening.table["kept"].to_numpy()
    confirmed = [c for c, k in zip(screening.combos, kept, strict=True) if k]
    model = regulation.with_portfolios(confirmed)
    sampled = draws is not None
    if sampled:
        full.check(draws)
    else:
        draws = shared_empty((n, len(params.names)), order="F")

    def confirm(start: int, stop: int) -> np.ndarray:  # chunk by chunk: bounded temporaries
        parts = []
        for a in range(start, stop, full.chunk_size):
            b = min(a + full.chunk_size, stop)
            rows = draws[a:b] if sampled else full.chunk(a, b, out=draws[a:b])
            values = dict(zip(params.names, rows.T, strict=True))
            parts.append(portfolio_net_benefit(regulation, values, confirmed))
        return np.concatenate(parts)

    half = -(-n // (2 * full.chunk_size)) * full.chunk_size  # a chunk boundary
    nb = on_two_cores(confirm, (n, len(confirmed)), half)
    labels = {k: i.label for k, i in regulation.instruments.items()}
    declared = _declared(regulation)
    screened = screening.table.loc[list(model.approach_names)]
    table = pd.DataFrame(
        {
            "mean": nb.mean(axis=0),
            "median": np.median(nb, axis=0),
            "p05": np.quantile(nb, 0.05, axis=0),
            "p95": np.quantile(nb, 0.95, axis=0),
            "mcse": nb.std(axis=0, ddof=1) / np.sqrt(len(nb)),
            "prob_best": prob_best(nb),
            "instruments": [" + ".join(labels[i] for i in c) or "(none)" for c in confirmed],
            "size": [len(c) for c in confirmed],
            "screen_mean": screened["mean"].to_numpy(),
            "declared": [declared.get(frozenset(c), "") for c in confirmed],
            "mix": screened["mix"].to_numpy(),
            "duty": screened["duty"].to_numpy(),
        },
        index=pd.Index(model.approach_names, name="portfolio"),
    ).sort_values("mean", ascending=False, kind="stable")
    return PortfolioSearch(
        table,
        screening.table[["mean", "gap", "gap_se", "kept"]],
        nb,
        model,
        draws,
        params,
        screening.screen,
        screening.n_screen,
        n,
        screening.exact,
    )


def search_portfolios(
    params: ParameterSet,
    *,
    n: int,
    rng: int | None = 0,
    design: str = "sobol",
    screen_n: int = 4096,
    keep_top: int = 8,
    z: float = 3.0,
) -> PortfolioSearch:
    """Find the portfolio of instruments with the highest expected net benefit: screen every
    admissible portfolio (:func:`screen_portfolios`), then confirm the leaders on all draws
    (:func:`confirm_portfolios`).

    Parameters
    ----------
    params : ParameterSet
    n : int
        Draws of the confirmation stage (the run's size).
    rng, design
        As for :func:`model.simulate`; both stages use them.
    screen_n : int
        Draws of the screening stage; ``screen_n >= n`` screens every portfolio on all draws.
    keep_top : int
        Portfolios kept by screening mean whatever their gap to the leader.
    z : float
        A portfolio is kept when its paired gap to the leader is below ``z`` standard errors.
    """
    screening = screen_portfolios(
        params, n=n, rng=rng, design=design, screen_n=screen_n, keep_top=keep_top, z=z
    )
    return confirm_portfolios(screening)


def _declared(regulation: RegulationModel) -> dict[frozenset, str]:
    """The declared approaches by their instruments."""
    return {frozenset(a.instruments): a.key for a in regulation.approaches}


def with_best_portfolio(params: ParameterSet, found: PortfolioSearch | Screening) -> ParameterSet:
    """``params`` with the best portfolio found (confirmed, or the screen's leader) declared as
    an approach (key ``BEST``) when no declared approach has exactly its instruments, so that a
    run recommends among the declared approaches and the best mix found, with every analysis
    applied to it."""
    combo, declared = found.leading()
    if declared:
        return params
    instruments = list(combo)
    approaches = dict(params.structure["approaches"])
    kinds = params.structure["instruments"]
    best_mix = mix_of([kinds[i]["type"] for i in instruments])
    mix = " + ".join(SHORT[o] for o in best_mix.split("+")) if best_mix else "none"
    approaches[BEST] = {
        "label": f"Best mix found ({mix}; {len(instruments)} instruments)",
        "instruments": instruments,
    }
    files = dict(params.structure_files) | {f"approaches.{BEST}": "model.study.portfolios"}
    return replace(
        params,
        structure=freeze(dict(params.structure) | {"approaches": approaches}),
        structure_files=MappingProxyType(files),
    )


#: Screening draws kept for the marginal values when every draw is screened.
KEPT_DRAWS = 4096


def _screen(sampler: Sampler, regulation, combos, m: int):
    """(mean, paired gap to the leader, its standard error, net benefit on the first
    ``KEPT_DRAWS`` draws) of every portfolio on the sampler's first ``m`` draws.

    One chunk holds every portfolio's net benefit; longer screens make two passes over the
    chunks (sums, then the gap to the leader the sums found), holding only sums. The gaps are
    taken a block of portfolios at a time: no temporary as large as the chunk's matrix.

    Each core screens every portfolio on half of a chunk's draws: split by portfolios, both
    would build the states the portfolios share (a third more work, measured)."""

    def net_benefit(start: int, stop: int) -> np.ndarray:  # (P, rows)
        draws = sampler.chunk(start, stop)

        def part(a: int, b: int) -> np.ndarray:  # draws a..b of the chunk, every portfolio
            values = dict(zip(sampler.params.names, draws[a:b].T, strict=True))
            return portfolio_net_benefit(regulation, values, combos)

        return on_two_cores(part, (stop - start, len(combos)), (stop - start) // 2).T

    bounds = [(s, min(s + sampler.chunk_size, m)) for s in range(0, m, sampler.chunk_size)]
    first = net_benefit(*bounds[0])
    total = first.sum(axis=1)
    for b in bounds[1:]:
        total += net_benefit(*b).sum(axis=1)
    mean = total / m
    lead = int(mean.argmax())
    gap_sq = np.zeros_like(mean)
    for i, b in enumerate(bounds):
        nb = first if i == 0 else net_benefit(*b)
        for s in range(0, len(nb), _GAP_BLOCK):
            d = nb[lead] - nb[s : s + _GAP_BLOCK]
            gap_sq[s : s + _GAP_BLOCK] += np.einsum("ij,ij->i", d, d)
    gap = mean[lead] - mean
    var = np.maximum(gap_sq / m - gap * gap, 0.0) * m / max(m - 1, 1)
    return mean, gap, np.sqrt(var / m), first[:, :KEPT_DRAWS].T


#: Portfolios per block of the screen's gap sums (a few MiB of temporaries).
_GAP_BLOCK = 256
