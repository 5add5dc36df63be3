"""The data behind the page's value-judgement controls: per-draw components of a subsample.

For each standing and each distinct discount schedule the run's first ``m`` draws are evaluated
once (:class:`model.study.judgements.Judgements`); the page recomputes net benefit, the decision
table, P(best) and the headline from them in plain JavaScript, exactly as
:meth:`Judgements.reweigh` does in Python. Arrays travel as base64 float32 (relative error
~1e-7), draws first: value ``[i * k + j]`` is draw ``i``, approach ``j``.
"""

from __future__ import annotations

import base64
import json

import numpy as np

from model.regulation import STRUCTURAL
from model.report.brief import standing_words, uncited
from model.study.judgements import Judgements

__all__ = ["RUN", "payload", "payload_json"]

RUN = "run"  # the discount key of the run's own schedule


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def _discounts(judged: Judgements) -> list[tuple[str, str]]:
    """(key, label) of the run's schedule and each preset with a schedule not seen before."""
    s = judged.results.regulation.settings
    out, seen = [(RUN, f"as run: {uncited(s.discount_source)}")], [s.discount_rates]
    for key, table in judged.presets.items():
        rates = judged.settings(judged.results.params, discount=key).discount_rates
        if not any(np.array_equal(rates, r) for r in seen):
            seen.append(rates)
            out.append((key, uncited(str(table.get("source", key)))))
    return out


def payload(judged: Judgements) -> dict:
    """JSON-ready data for the controls (standing x discount schedule)."""
    res = judged.results
    data = {}
    discounts = _discounts(judged)
    for standing in STRUCTURAL["standing"]:
        for key, _ in discounts:
            c = judged.components(standing, None if key == RUN else key)
            data[f"{standing}|{key}"] = {
                name: _b64(getattr(c, name)) for name in ("life", "other", "burden", "innovation")
            }
    return {
        "m": judged.m,
        "approaches": list(res.approaches),
        "labels": [res.labels.get(a, a) for a in res.approaches],
        "currency": res.regulation.settings.currency,
        "standing": res.regulation.settings.standing,
        "standings": [
            {"key": st, "label": standing_words(judged, st)} for st in STRUCTURAL["standing"]
        ],
        "discounts": [{"key": k, "label": v} for k, v in discounts],
        "data": data,
    }


def payload_json(judged: Judgements) -> str:
    """:func:`payload` as JSON safe inside a ``<script>`` element."""
    return json.dumps(payload(judged), separators=(",", ":")).replace("</", "<\\/")
