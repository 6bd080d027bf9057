"""``l2gpu stress <run id>``: a run's top configs on its book and under each stress scenario.

It reads the run back and finds (or rebuilds) its book store and signals as the replay does
(:func:`l2gpu.replay.run.load_run`, :func:`l2gpu.replay.inputs.load_inputs`), picks the run's
top ``--top`` configs by its first objective, runs them on the baseline book and under each
scenario (:func:`l2gpu.stress.robustness.robustness_table`), prints the medians and logs the
table, its plot and its medians to the same MLflow run (:mod:`l2gpu.stress.log`). Bad input (a
run id, a scenario name, an option) is one line on stderr and exit status 2. See
``docs/stress.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from l2gpu.cli.errors import EXPECTED_ERRORS, one_line
from l2gpu.stress import SCENARIOS
from l2gpu.stress.scenario import Value

DEFAULT_TOP = 5


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``l2gpu stress``."""
    parser = argparse.ArgumentParser(
        prog="l2gpu stress",
        description="Rerun the top configs of a run on its book and under stress scenarios; log "
        "a robustness table and plot to the same MLflow run. Scenarios: " + SCENARIOS.listing(),
    )
    parser.add_argument("run_id", help="the MLflow run id (l2gpu prints it; l2gpu ui lists them)")
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULT_TOP,
        metavar="K",
        help=f"the run's K best configs by its first objective (default {DEFAULT_TOP})",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS.names()),
        metavar="A,B",
        help="comma-separated scenario names (default: all)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every scenario's draws (default 0)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SCENARIO.PARAM=VALUE",
        help="replace a scenario's parameter, e.g. flash_crash.shock_bps=500 or "
        "stale_gaps.width=5s (repeatable; docs/stress.md lists them)",
    )
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="the MLflow tracking store (default: $MLFLOW_TRACKING_URI, else ./mlflow.db)",
    )
    return parser


def scenario_names(text: str) -> list[str]:
    """Return the ``--scenarios`` names, each checked (an unknown one lists the known ones)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(f"--scenarios {text!r} names no scenario; known: {SCENARIOS.listing()}")
    for name in names:
        SCENARIOS[name]
    return list(dict.fromkeys(names))


def _value(text: str) -> Value:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def scenario_params(names: list[str], settings: list[str]) -> dict[str, dict[str, Value]]:
    """Return each scenario's parameters given by ``--set`` (checked), by scenario name."""
    chosen: dict[str, dict[str, Value]] = {name: {} for name in names}
    for setting in settings:
        key, equals, text = setting.partition("=")
        name, dot, param = key.partition(".")
        if not (equals and dot and param and text):
            raise ValueError(f"--set {setting!r}: write SCENARIO.PARAM=VALUE")
        if name not in chosen:
            raise ValueError(
                f"--set {setting!r}: {name!r} is not among the scenarios run ({', '.join(names)})"
            )
        defaults = SCENARIOS[name].defaults
        if param not in defaults:
            raise ValueError(
                f"--set {setting!r}: {name} has no parameter {param!r}; its parameters: "
                f"{', '.join(defaults)}"
            )
        chosen[name][param] = _value(text)
    return chosen


def stress_command(args: argparse.Namespace, console: Console) -> int:
    """Run ``l2gpu stress`` (errors propagate; :func:`run_stress` words them)."""
    from dataclasses import replace

    import numpy as np
    import pandas as pd

    from l2gpu.backtest import STRATEGIES
    from l2gpu.data.book import Book
    from l2gpu.data.trades import Trades
    from l2gpu.pipeline.evaluation import select_top
    from l2gpu.pipeline.progress import Progress
    from l2gpu.replay.inputs import load_inputs
    from l2gpu.replay.run import ReplayError, load_run
    from l2gpu.replay.signals import run_signals
    from l2gpu.stress.log import FOLDER, log_robustness
    from l2gpu.stress.robustness import BASELINE, robustness_table, table_metrics
    from l2gpu.tracking.mlflow_run import tracking_uri

    scenarios = scenario_params(scenario_names(args.scenarios), args.set)
    if args.top < 1:
        raise ValueError(f"--top {args.top}: stress at least 1 config")
    uri = args.tracking_uri or tracking_uri(None, Path.cwd())
    run = load_run(args.run_id, uri)
    family = STRATEGIES[run.family]
    objective = str(run.config.sweep.objectives[0])
    top = select_top(run.results, objective, args.top, family.activity)
    if len(top) == 0:
        raise ReplayError(f"run {run.run_id} has no config that traded: nothing to stress")
    params = pd.concat([run.params(int(n), family.columns) for n in top.index])
    params.index = top.index
    progress = Progress(console)
    inputs = load_inputs(run, Path.cwd(), progress)
    app, baseline = run.app, inputs.book_inputs

    def signals_of(book: Book, trades: Trades | None) -> dict[str, np.ndarray]:
        """Return the run's signals on a stressed book (its model, if any, retrained there)."""
        assert trades is not None, "the run's trades are stressed with its book"
        return run_signals(app, replace(baseline, book=book, trades=trades), progress)

    table = robustness_table(
        inputs.book,
        inputs.trades,
        inputs.signals,
        family,
        params,
        scenarios,
        args.seed,
        run.sharpe_bucket,
        progress,
        signals_of=signals_of,
    )
    metrics = table_metrics(family)
    medians = log_robustness(run.run_id, uri, table, metrics, args.seed, scenarios)
    shown = Table(title=f"run {run.run_id}: median over its top {len(top)} configs by {objective}")
    shown.add_column("scenario")
    for metric in metrics:
        shown.add_column(metric, justify="right")
    for scenario in (BASELINE, *scenarios):
        cells = [medians.get(f"stress.{scenario}.{m}_median", float("nan")) for m in metrics]
        shown.add_row(scenario, *[f"{v:,.6g}" for v in cells])
    console.print(shown)
    console.print(
        f"logged {len(table)} rows ({len(top)} configs x {len(scenarios) + 1} scenarios) to run "
        f"{run.run_id}: {FOLDER}/robustness.csv, {FOLDER}/robustness.png and "
        f"{len(medians)} metrics stress.<scenario>.<metric>_median",
        soft_wrap=True,
        highlight=False,
    )
    return 0


def run_stress(argv: list[str], console: Console) -> int:
    """Run ``l2gpu stress`` with ``argv``; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return stress_command(args, console)
    except EXPECTED_ERRORS as exc:
        Console(stderr=True).print(
            f"[bold red]l2gpu stress:[/] {escape(one_line(exc))}", soft_wrap=True, highlight=False
        )
        return 2
