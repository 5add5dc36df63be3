"""Harms, instruments, approaches and settings, read and checked from a parameter set.

They are data: an analyst adds a harm, a stricter variant of an instrument or a new approach in
TOML without touching code. Every mistake is a one-line ``ParamFileError`` naming file and key.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from model.errors import ParamFileError
from model.regulation.instruments import TYPES
from model.regulation.world import (
    CHANNEL_ROLES,
    CHANNELS,
    CLASS_ROLES,
    HARM_ROLES,
    SCOPE_TRIGGER,
    THRESHOLD_PARAMETERS,
    TRIGGERS,
    WITHDRAWAL_PARAMETERS,
    WORLD_PARAMETERS,
)

#: Structural settings of ``[settings]``: name -> its declared alternatives (the first is the
#: default when a file does not set it). Each is a modelling choice that evidence does not
#: settle; ``model.study.structural`` evaluates every alternative on the same draws.
STRUCTURAL = {
    # whose costs and benefits count: the world's, or those borne inside the jurisdiction
    "standing": ("world", "jurisdiction"),
    # what happens to a developer deterred by a duty (docs/model.md, section 6)
    "deterred": ("relocate", "exit", "abandon", "value_lost_risk_stays"),
    # how the deterred share responds to the cost share: bounded, or linear up to 1
    "entry_response": ("saturating", "linear_capped"),
    # mandates credited only beyond the voluntary compliers, or for every complier
    "additionality": ("beyond_voluntary", "full_credit"),
    # years appraised, and whether final-year flows continue as a perpetuity after them
    "horizon_years": (10, 20),
    "terminal_value": ("none", "perpetuity"),
    # which rules reach malicious modifiers: technical upstream controls only, or every rule
    # (as far as it reaches anyone in the jurisdiction)
    "malicious_reach": ("upstream_only", "all_rules"),
    # liability's deterrence: a parameter (correlated with claims), or derived from expected
    # liability against the cost of care
    "liability": ("declared", "derived"),
    # where duties on upstream developers and hubs change models: everywhere (a firm serving
    # the jurisdiction changes its models for all: the "Brussels effect"), or only for
    # modifiers in the jurisdiction (geo-fenced versions)
    "upstream_reach": ("worldwide", "jurisdiction"),
    # what the closed-model segment is: risk that stays behind the providers' interfaces, or
    # closed capability that diffuses to open weights within the open-closed lag (only
    # ``closed_retention`` of it stays behind the interface; the rest moves to foreign open
    # weights)
    "closed_segment": ("stays_closed", "diffuses"),
    # what upstream developers facing the jurisdiction's upstream duties do: all comply (or pay
    # penalties), or a share ``upstream_withdrawal_share`` stops serving the jurisdiction
    # instead (their models stay reachable from abroad: the risk stays, the jurisdiction's
    # users lose their value)
    "upstream_withdrawal": ("complies", "withdraws"),
}
#: Parameters that an alternative of a structural setting reads and the default does not: a
#: file that chooses the alternative must declare them, and ``model.study.structural`` skips
#: the alternative for a file that does not (its draws would otherwise change).
ALTERNATIVE_PARAMETERS = {
    ("closed_segment", "diffuses"): ("closed_retention",),
    ("upstream_withdrawal", "withdraws"): WITHDRAWAL_PARAMETERS,
}
TABLES = ("settings", "discounting", "harms", "classes", "instruments", "approaches")
#: Parameters the equations divide by or take the log of: every draw must exceed the bound.
ABOVE = {
    "n_downstream": 0.0,
    "n_downstream_cap": 0.0,
    "amortisation_years": 0.0,
    "compute_median": 0.0,
    "threshold_compute": 0.0,
    "compute_gsd": 1.0,
}


@dataclass(frozen=True)
class Harm:
    """A harm pathway: bottom-up annual harm = product of ``harm`` factors (money per year)."""

    key: str
    label: str
    reading: str  # the one stated reading of its severity
    harm: tuple[str, ...]
    reference: tuple[str, ...]  # top-down calibration product
    roles: Mapping[str, str]
    valued_as: str = "money"  # "health" (QALYs, lives): discounted at the health rate


@dataclass(frozen=True)
class DeveloperClass:
    """A class of downstream developers (``[classes.*]``): its roles mapped to parameters."""

    key: str
    label: str
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
    schedule: tuple[tuple[int, float], ...]  # [from_year, rate] rows of [discounting]
    discount_source: str
    health_schedule: tuple[tuple[int, float], ...] | None = None  # for harms valued as health
    deterred: str = STRUCTURAL["deterred"][0]
    entry_response: str = STRUCTURAL["entry_response"][0]
    additionality: str = STRUCTURAL["additionality"][0]
    terminal_value: str = STRUCTURAL["terminal_value"][0]
    malicious_reach: str = STRUCTURAL["malicious_reach"][0]
    liability: str = STRUCTURAL["liability"][0]
    upstream_reach: str = STRUCTURAL["upstream_reach"][0]
    closed_segment: str = STRUCTURAL["closed_segment"][0]
    upstream_withdrawal: str = STRUCTURAL["upstream_withdrawal"][0]
    in_force: tuple[str, ...] = ()  # instruments already law: the status quo's counterfactual
    jurisdiction: str = ""  # its name, as the report states it ("" when the file names none)

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.horizon_years, dtype=float)

    def rates(self, schedule: tuple[tuple[int, float], ...]) -> np.ndarray:
        """(T,) discount rate applying in each year, from a [from_year, rate] schedule."""
        starts = [row[0] for row in schedule]
        rates = np.asarray([row[1] for row in schedule], float)
        return rates[np.searchsorted(starts, np.arange(self.horizon_years), side="right") - 1]

    def factors(self, schedule: tuple[tuple[int, float], ...]) -> np.ndarray:
        """Discount factor of each year: prod over earlier years of 1/(1+r_s); 1 in year 0.

        With ``terminal_value = "perpetuity"`` the final year's flows continue for ever at the
        final year's rate r: its factor is multiplied by sum_s (1+r)^-s = (1 + r) / r.
        """
        rates = self.rates(schedule)
        out = np.cumprod(np.concatenate([[1.0], 1.0 / (1.0 + rates[:-1])]))
        if self.terminal_value == "perpetuity":
            out[-1] *= (1.0 + rates[-1]) / rates[-1]
        return out

    @property
    def discount_rates(self) -> np.ndarray:
        return self.rates(self.schedule)

    @property
    def discount(self) -> np.ndarray:
        """Discount factors of money (costs, value, harms valued in money), (T,)."""
        return self.factors(self.schedule)

    @property
    def health_discount(self) -> np.ndarray:
        """Discount factors of harms valued as health (QALYs, lives): the health schedule where
        the guidance has one (Green Book: 1.5%), else the standard one, (T,)."""
        return self.factors(self.health_schedule or self.schedule)


@dataclass(frozen=True)
class RegulationModel:
    """Everything the equations need besides the draws."""

    harms: tuple[Harm, ...]
    instruments: Mapping[str, Instrument]
    approaches: tuple[Approach, ...]
    settings: Settings
    parameter_names: frozenset[str] = field(repr=False)
    classes: tuple[DeveloperClass, ...] = ()  # none declared: one class, "all"

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.classes) or ("all",)

    @property
    def approach_names(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.approaches)

    @property
    def harm_names(self) -> tuple[str, ...]:
        return tuple(h.key for h in self.harms)

    def acting(self, approach: Approach) -> tuple[str, ...]:
        """The instruments acting under ``approach``: the rules in force plus its own. An
        adaptive duty whose base is already in force adds nothing (the duty applies already)."""
        in_force = self.settings.in_force
        own = tuple(
            k
            for k in approach.instruments
            if k not in in_force and self.instruments[k].base not in in_force
        )
        return (*in_force, *own)

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
        return replace(self, approaches=approaches)


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

    def entries(self, name: str):
        """(key, entry) of the table ``name``, each entry checked to be a table."""
        for key, entry in self.table(name).items():
            if not isinstance(entry, Mapping):
                self.fail(
                    name, key, "must be a table", got=repr(entry), fix=f"write [{name}.{key}]"
                )
            yield key, entry

    def typed(self, table, key, entry: Mapping, name: str, kind: type, example: str):
        """``entry[name]`` if it is a ``kind`` (a bool is no number), else a one-line error."""
        value = entry[name]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.fail(table, key, f"'{name}' must be {example}", got=repr(value))
        return value

    def name_list(self, table, key, entry: Mapping, name: str) -> tuple[str, ...]:
        """``entry[name]`` as a list of distinct strings, else a one-line error."""
        value = entry[name]
        example = f'a list of names, e.g. {name} = ["a", "b"]'
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.fail(table, key, f"'{name}' must be {example}", got=repr(value))
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            self.fail(table, key, f"'{name}' lists '{twice[0]}' twice", fix="list it once")
        return tuple(value)

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
    for key, entry in r.entries("harms"):
        required = ("label", "reading", "harm", "reference", *HARM_ROLES)
        r.keys("harms", key, entry, required, ("valued_as", *CHANNEL_ROLES))
        for text in ("label", "reading", *HARM_ROLES, *(c for c in CHANNEL_ROLES if c in entry)):
            r.typed("harms", key, entry, text, str, "a string")
        valued_as = entry.get("valued_as", "money")
        if valued_as not in ("money", "health"):
            r.fail(
                "harms",
                key,
                "unknown valued_as",
                got=valued_as,
                fix="use 'health' (QALYs or lives, discounted at the health rate) or 'money'",
            )
        for list_key in ("harm", "reference"):
            names = entry[list_key]
            if not isinstance(names, (list, tuple)) or not names:
                r.fail("harms", key, f"'{list_key}' must be a non-empty list of parameter names")
            for name in names:
                r.parameter("harms", key, list_key, name)
        roles = {
            role: r.parameter("harms", key, role, entry[role])
            for role in (*HARM_ROLES, *CHANNEL_ROLES)
            if role in entry
        }
        harms.append(
            Harm(
                key,
                entry["label"],
                entry["reading"],
                tuple(entry["harm"]),
                tuple(entry["reference"]),
                roles,
                valued_as,
            )
        )
    return tuple(harms)


def _instruments(r: _Reader, harms: tuple[Harm, ...]) -> dict[str, Instrument]:
    out = {}
    for key, entry in r.entries("instruments"):
        r.keys("instruments", key, entry, ("type", "label", "parameters"), ("scope", "base"))
        for text in ("type", "label", *(k for k in ("scope", "base") if k in entry)):
            r.typed("instruments", key, entry, text, str, "a string")
        r.typed("instruments", key, entry, "parameters", Mapping, "a table of role = name")
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
        trigger = SCOPE_TRIGGER.get(scope or "")
        if trigger in TRIGGERS and not all(n in r.names for n in TRIGGERS[trigger]):
            missing = next(n for n in TRIGGERS[trigger] if n not in r.names)
            r.fail(
                "instruments",
                key,
                f"scope {scope} needs the {trigger} trigger's parameters",
                got=f"no parameter '{missing}'",
                fix=f"declare {', '.join(TRIGGERS[trigger])} (docs/model.md, section 2)",
            )
        if not kind.scopes and scope is not None:
            r.fail("instruments", key, f"{kind.name} takes no scope", fix="remove scope")
        if kind.name == "adaptive" and "scope" in entry:
            r.fail("instruments", key, "adaptive takes its scope from its base", fix="remove scope")
        mapping = entry["parameters"]
        if set(kind.channels) != set(CHANNELS):
            lacking = [
                h.key for h in harms if not {"information_share", "safety_share"} <= set(h.roles)
            ]
            if lacking:
                r.fail(
                    "harms",
                    lacking[0],
                    f"instrument '{key}' ({kind.name}) acts on the {', '.join(kind.channels)} "
                    "channel(s) only, so every harm must split its risk over the channels",
                    fix="map information_share and safety_share (docs/model.md, section 3)",
                )
        missing = [role for role in kind.roles if role not in mapping]
        if missing:
            r.fail(
                "instruments",
                key,
                f"missing parameter roles {missing}",
                fix=f"map every role of {kind.name}: {', '.join(kind.roles)}",
            )
        for role, name in mapping.items():
            r.typed("instruments", key, mapping, role, str, "a parameter name (a string)")
            if role not in kind.roles + kind.optional_roles:
                r.fail(
                    "instruments",
                    key,
                    f"unknown role '{role}' for {kind.name}",
                    fix=f"roles: {', '.join(kind.roles + kind.optional_roles)}",
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


def _classes(r: _Reader) -> tuple[DeveloperClass, ...]:
    """The developer classes of ``[classes.*]`` (none: the model has one class)."""
    if "classes" not in r.params.structure:
        return ()
    out = []
    for key, entry in r.entries("classes"):
        r.keys("classes", key, entry, ("label", *CLASS_ROLES))
        for text in ("label", *CLASS_ROLES):
            r.typed("classes", key, entry, text, str, "a string")
        roles = {role: r.parameter("classes", key, role, entry[role]) for role in CLASS_ROLES}
        out.append(DeveloperClass(key, entry["label"], roles))
    return tuple(out)


def _adaptive_base(r: _Reader, key: str, entry: Mapping) -> Mapping:
    """The obligation an adaptive instrument switches on (checked to be one)."""
    tables = r.table("instruments")
    base = entry.get("base")
    if (
        not isinstance(base, str)
        or not isinstance(tables.get(base), Mapping)
        or tables[base].get("type") != "downstream_obligation"
    ):
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
    for key, entry in r.entries("approaches"):
        r.keys("approaches", key, entry, ("label", "instruments"))
        r.typed("approaches", key, entry, "label", str, "a string")
        for name in r.name_list("approaches", key, entry, "instruments"):
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
    choices = (
        "deterred",
        "entry_response",
        "additionality",
        "terminal_value",
        "malicious_reach",
        "liability",
        "upstream_reach",
        "closed_segment",
        "upstream_withdrawal",
    )
    optional = ("threshold", *choices, "in_force", "jurisdiction")
    r.keys("settings", None, s, ("horizon_years", "standing", "currency"), optional)
    for text in ("standing", "currency", *(k for k in ("threshold", "jurisdiction") if k in s)):
        r.typed("settings", text, s, text, str, "a string")
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
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= 200:
        r.fail("settings", "horizon_years", "must be an integer from 1 to 200", got=horizon)
    chosen = {}
    for name in ("standing", *choices):
        alternatives = STRUCTURAL[name]
        chosen[name] = s.get(name, alternatives[0])
        if chosen[name] not in alternatives:
            r.fail(
                "settings",
                name,
                f"unknown {name.replace('_', ' ')}",
                got=chosen[name],
                fix="use " + " or ".join(f"'{a}'" for a in alternatives),
            )
    d = r.table("discounting")
    r.keys("discounting", None, d, ("schedule", "source"), ("health_schedule", "health_source"))
    r.typed("discounting", "source", d, "source", str, "a string")
    rows = _schedule(r, "schedule", d["schedule"])
    if chosen["terminal_value"] == "perpetuity" and rows[-1][1] <= 0:
        r.fail("discounting", "schedule", "a perpetuity needs a positive final rate", got=rows)
    health = None
    if "health_schedule" in d:
        health = _schedule(r, "health_schedule", d["health_schedule"])
        if "health_source" not in d:
            r.fail("discounting", "health_source", "missing", fix="cite the health schedule")
    in_force = s.get("in_force", [])
    if not isinstance(in_force, (list, tuple)) or not all(isinstance(k, str) for k in in_force):
        r.fail("settings", "in_force", "must be a list of instrument keys", got=in_force)
    return Settings(
        horizon,
        currency=s["currency"],
        threshold=threshold,
        schedule=rows,
        health_schedule=health,
        discount_source=d["source"],
        in_force=tuple(in_force),
        jurisdiction=s.get("jurisdiction", ""),
        **chosen,
    )


def _schedule(r: _Reader, key: str, schedule) -> tuple[tuple[int, float], ...]:
    """A [discounting] schedule checked: [from_year, rate] rows from year 0, years increasing."""
    ok = (
        isinstance(schedule, (list, tuple))
        and schedule
        and all(
            isinstance(row, (list, tuple))
            and len(row) == 2
            and isinstance(row[0], int)
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in row)
            for row in schedule
        )
    )
    if not ok or schedule[0][0] != 0:
        r.fail(
            "discounting",
            key,
            "must be a list of [from_year, rate] starting at year 0",
            got=schedule,
            fix=f"e.g. {key} = [[0, 0.035], [31, 0.03]]",
        )
    starts = [row[0] for row in schedule]
    rates = [row[1] for row in schedule]
    if starts != sorted(starts) or not all(-0.5 < x < 1 for x in rates):
        r.fail("discounting", key, "years must increase and rates lie in (-0.5, 1)", got=schedule)
    return tuple((int(a), float(b)) for a, b in schedule)


def _check_domains(params, above: Mapping[str, float]) -> None:
    """A one-line error for a parameter that can be drawn at or below its bound."""
    for name, bound in above.items():
        if name not in params.names:
            continue
        p = params[name]
        lowest = float(p.dist.ppf(np.array([2.0**-53]))[0])  # the lowest draw a design gives
        if not lowest > bound:
            raise ParamFileError(
                p.file,
                name,
                f"must be greater than {bound:g} in every draw (the model divides by it)",
                f"values down to {lowest:g}",
                f"give a range above {bound:g} (e.g. a larger low or p05)",
            )


def build_model(params) -> RegulationModel:
    """Read the regulation model from a ParameterSet's structure tables (errors name file, key)."""
    r = _Reader(params)
    for name in params.structure:
        close = difflib.get_close_matches(name, TABLES, n=1, cutoff=0.8)
        if name not in TABLES and close:
            r.fail(name, None, f"unknown table [{name}]", fix=f"did you mean [{close[0]}]?")
    settings = _settings(r)
    for name in (*WORLD_PARAMETERS, *THRESHOLD_PARAMETERS[settings.threshold]):
        if name not in r.names:
            raise ParamFileError(
                str(params.files[0]),
                name,
                "the world needs this parameter",
                fix="declare it under [parameters] (see docs/model.md)",
            )
    for (setting, alternative), names in ALTERNATIVE_PARAMETERS.items():
        missing = [n for n in names if n not in r.names]
        if getattr(settings, setting) == alternative and missing:
            raise ParamFileError(
                str(params.files[0]) if params.files else "<python>",
                missing[0],
                f'{setting} = "{alternative}" needs this parameter',
                fix="declare it under [parameters] (docs/model.md, section 10)",
            )
    harms = _harms(r)
    triggers = {name: 0.0 for names in TRIGGERS.values() for name in names[:2]}
    triggers |= {names[2]: 1.0 for names in TRIGGERS.values()}
    _check_domains(params, {**ABOVE, **triggers, **{h.roles["growth_cap"]: 0.0 for h in harms}})
    instruments = _instruments(r, harms)
    for key in settings.in_force:
        if key not in instruments:
            close = difflib.get_close_matches(key, instruments, n=1)
            r.fail(
                "settings",
                "in_force",
                f"unknown instrument '{key}'",
                fix=f"did you mean '{close[0]}'?" if close else "name keys of [instruments]",
            )
    return RegulationModel(
        harms, instruments, _approaches(r, instruments), settings, r.names, _classes(r)
    )
