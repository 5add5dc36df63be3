"""Declared value judgements re-evaluated on the first ``m`` draws of a run (a stated subsample).

The discount schedule and the horizon change the model's settings only: they are evaluated
exactly on the run's own first draws. Standing is declared by a scenario file
(``params/scenarios/jurisdiction_standing.toml``) that may also change parameters (an EU value
of a statistical life): its first ``m`` draws are simulated with the run's seed and design, the
same uniforms as the run's (a Sobol or random design's first ``m`` points do not depend on
``n``). Without such a file only the setting changes. The scale on life-valued harm (VSL and
QALY values) and the weight on innovation cost then reweigh the per-draw components.

Discount presets are the scenario files next to the run's parameter file that change nothing
but ``[discounting]`` (``params/scenarios/discount_*.toml``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.decision import prob_best
from model.inputs.parameters import ParameterSet
from model.inputs.paramfiles import load_params
from model.inputs.sampling import Sampler, seed_entropy
from model.regulation import RegulationModel, build_model, evaluate
from model.regulation.spec import Settings

__all__ = [
    "LIFE_VALUES",
    "SUBSAMPLE",
    "Alternative",
    "Components",
    "Judgements",
    "discount_presets",
    "reweigh",
    "scenario_files",
]

SUBSAMPLE = 1024  # draws re-evaluated per judgement (the run's first draws)
LIFE_VALUES = ("vsl", "value_per_qaly")  # parameters that value a life or a QALY


def scenario_files(results) -> list[tuple[Path, dict]]:
    """The scenario files next to the run's parameter file, by name, with their tables."""
    if not results.params.files:
        return []
    folder = Path(results.params.files[0]).parent / "scenarios"
    out = []
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as fh:
            out.append((path, tomllib.load(fh)))
    return out


def discount_presets(files: list[tuple[Path, dict]]) -> dict[str, dict]:
    """Scenario stem -> its ``[discounting]`` table, for the scenario files (of
    :func:`scenario_files`) that change only that."""
    return {
        path.stem: top["discounting"]
        for path, top in files
        if "discounting" in top and set(top) <= {"title", "extends", "discounting"}
    }


def standing_scenarios(files: list[tuple[Path, dict]]) -> dict[str, tuple[Path, dict]]:
    """Standing -> the scenario file (of :func:`scenario_files`) that declares it (the first, by
    name) and its tables."""
    out: dict[str, tuple[Path, dict]] = {}
    for path, top in files:
        standing = top.get("settings", {}).get("standing")
        if standing and set(top.get("settings", {})) == {"standing"}:
            out.setdefault(standing, (path, top))
    return out


@dataclass(frozen=True)
class Base:
    """The draws a judgement starts from: a parameter set, its model and its first draws."""

    params: ParameterSet
    regulation: RegulationModel
    draws: np.ndarray  # (m, d), columns params.names
    source: str  # in words: where the draws come from


@dataclass(frozen=True)
class Components:
    """Per-draw present values (m, k) of a subsample under one setting."""

    life: np.ndarray  # risk reduction of harms valued through a VSL or QALY value
    other: np.ndarray  # risk reduction of the other harms
    burden: np.ndarray  # compliance burden, all payers
    innovation: np.ndarray  # innovation cost

    def net_benefit(self, vsl_scale: float = 1.0, innovation_weight: float = 1.0) -> np.ndarray:
        """(m, k) net benefit with life-valued harm scaled and innovation cost weighted."""
        return (
            vsl_scale * self.life + self.other - self.burden - innovation_weight * self.innovation
        )


def life_valued(results) -> np.ndarray:
    """(H,) bool: harms whose bottom-up product includes a life or QALY value."""
    return np.array([any(f in LIFE_VALUES for f in h.harm) for h in results.regulation.harms])


def table(results, nb: np.ndarray) -> pd.DataFrame:
    """Mean, MC standard error, 90% interval and P(best) per approach of an (m, k) table."""
    m = nb.shape[0]
    return pd.DataFrame(
        {
            "mean": nb.mean(axis=0),
            "mcse": nb.std(axis=0, ddof=1) / np.sqrt(m),
            "p05": np.quantile(nb, 0.05, axis=0),
            "p95": np.quantile(nb, 0.95, axis=0),
            "prob_best": prob_best(nb),
        },
        index=pd.Index(results.approaches, name="approach"),
    )


def reweigh(results, *, m: int = SUBSAMPLE, **judgement) -> pd.DataFrame:
    """:meth:`Judgements.reweigh` on the first ``m`` draws of ``results``."""
    return Judgements(results, m).reweigh(**judgement)


@dataclass(frozen=True)
class Alternative:
    """One declared judgement changed from the run's: the choice it leads to."""

    judgement: str  # "standing", "discounting", "horizon"
    setting: str  # in words, e.g. "jurisdiction standing"
    table: pd.DataFrame  # :func:`table` under it
    reference: pd.DataFrame  # :func:`table` under the run's settings, same draws
    net_benefit: np.ndarray = field(repr=False)  # (m, k) under it

    @property
    def best(self) -> str:
        return str(self.table["mean"].idxmax())

    def gap(self, a: str, b: str) -> tuple[float, float]:
        """Mean of ``a`` minus ``b`` under the judgement and its paired MC standard error (the
        same draws: much smaller than either mean's error)."""
        names = list(self.table.index)
        d = self.net_benefit[:, names.index(a)] - self.net_benefit[:, names.index(b)]
        return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))

    @property
    def flips(self) -> bool:
        return self.best != str(self.reference["mean"].idxmax())


class Judgements:
    """The run's first ``m`` draws under declared value judgements (each evaluated once)."""

    def __init__(
        self, results, m: int = SUBSAMPLE, evaluated: Mapping[tuple, Components] | None = None
    ):
        """``evaluated``: components already evaluated on these draws (:attr:`evaluated` of an
        earlier instance, e.g. saved with the run), which are then not evaluated again."""
        self.results = results
        self.m = min(int(m), results.n)
        files = scenario_files(results)
        self.presets = discount_presets(files)
        self.scenarios = standing_scenarios(files)
        self._memo: dict[tuple, Components] = dict(evaluated or {})
        self._bases: dict[str, Base] = {}

    @property
    def evaluated(self) -> dict[tuple, Components]:
        """Every judgement evaluated so far: (standing, discount, horizon) -> components, None
        where the run's own setting is kept."""
        return dict(self._memo)

    def base(self, standing: str | None = None) -> Base:
        """The first ``m`` draws under ``standing``: the run's own, or its scenario file's
        (simulated with the run's seed and design), or the run's with the setting changed."""
        res = self.results
        standing = standing or res.regulation.settings.standing
        if standing not in self._bases:
            path, _ = self.scenarios.get(standing, (None, None))
            if standing == res.regulation.settings.standing:
                base = Base(res.params, res.regulation, res.draws[: self.m], "the run's draws")
            elif path is not None:
                p = load_params(res.params.files[0], scenarios=[path])
                prov = res.provenance
                sampler = Sampler(p, self.m, prov["design"], seed_entropy(prov["seed"]), self.m)
                # the run's approaches (portfolios too) with the scenario's settings
                regulation = replace(res.regulation, settings=build_model(p).settings)
                base = Base(
                    p,
                    regulation,
                    sampler.chunk(0, self.m),
                    f"{path.name}: its own parameters too",
                )
            else:
                settings = self.settings(res.params, standing=standing)
                regulation = replace(res.regulation, settings=settings)
                base = Base(res.params, regulation, res.draws[: self.m], "the run's draws")
            self._bases[standing] = base
        return self._bases[standing]

    def settings(
        self,
        params,
        *,
        standing: str | None = None,
        discount: str | None = None,
        horizon: int | None = None,
    ) -> Settings:
        """``params``' settings with standing, a discount preset (a key of ``presets``) or the
        horizon changed; validated as the parameter files are."""
        structure = dict(params.structure)
        settings = dict(structure["settings"])
        if standing is not None:
            settings["standing"] = standing
        if horizon is not None:
            settings["horizon_years"] = int(horizon)
        structure["settings"] = settings
        if discount is not None:  # merged over the file's table, as a scenario file is
            structure["discounting"] = {**structure["discounting"], **self.presets[discount]}
        return build_model(replace(params, structure=structure)).settings

    def components(
        self, standing: str | None = None, discount: str | None = None, horizon: int | None = None
    ) -> Components:
        """Per-draw components under the judgement (the run's own settings when all None)."""
        s = self.results.regulation.settings
        key = (
            None if standing == s.standing else standing,
            discount,
            None if horizon == s.horizon_years else horizon,
        )
        if key not in self._memo:
            self._memo[key] = self._components(key)
        return self._memo[key]

    def _components(self, key: tuple) -> Components:
        """:meth:`components` evaluated; under the run's own settings the run's outcomes on
        these draws (the same numbers, draw by draw)."""
        if key == (None, None, None):
            out = self.results.outcomes
            rows = slice(0, self.m)
        else:
            base = self.base(key[0])
            regulation = base.regulation
            if key[1:] != (None, None):
                settings = self.settings(base.params, discount=key[1], horizon=key[2])
                regulation = replace(regulation, settings=settings)
            out = evaluate(regulation, dict(zip(base.params.names, base.draws.T, strict=True)))
            rows = slice(None)
        life = life_valued(self.results)
        risk = out.risk_reduction[rows]
        return Components(
            life=risk[:, :, life].sum(axis=2),
            other=risk[:, :, ~life].sum(axis=2),
            burden=out.burden[rows].sum(axis=2),
            innovation=out.innovation_cost[rows],
        )

    def reweigh(
        self,
        *,
        standing: str | None = None,
        discount: str | None = None,
        vsl_scale: float = 1.0,
        innovation_weight: float = 1.0,
    ) -> pd.DataFrame:
        """The decision table under a value judgement.

        ``standing`` ("world" or "jurisdiction") and ``discount`` (a discount preset)
        re-evaluate the model; ``vsl_scale`` multiplies the harm valued through a VSL or QALY
        value (liability costs, which follow harm, are kept as evaluated) and
        ``innovation_weight`` the innovation cost. What the report's in-page controls compute.
        """
        c = self.components(standing, discount)
        return table(self.results, c.net_benefit(vsl_scale, innovation_weight))

    def alternatives(self) -> list[Alternative]:
        """Every declared judgement the run did not make: the other standing, each discount
        preset with a different schedule, the horizon doubled."""
        s = self.results.regulation.settings
        other = "jurisdiction" if s.standing == "world" else "world"
        words = f"{other} standing"
        if other in self.scenarios:
            path, top = self.scenarios[other]
            changed = ", ".join(top.get("parameters", {}))
            words += f" ({path.name}" + (f", which also sets {changed})" if changed else ")")
        options = [("standing", words, {"standing": other})]
        for key, d in self.presets.items():
            rates = self.settings(self.results.params, discount=key).discount_rates
            if not np.array_equal(rates, s.discount_rates):
                options.append(("discounting", str(d.get("source", key)), {"discount": key}))
        horizon = 2 * s.horizon_years
        options.append(("horizon", f"a {horizon}-year horizon", {"horizon": horizon}))
        reference = table(self.results, self.components().net_benefit())
        out = []
        for judgement, words, kw in options:
            nb = self.components(**kw).net_benefit()
            out.append(Alternative(judgement, words, table(self.results, nb), reference, nb))
        return out
