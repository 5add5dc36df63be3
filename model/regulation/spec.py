"""Harms, instruments, approaches and settings, read and checked from a parameter set.

They are data: an analyst adds a harm, a stricter variant of an instrument or a new approach in
TOML without touching code. Every mistake is a one-line ``ParamFileError`` naming file and key.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from model.errors import ParamFileError
from model.regulation.instruments import TYPES
from model.regulation.world import HARM_ROLES, THRESHOLD_PARAMETERS, WORLD_PARAMETERS

STANDINGS = ("world", "jurisdiction")


@dataclass(frozen=True)
class Harm:
    """A harm pathway: bottom-up annual harm = product of ``harm`` factors (money per year)."""

    key: str
    label: str
    reading: str  # the one stated reading of its severity
    harm: tuple[str, ...]
    reference: tuple[str, ...]  # top-down calibration product
    roles: Mapping[str, str]


@dataclass(frozen=True)
class Instrument:
    """One regulatory measure: a type, an optional scope, and its roles mapped to parameters."""

    key: str
    label: str
    type: str
    scope: str | None
    parameters: Mapping[str, str]  # role -> parameter name (per-harm roles: name prefix)
    base: str | None = None  # for an adaptive instrument: the obligation it switches on


@dataclass(frozen=True)
class Approach:
    """A regulatory approach: one or more instruments (none for the status quo)."""

    key: str
    label: str
    instruments: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    horizon_years: int
    standing: str
    currency: str
    threshold: str  # "share" or "compute": see world.threshold_shares
    discount_rates: np.ndarray  # (T,) rate applying in each year
    discount_source: str

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.horizon_years, dtype=float)

    @property
    def discount(self) -> np.ndarray:
        """Discount factor of each year: prod over earlier years of 1/(1+r_s); 1 in year 0."""
        factors = np.concatenate([[1.0], 1.0 / (1.0 + self.discount_rates[:-1])])
        return np.cumprod(factors)


@dataclass(frozen=True)
class RegulationModel:
    """Everything the equations need besides the draws."""

    harms: tuple[Harm, ...]
    instruments: Mapping[str, Instrument]
    approaches: tuple[Approach, ...]
    settings: Settings
    parameter_names: frozenset[str] = field(repr=False)

    @property
    def approach_names(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.approaches)

    @property
    def harm_names(self) -> tuple[str, ...]:
        return tuple(h.key for h in self.harms)

    def resolve(self, name: str, harm: str) -> str:
        """Per-harm parameter: ``name_harm`` when declared, else the shared ``name``."""
        specific = f"{name}_{harm}"
        return specific if specific in self.parameter_names else name

    def portfolio_combinations(self) -> list[tuple[str, ...]]:
        """Every admissible combination of the declared instruments (the empty one first), in
        declaration order; at most one downstream obligation each (scopes are alternatives)."""
        keys = tuple(self.instruments)
        return [
            c
            for r in range(len(keys) + 1)
            for c in itertools.combinations(keys, r)
            if not _two_obligations(self.instruments, c)
        ]

    def with_portfolios(self, combinations=None) -> RegulationModel:
        """The model whose approaches are portfolios of instruments: ``combinations`` (tuples of
        instrument keys), by default every admissible one (status quo first)."""
        combos = self.portfolio_combinations() if combinations is None else combinations
        approaches = tuple(
            Approach("+".join(c) or "status_quo", " + ".join(c) or "Status quo", tuple(c))
            for c in combos
        )
        return RegulationModel(
            self.harms, self.instruments, approaches, self.settings, self.parameter_names
        )


def _two_obligations(instruments: Mapping[str, Instrument], combo: tuple[str, ...]) -> bool:
    """Portfolios hold at most one downstream obligation (scopes are alternatives)."""
    return sum(instruments[k].type in ("downstream_obligation", "adaptive") for k in combo) > 1


class _Reader:
    """Reads structure tables, raising errors that name the file and the key."""

    def __init__(self, params):
        self.params = params
        self.names = frozenset(params.names)

    def file(self, table: str, key: str | None = None) -> str:
        files = self.params.structure_files
        where = files.get(f"{table}.{key}") if key else None
        return str(where or files.get(table) or self.params.files[0])

    def fail(self, table, key, problem, got=None, fix=None):
        label = f"{table}.{key}" if key else table
        raise ParamFileError(self.file(table, key), label, problem, got=got, fix=fix)

    def table(self, name: str) -> Mapping:
        value = self.params.structure.get(name)
        if not isinstance(value, Mapping) or not value:
            self.fail(name, None, f"missing table [{name}]", fix=f"declare [{name}.<key>] tables")
        return value

    def parameter(self, table, key, role, name):
        if name not in self.names:
            close = difflib.get_close_matches(str(name), self.names, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "declare it under [parameters]"
            self.fail(table, key, f"role '{role}' names unknown parameter '{name}'", fix=hint)
        return name

    def keys(self, table, key, entry: Mapping, required: tuple, optional: tuple = ()):
        for k in required:
            if k not in entry:
                self.fail(table, key, f"missing key '{k}'", fix=f"add {k} = ...")
        unknown = set(entry) - set(required) - set(optional)
        if unknown:
            allowed = ", ".join((*required, *optional))
            self.fail(table, key, f"unknown key '{sorted(unknown)[0]}'", fix=f"allowed: {allowed}")


def _harms(r: _Reader) -> tuple[Harm, ...]:
    harms = []
    for key, entry in r.table("harms").items():
        r.keys("harms", key, entry, ("label", "reading", "harm", "reference", *HARM_ROLES))
        for list_key in ("harm", "reference"):
            names = entry[list_key]
            if not isinstance(names, (list, tuple)) or not names:
                r.fail("harms", key, f"'{list_key}' must be a non-empty list of parameter names")
            for name in names:
                r.parameter("harms", key, list_key, name)
        roles = {role: r.parameter("harms", key, role, entry[role]) for role in HARM_ROLES}
        harms.append(
            Harm(
                key,
                entry["label"],
                entry["reading"],
                tuple(entry["harm"]),
                tuple(entry["reference"]),
                roles,
            )
        )
    return tuple(harms)


def _instruments(r: _Reader, harms: tuple[Harm, ...]) -> dict[str, Instrument]:
    out = {}
    for key, entry in r.table("instruments").items():
        r.keys("instruments", key, entry, ("type", "label", "parameters"), ("scope", "base"))
        kind = TYPES.get(entry["type"])
        if kind is None:
            close = difflib.get_close_matches(str(entry["type"]), TYPES, n=1)
            r.fail(
                "instruments",
                key,
                "unknown instrument type",
                got=entry["type"],
                fix=f"use one of {', '.join(TYPES)}"
                + (f" (did you mean '{close[0]}'?)" if close else ""),
            )
        scope = entry.get("scope")
        if kind.name == "adaptive":
            scope = _adaptive_base(r, key, entry).get("scope")
        elif "base" in entry:
            r.fail("instruments", key, f"{kind.name} takes no base", fix="remove base")
        if kind.scopes and scope not in kind.scopes:
            r.fail(
                "instruments",
                key,
                f"{kind.name} needs scope one of {kind.scopes}",
                got=scope,
                fix='add scope = "all" or scope = "above_threshold"',
            )
        if not kind.scopes and scope is not None:
            r.fail("instruments", key, f"{kind.name} takes no scope", fix="remove scope")
        if kind.name == "adaptive" and "scope" in entry:
            r.fail("instruments", key, "adaptive takes its scope from its base", fix="remove scope")
        mapping = entry["parameters"]
        missing = [role for role in kind.roles if role not in mapping]
        if missing:
            r.fail(
                "instruments",
                key,
                f"missing parameter roles {missing}",
                fix=f"map every role of {kind.name}: {', '.join(kind.roles)}",
            )
        for role, name in mapping.items():
            if role not in kind.roles:
                r.fail(
                    "instruments",
                    key,
                    f"unknown role '{role}' for {kind.name}",
                    fix=f"roles: {', '.join(kind.roles)}",
                )
            if role in kind.per_harm:
                for harm in harms:
                    resolved = f"{name}_{harm.key}"
                    if resolved not in r.names and name not in r.names:
                        r.fail(
                            "instruments",
                            key,
                            f"role '{role}' needs '{resolved}' or a shared '{name}'",
                            fix="declare one of them under [parameters]",
                        )
            else:
                r.parameter("instruments", key, role, name)
        out[key] = Instrument(
            key, entry["label"], kind.name, scope, dict(mapping), entry.get("base")
        )
    return out


def _adaptive_base(r: _Reader, key: str, entry: Mapping) -> Mapping:
    """The obligation an adaptive instrument switches on (checked to be one)."""
    tables = r.table("instruments")
    base = entry.get("base")
    if base not in tables or tables[base].get("type") != "downstream_obligation":
        r.fail(
            "instruments",
            key,
            "adaptive needs base = the key of a downstream_obligation instrument",
            got=base,
            fix='e.g. base = "targeted_obligation"',
        )
    return tables[base]


def _approaches(r: _Reader, instruments: Mapping[str, Instrument]) -> tuple[Approach, ...]:
    approaches = []
    for key, entry in r.table("approaches").items():
        r.keys("approaches", key, entry, ("label", "instruments"))
        for name in entry["instruments"]:
            if name not in instruments:
                close = difflib.get_close_matches(str(name), instruments, n=1)
                r.fail(
                    "approaches",
                    key,
                    f"unknown instrument '{name}'",
                    fix=f"did you mean '{close[0]}'?" if close else "declare it in [instruments]",
                )
        approaches.append(Approach(key, entry["label"], tuple(entry["instruments"])))
    if not approaches or approaches[0].key != "status_quo" or approaches[0].instruments:
        r.fail(
            "approaches",
            "status_quo",
            "the first approach must be status_quo with no instruments",
            fix="start with [approaches.status_quo] instruments = []",
        )
    return tuple(approaches)


def _settings(r: _Reader) -> Settings:
    s = r.table("settings")
    r.keys("settings", None, s, ("horizon_years", "standing", "currency"), ("threshold",))
    threshold = s.get("threshold", "share")
    if threshold not in THRESHOLD_PARAMETERS:
        r.fail(
            "settings",
            "threshold",
            "unknown threshold kind",
            got=threshold,
            fix="use 'share' (a share of developers) or 'compute' (a compute threshold)",
        )
    horizon = s["horizon_years"]
    if not isinstance(horizon, int) or not 1 <= horizon <= 200:
        r.fail("settings", "horizon_years", "must be an integer from 1 to 200", got=horizon)
    if s["standing"] not in STANDINGS:
        r.fail(
            "settings",
            "standing",
            "unknown standing",
            got=s["standing"],
            fix="use 'world' or 'jurisdiction'",
        )
    d = r.table("discounting")
    r.keys("discounting", None, d, ("schedule", "source"))
    schedule = d["schedule"]
    ok = (
        isinstance(schedule, (list, tuple))
        and schedule
        and all(isinstance(row, (list, tuple)) and len(row) == 2 for row in schedule)
    )
    if not ok or schedule[0][0] != 0:
        r.fail(
            "discounting",
            "schedule",
            "must be a list of [from_year, rate] starting at year 0",
            got=schedule,
            fix="e.g. schedule = [[0, 0.035], [31, 0.03]]",
        )
    starts = [row[0] for row in schedule]
    rates = [row[1] for row in schedule]
    if starts != sorted(starts) or not all(-0.5 < x < 1 for x in rates):
        r.fail(
            "discounting",
            "schedule",
            "years must increase and rates lie in (-0.5, 1)",
            got=schedule,
        )
    years = np.arange(horizon)
    per_year = np.asarray(rates, float)[np.searchsorted(starts, years, side="right") - 1]
    return Settings(horizon, s["standing"], s["currency"], threshold, per_year, d["source"])


def build_model(params) -> RegulationModel:
    """Read the regulation model from a ParameterSet's structure tables (errors name file, key)."""
    r = _Reader(params)
    settings = _settings(r)
    for name in (*WORLD_PARAMETERS, *THRESHOLD_PARAMETERS[settings.threshold]):
        if name not in r.names:
            raise ParamFileError(
                str(params.files[0]),
                name,
                "the world needs this parameter",
                fix="declare it under [parameters] (see docs/model.md)",
            )
    harms = _harms(r)
    instruments = _instruments(r, harms)
    return RegulationModel(harms, instruments, _approaches(r, instruments), settings, r.names)
