"""Nothing lost, nothing leaked (issue 16): every case of the probe kept as a regression test,
from the command line where a user meets it. Each bad input ends in ONE line on stderr, exit
code 2, no traceback, and no output written or left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from model.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--n", "64", "--sobol-n", "0", "--skip-rule-design", "--quiet"]

#: Escaping paths the tests feed in (read nowhere).
ESCAPING_FILE = "../../etc/passwd"  # hostile input
ESCAPING_INCLUDE = "../x.toml"  # hostile input


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse's one-line errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, err, *fragments):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name
        for p in folder.rglob(".*")
        if p.name.endswith((".tmp", ".partial")) or ".old-" in p.name
    )


@pytest.fixture
def pdir(tmp_path) -> Path:
    """A private copy of params/ to edit."""
    shutil.copytree(ROOT / "params", tmp_path / "p")
    return tmp_path / "p"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


NEW_PARAM = """
[parameters.extra]
description = "d"
unit = "u"
kind = "{kind}"
source = "s"
{dist}
"""


# --------------------------------------------------------------------------- types (items 4, 6)
TYPE_CASES = {
    "horizon_true": (
        "baseline.toml",
        "horizon_years = 10",
        "horizon_years = true",
        "horizon_years",
    ),
    "schedule_strings": (
        "baseline.toml",
        "schedule = [[0, 0.035], [31, 0.03], [76, 0.025]]",
        'schedule = [[0, "a"], [31, 0.03]]',
        "schedule",
    ),
    "currency_number": ("baseline.toml", 'currency = "USD 2024"', "currency = 5", "currency"),
    "correlation_list": (
        "world.toml",
        'a = "downstream_growth"',
        'a = ["tariff"]',
        "a and b must each name one parameter",
    ),
    "label_number": (
        "approaches.toml",
        'label = "Clarified tort liability"',
        "label = 5",
        "approaches.liability",
    ),
    "instrument_twice": (
        "approaches.toml",
        'instruments = ["liability"]',
        'instruments = ["liability", "liability"]',
        "'liability' twice",
    ),
    "instruments_string": (
        "approaches.toml",
        'instruments = ["liability"]',
        'instruments = "liability"',
        "must be a list of names",
    ),
    "misspelled_parameters": (
        "baseline.toml",
        "[settings]",
        "[paramters.x]\nvalue = 1\n\n[settings]",
        "did you mean [parameters]",
    ),
    "misspelled_structure": (
        "baseline.toml",
        "[settings]",
        '[aproaches.x]\nlabel = "x"\n\n[settings]',
        "did you mean [approaches]",
    ),
    "tiny_beta": (
        "world.toml",
        "[[correlations]]",
        NEW_PARAM.format(kind="share", dist='dist = "beta"\nalpha = 1e-300\nbeta = 1e-300')
        + "\n[[correlations]]",
        "beta shapes",
    ),
    "p5_suggests_p05": ("world.toml", "p05 = 5e4", "p5 = 5e4", "did you mean 'p05'?"),
    "zero_cap": (
        "harms.toml",
        'dist = "lognormal"\np05 = 3\np95 = 30',
        "value = 0",
        "[harm_growth_cap]: must be greater than 0",
    ),
    "zero_downstream": (
        "world.toml",
        'dist = "lognormal"\np05 = 5e4\np95 = 1e6',
        "value = 0",
        "[n_downstream]: must be greater than 0",
    ),
}


@pytest.mark.parametrize("case", TYPE_CASES, ids=list(TYPE_CASES))
def test_bad_parameter_file_is_one_line(case, pdir, capsys):
    name, old, new, fragment = TYPE_CASES[case]
    edit(pdir / name, old, new)
    code, _, err = run(capsys, "run", pdir / "baseline.toml", *QUICK, "--out", pdir / "r.html")
    assert_one_line(code, err, fragment)
    assert not (pdir / "r.html").exists()


def test_uniform_low_equal_high_is_not_told_to_swap(pdir, capsys):
    edit(
        pdir / "world.toml",
        "[[correlations]]",
        NEW_PARAM.format(kind="real", dist='dist = "uniform"\nlow = 1\nhigh = 1')
        + "\n[[correlations]]",
    )
    code, _, err = run(capsys, "params", pdir / "baseline.toml")
    assert_one_line(code, err, "uniform needs low < high", "make them differ")
    assert "swap" not in err


def test_byte_order_mark_is_named(pdir, capsys):
    path = pdir / "baseline.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, _, err = run(capsys, "params", path)
    assert_one_line(code, err, "baseline.toml", "BOM")


# --------------------------------------------------------------------------- includes (items 4, 5)
def test_include_outside_the_parameter_folder_is_refused(pdir, capsys, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "creds.toml").write_text('[extra]\ntoken = "SECRET-TOKEN-123"\n')
    escape = '"world.toml",\n    "../secrets/creds.toml",'  # hostile input
    edit(pdir / "baseline.toml", '"world.toml",', escape)
    code, _, err = run(capsys, "run", pdir / "baseline.toml", *QUICK, "--save", tmp_path / "res")
    assert_one_line(code, err, "reaches outside the parameter folder")
    assert "SECRET" not in err and not (tmp_path / "res").exists()


def test_saved_manifest_embeds_only_the_files_used(pdir, capsys, tmp_path):
    (pdir / "unused.toml").write_text('token = "SECRET-TOKEN-123"\n')
    save = tmp_path / "res"
    code, _, err = run(
        capsys, "run", pdir / "baseline.toml", *QUICK, "--out", tmp_path / "r.html", "--save", save
    )
    assert code == 0, err
    manifest = json.loads((save / "manifest.json").read_text())
    used = {Path(f).name for f in manifest["parameter_files"]}
    assert used == {
        "baseline.toml",
        "world.toml",
        "threshold_compute.toml",
        "triggers.toml",
        "classes.toml",
        "harms.toml",
        "instruments.toml",
        "approaches.toml",
    }
    assert "SECRET" not in (save / "manifest.json").read_text()


def _chain(folder: Path, count: int, per_file: int) -> Path:
    for i in range(count):
        nxt = [f"f{i + 1}.toml"] * per_file if i + 1 < count else []
        (folder / f"f{i}.toml").write_text(f"include = {json.dumps(nxt)}\n")
    return folder / "f0.toml"


@pytest.mark.parametrize(
    "count, per_file, fragment",
    [(1000, 1, "chain deeper than"), (30, 2, "included more than once")],
    ids=["long_chain", "diamonds"],
)
def test_include_chains_are_bounded(count, per_file, fragment, tmp_path, capsys):
    top = _chain(tmp_path, count, per_file)
    started = time.perf_counter()
    code, _, err = run(capsys, "params", top)
    assert_one_line(code, err, fragment)
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("command", ["params", "validate"])
@pytest.mark.parametrize("depth", [20, 600, 5000])
def test_deeply_nested_toml_is_one_line(depth, command, tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * depth + "]" * depth + "\n")
    code, _, err = run(capsys, command, path)
    assert code == 2 and "Traceback" not in err
    assert "deep.toml" in err.splitlines()[0] and "nested too deeply" in err


# --------------------------------------------------------------------------- flags (items 3, 6, 7)
@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--n", "1"], "must be at least 2"),
        (["--executor", ""], "--executor"),
        (["--executor", "processes:4096"], "CPU"),
        (["--n", str(10**12)], "use n <="),
    ],
    ids=["n1", "empty_executor", "too_many_processes", "memory"],
)
def test_bad_run_flags_are_one_line(argv, fragment, tmp_path, capsys):
    out = tmp_path / "r.html"
    base = ROOT / "params" / "baseline.toml"
    code, _, err = run(capsys, "run", base, "--quiet", "--out", out, *argv)
    assert_one_line(code, err, fragment)
    assert not out.exists()


def test_morris_needs_two_trajectories(capsys):
    base = ROOT / "params" / "baseline.toml"
    code, _, err = run(capsys, "sensitivity", base, "--method", "morris", "--n", "1", "--quiet")
    assert_one_line(code, err, "at least 2 trajectories")


def test_non_finite_sweep_names_the_parameter(capsys):
    base = ROOT / "params" / "baseline.toml"
    argv = ["sweep", base, "--vary", "ecosystem_value=1e308", "--n", "256", "--quiet"]
    code, _, err = run(capsys, *argv)
    assert_one_line(code, err, "not finite", "ecosystem_value = 1e+308")


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["params", "/dev/null"], "not a regular file"),
        (["sweep", "{b}", "--vary", "leakage=0.5", "--vary", "leakage=0.6", "--quiet"], "twice"),
    ],
    ids=["device_params", "vary_twice"],
)
def test_silent_acceptance_is_refused(argv, fragment, capsys):
    b = str(ROOT / "params" / "baseline.toml")
    code, _, err = run(capsys, *(a.format(b=b) for a in argv))
    assert_one_line(code, err, fragment)


def test_sweep_vary_error_names_the_flag_not_python(capsys):
    code, _, err = run(
        capsys, "sweep", ROOT / "params" / "baseline.toml", "--vary", "leakage=2", "--quiet"
    )
    assert_one_line(code, err, "--vary leakage")
    assert "<python>" not in err


def test_successful_run_prints_no_numpy_warning(tmp_path, capsys):
    code, _, err = run(
        capsys, "run", ROOT / "params" / "baseline.toml", *QUICK, "--out", tmp_path / "r.html"
    )
    assert code == 0 and err == ""


def test_non_finite_results_name_the_parameter(pdir, capsys):
    edit(pdir / "world.toml", 'dist = "lognormal"\np05 = 5e4\np95 = 1e6', "value = 1e308")
    code, _, err = run(capsys, "run", pdir / "baseline.toml", *QUICK, "--out", pdir / "r.html")
    assert_one_line(code, err, "not finite", "n_downstream")
    assert not (pdir / "r.html").exists()


# --------------------------------------------------------------------------- outputs (items 1, 2)
def _fifo(folder: Path) -> Path:
    path = folder / "fifo.html"
    os.mkfifo(path)
    return path


OUT_CASES = {
    "input_file": (lambda p: ["--out", p / "world.toml"], "is an input file"),
    "scenario_file": (
        lambda p: [
            "--scenario",
            p / "scenarios" / "high_bio.toml",
            "--out",
            p / "scenarios" / "high_bio.toml",
        ],
        "is an input file",
    ),
    "fifo": (lambda p: ["--out", _fifo(p)], "not a regular file"),
    "device": (lambda p: ["--out", "/dev/null"], "not a regular file"),
    "directory": (lambda p: ["--out", p], "is a directory"),
    "proc": (lambda p: ["--out", "/proc/headwater/r.html"], "cannot write"),
    "newline_in_path": (lambda p: ["--out", "/proc/a\nb.html"], "cannot write"),
    "save_proc": (lambda p: ["--save", "/proc/headwater-res"], "cannot write"),
    "save_is_out": (lambda p: ["--save", p / "r.html", "--out", p / "r.html"], "overlaps"),
    "save_is_file": (lambda p: ["--save", p / "world.toml"], "is a file"),
    "save_foreign_dir": (lambda p: ["--save", p / "scenarios"], "not a Headwater results"),
    "save_under_file": (lambda p: ["--save", p / "world.toml" / "res"], "cannot write under"),
    "save_holds_out": (lambda p: ["--save", p / "res", "--out", p / "res" / "r.html"], "overlaps"),
}


@pytest.mark.parametrize("case", OUT_CASES, ids=list(OUT_CASES))
def test_bad_output_targets_are_refused_before_any_work(case, pdir, capsys):
    argv, fragment = OUT_CASES[case]
    before = {p: p.read_bytes() for p in pdir.rglob("*.toml")}
    started = time.perf_counter()
    code, _, err = run(capsys, "run", pdir / "baseline.toml", "--quiet", *argv(pdir))
    assert_one_line(code, err, fragment)
    assert time.perf_counter() - started < 5  # refused up front, not after the run
    assert {p: p.read_bytes() for p in pdir.rglob("*.toml")} == before
    assert leftovers(pdir) == []


@pytest.mark.parametrize(
    "command, fragment",
    [
        (["sweep", "{b}", "--vary", "leakage=0.3,0.5", "--out", "{w}"], "use a .csv"),
        (["params", "{b}", "--out", "{w}"], "is an input file"),
        (["sensitivity", "{b}", "--method", "tornado", "--out", "{w}"], "is an input file"),
        (["compare", "{b}", "{b}", "--out", "{w}"], "is an input file"),
    ],
    ids=["sweep", "params", "sensitivity", "compare"],
)
def test_every_out_flag_refuses_an_input_file(command, fragment, pdir, capsys):
    world = pdir / "world.toml"
    before = world.read_bytes()
    b, w = pdir / "baseline.toml", world
    argv = [a.format(b=b, w=w) for a in command]
    code, _, err = run(capsys, *argv)
    assert_one_line(code, err, fragment)
    assert world.read_bytes() == before


def test_results_are_saved_before_the_report_and_a_failed_save_leaves_no_report(
    tmp_path, capsys, monkeypatch
):
    import model.study.storage as storage

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "res"))

    monkeypatch.setattr(storage, "save_results", fail)
    out = tmp_path / "r.html"
    code, _, err = run(
        capsys, "run", ROOT / "params" / "baseline.toml", *QUICK, "--out", out, "--save",
        tmp_path / "res",
    )  # fmt: skip
    assert_one_line(code, err, "No space left")
    assert not out.exists() and leftovers(tmp_path) == []


def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_stale_temporaries_of_a_crashed_run_are_removed(tmp_path, capsys):
    dead = _dead_pid()
    stale_file = tmp_path / f".r.html.{dead}-abc12345.tmp"
    stale_file.write_text("half a report")
    stale_dir = tmp_path / f".res.{dead}-xyz_abcd.partial"
    stale_dir.mkdir()
    (stale_dir / "draws.parquet").write_bytes(b"x" * 100)
    stale_old = tmp_path / f".res.old-{dead}-0123abcd"
    stale_old.mkdir()
    live = tmp_path / ".r.html.1-live1234.tmp"  # pid 1 is alive: another run's, kept
    live.write_text("")
    mine = tmp_path / f".r.html.{dead}-notes"  # a user's file of a similar name, kept
    mine.write_text("")
    code, _, err = run(
        capsys, "run", ROOT / "params" / "baseline.toml", *QUICK, "--out", tmp_path / "r.html",
        "--save", tmp_path / "res",
    )  # fmt: skip
    assert code == 0, err
    assert not any(p.exists() for p in (stale_file, stale_dir, stale_old))
    assert live.exists() and mine.exists()


def test_replacing_results_leaves_no_hidden_old_copy(tmp_path, capsys):
    save = tmp_path / "res"
    argv = ["run", ROOT / "params" / "baseline.toml", *QUICK, "--out", tmp_path / "r.html"]
    assert run(capsys, *argv, "--save", save)[0] == 0
    os.chmod(save, 0o555)  # read-only old results (root may still write: both must end clean)
    try:
        code, _, err = run(capsys, *argv, "--save", save)
    finally:
        os.chmod(save, 0o755)
    assert code in (0, 2) and len(err.strip().splitlines()) <= 1, err
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- manifests (item 4, 6)
@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("saved")
    argv = ["run", str(ROOT / "params" / "baseline.toml"), *QUICK]
    assert main([*argv, "--out", str(folder / "r.html"), "--save", str(folder / "res")]) == 0
    return folder / "res"


MANIFEST_CASES = {
    "version_negative": ("version", -1, "version"),
    "version_text": ("version", "1", "version"),
    "n_text": ("n", "64", "n"),
    "n_bool": ("n", True, "n"),
    "approaches_number": ("approaches", 5, "approaches"),
    "files_entry": ("files", {"draws.parquet": 5}, "files"),
    "files_path": ("files", {ESCAPING_FILE: {"bytes": 1, "sha256": "0"}}, "files"),
    "provenance_list": ("provenance", [], "provenance"),
    "parameter_set_text": ("parameter_set", "x", "parameter_set"),
}


@pytest.mark.parametrize("case", MANIFEST_CASES, ids=list(MANIFEST_CASES))
def test_damaged_manifest_is_one_line(case, saved, tmp_path, capsys):
    key, value, fragment = MANIFEST_CASES[case]
    copy = tmp_path / "res"
    shutil.copytree(saved, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest[key] = value
    (copy / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "report", "--from", copy, "--out", tmp_path / "r.html", "--quiet")
    assert_one_line(code, err, "manifest.json", fragment)


def test_repair_hints_name_the_save_flag(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "report", "--from", empty, "--out", tmp_path / "r.html")
    assert_one_line(code, err, "run --save DIR")
    assert "--out DIR" not in err


# --------------------------------------------------------------------------- signals (item 3)
def _spawn(*argv: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "model", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


@pytest.mark.parametrize(
    "sig, code, executor",
    [
        (signal.SIGTERM, 143, "serial"),
        (signal.SIGHUP, 129, "serial"),
        (signal.SIGINT, 130, "serial"),
        (signal.SIGTERM, 143, "processes:2"),  # workers get it too: the parent cleans up
    ],
)
def test_signals_clean_up_and_say_one_line(sig, code, executor, tmp_path):
    proc = _spawn(
        "run", str(ROOT / "params" / "baseline.toml"), "--n", "400000", "--quiet",
        "--executor", executor, "--out", "r.html", "--save", "res", cwd=tmp_path,
    )  # fmt: skip
    time.sleep(4)
    os.killpg(proc.pid, sig)  # the whole process group, as a terminal does
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("delay", [0.3, 0.8])
def test_sigint_during_start_up_is_one_line(delay, tmp_path):
    proc = _spawn("params", str(ROOT / "params" / "baseline.toml"), cwd=tmp_path)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) <= 1, err


# --------------------------------------------------------------------------- chunk size (item 8)
@pytest.fixture(scope="module")
def reference():
    from model.inputs.paramfiles import load_params
    from model.study.simulate import simulate

    params = load_params(ROOT / "params" / "baseline.toml")
    return params, simulate(params, n=20_003, rng=3)


@pytest.mark.parametrize(
    "chunk_size, task_size, executor",
    [
        (777, None, None),
        (1000, None, None),
        (8192, None, None),
        (3, None, None),
        (1000, 5000, None),
        (16384, None, None),
        (777, None, "processes:2"),
    ],
)
def test_results_are_bit_identical_for_any_chunk_and_task_size(
    reference, chunk_size, task_size, executor
):
    from contextlib import nullcontext

    from model.regulation.evaluate import PER_DRAW
    from model.study.executors import executor_from_spec
    from model.study.simulate import simulate

    params, ref = reference
    with executor_from_spec(executor) if executor else nullcontext() as ex:
        res = simulate(
            params, n=ref.n, rng=3, chunk_size=chunk_size, task_size=task_size, executor=ex
        )
    assert np.array_equal(res.draws, ref.draws)
    for name in (*PER_DRAW, "risk_reduction_by_year"):
        a, b = getattr(res.outcomes, name), getattr(ref.outcomes, name)
        assert np.array_equal(a, b, equal_nan=True), name


# --------------------------------------------------------------------------- fuzz (item 4)
KEYS = [
    "title",
    "include",
    "extends",
    "parameters",
    "correlations",
    "settings",
    "discounting",
    "harms",
    "instruments",
    "approaches",
    "description",
    "unit",
    "kind",
    "source",
    "dist",
    "value",
    "p05",
    "p95",
    "low",
    "high",
    "mode",
    "alpha",
    "beta",
    "mean",
    "sd",
    "a",
    "b",
    "rho",
    "label",
    "type",
    "horizon_years",
    "currency",
    "standing",
    "schedule",
    "truncate",
    "experts",
    "weight",
    "x",
]


def _toml_value(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return (
            "nan" if x != x else ("inf" if x > 0 else "-inf") if abs(x) == float("inf") else repr(x)
        )
    if isinstance(x, int):
        return str(x)
    if isinstance(x, str):
        return json.dumps(x)
    if isinstance(x, list):
        return "[" + ", ".join(_toml_value(v) for v in x) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in x.items()) + "}"


def _trees():
    from hypothesis import strategies as st

    leaves = (
        st.booleans()
        | st.integers(-(10**6), 10**6)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.sampled_from(["lognormal", "beta", "share", "count", "f1.toml", ESCAPING_INCLUDE, ""])
        | st.text(alphabet="ab_x./<>\"'\\é\n\t", max_size=8)
    )
    return st.recursive(
        leaves,
        lambda kids: (
            st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(KEYS), kids, max_size=5)
        ),
        max_leaves=25,
    )


def test_fuzz_the_parameter_loader(tmp_path_factory):
    """Random TOML trees give a ParameterSet (and a model or an error) or ONE-line error."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from model.errors import HeadwaterError
    from model.inputs.paramfiles import load_params, validate_files
    from model.regulation import build_model

    folder = tmp_path_factory.mktemp("fuzz")

    @settings(
        max_examples=200,
        deadline=2000,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
    )
    @given(st.dictionaries(st.sampled_from(KEYS), _trees(), max_size=6), _trees())
    def check(top, other):
        (folder / "f1.toml").write_text(
            "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in top.items()) + "\n"
        )
        (folder / "f0.toml").write_text(
            f'include = ["f1.toml"]\nx = {_toml_value(other)}\n'
            if isinstance(other, dict)
            else 'include = ["f1.toml"]\n'
        )
        for path in (folder / "f1.toml", folder / "f0.toml"):
            try:
                build_model(load_params(path))
            except HeadwaterError as e:
                assert len(str(e).strip().splitlines()) == 1, str(e)
            _, errors = validate_files([path])  # collects every error: never raises
            assert all(len(str(e).splitlines()) == 1 for e in errors)

    check()
