"""The ``headwater`` command line.

``headwater run PARAMS`` writes an HTML report; ``validate``, ``params``, ``sensitivity`` and
``compare`` answer the questions an analyst asks of parameter files. User mistakes (bad
parameter files, missing paths, bad flag values, unwritable outputs) end with ONE line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from model.errors import HeadwaterError, ParamFileErrors, UsageError
from model.study.signals import STOP_SIGNALS, ignore_stop_signals

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_N", "main"]

DEFAULT_N = 65536  # draws for `run`: simulate, analyse, design, report: ~7-8 s on 2 cores
DESIGNS = ("sobol", "lhs", "random")
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``headwater run: error: ...``) and exit code 2."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ----------------------------------------------------------------------------- argument types


def _int_argument(expected: str, ok: Callable[[int], bool], rule: str) -> Callable[[str], int]:
    """An argparse type: a whole number (``_`` separators allowed) that satisfies ``ok``."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{rule}, got {value}")
        return value

    return parse


_positive_int = _int_argument("a whole number", lambda v: v >= 1, "must be at least 1")
_draws = _int_argument(
    "a whole number", lambda v: v >= 2, "must be at least 2 (spread and quantiles need two draws)"
)
_seed = _int_argument("a non-negative integer", lambda v: v >= 0, "must be >= 0")
_sobol_n = _int_argument(
    "a power of 2 or 0",
    lambda v: v >= 0 and not v & (v - 1),
    "must be 0 or a power of 2 (e.g. 256, 512)",
)


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a directory, expected a .toml file")
    return path


def _existing_path(text: str) -> Path:
    """A parameter file or a results directory written by ``run --save``."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file or directory")
    return path


def _executor_spec(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "empty; use serial, processes:N, dask-local:N or dask://HOST:PORT"
        )
    return text.strip()


def _inputs(args, loaded) -> list[Path]:
    """Every file a command reads: its parameter files (includes, extends and scenarios too)."""
    named = [getattr(args, k, None) for k in ("params", "a", "b")] + getattr(args, "scenario", [])
    files = [f for p in loaded for f in getattr(p, "files", ())]
    return [Path(p) for p in [*named, *files] if p is not None]


def _check_out(args, *loaded) -> Path | None:
    """Check ``--out`` (and ``--save``) before any work; remove a crashed run's leftovers."""
    from model.study import outputs

    save = getattr(args, "save", None)
    inputs = _inputs(args, loaded)
    if save is not None:
        from model.study.storage import is_results_dir

        outputs.check_dir_target(
            save, is_results_dir(save), "--save", inputs, [("--out", args.out)]
        )
        outputs.remove_stale(save)
    if args.out is not None:
        others = [("--save", save), ("--from", getattr(args, "source", None))]
        outputs.check_file_target(args.out, "--out", inputs, others)
        outputs.remove_stale(args.out)
    return args.out


# ----------------------------------------------------------------------------- helpers


def _load(path: Path, scenarios: Sequence[Path] = ()):
    from model.inputs.paramfiles import load_params

    return load_params(path, scenarios=list(scenarios))


@contextmanager
def _stage(desc: str, quiet: bool):
    """A one-line status on stderr around a step (silenced by --quiet)."""
    started = time.perf_counter()
    if not quiet:
        print(f"headwater: {desc}...", file=sys.stderr, flush=True)
    yield
    if not quiet:
        print(
            f"headwater: {desc} done in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )


def _print_table(df: pd.DataFrame, float_format=None, file=None) -> None:
    import pandas as pd

    with pd.option_context(
        "display.max_rows",
        200,
        "display.max_columns",
        20,
        "display.width",
        140,
        "display.max_colwidth",
        48,
    ):
        print(df.to_string(float_format=float_format), file=file or sys.stdout)


def _money_frame(df: pd.DataFrame, currency: str, money_cols, share_cols=()) -> pd.DataFrame:
    from model.report.wording import money, share

    out = df.copy().astype(object)
    for c in money_cols:
        if c in out:
            out[c] = [money(v, currency) for v in df[c]]
    for c in share_cols:
        if c in out:
            out[c] = [share(v) for v in df[c]]
    return out


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    from model.report import write_atomic

    write_atomic(path, [df.to_csv()])


# ----------------------------------------------------------------------------- run


def _analyse_and_write(
    res, out: Path, args, started: float, saved=None, found=None, reevaluated=None
):
    """Analyse a run, design the rule (unless ``saved`` holds them or the rule is skipped) and
    make the report's re-evaluations (unless given, ``reevaluated``), save the results, analysis
    and re-evaluations (``--save``: before the report, so a failed save leaves no new report),
    then write the report atomically. ``found``: the run's portfolio search.
    Returns the report's content (:func:`model.report.build_content`) and its path.

    When both the analysis and the rule are computed, the rule is designed and the value
    judgements evaluated in a forked process (on a second CPU) while this one analyses and
    evaluates the structural alternatives: the same numbers as one after the other, in less
    wall time."""
    from model.report import build_content, write_report
    from model.study.background import in_background
    from model.study.central import central_case
    from model.study.design import design_rule
    from model.study.judgements import Judgements
    from model.study.reevaluations import Reevaluations, structural_alternatives

    analysis, rule = saved or (None, None)
    design = not args.skip_rule_design and rule is None
    if analysis is None and design and reevaluated is None:
        with in_background(_design_and_judge, res, found) as pending:
            analysis = _analyse(res, args)
            with _stage("evaluating the structural alternatives", args.quiet):  # child: judgements
                structural, central = structural_alternatives(res), central_case(res)
            with _stage("designing the rule and evaluating the value judgements", args.quiet):
                rule, judged = pending.result()
        reevaluated = Reevaluations(structural, Judgements(res, *judged), central)
    elif analysis is None and design:
        with in_background(design_rule, res, found=found) as pending:
            analysis = _analyse(res, args)
            with _stage(_DESIGNING, args.quiet):
                rule = pending.result()
    elif design:
        with _stage(_DESIGNING, args.quiet):
            rule = design_rule(res, progress=not args.quiet, found=found)
    elif args.skip_rule_design:
        rule = None
    if analysis is None:
        analysis = _analyse(res, args)
    reevaluated = reevaluated or _reevaluate(res, args)
    if getattr(args, "save", None):  # results first: a failed save leaves no new report
        from model.study.archive import save_analysis, save_reevaluations
        from model.study.storage import save_results

        with _stage(f"saving results and analysis to {args.save}", args.quiet):
            save_results(res, args.save, overwrite=True)
            save_analysis(args.save, analysis, rule, {"sobol_n": args.sobol_n})
            save_reevaluations(args.save, reevaluated)
    with _stage("writing the report", args.quiet):
        content = build_content(res, analysis, rule=rule)
        path = write_report(
            res,
            out,
            analysis=analysis,
            rule=rule,
            started=started,
            progress=not args.quiet,
            reevaluated=reevaluated,
            content=content,
        )
    return content, path


def _reevaluate(res, args):
    from model.study.reevaluations import reevaluate

    with _stage(_REEVALUATING, args.quiet):
        return reevaluate(res)


def _design_and_judge(res, found) -> tuple:
    """The forked child's share of a run's work, beside the analysis: the rule's design and the
    value judgements (what :class:`~model.study.judgements.Judgements` keeps of them: the
    draws' number and the evaluated components, not the run)."""
    from model.study.design import design_rule
    from model.study.reevaluations import judge

    judged = judge(res)
    return design_rule(res, found=found), (judged.m, judged.evaluated)


_DESIGNING = "designing the rule (threshold, scenario discovery, portfolios)"
_REEVALUATING = "evaluating the structural alternatives and value judgements"


def _analyse(res, args):
    from model.report import analysis_for

    with _stage("analysing (decision, sensitivity, value of information)", args.quiet):
        return analysis_for(res, sobol_n=args.sobol_n, progress=not args.quiet)


def _cmd_run(args) -> int:
    from model.report import default_stem

    started = time.perf_counter()
    params = _load(args.params, args.scenario)
    args.out = args.out or Path("reports") / f"{default_stem(params)}.html"
    out = _check_out(args, params)
    quiet = args.quiet
    found = screening = None
    if not args.skip_rule_design:  # recommend among the declared approaches and the best mix
        from model.study.portfolios import screen_portfolios

        with _stage("screening every portfolio of the instruments", quiet):
            screening = screen_portfolios(params, n=args.n, rng=args.seed, design=args.design)
    res = _simulate(params, args, screening)
    if screening is not None:
        from model.study.portfolios import confirm_portfolios

        with _stage("confirming the leading portfolios on all draws", quiet):
            found = confirm_portfolios(screening, res.draws)
        if found.leading() != screening.leading():  # the screen's leader was not the best
            draws, res = res.draws, None  # one run's tables in memory at a time
            res = _simulate(params, args, found, draws=draws)
    content, path = _analyse_and_write(res, out, args, started, found=found)
    total = time.perf_counter() - started
    if args.json:
        doc = content.to_json_dict() | {
            "report": str(path),
            "seconds": round(total, 3),
            "provenance": _jsonable(res.provenance),
        }
        print(json.dumps(doc, indent=2, allow_nan=False))
    elif not quiet:
        for line in content.headline + content.caveats:
            print(line)
        print(f"report: {path}  ({total:.1f} s)")
    return 0


def _simulate(params, args, best=None, draws=None):
    """The run: the declared approaches and ``best``'s leading portfolio (a screening or a
    search, :func:`model.study.portfolios.with_best_portfolio`) on ``args.n`` draws
    (``draws``: already made, reused by a serial run)."""
    from model.study.simulate import simulate

    if best is not None:
        from model.study.portfolios import with_best_portfolio

        params = with_best_portfolio(params, best)
    with _executor(args) as executor, _stage(f"simulating {args.n:,} draws", args.quiet):
        return simulate(
            params,
            n=args.n,
            rng=args.seed,
            design=args.design,
            executor=executor,
            progress=not args.quiet,
            draws=draws if executor is None else None,
        )


def _executor(args):
    """The executor context for ``--executor`` (serial when not given)."""
    from contextlib import nullcontext

    spec = getattr(args, "executor", None)
    if spec is None or spec == "serial":
        return nullcontext(None)
    from model.study.executors import executor_from_spec

    return executor_from_spec(spec)


def _jsonable(x):
    import numpy as np

    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return str(x)


# ----------------------------------------------------------------------------- report --from


def _cmd_report(args) -> int:
    from model.study.digests import prefetch

    started = time.perf_counter()
    if not args.source.is_dir():
        raise UsageError(f"--from {args.source}: not a directory (give one written by run --save)")
    prefetch(args.source)  # the files' SHA-256 checks, in a thread while the report imports
    from model.report import default_stem
    from model.study.archive import load_analysis, load_reevaluations
    from model.study.storage import load_results

    _check_out(args)  # a given --out before loading; the default one once the name is known
    res = load_results(args.source)
    if not hasattr(res, "net_benefit"):
        raise UsageError(
            f"--from {args.source}: holds summaries only (keep='summary'); the report needs the "
            "draws: simulate with keep='draws' and save again"
        )
    if args.out is None:
        args.out = Path("reports") / f"{default_stem(res.params)}.html"
        _check_out(args)
    saved = load_analysis(args.source, {"sobol_n": args.sobol_n})
    if isinstance(saved, str):
        if not args.quiet:
            print(f"headwater: recomputing the analysis: {saved}", file=sys.stderr)
        saved = None
    reevaluated = load_reevaluations(args.source, res)
    if isinstance(reevaluated, str):
        if not args.quiet:
            print(f"headwater: re-evaluating for the report: {reevaluated}", file=sys.stderr)
        reevaluated = None
    _, path = _analyse_and_write(res, args.out, args, started, saved, reevaluated=reevaluated)
    if not args.quiet:
        print(f"report: {path}  ({time.perf_counter() - started:.1f} s)")
    return 0


# ----------------------------------------------------------------------------- sweep


def _parse_vary(items: Sequence[str]) -> dict[str, list[float]]:
    vary: dict[str, list[float]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise UsageError(f"--vary {item!r}: expected NAME=V1,V2,... e.g. leakage=0.3,0.5,0.7")
        if name.strip() in vary:
            raise UsageError(f"--vary {name.strip()}: given twice; list its values once")
        try:
            vary[name.strip()] = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise UsageError(
                f"--vary {item!r}: values must be numbers separated by commas"
            ) from None
    return vary


def _label_unit(params, name: str) -> str:
    """``liability_deterrence`` -> ``share of reachable risk deterred... (share)``."""
    from model.inputs.parameters import short_description

    p = params[name]
    text = short_description(p.description, 40) if p.description else name
    return f"{text} ({p.unit})" if p.unit else text


@contextmanager
def _sweep_errors():
    """A value a parameter cannot take, given by ``--vary``, is reported as ``--vary NAME``
    (sweep raises it as a ParamFileError of ``<python>``)."""
    from model.errors import ParamFileError
    from model.inputs.distributions.base import PYTHON

    try:
        yield
    except ParamFileError as e:
        if e.file != PYTHON:
            raise
        raise UsageError(str(e).replace(f"{PYTHON} [{e.key}]", f"--vary {e.key}", 1)) from None


def _cmd_sweep(args) -> int:
    from model.study.sweep import sweep

    if bool(args.vary) == bool(args.scenario):
        raise UsageError("give --vary NAME=V1,V2,... or --scenario FILE (repeatable), not both")
    if args.out and args.out.suffix not in (".csv", ".html"):
        raise UsageError(f"--out {args.out}: use a .csv (table) or .html (figure) file")
    params = _load(args.params)
    _check_out(args, params)
    vary = _parse_vary(args.vary) if args.vary else None
    with _executor(args) as executor, _stage("sweeping", args.quiet), _sweep_errors():
        res = sweep(
            params,
            vary=vary,
            scenarios=args.scenario or None,
            n=args.n,
            rng=args.seed,
            design=args.design,
            executor=executor,
            grid=not args.zip,
            progress=not args.quiet,
        )
    from model.regulation import build_model

    regulation = build_model(params)
    labels = {a.key: a.label for a in regulation.approaches}
    cur = regulation.settings.currency
    pref = res.preferred()
    shown = _money_frame(pref, cur, ["mean", "evpi"], ["prob_best"])
    shown["preferred"] = [labels.get(k, k) for k in pref["preferred"]]
    shown = shown.rename(
        columns={v: _label_unit(params, v) for v in res.varied if v in params.names}
        | {"mean": "E[net benefit]", "prob_best": "P(best)", "evpi": "EVPI"}
    )
    print(f"Preferred approach at each point ({args.n:,} draws per point, seed {args.seed}):")
    _print_table(shown.set_index("point"), float_format=lambda v: f"{v:.4g}")
    if args.out:
        from model.report import figures, write_atomic

        if args.out.suffix == ".csv":
            _write_csv(res.table.set_index("point"), args.out)
        else:
            fig = figures.sweep_chart(res, params, labels, cur)
            write_atomic(args.out, [fig.to_html(include_plotlyjs=True, full_html=True)])
    return 0


# ----------------------------------------------------------------------------- validate


def _model_check(line: str, errors: list) -> str:
    """Extend a file's summary line with its regulation model, or record the model's error and
    any source citing an entry the evidence register lacks."""
    from model.errors import ParamFileError
    from model.inputs.evidence import find_register, unresolved_sources
    from model.inputs.paramfiles import load_params
    from model.regulation import build_model

    path, _, rest = line.partition(": ")
    if rest.startswith("included by"):
        return line
    params = load_params(path)
    register = find_register(params.files)
    if register is not None:
        errors.extend(unresolved_sources(params, register))
    if "approaches" not in params.structure:
        return line
    try:
        m = build_model(params)
    except ParamFileError as e:
        errors.append(e)
        return line
    return (
        f"{line}; model: {len(m.harms)} harms, {len(m.instruments)} instruments, "
        f"{len(m.approaches)} approaches, {m.settings.threshold} threshold"
    )


def _cmd_validate(args) -> int:
    from model.inputs.paramfiles import validate_files

    summaries, errors = validate_files(args.paths)
    if not errors:  # parameters are sound: check each complete file's regulation model too
        summaries = [_model_check(line, errors) for line in summaries]
    if errors:
        for e in errors:
            print(str(e), file=sys.stderr)
        print(
            f"headwater validate: {len(errors)} error(s) in "
            f"{len({e.file for e in errors})} file(s)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    for line in summaries:
        print(line)
    return 0


# ----------------------------------------------------------------------------- params


def _cmd_params(args) -> int:
    from model.inputs.parameters import short_description

    params = _load(args.params, args.scenario)
    _check_out(args, params)
    frame = params.to_frame()
    if args.out:
        _write_csv(frame.set_index("name"), args.out)
    print(f"ParameterSet {params.name}: {params.summary()}")
    if args.all:
        table = frame.drop(columns=["file"])
    else:
        cols = ["name", "description", "distribution", "p05", "median", "p95", "unit", "source"]
        table = frame[cols].copy()
        table["description"] = [short_description(d, 40, lower=False) for d in frame["description"]]
        table["source"] = [short_description(d, 40, lower=False) for d in frame["source"]]
    _print_table(table.set_index("name"), float_format=lambda v: f"{v:.4g}")
    return 0


# ----------------------------------------------------------------------------- sensitivity


def _decision_function(res, output: str | None):
    """(m, d) -> (m,) function for sensitivity, a description of what it measures, and its
    value at each of the run's draws."""
    import numpy as np

    nb_mean = res.net_benefit.mean(axis=0)
    keys = list(res.approaches)
    if output is not None:
        if output not in keys:
            raise UsageError(
                f"--output {output}: unknown approach; choose one of {', '.join(keys)}"
            )
        j = keys.index(output)
        what = f"net benefit of {res.labels[output]}"
        return (lambda x: res.evaluate(x)[:, j]), what, res.net_benefit[:, j]
    best, runner = (int(i) for i in np.argsort(nb_mean)[::-1][:2])

    def lead(x):
        y = res.evaluate(x)
        return y[:, best] - y[:, runner]

    what = (
        f"net benefit of {res.labels[keys[best]]} minus {res.labels[keys[runner]]} "
        "(the two approaches with the highest expected net benefit)"
    )
    return lead, what, res.net_benefit[:, best] - res.net_benefit[:, runner]


def _cmd_sensitivity(args) -> int:
    import warnings

    from model import sensitivity
    from model.study.simulate import simulate

    if args.method == "sobol" and args.n & (args.n - 1):
        raise UsageError(
            f"--n {args.n}: Sobol needs a power of 2 as the base sample size, e.g. "
            f"{1 << (args.n.bit_length() - 1)} or {1 << args.n.bit_length()}"
        )
    if args.method == "morris" and args.n < 2:
        raise UsageError(f"--n {args.n}: Morris needs at least 2 trajectories (sigma is a spread)")
    params = _load(args.params, args.scenario)
    _check_out(args, params)
    names = list(params.uncertain_names)
    with _stage("finding the leading approaches", args.quiet):
        res = simulate(params, n=4096, rng=args.seed, progress=not args.quiet)
    func, what, at_draws = _decision_function(res, args.output)
    with (
        _stage(f"{args.method} sensitivity", args.quiet),
        warnings.catch_warnings(record=True) as rec,
    ):
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", sensitivity.SensitivityWarning)
        if args.method == "sobol":
            s = sensitivity.sobol(func, params, n=args.n, rng=args.seed)
            table = s.to_frame().xs(s.outputs[0], level="output").loc[names]
            table = table.sort_values("ST", ascending=False)
            note = f"{s.n_evaluations:,} model evaluations"
        elif args.method == "delta":
            x = res.inputs[[c for c in names if res.inputs[c].nunique() > 1]]
            table = sensitivity.global_ranking(x, at_draws, max_draws=None, rng=args.seed)
            note = (
                f"delta on the normal scores of {res.n:,} draws; two halves agree on "
                f"{table.attrs['agreement']:.0%} of their top 10; noise level "
                f"{table.attrs['noise']:.3g}"
            )
        elif args.method == "morris":
            table = sensitivity.morris(func, params, r=args.n, rng=args.seed)
            table = table.loc[[p for p in table.index if p in names]]
            table = table.sort_values("mu_star", ascending=False)
            note = f"{args.n} trajectories; mu, mu_star, sigma in {table.attrs['units']}"
        else:
            table = sensitivity.tornado(lambda x: func(x)[:, None], params, names=names, output=0)
            table = table.set_index("parameter").sort_values("swing", ascending=False)
            note = "each input at its 5th and 95th percentile, others at their medians"
    if args.out:
        _write_csv(table, args.out)
    print(f"{args.method} sensitivity of {what}; {note}")
    _print_table(table.head(args.top), float_format=lambda v: f"{v:.4g}")
    if len(table) > args.top:
        print(f"... {len(table) - args.top} more rows" + (f" in {args.out}" if args.out else ""))
    for w in dict.fromkeys(str(w.message) for w in rec):
        print(f"warning: {w}")
    return 0


# ----------------------------------------------------------------------------- compare


def _side(path: Path):
    """A parameter file's ParameterSet, or a saved run's Results."""
    from model.study.storage import load_results

    return load_results(path) if path.is_dir() else _load(path)


def _cmd_compare(args) -> int:
    import numpy as np

    from model.report.wording import money, share
    from model.study.compare import ATTRIBUTION, compare

    a, b = _side(args.a), _side(args.b)
    _check_out(args, getattr(a, "params", a), getattr(b, "params", b))
    with _stage(f"simulating on the same seed ({args.n:,} draws each)", args.quiet):
        c = compare(a, b, n=args.n, rng=args.seed, design=args.design)
    if args.out:
        _write_csv(c.table, args.out)
    ra, rb = c.a, c.b
    runs = {(r.provenance.get("seed"), r.provenance.get("n")) for r in (ra, rb)}
    if len(runs) > 1 and not args.quiet:
        print(f"note: the two runs differ in seed or n {sorted(runs)}; differences include noise")
    cur = ra.regulation.settings.currency
    print(
        f"A = {args.a} ({ra.params.name}), B = {args.b} ({rb.params.name}); "
        f"seed {args.seed}, n {args.n:,}"
    )
    if not c.changed:
        best = ra.labels[c.best_a]
        print(f"Decision unchanged: {best} has the highest expected net benefit in both.")
    else:
        print(f"Decision CHANGED: {ra.labels[c.best_a]} under A, {rb.labels[c.best_b]} under B.")
    print()
    _print_table(
        _money_frame(c.table, cur, ["E[NB] A", "E[NB] B", "change"], ["P(best) A", "P(best) B"])
    )
    print()
    if c.parameters.empty and not c.settings:
        print("The two parameter sets are identical.")
        return 0
    if c.settings:
        print("Settings that differ:")
        for line in c.settings:
            print(f"  {line}")
    if not c.parameters.empty:
        out = c.parameters.copy().astype(object)
        out[ATTRIBUTION] = [
            money(v, cur) if np.isfinite(v) else "n/a" for v in c.parameters[ATTRIBUTION]
        ]
        print(
            f"Parameters that differ ({len(out)}), with how much each alone (A plus that one "
            f"change from B) moves the lead of {ra.labels[c.best_a]} over the next best approach "
            f"(lead under A: {money(c.lead_a, cur)}):"
        )
        _print_table(out, float_format=lambda v: f"{v:.4g}")
        if c.changed:
            sa, sb = ra.summary(), rb.summary()
            print(
                f"P(best) of {rb.labels[c.best_b]}: {share(sa['prob_best'][c.best_b])} -> "
                f"{share(sb['prob_best'][c.best_b])}"
            )
    return 0


# ----------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="headwater",
        description="Cost-benefit and decision analysis of approaches to regulating downstream "
        "AI developers.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    r = sub.add_parser("run", help="simulate, analyse and write the HTML report")
    r.add_argument("params", type=_existing_file, help="parameter file, e.g. params/baseline.toml")
    r.add_argument("--n", type=_draws, default=DEFAULT_N, help=f"draws (default {DEFAULT_N})")
    r.add_argument("--seed", type=_seed, default=1, help="random seed (default 1)")
    r.add_argument("--design", choices=DESIGNS, default="sobol", help="sampling design")
    r.add_argument(
        "--scenario",
        type=_existing_file,
        action="append",
        default=[],
        metavar="FILE",
        help="scenario file applied on top of PARAMS (repeatable, applied in order)",
    )
    r.add_argument("--out", type=Path, help="report path (default reports/<name>.html)")
    r.add_argument(
        "--sobol-n",
        type=_sobol_n,
        default=0,
        metavar="N",
        help="add Sobol indices from a design of this base size (power of 2, e.g. 512; default "
        "0: none, the report ranks inputs by the delta measure on the run's own draws)",
    )
    r.add_argument(
        "--executor",
        default=None,
        type=_executor_spec,
        help="serial | processes:N | dask-local:N | dask://HOST:PORT (default serial)",
    )
    r.add_argument("--save", type=Path, metavar="DIR", help="also save the results to DIR")
    r.add_argument(
        "--skip-rule-design",
        action="store_true",
        help="leave out the 'Designing the rule' section (threshold curve, PRIM, portfolios)",
    )
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.add_argument("--json", action="store_true", help="print a JSON summary to stdout")
    r.set_defaults(func=_cmd_run)

    rp = sub.add_parser("report", help="write the HTML report from results saved by run --save")
    rp.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR")
    rp.add_argument("--out", type=Path, help="report path (default reports/<name>.html)")
    rp.add_argument("--sobol-n", type=_sobol_n, default=0, metavar="N")
    rp.add_argument("--skip-rule-design", action="store_true")
    rp.add_argument("--quiet", action="store_true")
    rp.set_defaults(func=_cmd_report)

    w = sub.add_parser("sweep", help="run every approach across parameter values or scenarios")
    w.add_argument("params", type=_existing_file)
    w.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help="fix a parameter at each listed value (repeatable: full grid unless --zip)",
    )
    w.add_argument("--scenario", type=_existing_file, action="append", default=[], metavar="FILE")
    w.add_argument("--zip", action="store_true", help="pair the --vary lists point by point")
    w.add_argument("--n", type=_draws, default=8192, help="draws per point (default 8192)")
    w.add_argument("--seed", type=_seed, default=1)
    w.add_argument("--design", choices=DESIGNS, default="sobol")
    w.add_argument(
        "--executor",
        default=None,
        type=_executor_spec,
        help="serial | processes:N | dask-local:N | ...",
    )
    w.add_argument("--out", type=Path, help="write the tidy table (.csv) or the figure (.html)")
    w.add_argument("--quiet", action="store_true")
    w.set_defaults(func=_cmd_sweep)

    v = sub.add_parser("validate", help="check parameter files; report every error in every file")
    v.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    v.set_defaults(func=_cmd_validate)

    s = sub.add_parser("sensitivity", help="Sobol, delta, Morris or tornado sensitivity table")
    s.add_argument("params", type=_existing_file)
    s.add_argument(
        "--method",
        choices=("sobol", "delta", "morris", "tornado"),
        default="sobol",
        help="delta: moment-independent, on the run's draws, with a convergence check "
        "(stable on heavy tails)",
    )
    s.add_argument(
        "--n",
        type=_positive_int,
        default=512,
        help="Sobol base sample size (power of 2) or Morris trajectories (default 512)",
    )
    s.add_argument("--seed", type=_seed, default=1)
    s.add_argument("--scenario", type=_existing_file, action="append", default=[], metavar="FILE")
    s.add_argument(
        "--output",
        metavar="APPROACH",
        help="analyse this approach's net benefit (default: the lead of the best approach "
        "over the runner-up)",
    )
    s.add_argument("--top", type=_positive_int, default=20, help="rows to print (default 20)")
    s.add_argument("--out", type=Path, help="write the full table as CSV")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=_cmd_sensitivity)

    c = sub.add_parser(
        "compare", help="which input changes move the decision between two parameter files"
    )
    c.add_argument("a", type=_existing_path, help="base parameter file, or a run saved by --save")
    c.add_argument("b", type=_existing_path, help="other parameter file, scenario of A, or run")
    c.add_argument("--n", type=_draws, default=4096, help="draws per run (default 4096)")
    c.add_argument("--seed", type=_seed, default=1)
    c.add_argument("--design", choices=DESIGNS, default="sobol")
    c.add_argument("--out", type=Path, help="write the per-approach table as CSV")
    c.add_argument("--quiet", action="store_true")
    c.set_defaults(func=_cmd_compare)

    q = sub.add_parser("params", help="show a parameter set as a table")
    q.add_argument("params", type=_existing_file)
    q.add_argument("--scenario", type=_existing_file, action="append", default=[], metavar="FILE")
    q.add_argument("--all", action="store_true", help="every column (description, source...)")
    q.add_argument("--out", type=Path, help="write the table as CSV")
    q.set_defaults(func=_cmd_params)
    return p


class _Stopped(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so every temporary file is removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame) -> None:
    ignore_stop_signals()  # a second signal must not interrupt the clean-up
    raise KeyboardInterrupt if signum == signal.SIGINT else _Stopped(signum)


@contextmanager
def _signals_unwind():
    """While running a command, SIGINT, SIGTERM and SIGHUP raise (and so clean up)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _on_signal) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _say(command: str, message: str) -> None:
    """The one line a user mistake ends in (a newline in a path is shown as \\n)."""
    print(f"{command}: {message}".replace("\n", "\\n"), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``headwater`` console script; returns the exit code."""
    command = "headwater"
    with _signals_unwind():
        try:
            args = build_parser().parse_args(argv)
            command = f"headwater {args.command}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # non-finite results are errors
                return int(args.func(args) or 0)
        except ParamFileErrors as e:
            more = f" (and {len(e) - 1} more: run headwater validate)" if len(e) > 1 else ""
            _say(command, f"{e.errors[0]}{more}")
        except HeadwaterError as e:
            _say(command, str(e))
        except OSError as e:
            where = f"{e.filename}: " if getattr(e, "filename", None) else ""
            fix = (
                "; choose a writable location or fix its permissions"
                if isinstance(e, PermissionError)
                else ""
            )
            _say(command, f"{where}{e.strerror or e}{fix}")
        except KeyboardInterrupt:
            print(f"{command}: interrupted", file=sys.stderr)
            return 128 + signal.SIGINT
        except _Stopped as e:
            print(f"{command}: stopped by {signal.Signals(e.signum).name}", file=sys.stderr)
            return 128 + e.signum
    return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
