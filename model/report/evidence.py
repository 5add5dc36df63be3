"""Sources that cite the evidence register: a leading ID (``A1: ...``, ``[E2] ...``) as a hook.

The register (another module's work) will give each ID an entry; until then the ID is marked
with ``data-evidence`` so that a register section can link it. With ``register`` (ID -> anchor
id of its entry) the ID becomes a link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["EVIDENCE_ID", "evidence_id", "link_sources"]

#: An evidence ID at the start of a source: ``A1``, ``D10``, ``[E2]`` (letters, then digits).
EVIDENCE_ID = re.compile(r"\[?\b([A-Z]{1,2}\d{1,3})\b\]?")

# a table cell's or an expert line's start: the place a source's leading ID sits
_CELL_START = re.compile(r"(<td>|<br>• [^:<]+: |<br>)(\[?[A-Z]{1,2}\d{1,3}\b\]?)")


def evidence_id(source: str) -> str | None:
    """The evidence ID a source starts with, or None."""
    m = EVIDENCE_ID.match(source.strip())
    return m.group(1) if m else None


def link_sources(table_html: str, register: Mapping[str, str] | None = None) -> str:
    """Wrap each cell's leading evidence ID in a hook (a link when ``register`` knows it)."""

    def hook(m: re.Match) -> str:
        eid = EVIDENCE_ID.match(m.group(2)).group(1)
        if register and eid in register:
            tag = f'<a class="evidence-id" data-evidence="{eid}" href="#{register[eid]}">'
            return f"{m.group(1)}{tag}{m.group(2)}</a>"
        return f'{m.group(1)}<span class="evidence-id" data-evidence="{eid}">{m.group(2)}</span>'

    return _CELL_START.sub(hook, table_html)
