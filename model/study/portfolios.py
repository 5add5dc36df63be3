"""The best portfolio of instruments: screen every admissible combination on a subsample, then
confirm the leaders on all draws with common random numbers.

Evaluating the full factorial of instruments on every draw costs (portfolios x draws); most
portfolios are clearly worse than the leader after a few thousand draws. The search therefore
evaluates every portfolio on the first ``screen_n`` draws of the run's own design, keeps those
not clearly worse than the screening leader (paired difference within ``z`` standard errors)
plus the ``keep_top`` best and every declared approach, and evaluates the kept ones on all
``n`` draws. With the Sobol and random designs the screening draws are the first ``screen_n``
draws of the confirmation run itself (the same seed), so the two stages share their random
numbers; the LHS design has no such prefix and screens on a design of its own.
``screen_n >= n`` evaluates the exact factorial on every draw.

The seed paper asks which mix of its three options is warranted: (A) direct duties on
downstream developers (on all of them or above a threshold), (B) duties on upstream developers
to mitigate modification risk, (C) other tools such as clarified liability and voluntary
guidance. Each portfolio belongs to one mix (the options its instruments come from); the best
portfolio of each mix is always confirmed, and :meth:`PortfolioSearch.mixes` answers the
paper's question on all draws, with its value of information in :meth:`PortfolioSearch.mix_voi`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.decision import evpi, prob_best
from model.analysis.voi import evppi
from model.inputs.parameters import ParameterSet
from model.regulation import build_model
from model.study.simulate import Results, simulate

__all__ = ["OPTIONS", "OPTION_OF_TYPE", "PortfolioSearch", "mix_of", "search_portfolios"]

#: The seed paper's three options.
OPTIONS = {
    "A": "direct duties on downstream developers",
    "B": "duties on upstream developers",
    "C": "other tools (liability, guidance)",
}
#: Which option each instrument type belongs to.
OPTION_OF_TYPE = {
    "downstream_obligation": "A",
    "adaptive": "A",
    "upstream_controls": "B",
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


def _mix_words(mix: str) -> str:
    return " + ".join(OPTIONS[o] for o in mix.split("+")) if mix else "status quo"


@dataclass(frozen=True)
class PortfolioSearch:
    """What :func:`search_portfolios` found (money in present value, the run's currency)."""

    #: Confirmed portfolios on all draws, best first: ``instruments`` (labels), ``size``,
    #: ``mean``, ``mcse``, ``median``, ``p05``, ``p95``, ``prob_best`` (among the confirmed),
    #: ``screen_mean``, ``declared`` (the declared approach with exactly these instruments,
    #: or "") and ``mix`` (the paper's options it draws on, e.g. "A+B"; "" = none).
    table: pd.DataFrame
    #: Every portfolio on the screening draws: ``mean``, ``gap`` (leader minus it, paired),
    #: ``gap_se`` and ``kept``.
    screening: pd.DataFrame
    #: The confirmation run (every confirmed portfolio on all draws).
    results: Results
    #: The screening run (every portfolio on the screening draws; the same run when exact).
    screen: Results
    n_screen: int
    n: int
    exact: bool

    @property
    def best(self) -> str:
        """Key of the portfolio with the highest expected net benefit on all draws."""
        return str(self.table.index[0])

    @property
    def runner_up(self) -> str:
        return str(self.table.index[1]) if len(self.table) > 1 else ""

    def contains(self, portfolio: str) -> list[str]:
        """Declared approaches whose instruments all belong to ``portfolio`` (its nesting)."""
        own = set(self.results.regulation.approaches[self._index(portfolio)].instruments)
        declared = build_model(self.results.params).approaches
        return [a.key for a in declared if a.instruments and set(a.instruments) <= own]

    def mixes(self) -> pd.DataFrame:
        """The paper's question on all draws: per mix of options, its best portfolio, with
        mean, median, 90% interval and P(best) among the mixes (status quo included)."""
        nb, keys = self.mix_net_benefit()
        t = self.table.loc[keys]
        return pd.DataFrame(
            {
                "options": [_mix_words(m) for m in t["mix"]],
                "portfolio": keys,
                "instruments": t["instruments"].to_numpy(),
                "mean": t["mean"].to_numpy(),
                "mcse": t["mcse"].to_numpy(),
                "median": t["median"].to_numpy(),
                "p05": t["p05"].to_numpy(),
                "p95": t["p95"].to_numpy(),
                "prob_best": prob_best(nb),
            },
            index=pd.Index([m or "none" for m in t["mix"]], name="mix"),
        ).sort_values("mean", ascending=False, kind="stable")

    def mix_net_benefit(self) -> tuple[np.ndarray, list[str]]:
        """Net benefit (n, mixes) of each mix's best confirmed portfolio, and their keys."""
        best = self.table.reset_index().groupby("mix", sort=False).first()["portfolio"]
        keys = list(best)
        cols = [self._index(k) for k in keys]
        return self.results.net_benefit[:, cols], keys

    def mix_voi(self, *, top: int = 10, rng: int = 0) -> tuple[float, pd.DataFrame]:
        """EVPI of the choice between mixes, and the ``top`` inputs by EVPPI for that choice."""
        nb, _ = self.mix_net_benefit()
        ev = evppi(nb, self.results.inputs, rng=rng)
        return float(evpi(nb)), ev.sort_values("evppi", ascending=False).head(top)

    def describe(self) -> str:
        """How the search was done, in one sentence for the report."""
        total = len(self.screening)
        if self.exact:
            return f"All {total} portfolios were evaluated on all {self.n:,} draws."
        return (
            f"All {total} portfolios were screened on the first {self.n_screen:,} draws; the "
            f"{len(self.table)} not clearly worse than the leader (and every declared approach) "
            f"were confirmed on all {self.n:,} draws with the same random numbers."
        )

    def _index(self, key: str) -> int:
        return self.results.approaches.index(key)


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
    """Find the portfolio of instruments with the highest expected net benefit.

    Parameters
    ----------
    params : ParameterSet
    n : int
        Draws of the confirmation stage (the run's size).
    rng, design
        As for :func:`model.simulate`; both stages use them.
    screen_n : int
        Draws of the screening stage; ``screen_n >= n`` evaluates every portfolio on all draws.
    keep_top : int
        Portfolios kept by screening mean whatever their gap to the leader.
    z : float
        A portfolio is kept when its paired gap to the leader is below ``z`` standard errors.
    """
    regulation = build_model(params)
    combos = regulation.portfolio_combinations()
    exact = screen_n >= n
    screen = simulate(
        params, n=min(screen_n, n), rng=rng, design=design, portfolios=combos, progress=False
    )
    nb = screen.net_benefit
    lead = int(nb.mean(axis=0).argmax())
    gap = nb[:, [lead]] - nb
    gap_mean = gap.mean(axis=0)
    gap_se = gap.std(axis=0, ddof=1) / np.sqrt(len(nb))
    order = np.argsort(-nb.mean(axis=0), kind="stable")
    declared = {frozenset(a.instruments): a.key for a in regulation.approaches}
    kept = (gap_mean <= z * gap_se) | np.isin(np.arange(len(combos)), order[:keep_top])
    kept |= np.array([frozenset(c) in declared for c in combos])
    types = {k: i.type for k, i in regulation.instruments.items()}
    mixes = np.array([mix_of([types[i] for i in c]) for c in combos])
    for m in np.unique(mixes):  # the best screened portfolio of every mix
        kept[np.flatnonzero(mixes == m)[np.argmax(nb.mean(axis=0)[mixes == m])]] = True
    kept |= exact
    screening = pd.DataFrame(
        {"mean": nb.mean(axis=0), "gap": gap_mean, "gap_se": gap_se, "kept": kept},
        index=pd.Index(screen.approaches, name="portfolio"),
    )
    confirmed = [c for c, k in zip(combos, kept, strict=True) if k]
    res = (
        screen
        if exact
        else simulate(params, n=n, rng=rng, design=design, portfolios=confirmed, progress=False)
    )
    labels = {k: i.label for k, i in regulation.instruments.items()}
    table = (
        res.summary()
        .rename_axis("portfolio")
        .assign(
            instruments=[" + ".join(labels[i] for i in c) or "(none)" for c in confirmed],
            size=[len(c) for c in confirmed],
            screen_mean=screening.loc[list(res.approaches), "mean"].to_numpy(),
            declared=[declared.get(frozenset(c), "") for c in confirmed],
            mix=[m for m, k in zip(mixes, kept, strict=True) if k],
        )
        .sort_values("mean", ascending=False, kind="stable")
    )
    return PortfolioSearch(table, screening, res, screen, int(min(screen_n, n)), int(n), exact)
