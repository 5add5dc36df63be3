"""An influence diagram generated from the model's own structure, as inline SVG.

Inputs (the world's parameters, each harm's factors, each instrument's parameters) -> harms ->
instruments -> approaches -> outcomes. Nodes list the parameters they read (hover); the diagram
changes when the parameter files add a harm, an instrument or an approach.
"""

from __future__ import annotations

import html

from model.regulation import PAYERS
from model.regulation.instruments import TYPES
from model.regulation.world import HARM_ROLES, THRESHOLD_PARAMETERS, WORLD_PARAMETERS

__all__ = ["influence_svg", "structure"]

OUTCOMES = (
    "risk reduction",
    *(f"burden: {p}" for p in PAYERS),
    "innovation cost",
    "transfers (not netted)",
    "net benefit",
)


def _instrument_parameters(model, inst) -> list[str]:
    kind = TYPES[inst.type]
    names = []
    for role, name in inst.parameters.items():
        if role in kind.per_harm:
            names += [model.resolve(name, h) for h in model.harm_names]
        else:
            names.append(name)
    return list(dict.fromkeys(names))


def structure(model) -> tuple[list[list[tuple[str, str, str]]], list[tuple[str, str]]]:
    """Columns of nodes (id, label, parameters read) and edges (from id, to id)."""
    world = [*WORLD_PARAMETERS, *THRESHOLD_PARAMETERS[model.settings.threshold]]
    inputs = [("in:world", "World: actors, value, threshold", ", ".join(world))]
    inputs += [
        (
            f"in:{h.key}",
            f"{h.label}: factors",
            ", ".join([*h.harm, *(h.roles[r] for r in HARM_ROLES)]),
        )
        for h in model.harms
    ]
    inputs += [
        (f"in:{k}", f"{i.label}: parameters", ", ".join(_instrument_parameters(model, i)))
        for k, i in model.instruments.items()
    ]
    harms = [(f"h:{h.key}", h.label, h.reading) for h in model.harms]
    insts = [(f"i:{k}", i.label, f"type {i.type}" + (f", scope {i.scope}" if i.scope else ""))
             for k, i in model.instruments.items()]  # fmt: skip
    apps = [(f"a:{a.key}", a.label, ", ".join(a.instruments) or "no new rules")
            for a in model.approaches]  # fmt: skip
    outs = [(f"o:{o}", o, "") for o in OUTCOMES]
    edges = [("in:world", n) for n, _, _ in harms + insts]
    edges += [(f"in:{h.key}", f"h:{h.key}") for h in model.harms]
    edges += [(f"in:{k}", f"i:{k}") for k in model.instruments]
    edges += [(h, i) for h, _, _ in harms for i, _, _ in insts]
    edges += [(f"i:{i}", f"a:{a.key}") for a in model.approaches for i in a.instruments]
    edges += [(a, o) for a, _, _ in apps[1:] for o, _, _ in outs[:-2]]
    edges += [(o, "o:net benefit") for o, _, _ in outs[:-2]]
    return [inputs, harms, insts, apps, outs], edges


def influence_svg(model, width: int = 1120) -> str:
    """The diagram as an ``<svg>`` element (hover a node for the parameters it reads)."""
    columns, edges = structure(model)
    col_w, box_w, box_h, gap = width / len(columns), width / len(columns) - 40, 28, 8
    rows = max(len(c) for c in columns)
    height = 40 + rows * (box_h + gap)
    where = {}
    for c, nodes in enumerate(columns):
        top = 40 + (rows - len(nodes)) * (box_h + gap) / 2
        for r, (nid, _, _) in enumerate(nodes):
            where[nid] = (c * col_w + 10, top + r * (box_h + gap))
    heads = ("Inputs", "Harms", "Instruments", "Approaches", "Outcomes")
    out = [
        f'<svg id="influence" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{height:.0f}" role="img" aria-label="Influence diagram" '
        'style="width:100%;height:auto;font:11px system-ui,sans-serif">'
    ]
    out += [f'<text x="{c * col_w + 10:.0f}" y="20" font-weight="600">{h}</text>'
            for c, h in enumerate(heads)]  # fmt: skip
    for a, b in edges:
        (x1, y1), (x2, y2) = where[a], where[b]
        x1, y1, y2, mid = x1 + box_w, y1 + box_h / 2, y2 + box_h / 2, (x1 + box_w + x2) / 2
        if x2 <= x1:  # within the outcomes column: a short hook on the right
            x2, mid = x2 + box_w, x1 + 18
        out.append(
            f'<path d="M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},'
            f'{y2:.0f}" fill="none" stroke="#9aa7b5" stroke-opacity=".45"/>'
        )
    for nodes in columns:
        for nid, label, reads in nodes:
            x, y = where[nid]
            text = label if len(label) <= 30 else label[:29] + "…"
            out.append(
                f'<g data-node="{html.escape(nid)}"><title>{html.escape(label)}'
                f"{': ' + html.escape(reads) if reads else ''}</title>"
                f'<rect x="{x:.0f}" y="{y:.0f}" width="{box_w:.0f}" height="{box_h}" rx="4" '
                'fill="#eef4fa" stroke="#1f4e79"/>'
                f'<text x="{x + 6:.0f}" y="{y + 18:.0f}">{html.escape(text)}</text></g>'
            )
    out.append("</svg>")
    return "".join(out)
