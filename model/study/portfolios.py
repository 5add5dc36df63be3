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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.decision import prob_best
from model.inputs.parameters import ParameterSet
from model.regulation import build_model
from model.study.simulate import Results, simulate

__all__ = ["PortfolioSearch", "search_portfolios"]


@dataclass(frozen=True)
class PortfolioSearch:
    """What :func:`search_portfolios` found (money in present value, the run's currency)."""

    #: Confirmed portfolios on all draws, best first: ``instruments`` (labels), ``size``,
    #: ``mean``, ``mcse``, ``median``, ``p05``, ``p95``, ``prob_best`` (among the confirmed),
    #: ``screen_mean`` and ``declared`` (the declared approach with exactly these
    #: instruments, or "").
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
    full = res.net_benefit
    labels = {k: i.label for k, i in regulation.instruments.items()}
    table = pd.DataFrame(
        {
            "instruments": [" + ".join(labels[i] for i in c) or "(none)" for c in confirmed],
            "size": [len(c) for c in confirmed],
            "mean": full.mean(axis=0),
            "mcse": full.std(axis=0, ddof=1) / np.sqrt(len(full)),
            "median": np.median(full, axis=0),
            "p05": np.quantile(full, 0.05, axis=0),
            "p95": np.quantile(full, 0.95, axis=0),
            "prob_best": prob_best(full),
            "screen_mean": screening.loc[list(res.approaches), "mean"].to_numpy(),
            "declared": [declared.get(frozenset(c), "") for c in confirmed],
        },
        index=pd.Index(res.approaches, name="portfolio"),
    ).sort_values("mean", ascending=False, kind="stable")
    return PortfolioSearch(table, screening, res, screen, int(min(screen_n, n)), int(n), exact)
