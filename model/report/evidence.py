"""Sources linked to the evidence register: each ``[id, id]`` a source cites.

A parameter's source opens with the register IDs it rests on (``"[id, id] text"``,
:func:`model.inputs.evidence.cited`); an assumption may cite IDs inside its text. In the
parameter table each ID the register holds becomes a link to its entry in the report's register
section; an opening ID it does not hold becomes a marked span (a hook for a later entry).
"""

from __future__ import annotations

import re

from model.inputs.evidence import Entry, Register, cited

__all__ = ["cited_entries", "link_sources", "uncited"]

_IDS = r"[a-z0-9]+(?:-[a-z0-9]+)*(?:, [a-z0-9]+(?:-[a-z0-9]+)*)*"
# the start of a table cell or of an expert's line, then the bracketed IDs
_OPENING = re.compile(rf"(<td>|<br>• [^:<]+: )\[({_IDS})\]")
# IDs cited inside a text: slugs with at least one hyphen ("[recalled]" is a status, not an ID)
_INLINE = re.compile(r"\[([a-z0-9]+(?:-[a-z0-9]+)+(?:, [a-z0-9]+(?:-[a-z0-9]+)+)*)\]")


def _anchor(eid: str, register: Register | None) -> str:
    if register is not None and eid in register.entries:
        return f'<a class="evidence-id" href="#evidence-{eid}">{eid}</a>'
    return f'<span class="evidence-id" data-evidence="{eid}">{eid}</span>'


def link_sources(table_html: str, register: Register | None = None) -> str:
    """Each cited ID at a cell's (or expert line's) start as a link to its register entry."""

    def opening(m: re.Match) -> str:
        ids = ", ".join(_anchor(e, register) for e in m.group(2).split(", "))
        return f"{m.group(1)}[{ids}]"

    def inline(m: re.Match) -> str:
        ids = m.group(1).split(", ")
        if register is None or not all(e in register.entries for e in ids):
            return m.group(0)
        return "[" + ", ".join(_anchor(e, register) for e in ids) + "]"

    out = _OPENING.sub(opening, table_html)
    # inline citations, outside the tags the opening pass wrote
    parts = re.split(r"(<[^>]*>)", out)
    return "".join(p if p.startswith("<") else _INLINE.sub(inline, p) for p in parts)


def cited_entries(params, register: Register | None) -> list[Entry]:
    """The register's entries the parameters (and their experts) cite, in order of first use."""
    if register is None:
        return []
    ids: dict[str, None] = {}
    for name in params.names:
        p = params[name]
        for source in (p.source, *(e.source for e in p.experts)):
            ids |= dict.fromkeys(cited(source or ""))
            for group in _INLINE.findall(source or ""):
                ids |= dict.fromkeys(group.split(", "))
    return [register.entries[i] for i in ids if i in register.entries]


def uncited(source: str) -> str:
    """A source's text without the IDs it opens with (for a sentence, not a table)."""
    return source.split("] ", 1)[-1] if cited(source) else source
