"""The evidence register: the sources a parameter file's ``source`` strings cite.

A register is a TOML file of ``[sources.ID]`` tables (title, author, year, figure, address,
supports, status, check), kept beside the parameter files as ``evidence.toml``. A parameter's
``source`` either opens with the IDs it rests on, ``"[id, id] text"`` (the first ID gives the
parameter its evidence status), or states an ``assumption:`` or a ``definition:``. Format and
status tags: docs/evidence.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from model.errors import ParamFileError

__all__ = [
    "CITATION",
    "ENTRY_ID",
    "FIELDS",
    "REGISTER_NAME",
    "STATUSES",
    "Entry",
    "Register",
    "cited",
    "find_register",
    "unresolved_sources",
]

#: The register's file name, beside the parameter files.
REGISTER_NAME = "evidence.toml"
#: How a source was read, strongest first.
STATUSES = ("found", "secondary", "recalled", "inferred", "assumption")
FIELDS = ("title", "author", "year", "figure", "address", "supports", "status", "check")
#: Prefixes of a source that cites no entry.
UNCITED = ("assumption:", "definition:")
#: An entry ID: lower-case words and numbers joined by '-'.
ENTRY_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
#: A bracketed list of IDs, ``[id, id]``.
CITATION = re.compile(rf"\[({ENTRY_ID}(?:, {ENTRY_ID})*)\]")


def cited(source: str) -> list[str]:
    """The register IDs a source string opens with (``[]`` for assumptions and definitions)."""
    m = CITATION.match(source.strip())  # at the start only
    return m.group(1).split(", ") if m else []


@dataclass(frozen=True)
class Entry:
    """One source of the register."""

    id: str
    title: str
    author: str
    year: int | str
    figure: str
    address: str
    supports: str
    status: str
    check: str


@dataclass(frozen=True)
class Register:
    """The entries of a register file, by ID."""

    path: str
    entries: Mapping[str, Entry]

    @classmethod
    def load(cls, path: str | Path) -> Register:
        """Read and check a register; ParamFileError (one line) names the entry and the fix."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ParamFileError(
                str(path), None, "cannot read the evidence register", str(e)
            ) from None
        sources = data.get("sources")
        if not isinstance(sources, dict):
            raise ParamFileError(
                str(path), "sources", "no [sources.ID] tables", fix="add one table per source"
            )
        entries = {}
        for key, table in sources.items():
            where = f"sources.{key}"
            if not isinstance(table, dict) or not re.fullmatch(ENTRY_ID, key):
                raise ParamFileError(
                    str(path), where, "not an entry", fix="IDs are lower-case words joined by '-'"
                )
            missing = [f for f in FIELDS if f not in table]
            if missing:
                raise ParamFileError(str(path), where, "missing fields", ", ".join(missing))
            if table["status"] not in STATUSES:
                raise ParamFileError(
                    str(path),
                    where,
                    "unknown status",
                    repr(table["status"]),
                    f"use one of {STATUSES}",
                )
            entries[key] = Entry(key, *(table[f] for f in FIELDS))
        return cls(str(path), entries)

    def unresolved(self, source: str) -> list[str]:
        """IDs a source cites that the register does not hold."""
        return [i for i in cited(source) if i not in self.entries]

    def status_of(self, source: str) -> str:
        """A source's evidence status: its prefix, or the status of the first entry it cites,
        or "uncited" when it does neither."""
        for prefix in UNCITED:
            if source.startswith(prefix):
                return prefix.rstrip(":")
        ids = cited(source)
        return self.entries[ids[0]].status if ids and ids[0] in self.entries else "uncited"


def unresolved_sources(params, register: Register) -> list[ParamFileError]:
    """One error per parameter (or pooled expert) whose source cites an ID the register lacks."""
    errors = []
    for p in params.parameters.values():
        for who, source in (
            (p.name, p.source),
            *((f"{p.name} expert '{e.name}'", e.source) for e in p.experts),
        ):
            missing = register.unresolved(source)
            if missing:
                fix = f"add [sources.{missing[0]}] to {register.path} or correct the ID"
                errors.append(
                    ParamFileError(
                        p.file, who, "source cites no register entry", ", ".join(missing), fix
                    )
                )
    return errors


def find_register(files: list[str] | tuple[str, ...]) -> Register | None:
    """The register beside a parameter set's files (the first folder of its files, a scenario's
    or its base's, that holds one), or None."""
    for f in files:
        candidate = Path(f).parent / REGISTER_NAME
        if candidate.is_file():
            return Register.load(candidate)
    return None
