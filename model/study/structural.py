"""Structural uncertainty: which modelling choices can change the decision.

Each structural setting of ``[settings]`` (``model.regulation.STRUCTURAL``: standing, the
reading of deterred developers, the entry-response form, additionality, the horizon, where
upstream duties reach, the closed segment, upstream firms' withdrawal, ...) is evaluated at
every one of its declared alternatives on the SAME draws (common random numbers), one setting
at a time with the others at the file's choices; a model-averaged result mixes every
combination of the alternatives by declared weights. A setting without weights (standing and
the other accounting choices, which are judgements rather than uncertainties, and the settings
of the option space: upstream reach, closed segment, upstream withdrawal) is held at the file's
choice in the average. An alternative that reads parameters the file does not declare
(``ALTERNATIVE_PARAMETERS``: upstream withdrawal's, declared by the jurisdiction presets and
``params/scenarios/upstream_withdrawal.toml``, not by the baseline) is left out.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from model.analysis.decision import prob_best
from model.errors import ParamFileError
from model.inputs.parameters import ParameterSet
from model.inputs.sampling import sample
from model.regulation import STRUCTURAL, RegulationModel, build_model, build_world, evaluate
from model.regulation.spec import ALTERNATIVE_PARAMETERS
from model.regulation.world import World

#: Draws evaluated at a time (bounds memory at long horizons).
CHUNK = 8192
#: The structural settings that :func:`~model.regulation.build_world` reads: an alternative
#: changing none of them is evaluated on the world built for the file's choices (the others
#: act in :func:`~model.regulation.evaluate` only, through the settings it is given).
WORLD_SETTINGS = (
    "standing",
    "horizon_years",
    "terminal_value",
    "closed_segment",
    "upstream_withdrawal",
)


@dataclass(frozen=True)
class StructuralUncertainty:
    """Per variant and approach: expected net benefit, P(best) and rank; and the average.

    ``variants``: one row per (setting, alternative, approach), with ``is_file_choice`` marking
    the alternative the parameter file chose. ``averaged``: one row per approach, the
    weighted mixture over every combination of alternatives. ``weights``: setting ->
    alternative -> weight used.
    """

    approaches: tuple[str, ...]
    variants: pd.DataFrame
    averaged: pd.DataFrame
    weights: Mapping[str, Mapping[object, float]]

    def decisions(self) -> pd.DataFrame:
        """One row per (setting, alternative): the best approach by expected net benefit,
        and whether it differs from the best under the file's choices."""
        best = (
            self.variants.sort_values("expected_net_benefit", ascending=False)
            .groupby(["setting", "alternative"], sort=False)
            .head(1)
            .set_index(["setting", "alternative"])
        )
        base = best.loc[best["is_file_choice"], "approach"].iloc[0]
        out = best[["approach", "expected_net_benefit", "prob_best"]].rename(
            columns={"approach": "best"}
        )
        out["changes_decision"] = out["best"] != base
        return out.sort_index()

    def settings_that_change_the_decision(self) -> list[str]:
        """Settings with an alternative under which another approach is best."""
        d = self.decisions()
        return sorted({s for (s, _), flip in d["changes_decision"].items() if flip})


def evaluable(setting: str, alternative: object, names) -> bool:
    """Does a file declaring parameters ``names`` give every parameter the alternative reads?"""
    return all(n in names for n in ALTERNATIVE_PARAMETERS.get((setting, alternative), ()))


def _weights(params: ParameterSet, chosen: Mapping[str, object], given) -> dict:
    """Setting -> alternative -> weight (summing to 1): ``given``, else the file's
    ``[structural_weights]``, else all weight on the file's choice."""
    declared = given if given is not None else params.structure.get("structural_weights", {})
    where = str(params.structure_files.get("structural_weights", params.files[0]))
    out = {}
    for name, alternatives in STRUCTURAL.items():
        table = declared.get(name)
        if table is None:
            out[name] = {chosen[name]: 1.0}
            continue
        weights = {}
        for key, w in table.items():
            alt = next((a for a in alternatives if str(a) == str(key)), None)
            lacking = alt is not None and w and not evaluable(name, alt, params.names)
            if alt is None or not isinstance(w, (int, float)) or w < 0 or lacking:
                raise ParamFileError(
                    where,
                    f"structural_weights.{name}",
                    f"'{key} = {w}' is not a weight of a declared alternative"
                    + (" whose parameters the file declares" if lacking else ""),
                    fix="use non-negative numbers for " + ", ".join(map(str, alternatives)),
                )
            weights[alt] = float(w)
        total = sum(weights.values())
        if total <= 0:
            raise ParamFileError(
                where, f"structural_weights.{name}", "weights sum to 0", fix="give one a weight"
            )
        out[name] = {a: w / total for a, w in weights.items() if w > 0}
    return out


class _Variants:
    """Each alternative's net benefit on the same draws, chunk by chunk. When the draws fit in
    one chunk (the report's 2,048 do), their world is built once and shared by the alternatives
    that change none of :data:`WORLD_SETTINGS`; more draws keep memory bounded by the chunk."""

    def __init__(self, base: RegulationModel, columns: Mapping[str, np.ndarray], n: int):
        self.base = base
        self.chunks = [
            {name: col[start : start + CHUNK] for name, col in columns.items()}
            for start in range(0, n, CHUNK)
        ]
        self.world: World | None = None  # the one chunk's, once built

    def net_benefit(self, settings: Mapping[str, object]) -> np.ndarray:
        """(n, k) net benefit of every approach with ``settings`` changed from the base's."""
        variant = replace(self.base, settings=replace(self.base.settings, **settings))
        shared = len(self.chunks) == 1 and all(
            settings[name] == getattr(self.base.settings, name) for name in WORLD_SETTINGS
        )
        parts = []
        for chunk in self.chunks:
            world = None
            if shared:
                if self.world is None:
                    self.world = build_world(self.base, chunk)
                world = replace(self.world, settings=variant.settings, cache={})
            parts.append(evaluate(variant, chunk, world).net_benefit)
        return np.concatenate(parts)


def _summary(nb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return nb.mean(axis=0), prob_best(nb)


def structural_uncertainty(
    params: ParameterSet,
    n: int,
    rng: int | None = None,
    weights: Mapping[str, Mapping[object, float]] | None = None,
    *,
    design: str = "sobol",
) -> StructuralUncertainty:
    """Evaluate every alternative of every structural setting on the same ``n`` draws.

    ``weights`` (setting -> alternative -> weight) overrides the file's
    ``[structural_weights]`` for the model-averaged result; a setting with no weights keeps
    the file's choice there.
    """
    draws = sample(params, n, design=design, rng=rng)
    return structural_on_draws(params, {name: draws[name] for name in params.names}, weights)


def structural_on_draws(
    params: ParameterSet,
    columns: Mapping[str, np.ndarray],
    weights: Mapping[str, Mapping[object, float]] | None = None,
    reference: np.ndarray | None = None,
) -> StructuralUncertainty:
    """:func:`structural_uncertainty` on given draws (name -> (n,) array), e.g. a run's first
    draws, which saves sampling them again; ``reference``: the (n, k) net benefit already
    evaluated on them under the file's choices (the run's own), not evaluated again."""
    base = build_model(params)
    chosen = {name: getattr(base.settings, name) for name in STRUCTURAL}
    w = _weights(params, chosen, weights)
    variants = _Variants(base, columns, len(next(iter(columns.values()))))
    cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    if reference is not None:
        cache[tuple(chosen.values())] = _summary(reference)

    def outcome(settings: Mapping[str, object]):
        key = tuple(settings[name] for name in STRUCTURAL)
        if key not in cache:
            cache[key] = _summary(variants.net_benefit(settings))
        return cache[key]

    rows = []
    for name, alternatives in STRUCTURAL.items():
        for alt in alternatives:
            if not evaluable(name, alt, columns):
                continue  # it reads parameters these draws do not hold
            mean, best = outcome({**chosen, name: alt})
            rank = (-mean).argsort().argsort() + 1
            for j, approach in enumerate(base.approach_names):
                rows.append(
                    {
                        "setting": name,
                        "alternative": str(alt),
                        "is_file_choice": alt == chosen[name],
                        "approach": approach,
                        "expected_net_benefit": mean[j],
                        "prob_best": best[j],
                        "rank": int(rank[j]),
                    }
                )
    k = len(base.approach_names)
    mean_avg, best_avg = np.zeros(k), np.zeros(k)
    for combo in itertools.product(*(w[name].items() for name in STRUCTURAL)):
        weight = float(np.prod([x for _, x in combo]))
        mean, best = outcome({name: alt for name, (alt, _) in zip(STRUCTURAL, combo, strict=True)})
        mean_avg += weight * mean
        best_avg += weight * best
    averaged = pd.DataFrame(
        {
            "expected_net_benefit": mean_avg,
            "prob_best": best_avg,
            "rank": (-mean_avg).argsort().argsort() + 1,
        },
        index=pd.Index(base.approach_names, name="approach"),
    )
    return StructuralUncertainty(base.approach_names, pd.DataFrame(rows), averaged, w)
