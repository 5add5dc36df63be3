"""The report links parameter sources to the evidence register and lists the entries cited."""

import html
from pathlib import Path

from model.inputs.evidence import Register
from model.report.evidence import link_citations, register_html

FIELDS = 'title="T <1>"\nauthor="A"\nyear=2025\nfigure="f"\naddress="x"\nsupports="s"\ncheck="c"\n'


def _register(tmp_path: Path) -> Register:
    f = tmp_path / "evidence.toml"
    f.write_text(f'[sources.a-1]\n{FIELDS}status="found"\n[sources.b]\n{FIELDS}status="inferred"\n')
    return Register.load(f)


def test_citations_link_only_when_every_id_is_an_entry(tmp_path):
    r = _register(tmp_path)
    text = html.escape("[a-1, b] survey; truncate=[0, 1]; [a-1, zz] not all known")
    out = link_citations(text, r)
    assert '[<a href="#ev-a-1">a-1</a>, <a href="#ev-b">b</a>] survey' in out
    assert "truncate=[0, 1]" in out and "[a-1, zz] not all known" in out
    assert link_citations(text, None) == text


def test_the_appendix_lists_cited_entries_once_escaped_and_anchored(tmp_path):
    r = _register(tmp_path)
    out = register_html(r, ["[b] x", "assumption: y", "[b, a-1] z"])
    assert out.index('id="ev-b"') < out.index('id="ev-a-1"')  # first-cited order
    assert out.count('id="ev-b"') == 1
    assert "T &lt;1&gt;" in out and "<1>" not in out
    assert "No evidence register" in register_html(None, [])
