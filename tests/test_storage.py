"""Results on disk: exact round trip, readable by pandas/polars/DuckDB, atomic, clear errors."""

import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.errors import ParamFileError
from model.inputs.paramfiles import load_params
from model.inputs.sampling import sample
from model.study.simulate import Results, SummaryResults, simulate
from model.study.storage import FORMAT, load_results, save_results

PARAMS = load_params(Path(__file__).parents[1] / "params" / "baseline.toml")
TABLES = (
    "outcomes_by_class",
    "class_value",
    "draws",
    "outcomes_by_approach",
    "outcomes_by_harm",
    "burden",
    "status_quo_harm",
    "risk_reduction_by_year",
)


@pytest.fixture(scope="module")
def res():
    return simulate(PARAMS.replace(threshold_compute=0.02), n=3000, rng=4, chunk_size=1024)


@pytest.fixture(scope="module")
def saved(res, tmp_path_factory):
    return save_results(res, tmp_path_factory.mktemp("store") / "run")


def test_round_trip_is_exact(res, saved):
    back = load_results(saved)
    assert isinstance(back, Results)
    assert np.array_equal(back.draws, res.draws)
    for f in fields(res.outcomes):
        a, b = getattr(res.outcomes, f.name), getattr(back.outcomes, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), f.name
        else:
            assert a == b
    assert back.params == res.params  # includes the replace() override
    assert back.params["threshold_compute"].dist.describe() == "fixed(value=0.02)"
    assert back.approaches == res.approaches and back.labels == res.labels
    pd.testing.assert_frame_equal(back.summary(), res.summary())
    pd.testing.assert_frame_equal(back.components(), res.components())
    assert back.provenance["seed"] == 4
    # the rebuilt parameter set samples the same draws
    again = sample(back.params, 50, design="sobol", rng=4)
    assert np.array_equal(again.values, sample(res.params, 50, design="sobol", rng=4).values)


def test_manifest(saved, res):
    m = json.loads((saved / "manifest.json").read_text())
    assert m["format"] == FORMAT and m["version"] == 1 and m["kind"] == "draws"
    assert m["parameter_names"] == list(res.params.names)
    assert m["harms"] == list(res.harms) and m["approaches"] == list(res.approaches)
    assert set(m["files"]) == {f"{t}.parquet" for t in TABLES}
    top = res.params.files[0]
    assert m["parameter_files"][top] == Path(top).read_text()


def test_tables_read_by_pandas_polars_duckdb(saved, res):
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    k = len(res.approaches)
    for t in TABLES:
        path = saved / f"{t}.parquet"
        a = pd.read_parquet(path)
        b = pl.read_parquet(path)
        c = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df()
        assert len(a) == b.height == len(c) > 0
    nb = pd.read_parquet(saved / "outcomes_by_approach.parquet")
    means = nb.groupby("approach", observed=True)["net_benefit"].mean()
    np.testing.assert_allclose(means[list(res.approaches)], res.net_benefit.mean(0), rtol=1e-12)
    pl_means = (
        pl.read_parquet(saved / "outcomes_by_approach.parquet")
        .group_by(pl.col("approach").cast(pl.Utf8))
        .agg(pl.col("net_benefit").mean())
    )
    assert pl_means.height == k
    q = f"""SELECT approach, avg(risk_reduction) AS rr FROM '{saved}/outcomes_by_harm.parquet'
            WHERE harm = '{res.harms[0]}' GROUP BY approach"""
    rr = dict(duckdb.sql(q).fetchall())
    expect = res.outcomes.risk_reduction[:, :, 0].mean(0)
    np.testing.assert_allclose([rr[a] for a in res.approaches], expect, rtol=1e-12)


def test_summary_results_round_trip(tmp_path):
    s = simulate(PARAMS, n=3000, rng=4, chunk_size=1024, keep="summary")
    back = load_results(save_results(s, tmp_path / "s"))
    assert isinstance(back, SummaryResults)
    pd.testing.assert_frame_equal(back.summary(), s.summary())
    pd.testing.assert_frame_equal(back.components(), s.components())
    assert back.evpi == s.evpi
    # merged state is restored exactly: it can keep merging
    np.testing.assert_array_equal(back.stats.tallies.sketch.pos, s.stats.tallies.sketch.pos)
    assert pd.read_parquet(tmp_path / "s" / "summary.parquet").shape[0] == len(s.approaches)


def test_existing_directory(res, tmp_path):
    target = save_results(res, tmp_path / "r")
    with pytest.raises(ParamFileError, match="already exists; choose a new directory"):
        save_results(res, target)
    save_results(res, target, overwrite=True)
    assert load_results(target).n == res.n
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ParamFileError, match="not a Headwater results directory; refusing"):
        save_results(res, other, overwrite=True)
    assert (other / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "r"]  # no temp leftovers


def test_failed_write_leaves_nothing(res, tmp_path, monkeypatch):
    import model.study.storage as storage

    calls = []

    def failing(table, where, **kw):
        calls.append(where)
        if len(calls) == 3:
            raise OSError("disk full")
        return original(table, where, **kw)

    original = storage.pq.write_table
    monkeypatch.setattr(storage.pq, "write_table", failing)
    with pytest.raises(OSError, match="disk full"):
        save_results(res, tmp_path / "half")
    assert list(tmp_path.iterdir()) == []


def _copy(saved, tmp_path):
    import shutil

    return Path(shutil.copytree(saved, tmp_path / "copy"))


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda d: (d / "burden.parquet").unlink(), r"burden\.parquet: missing"),
        (
            lambda d: (d / "draws.parquet").write_bytes((d / "draws.parquet").read_bytes()[:100]),
            r"draws\.parquet: truncated or modified",
        ),
        (lambda d: (d / "manifest.json").write_text("{not json"), "manifest.json: unreadable"),
        (
            lambda d: (d / "manifest.json").write_text('{"format": "other"}'),
            "not a Headwater results manifest",
        ),
        (
            lambda d: (d / "manifest.json").write_text(
                json.dumps({"format": FORMAT, "version": 99})
            ),
            "newer than this Headwater reads.*upgrade headwater",
        ),
        (lambda d: (d / "manifest.json").unlink(), "not a Headwater results directory"),
    ],
)
def test_damaged_directory_is_one_line_error(saved, tmp_path, damage, match):
    d = _copy(saved, tmp_path)
    damage(d)
    with pytest.raises(ParamFileError, match=match) as e:
        load_results(d)
    assert "\n" not in str(e.value) and str(tmp_path) in str(e.value)


def test_missing_directory(tmp_path):
    with pytest.raises(ParamFileError, match="no such results directory"):
        load_results(tmp_path / "absent")


def test_pooled_parameters_round_trip(tmp_path):
    """Expert pools (and every other family) are saved as specs that rebuild them exactly."""
    params = load_params(
        Path(__file__).parents[1] / "params" / "scenarios" / "bio_expert_pool.toml"
    )
    res = simulate(params, n=512, rng=2)
    back = load_results(save_results(res, tmp_path / "run"))
    np.testing.assert_array_equal(back.net_benefit, res.net_benefit)
    for name in params.names:
        assert back.params[name].dist.describe() == params[name].dist.describe()
    assert len(back.params["bio_uplift_probability"].experts) == 2


def test_analysis_and_rule_round_trip_beside_saved_results(baseline_results_small, tmp_path):
    """report --from re-renders from these without recomputing; stale or absent ones say why."""
    from model.study import archive
    from model.study.analyse import analyse
    from model.study.design import design_rule

    res = baseline_results_small
    an = analyse(res, sobol_n=64)
    rule = design_rule(res, n=512)
    d = save_results(res, tmp_path / "run")
    assert isinstance(archive.load_analysis(d), str)  # an older run: nothing saved yet
    archive.save_analysis(d, an, rule, {"sobol_n": 64})
    got, got_rule = archive.load_analysis(d, {"sobol_n": 64})
    for f in ("summary", "ceac", "ceaf", "icers", "tornado", "switching_values", "sobol", "evppi"):
        pd.testing.assert_frame_equal(getattr(got, f), getattr(an, f), check_dtype=False)
    assert got.evpi == an.evpi and got.warnings == an.warnings
    assert got.tornado.attrs == an.tornado.attrs
    np.testing.assert_array_equal(
        got_rule.threshold.expected_net_benefit, rule.threshold.expected_net_benefit
    )
    assert [b[3] for b in got_rule.boxes] == [b[3] for b in rule.boxes]
    pd.testing.assert_frame_equal(got_rule.portfolios, rule.portfolios)
    assert "other settings" in archive.load_analysis(d, {"sobol_n": 512})
    (d / "manifest.json").write_text((d / "manifest.json").read_text() + " ")
    assert "saved again" in archive.load_analysis(d, {"sobol_n": 64})  # stale: recompute


def test_reevaluations_round_trip_beside_saved_results(baseline_results_small, tmp_path):
    """What the report evaluates beyond the analysis (structural alternatives, value
    judgements, central case) is saved exactly, so report --from evaluates nothing."""
    from dataclasses import asdict

    from model.study import archive
    from model.study.reevaluations import reevaluate

    res = baseline_results_small
    r = reevaluate(res)
    d = save_results(res, tmp_path / "run")
    assert "no saved re-evaluation" in archive.load_reevaluations(d, res)  # an older run
    archive.save_reevaluations(d, r)
    got = archive.load_reevaluations(d, res)
    pd.testing.assert_frame_equal(got.structural.variants, r.structural.variants)
    pd.testing.assert_frame_equal(got.structural.averaged, r.structural.averaged)
    assert got.structural.weights == r.structural.weights
    assert got.structural.approaches == r.structural.approaches
    pd.testing.assert_series_equal(got.central.inputs, r.central.inputs)
    pd.testing.assert_series_equal(got.central.harm_year0, r.central.harm_year0)
    for name, value in asdict(r.central.outcomes).items():
        np.testing.assert_array_equal(getattr(got.central.outcomes, name), value)
    assert got.judged.m == r.judged.m and got.judged.evaluated.keys() == r.judged.evaluated.keys()
    assert len(r.judged.evaluated) >= 4  # both standings, a discount preset, the horizon
    for key, c in r.judged.evaluated.items():
        for f in fields(c):
            np.testing.assert_array_equal(
                getattr(got.judged.evaluated[key], f.name), getattr(c, f.name)
            )
    (d / "manifest.json").write_text((d / "manifest.json").read_text() + " ")
    assert "saved again" in archive.load_reevaluations(d, res)  # stale: re-evaluate


def test_background_digests_are_used_only_for_unchanged_files(tmp_path):
    """``prefetch`` hashes a saved run's files in a thread; a file changed since is hashed
    again, so a modification is never hidden by an earlier digest."""
    import hashlib
    import os

    from model.study.digests import prefetch, sha256

    (tmp_path / "sub").mkdir()
    files = [tmp_path / "a.bin", tmp_path / "sub" / "b.bin"]
    for i, f in enumerate(files):
        f.write_bytes(bytes([i]) * 3_000_000)
    prefetch(tmp_path)
    for f in files:
        assert sha256(f) == hashlib.sha256(f.read_bytes()).hexdigest()
    files[0].write_bytes(b"changed")
    os.utime(files[0], ns=(1, 1))  # a different modification time whatever the clock
    assert sha256(files[0]) == hashlib.sha256(b"changed").hexdigest()


def test_a_table_without_a_column_is_one_line_error(saved, tmp_path):
    """A table whose file checks out (size and digest in the manifest) but lacks a column the
    run needs, e.g. written by another tool: one line naming the file and the column."""
    import hashlib

    import pyarrow.parquet as pq

    d = _copy(saved, tmp_path)
    path = d / "outcomes_by_approach.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["compliance"]), path)
    manifest = json.loads((d / "manifest.json").read_text())
    entry = manifest["files"]["outcomes_by_approach.parquet"]
    entry["bytes"] = path.stat().st_size
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (d / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        ParamFileError, match=r"outcomes_by_approach\.parquet: no column 'compliance'"
    ):
        load_results(d)
