"""model.inputs.evidence: reading a register and resolving the sources that cite it."""

from pathlib import Path

import pytest

import model
from model.errors import ParamFileError
from model.inputs.evidence import Register, cited, find_register

ROOT = Path(__file__).resolve().parents[1]


def test_cited_reads_the_ids_a_source_opens_with():
    assert cited("[a-b, c-2024] text [not-this]") == ["a-b", "c-2024"]
    assert cited("assumption: none") == []
    assert cited("text [later]") == []


def test_the_projects_register_resolves_every_baseline_source():
    params = model.load_params(ROOT / "params" / "baseline.toml")
    register = find_register(params.files)
    assert register is not None and len(register.entries) >= 60
    for name in params.names:
        source = params[name].source
        assert register.unresolved(source) == [], name
        assert register.status_of(source) in {"found", "secondary", "recalled", "inferred"} | {
            "assumption",
            "definition",
        }


def test_a_scenario_finds_the_register_of_its_base():
    scenario = model.load_params(ROOT / "params" / "scenarios" / "high_bio.toml")
    assert find_register(scenario.files).path.endswith("params/evidence.toml")


def test_status_of_uses_the_first_cited_entry(tmp_path):
    f = tmp_path / "evidence.toml"
    fields = 'title="t"\nauthor="a"\nyear=2025\nfigure="f"\naddress="x"\nsupports="s"\ncheck="c"\n'
    f.write_text(
        f'[sources.one]\n{fields}status="found"\n[sources.two]\n{fields}status="inferred"\n'
    )
    r = Register.load(f)
    assert r.status_of("[two, one] x") == "inferred"
    assert r.status_of("definition: by construction") == "definition"
    assert r.status_of("plain words") == "uncited"
    assert r.unresolved("[one, three] x") == ["three"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[sources.x]\ntitle='t'\n", "evidence.toml [sources.x]: missing fields; got author"),
        ("[other]\n", "evidence.toml [sources]: no [sources.ID] tables"),
        ("[sources.Bad_ID]\n", "evidence.toml [sources.Bad_ID]: not an entry"),
    ],
)
def test_a_bad_register_is_a_one_line_error(tmp_path, body, message):
    f = tmp_path / "evidence.toml"
    f.write_text(body)
    with pytest.raises(ParamFileError) as e:
        Register.load(f)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_validate_names_a_source_that_cites_a_missing_entry(tmp_path, capsys):
    import shutil

    from model.cli import main

    shutil.copytree(ROOT / "params", tmp_path / "params")
    world = tmp_path / "params" / "world.toml"
    world.write_text(world.read_text().replace("[epoch-1e25-models-2025", "[no-such-entry", 1))
    assert main(["validate", str(tmp_path / "params" / "baseline.toml")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(
        "world.toml [n_upstream]: source cites no register entry; got no-such-entry; add "
        f"[sources.no-such-entry] to {tmp_path / 'params' / 'evidence.toml'} or correct the ID"
    )
