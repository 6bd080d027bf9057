"""The main job: data, signals, model, search, results saved, evaluation, tracking, summary.

Each stage is a function of its inputs and the config (:mod:`l2gpu.pipeline`); this module only
composes them, in the order of ``docs/pipeline.md``. The config is validated before anything
runs, so a refused value leaves no MLflow run; the results table and the top configs' trades are
saved before any statistic, plot or tracking call, so a later failure loses nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig
from rich.console import Console

from l2gpu.backend.engine import resolve_engine
from l2gpu.backtest import STRATEGIES
from l2gpu.cli.errors import EXPECTED_ERRORS, FailedAfterResultsError, one_line
from l2gpu.cli.summary import print_saved, print_summary
from l2gpu.config.validate import typed_config
from l2gpu.pipeline.data import load_data
from l2gpu.pipeline.evaluation import evaluate, record_top
from l2gpu.pipeline.models import add_model_signal
from l2gpu.pipeline.progress import Progress
from l2gpu.pipeline.record import RunRecord
from l2gpu.pipeline.results import run_folder, save_results
from l2gpu.pipeline.search import SEARCHES
from l2gpu.pipeline.signals import compute_signals
from l2gpu.pipeline.warmup import warm_up
from l2gpu.tracking.log_run import log_run, open_job_run

CONSOLE_WIDTH = 150


@dataclass
class JobResult:
    """What a job produced: the results table, the top configs, the MLflow run, timings (s)."""

    table: pd.DataFrame
    top: pd.DataFrame
    run_id: str | None
    record: RunRecord
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - started


def run_job(
    cfg: DictConfig, console: Console | None = None, overrides: Sequence[str] = ()
) -> JobResult:
    """Run the whole pipeline for one composed config (one MLflow run, opened at the start).

    Parameters
    ----------
    cfg : DictConfig
        The composed config (without Hydra's own node).
    console : rich.console.Console, optional
        Where progress and the summary go.
    overrides : sequence of str
        The overrides the user typed, for the run's name.
    """
    app = typed_config(cfg)
    console = console or Console()
    progress = Progress(console)
    root = Path(app.paths.root).expanduser().resolve()
    engine = resolve_engine(app.backend.engine)
    timings: dict[str, float] = {}
    tracking = open_job_run(app, root, overrides, console) if app.logger.enabled else nullcontext()
    with tracking as run_id:
        with _timed(timings, "ingest_s"):
            inputs = load_data(
                app.data,
                root / app.paths.cache_dir,
                Path.cwd(),
                engine,
                progress,
                app.debug.max_rows,
            )
        stores = inputs.stores
        console.print(
            f"book store {'rebuilt' if stores.rebuilt else 'reused from the cache'} "
            f"(fingerprint {stores.fingerprint[:16]}): {stores.book}",
            soft_wrap=True,
        )
        family = STRATEGIES[app.strategy.family]
        warm_up(engine, inputs.book.depth, family, app.features.names, app.labels.names, progress)
        with _timed(timings, "features_labels_s"):
            signals = compute_signals(
                inputs,
                app.features.names,
                app.labels.names,
                app.execution.fees.taker_fee_bps,
                app.strategy.signal_scale_quantile,
                progress,
            )
        with _timed(timings, "model_s"):
            signals, model = add_model_signal(inputs, signals, app, progress)
        with _timed(timings, "sweep_s"):
            search = SEARCHES[app.sweep.kind](inputs, signals, app, root, progress)
            top = record_top(inputs, signals, search, app)
        saved = save_results(run_folder(root), search, top)
        try:
            with _timed(timings, "evaluation_s"):
                evaluation = evaluate(inputs, signals, search, top, app, progress)
            record = RunRecord(
                app, list(overrides), inputs, signals, search, evaluation, saved, model
            )
            if run_id is not None:
                with _timed(timings, "mlflow_s"):
                    log_run(record)
        except BaseException as exc:
            console.print("[bold]The job stopped after its results were saved.[/]")
            print_saved(console, saved)
            if isinstance(exc, EXPECTED_ERRORS):
                raise FailedAfterResultsError(
                    f"{one_line(exc)} (the results table and the top configs' trades are saved "
                    f"in {saved.folder})"
                ) from exc
            raise
        record.timings = timings
        print_summary(console, record, run_id)
    return JobResult(search.table, top.table, run_id, record, timings)
