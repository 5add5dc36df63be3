"""Sources linked to the evidence register: each ``[id, id]`` a source opens with.

A parameter's source opens with the register IDs it rests on (``"[id, id] text"``,
:func:`model.inputs.evidence.cited`). In the parameter table each ID becomes a link to its
entry in the report's register section, or, when the register does not hold it, a marked span.
"""

from __future__ import annotations

import re

from model.inputs.evidence import Entry, Register, cited

__all__ = ["cited_entries", "link_sources", "uncited"]

# the start of a table cell or of an expert's line, then the bracketed IDs
_OPENING = re.compile(r"(<td>|<br>• [^:<]+: )\[([a-z0-9]+(?:-[a-z0-9]+)*(?:, [a-z0-9-]+)*)\]")


def _anchor(eid: str, register: Register | None) -> str:
    if register is not None and eid in register.entries:
        return f'<a class="evidence-id" href="#evidence-{eid}">{eid}</a>'
    return f'<span class="evidence-id" data-evidence="{eid}">{eid}</span>'


def link_sources(table_html: str, register: Register | None = None) -> str:
    """Each cited ID at a cell's (or expert line's) start as a link to its register entry."""

    def hook(m: re.Match) -> str:
        ids = ", ".join(_anchor(e, register) for e in m.group(2).split(", "))
        return f"{m.group(1)}[{ids}]"

    return _OPENING.sub(hook, table_html)


def cited_entries(params, register: Register | None) -> list[Entry]:
    """The register's entries the parameters (and their experts) cite, in order of first use."""
    if register is None:
        return []
    ids: dict[str, None] = {}
    for name in params.names:
        p = params[name]
        for source in (p.source, *(e.source for e in p.experts)):
            ids |= dict.fromkeys(cited(source or ""))
    return [register.entries[i] for i in ids if i in register.entries]


def uncited(source: str) -> str:
    """A source's text without the IDs it opens with (for a sentence, not a table)."""
    return source.split("] ", 1)[-1] if cited(source) else source
