"""The evidence register (params/evidence.toml): every parameter source resolves to an entry,
entries are complete, the percentiles they quote are right, and nothing points outside the repo."""

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from model import load_params

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
REGISTER_FILE = PARAMS / "evidence.toml"
REGISTER = tomllib.loads(REGISTER_FILE.read_text(encoding="utf-8"))
SOURCES = REGISTER["sources"]
VALIDATION = REGISTER["validation"]

STATUSES = ("found", "secondary", "recalled", "inferred", "assumption")
FIELDS = ("title", "author", "year", "figure", "address", "supports", "status", "check")
VALIDATION_FIELDS = ("quantity", "product", "factor", "p05", "median", "p95", "independent")
VALIDATION_FIELDS += ("sources", "verdict")
#: A source opens with cited entry IDs, "[id, id] text", or is a stated assumption/definition.
PREFIXES = ("assumption:", "definition:")
ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
CITATION = re.compile(rf"\[({ID}(?:, {ID})*)\]")


#: Keys whose string values are sources (a [discounting] table cites its health schedule too).
SOURCE_KEYS = ("source", "health_source")


def _sources(node, where):
    """(where, text) of every source string (`source`, `health_source`) in a parsed TOML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in SOURCE_KEYS and isinstance(v, str):
                yield (where if k == "source" else f"{where}.{k}"), v
            else:
                yield from _sources(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _sources(v, f"{where}[{i}]")


PARAM_FILES = sorted(p for p in PARAMS.rglob("*.toml") if p != REGISTER_FILE)
TREES = {p: tomllib.loads(p.read_text(encoding="utf-8")) for p in PARAM_FILES}
ALL_SOURCES = [
    (f"{p.relative_to(ROOT)}:{w.lstrip('.')}", text)
    for p, t in TREES.items()
    for w, text in _sources(t, "")
]


def _cited(text):
    return [i for group in CITATION.findall(text) for i in group.split(", ")]


def _parameter_sources():
    """{parameter: source} for every parameter defined anywhere; the baseline's definition wins."""
    out = {}
    for p in sorted(PARAM_FILES, key=lambda p: p.parent != PARAMS):
        for name, spec in TREES[p].get("parameters", {}).items():
            out.setdefault(name, spec["source"])
    return out


def parameter_status(source: str) -> str:
    """A parameter's evidence status: its prefix, or the status of the first entry it cites."""
    for prefix in PREFIXES:
        if source.startswith(prefix):
            return prefix.rstrip(":")
    return SOURCES[_cited(source)[0]]["status"]


def test_the_register_has_entries_and_every_params_file_has_sources():
    assert len(SOURCES) >= 60
    assert len(ALL_SOURCES) >= 100


@pytest.mark.parametrize(("where", "text"), ALL_SOURCES, ids=[w for w, _ in ALL_SOURCES])
def test_every_source_cites_register_entries_or_states_an_assumption(where, text):
    assert text.startswith(PREFIXES) or CITATION.match(text), (
        f"{where}: start with [register-id, ...] or 'assumption:' / 'definition:'"
    )
    unknown = [i for i in _cited(text) if i not in SOURCES]
    assert not unknown, f"{where}: no register entry {unknown}"
    assert not re.search(r"\b[A-G]\d{1,2}\b", text), f"{where}: cites an old evidence-sheet row"


@pytest.mark.parametrize("key", sorted(SOURCES))
def test_every_entry_is_complete_and_tagged(key):
    entry = SOURCES[key]
    assert re.fullmatch(ID, key)
    missing = [f for f in FIELDS if not str(entry.get(f, "")).strip()]
    assert not missing, f"{key}: missing {missing}"
    assert entry["status"] in STATUSES, f"{key}: status {entry['status']!r}"
    assert isinstance(entry["year"], int) and 1980 <= entry["year"] <= 2030


def test_every_entry_is_cited_somewhere():
    cited = {i for _, text in ALL_SOURCES for i in _cited(text)}
    cited |= {i for e in SOURCES.values() for i in _cited(e["address"])}
    cited |= {i for row in VALIDATION.values() for i in row["sources"]}
    assert set(SOURCES) - cited == set()


def test_the_entry_a_parameter_rests_on_supports_and_checks_it():
    for name, source in _parameter_sources().items():
        if not source.startswith(PREFIXES):
            first = _cited(source)[0]
            assert name in SOURCES[first]["supports"], f"{first} does not say it supports {name}"
            assert name in SOURCES[first]["check"], f"{first} records no check of {name}"


_BASE = load_params(PARAMS / "baseline.toml")
_POINTS = [(k, pt) for k, e in SOURCES.items() for pt in e.get("points", [])]


@pytest.mark.parametrize(
    ("key", "point"), _POINTS, ids=[f"{k}-{p['parameter']}" for k, p in _POINTS]
)
def test_quoted_percentiles_match_the_distributions(key, point):
    scenario = point.get("scenario")
    params = load_params(PARAMS / "scenarios" / f"{scenario}.toml") if scenario else _BASE
    pct = 100 * float(params[point["parameter"]].dist.cdf(np.array([point["value"]]))[0])
    assert pct == pytest.approx(point["percentile"], abs=0.15), f"{key}: {point} is at {pct:.2f}"


@pytest.mark.parametrize("key", sorted(VALIDATION))
def test_validation_rows_state_the_models_quantiles(key):
    row = VALIDATION[key]
    assert all(f in row for f in VALIDATION_FIELDS), key
    assert all(s in SOURCES for s in row["sources"]), key
    rng = np.random.default_rng(20261201)
    x = np.full(200_000, float(row["factor"]))
    for name in row["product"]:
        x *= _BASE[name].dist.ppf(rng.random(x.size))
    got = np.quantile(x, [0.05, 0.5, 0.95])
    np.testing.assert_allclose(got, [row["p05"], row["median"], row["p95"]], rtol=0.05)


def test_docs_summary_counts_are_computed_from_the_sources():
    counts = {}
    for source in _parameter_sources().values():
        s = parameter_status(source)
        counts[s] = counts.get(s, 0) + 1
    text = (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")
    stated = {m[0]: int(m[1]) for m in re.findall(r"^\| `(\w+)` \| (\d+) \|", text, re.M)}
    assert stated == counts
    assert f"| **total** | **{sum(counts.values())}** |" in text
    assert f"{len(SOURCES)} entries" in text
    by_status = {s: sum(e["status"] == s for e in SOURCES.values()) for s in STATUSES}
    listed = ", ".join(f"{n} {s}" for s, n in by_status.items() if n)
    assert f"Entries by status: {listed}." in text


def test_the_validation_doc_shows_every_row():
    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    for row in VALIDATION.values():
        assert row["quantity"] in text
        assert all(f"`{s}`" in text for s in row["sources"])


_PATHLIKE = re.compile(r"(?<![\w:/.~-])/[A-Za-z_][\w.-]*/[\w.-]+|(?:\.\./)+[\w.-]+(?:/[\w.-]+)*")
#: Kernel interfaces (e.g. /proc/self/status for memory use) are not files of anyone's project.
_OS_INTERFACES = ("/proc/", "/sys/", "/dev/")
_COMMITTED = [
    p
    for d in ("params", "docs", "model", "tests")
    for p in sorted((ROOT / d).rglob("*"))
    if p.is_file()
    and p.suffix in {".toml", ".md", ".py", ".html", ".j2", ".css", ".txt"}
    and "__pycache__" not in p.parts
]


def _inside(hit: str, folder: Path) -> bool:
    """A relative path leads to an existing file of the repository, read from its own folder or,
    for the format examples in docs/, from a scenario folder (``../baseline.toml``)."""
    targets = [(base / hit).resolve() for base in (folder, PARAMS / "scenarios")]
    return any(t.is_relative_to(ROOT) and t.exists() for t in targets)


#: A line that builds an escaping path as a test input (the include-confinement and manifest
#: tests) says so with this marker; it reads nothing outside the repository.
HOSTILE_INPUT = "hostile input"


def test_no_committed_file_names_a_path_outside_the_repository():
    bad = []
    for p in _COMMITTED:
        text = p.read_text(encoding="utf-8", errors="replace")
        lines = (line for line in text.splitlines() if HOSTILE_INPUT not in line)
        for m in _PATHLIKE.finditer("\n".join(lines)):
            hit = m.group(0)
            if hit.startswith(_OS_INTERFACES):
                continue
            if hit.startswith("/") or not _inside(hit, p.parent):
                bad.append(f"{p.relative_to(ROOT)}: {hit}")
    assert not bad, bad
