"""The ``headwater`` command line: every subcommand, and every user mistake ends in ONE line on
stderr with exit code 2, no traceback and no half-written output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = str(ROOT / "params" / "baseline.toml")
SCEN = ROOT / "params" / "scenarios"
BAD = ROOT / "tests" / "data" / "params" / "bad"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture(scope="module")
def run_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r.html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "model",
            "run",
            BASE,
            "--n",
            "512",
            "--seed",
            "3",
            "--quiet",
            "--sobol-n",
            "64",
            "--json",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    return proc, out


def test_run_writes_report_and_prints_json(run_json):
    proc, out = run_json
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["report"] == str(out) and out.is_file()
    assert doc["provenance"]["n"] == 512 and doc["provenance"]["seed"] == 3
    assert doc["best"] in {a["approach"] for a in doc["approaches"]}
    assert abs(sum(a["prob_best"] for a in doc["approaches"]) - 1) < 1e-9
    assert doc["headline"] and doc["best_label"]
    assert proc.stderr == ""  # --quiet: no progress


def test_run_confirms_the_best_when_the_screens_leader_is_not_it(tmp_path, capsys, monkeypatch):
    """The run evaluates the screen's leader in full beside the declared approaches; when the
    confirmation on all draws finds another best, the run is made again with it: the same
    result as a run whose screen led to the best."""
    from model.study.portfolios import Screening

    def report(name: str) -> dict:
        code, out, err = run(
            capsys,
            "run",
            BASE,
            "--n",
            "512",
            "--seed",
            "3",
            "--quiet",
            "--sobol-n",
            "0",
            "--json",
            "--out",
            tmp_path / f"{name}.html",
        )
        assert code == 0, err
        return json.loads(out)

    direct = report("direct")
    assert direct["best"] == "best_portfolio"  # a portfolio no declared approach has
    monkeypatch.setattr(Screening, "leading", lambda self: ((), "status_quo"))
    rerun = report("rerun")
    for doc in (direct, rerun):  # where and when it ran
        del doc["report"], doc["seconds"], doc["provenance"]
    assert rerun == direct  # the headline, every approach's numbers and the rule's bullets


def test_run_default_out_uses_params_and_scenarios(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(
        capsys,
        "run",
        BASE,
        "--n",
        "256",
        "--quiet",
        "--scenario",
        SCEN / "high_bio.toml",
        "--design",
        "lhs",
        "--sobol-n",
        "0",
    )
    assert code == 0, err
    assert (tmp_path / "reports" / "baseline_high_bio.html").is_file()
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", BASE, "--n", "0"], "--n: must be at least 2"),
        (["run", BASE, "--n", "many"], "--n: expected a whole number"),
        (["run", BASE, "--design", "foo"], "--design: invalid choice"),
        (["run", BASE, "--seed", "-1"], "--seed"),
        (["run", BASE, "--sobol-n", "100"], "power of 2"),
        (["run", "nope.toml"], "nope.toml: no such file"),
        (["run", BASE, "--scenario", "nope.toml"], "nope.toml: no such file"),
        (["run", BASE, "--bogus"], "unrecognized arguments"),
        (["sensitivity", BASE, "--method", "fast"], "invalid choice"),
        (["compare", BASE], "required"),
        ([], "required"),
    ],
)
def test_bad_flags_are_one_line_exit_2(capsys, argv, fragment):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    _, err = capsys.readouterr()
    assert_user_error(exc.value.code, err, fragment)


def test_sensitivity_power_of_two_is_checked_before_work(capsys):
    code, _out, err = run(capsys, "sensitivity", BASE, "--n", "100")
    assert_user_error(code, err, "power of 2", "64 or 128")


@pytest.mark.parametrize("name", ["share_lognormal.toml", "not_toml.toml", "missing_base.toml"])
def test_bad_parameter_file_in_run_is_one_line(capsys, tmp_path, name):
    out = tmp_path / "r.html"
    code, _, err = run(capsys, "run", BAD / name, "--n", "64", "--quiet", "--out", out)
    assert_user_error(code, err, name)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unwritable_out_fails_before_simulating(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "run", BASE, "--quiet", "--out", blocker / "sub" / "r.html")
    assert_user_error(code, err, "--out", "cannot write")
    code, _, err = run(capsys, "run", BASE, "--quiet", "--out", tmp_path)
    assert_user_error(code, err, "is a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_directory(capsys, tmp_path):  # pragma: no cover - not run as root
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    code, _, err = run(capsys, "run", BASE, "--quiet", "--out", ro / "r.html")
    assert_user_error(code, err, "cannot write")


def test_validate_good_files(capsys):
    code, out, err = run(capsys, "validate", BASE, SCEN)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert any("baseline.toml" in x and "parameters" in x for x in lines)
    assert any("high_bio.toml" in x for x in lines)


def test_validate_reports_every_error_in_every_file(capsys):
    code, _out, err = run(capsys, "validate", BAD / "two_errors.toml", BAD / "nan.toml", BASE)
    assert code == 2
    lines = err.strip().splitlines()
    assert sum("two_errors.toml" in x for x in lines) >= 2
    assert any("nan.toml" in x for x in lines)
    assert "error(s) in 2 file(s)" in lines[-1]
    assert "Traceback" not in err


def test_validate_checks_the_regulation_model(capsys, tmp_path):
    import shutil

    code, out, _ = run(capsys, "validate", BASE)
    assert code == 0 and "13 approaches" in out and "compute threshold" in out
    bad = tmp_path / "params"
    shutil.copytree(Path(BASE).parent, bad)
    text = (bad / "instruments.toml").read_text().replace('type = "liability"', 'type = "liabilty"')
    (bad / "instruments.toml").write_text(text)
    code, _out, err = run(capsys, "validate", bad / "baseline.toml")
    first, last = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err
    assert "instruments.toml [instruments.liability]: unknown instrument type" in first
    assert "did you mean 'liability'" in first and "1 error(s) in 1 file(s)" in last


def test_params_table_and_csv(capsys, tmp_path):
    code, out, err = run(capsys, "params", BASE, "--out", tmp_path / "p.csv")
    assert code == 0, err
    assert "bio_deaths" in out and "lognormal" in out
    assert (tmp_path / "p.csv").read_text().startswith("name,")
    code, out, _ = run(capsys, "params", BASE, "--all")
    assert code == 0 and "source" in out


@pytest.mark.parametrize(
    ("method", "n", "column"),
    [
        ("sobol", "64", "ST"),
        ("delta", "1", "above_noise"),
        ("morris", "4", "mu_star"),
        ("tornado", "1", "swing"),
    ],
)
def test_sensitivity_methods(capsys, tmp_path, method, n, column):
    csv = tmp_path / f"{method}.csv"
    code, out, err = run(
        capsys,
        "sensitivity",
        BASE,
        "--method",
        method,
        "--n",
        n,
        "--quiet",
        "--top",
        "5",
        "--out",
        csv,
    )
    assert code == 0, err
    assert column in out.splitlines()[1] or column in out
    assert "minus" in out.splitlines()[0]
    assert csv.read_text().splitlines()[0].startswith("parameter")


def test_sensitivity_unknown_output(capsys):
    code, _, err = run(
        capsys, "sensitivity", BASE, "--method", "tornado", "--output", "nope", "--quiet"
    )
    assert_user_error(code, err, "unknown approach")


def test_compare_scenario_with_base(capsys):
    code, out, err = run(capsys, "compare", BASE, SCEN / "high_bio.toml", "--n", "256", "--quiet")
    assert code == 0, err
    assert "Decision" in out
    assert "bio_uplift_probability" in out and "bio_deaths" in out
    assert "P(best) A" in out and "E[NB] B" in out


def test_compare_settings_only_scenario(capsys):
    code, out, err = run(
        capsys, "compare", BASE, SCEN / "discount_us_7pct.toml", "--n", "256", "--quiet"
    )
    assert code == 0, err
    assert "Settings that differ" in out and "discounting.schedule" in out


def test_compare_identical(capsys):
    code, out, _ = run(capsys, "compare", BASE, BASE, "--n", "128", "--quiet")
    assert code == 0 and "identical" in out and "Decision unchanged" in out


def test_console_entry_point_exit_code_and_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "model", "run", BASE, "--n", "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_run_save_then_report_from(capsys, tmp_path):
    saved, first, second = tmp_path / "saved", tmp_path / "a.html", tmp_path / "b.html"
    code, _, err = run(
        capsys,
        "run",
        BASE,
        "--n",
        "256",
        "--sobol-n",
        "0",
        "--quiet",
        "--out",
        first,
        "--save",
        saved,
        "--executor",
        "serial",
    )
    assert code == 0, err
    code, _, err = run(
        capsys, "report", "--from", saved, "--out", second, "--sobol-n", "0", "--quiet"
    )
    assert code == 0, err
    assert 'id="fig-plane"' in second.read_text(encoding="utf-8")
    assert (saved / "analysis" / "analysis.json").is_file()
    code, _, err = run(capsys, "report", "--from", saved, "--out", second, "--sobol-n", "0")
    assert code == 0 and "analysing" not in err and "designing" not in err  # nothing recomputed
    shutil.rmtree(saved / "analysis")  # a run saved before analyses were kept
    code, _, err = run(capsys, "report", "--from", saved, "--out", second, "--sobol-n", "0")
    assert code == 0 and "recomputing the analysis: no saved analysis" in err


def test_report_from_missing_dir(capsys, tmp_path):
    code, _, err = run(capsys, "report", "--from", tmp_path / "nope", "--quiet")
    assert_user_error(code, err, "not a directory")


def test_bad_executor_is_one_line(capsys, tmp_path):
    code, _, err = run(
        capsys,
        "run",
        BASE,
        "--n",
        "64",
        "--executor",
        "foo:3",
        "--quiet",
        "--out",
        tmp_path / "r.html",
    )
    assert_user_error(code, err, "unknown executor")
    assert list(tmp_path.iterdir()) == []


def test_sweep_table_and_figure(capsys, tmp_path):
    code, out, err = run(
        capsys,
        "sweep",
        BASE,
        "--vary",
        "leakage=0.3,0.6",
        "--n",
        "256",
        "--quiet",
        "--out",
        tmp_path / "s.csv",
    )
    assert code == 0, err
    assert "preferred" in out and (tmp_path / "s.csv").read_text().startswith("point,")
    code, out, err = run(
        capsys,
        "sweep",
        BASE,
        "--scenario",
        SCEN / "high_bio.toml",
        "--n",
        "128",
        "--quiet",
        "--out",
        tmp_path / "s.html",
    )
    assert code == 0, err
    assert "<html" in (tmp_path / "s.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--vary", "nope=1,2"], "unknown parameter 'nope'"),
        (["--vary", "leakage"], "expected NAME=V1,V2"),
        (["--vary", "leakage=a,b"], "must be numbers"),
        ([], "give --vary"),
    ],
)
def test_sweep_bad_input(capsys, argv, fragment):
    code, _, err = run(capsys, "sweep", BASE, "--n", "64", "--quiet", *argv)
    assert_user_error(code, err, fragment)


def test_compare_two_saved_runs(capsys, tmp_path):
    for name, extra in (("a", []), ("b", ["--scenario", SCEN / "high_bio.toml"])):
        code, _, err = run(
            capsys, "run", BASE, *extra, "--n", "512", "--sobol-n", "0", "--skip-rule-design",
            "--out", tmp_path / f"{name}.html", "--save", tmp_path / name, "--quiet",
        )  # fmt: skip
        assert code == 0, err
    code, out, err = run(capsys, "compare", tmp_path / "a", tmp_path / "b", "--quiet")
    assert code == 0, err
    assert "bio_uplift_probability" in out and "E[NB] A" in out
    with pytest.raises(SystemExit) as exc:
        main(["compare", str(tmp_path / "missing"), BASE])
    assert_user_error(exc.value.code, capsys.readouterr()[1], "no such file or directory")
