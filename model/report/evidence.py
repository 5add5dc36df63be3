"""The report's evidence: parameter sources linked to the register entries they cite, and the
register's cited entries as an appendix (model.inputs.evidence reads the register)."""

from __future__ import annotations

import html
import re

from model.inputs.evidence import CITATION, Register, cited

__all__ = ["anchor", "link_citations", "register_html"]


def anchor(entry_id: str) -> str:
    """The HTML id of an entry's row in the appendix."""
    return f"ev-{entry_id}"


def link_citations(escaped_html: str, register: Register | None) -> str:
    """Link every ``[id, id]`` in already-escaped HTML whose IDs are all register entries.

    Brackets holding anything else (``truncate=[0, 1]``, an unknown ID) are left as they are.
    """
    if register is None:
        return escaped_html

    def link(m: re.Match) -> str:
        ids = m.group(1).split(", ")
        if not all(i in register.entries for i in ids):
            return m.group(0)
        return "[" + ", ".join(f'<a href="#{anchor(i)}">{i}</a>' for i in ids) + "]"

    return CITATION.sub(link, escaped_html)


def register_html(register: Register | None, sources: list[str]) -> str:
    """A table of the register entries that ``sources`` cite, in first-cited order, each row
    anchored for :func:`link_citations`; a plain note when there is no register."""
    if register is None:
        return (
            "<p class='caveat'>No evidence register (evidence.toml) sits beside these parameter "
            "files, so sources are shown as written.</p>"
        )
    ids = [i for s in sources for i in cited(s) if i in register.entries]
    rows = []
    for i in dict.fromkeys(ids):
        e = register.entries[i]
        cells = (e.title, f"{e.author} ({e.year})", e.figure, e.address, e.status, e.check)
        tds = "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
        rows.append(f'<tr id="{anchor(i)}"><td><code>{html.escape(i)}</code></td>{tds}</tr>')
    head = "".join(
        f"<th>{h}</th>"
        for h in ("entry", "title", "author", "figure quoted", "where found", "status", "check")
    )
    return (
        f'<table class="data evidence"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
