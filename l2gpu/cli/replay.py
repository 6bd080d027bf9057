"""``l2gpu replay <run id> --config N``: paper-trade one config of a run, event by event.

It reads the run back (:mod:`l2gpu.replay.run`), finds or rebuilds its book store and computes
its features again (:mod:`l2gpu.replay.inputs`), then steps config ``N`` through the sweep's
own kernel (:mod:`l2gpu.replay.stepper`) at the recording's pace times ``--speed``, with a live
view on a terminal and plain lines elsewhere (:mod:`l2gpu.replay.view`). A replay of the whole
book ends by saying whether it equals the run's results and recorded trades. Bad input (a run
id, a config number, a recording that moved or changed, an option) is one line on stderr and
exit status 2. See ``docs/replay.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from l2gpu.cli.errors import EXPECTED_ERRORS, one_line
from l2gpu.core.spans import Window
from l2gpu.replay.pace import FRAME_S
from l2gpu.replay.view import FILLS_SHOWN

DEFAULT_EVERY = "10s"
INTERRUPTED = 130
"""Exit status of a replay stopped by Ctrl-C."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``l2gpu replay``."""
    parser = argparse.ArgumentParser(
        prog="l2gpu replay",
        description="Step one config of a run event by event over its recording, through the "
        "sweep's own kernel (its fills and pnl are the sweep's), with a live view.",
    )
    parser.add_argument("run_id", help="the MLflow run id (l2gpu prints it; l2gpu ui lists them)")
    parser.add_argument(
        "--config",
        type=int,
        required=True,
        metavar="N",
        help="row N of the run's results table (as in trades_config_N.parquet)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="recording seconds per wall second: 1 real time (default), 10 ten times as fast, "
        "0 as fast as possible",
    )
    parser.add_argument("--rows", type=int, default=None, help="replay only the first N rows")
    parser.add_argument(
        "--until",
        default=None,
        help="replay only the rows up to a time: a duration from the start ('90s') or a UTC "
        "time ('2024-08-08T23:59:30')",
    )
    parser.add_argument(
        "--every",
        default=DEFAULT_EVERY,
        help=f"plain output: a status line every this much recording time (default "
        f"{DEFAULT_EVERY})",
    )
    parser.add_argument(
        "--fills",
        type=int,
        default=FILLS_SHOWN,
        help=f"live view: how many of the last fills to list (default {FILLS_SHOWN})",
    )
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="the MLflow tracking store (default: $MLFLOW_TRACKING_URI, else ./mlflow.db)",
    )
    return parser


def _every_ns(text: str) -> int:
    try:
        span = Window.parse(text)
    except ValueError as exc:
        raise ValueError(f"--every {text!r}: {exc}") from None
    if span.ns is None:
        raise ValueError(f"--every {text!r} must be a duration such as '10s'")
    return span.ns


def replay_command(args: argparse.Namespace, console: Console) -> int:
    """Run one replay (errors propagate; :func:`run_replay` words them)."""
    from l2gpu.backtest import STRATEGIES
    from l2gpu.pipeline.progress import Progress
    from l2gpu.replay import STEPPERS, start_replay
    from l2gpu.replay.inputs import bound_rows, load_inputs
    from l2gpu.replay.pace import Pace
    from l2gpu.replay.run import ReplayError, load_run
    from l2gpu.replay.session import compare_with_run, headline_text, play
    from l2gpu.replay.view import LiveView, PlainView, View
    from l2gpu.replay.words import config_text, date_text
    from l2gpu.tracking.mlflow_run import tracking_uri

    every_ns = _every_ns(args.every)
    if not args.speed >= 0:
        raise ReplayError(f"--speed {args.speed}: give 0 (as fast as possible) or a factor > 0")
    run = load_run(args.run_id, args.tracking_uri or tracking_uri(None, Path.cwd()))
    if run.family not in STEPPERS:
        raise ReplayError(
            f"run {run.run_id} is of the {run.family!r} family; the replay steps "
            f"{', '.join(sorted(STEPPERS))}"
        )
    family = STRATEGIES[run.family]
    params = run.params(args.config, family.columns)
    inputs = load_inputs(run, Path.cwd(), Progress(console))
    stores = inputs.stores
    console.print(
        f"book store {'rebuilt' if stores.rebuilt else 'found in the cache'} "
        f"(fingerprint {stores.fingerprint[:16]}): {stores.book}",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    if stores.fingerprint != run.fingerprint:
        console.print(
            f"note: the run's book store had fingerprint {run.fingerprint[:16]} (another l2gpu "
            "version, or the recording at another path); its input files are the run's",
            soft_wrap=True,
            highlight=False,
        )
    total = len(inputs.book)
    rows = bound_rows(inputs.book.host_ts(), args.rows, args.until)
    book, signals = inputs.first_rows(rows)
    stepper = start_replay(
        run.family, book, signals, params, trades=inputs.trades, sharpe_bucket=run.sharpe_bucket
    )
    ts = book.host_ts()
    speed = "as fast as possible" if args.speed == 0 else f"speed {args.speed:g}x"
    header = [
        f"replay of run {run.run_id}, config {args.config} ({run.family}): "
        f"{config_text(stepper.table)}",
        f"rows 0 to {rows - 1:,} of {total:,}, {date_text(int(ts[0]))} to "
        f"{date_text(int(ts[-1]))}, {speed}",
    ]
    view: View
    if console.is_terminal:
        view = LiveView(console, header, args.fills)
    else:
        view = PlainView(console, ts, every_ns, header)
    try:
        play(stepper, view, Pace(ts, args.speed, FRAME_S))
    except KeyboardInterrupt:
        view.close([f"stopped at row {stepper.done:,} of {rows:,}"])
        return INTERRUPTED
    except BaseException:
        view.close([])
        raise
    result = stepper.result().iloc[0]
    lines = [f"replayed {rows:,} rows: {headline_text(result, family.headline)}"]
    if rows == total:
        lines += compare_with_run(
            result,
            stepper.fills(),
            run.row(args.config),
            run.recorded.get(args.config),
            family.metrics,
            args.config,
        )
    else:
        lines.append(
            f"the first {rows:,} of {total:,} rows were replayed and closed at the last of them, "
            "as a sweep over those rows would; the run's results cover every row, so they are "
            "not compared"
        )
    if run.engine != "cpu":
        lines.append(
            f"note: the run computed its features on the {run.engine}; the replay computes them "
            "on the CPU"
        )
    view.close(lines)
    return 0


def run_replay(argv: list[str], console: Console) -> int:
    """Run ``l2gpu replay`` with ``argv``; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return replay_command(args, console)
    except KeyboardInterrupt:
        return INTERRUPTED
    except EXPECTED_ERRORS as exc:
        Console(stderr=True).print(
            f"[bold red]l2gpu replay:[/] {escape(one_line(exc))}", soft_wrap=True, highlight=False
        )
        return 2
