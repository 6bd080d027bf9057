"""The main job: ingest (cached) -> features -> labels -> sweep or Optuna -> MLflow -> a table."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import optuna
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn
from rich.table import Table

from l2gpu import labels
from l2gpu.backend.engine import gpu_status, resolve_engine
from l2gpu.backtest import METRICS, SweepResult, sweep
from l2gpu.backtest.params import NAMES as PARAMETERS
from l2gpu.backtest.result import SUMMARY_COLUMNS
from l2gpu.backtest.walkforward import WalkForwardResult, walk_forward
from l2gpu.core.spans import Window
from l2gpu.data.cache import cached_ingest
from l2gpu.data.samples import resolve_input
from l2gpu.data.store import read_book
from l2gpu.data.trades import read_trades
from l2gpu.features import compute
from l2gpu.metrics import Overfitting, overfitting
from l2gpu.metrics.risk import risk_table
from l2gpu.search import run_study, signal_scales, strategy_grid
from l2gpu.search.grid import STRATEGY_PARAMS
from l2gpu.search.optuna_search import MAXIMISE, make_sampler
from l2gpu.tracking import mlflow_run, plots
from l2gpu.tracking.report import report_html

log = logging.getLogger(__name__)
CONSOLE_WIDTH = 150
SQLITE_BUSY_TIMEOUT_S = 60


@dataclass
class JobResult:
    """What a job produced."""

    table: pd.DataFrame
    top: pd.DataFrame
    run_id: str | None
    timings: dict[str, float] = field(default_factory=dict)


def _progress(console: Console) -> Progress:
    return Progress(
        *Progress.get_default_columns()[:1],
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _information_coefficients(
    features: dict[str, Any], targets: dict[str, Any]
) -> dict[str, float]:
    """Pearson correlation of each feature with each label over rows where both exist."""
    out = {}
    for f_name, f in features.items():
        for l_name, y in targets.items():
            if l_name.endswith("_touch"):
                continue
            x, z = np.asarray(f, dtype=float), np.asarray(y, dtype=float)
            both = np.isfinite(x) & np.isfinite(z)
            ic = float(np.corrcoef(x[both], z[both])[0, 1]) if both.sum() > 2 else float("nan")
            out[f"ic.{f_name}.{l_name}"] = ic
    return out


def study_name(cfg: DictConfig) -> str:
    """Return a study name fixed by what it searches: the same command resumes the same study."""
    searched = {
        k: OmegaConf.to_container(cfg[k], resolve=True)
        for k in ("data", "features", "strategy", "costs")
    }
    searched["sweep"] = {
        k: cfg.sweep[k] for k in ("objectives", "sampler", "seed", "sharpe_bucket")
    }
    digest = hashlib.sha256(json.dumps(searched, sort_keys=True, default=str).encode())
    return f"{cfg.data.name}-{digest.hexdigest()[:12]}"


def _search(
    cfg: DictConfig,
    root: Path,
    book: Any,
    signals: dict[str, Any],
    scales: dict[str, float],
    engine: str,
    console: Console,
) -> tuple[pd.DataFrame, np.ndarray, float, optuna.Study | None]:
    """Run the grid or the study; return the results, per-bucket pnl, steps/s and the study."""
    buckets: list[np.ndarray] = []

    def run(params: pd.DataFrame) -> SweepResult:
        result = sweep(
            book,
            signals,
            params=params,
            engine=engine,
            chunk_rows=cfg.sweep.chunk_rows,
            sharpe_bucket=cfg.sweep.sharpe_bucket,
            bucket_returns=True,
        )
        assert result.bucket_pnl is not None
        buckets.append(result.bucket_pnl)
        return result

    fee = cfg.costs.taker_fee_bps
    if cfg.sweep.kind == "grid":
        result = run(strategy_grid(cfg.strategy, scales, fee))
        return result.table, buckets[0], result.steps_per_second, None
    if cfg.sweep.kind != "optuna":
        raise ValueError(f"sweep.kind must be 'grid' or 'optuna', got {cfg.sweep.kind!r}")
    storage = cfg.sweep.storage or f"sqlite:///{(root / cfg.paths.optuna_dir).resolve()}/optuna.db"
    if storage.startswith("sqlite:///"):
        Path(storage[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    objectives = list(cfg.sweep.objectives)
    if storage.startswith("sqlite:///"):
        # Wait for other writers (several workers may share one SQLite study) instead of
        # failing after SQLite's default 5 s.
        rdb: Any = optuna.storages.RDBStorage(
            storage, engine_kwargs={"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
        )
    else:
        rdb = storage
    study = optuna.create_study(
        storage=rdb,
        study_name=cfg.sweep.study_name or study_name(cfg),
        load_if_exists=True,
        sampler=make_sampler(cfg.sweep.sampler, cfg.sweep.seed),
        directions=["maximize" if o in MAXIMISE else "minimize" for o in objectives],
    )
    space = {name: list(cfg.strategy[name]) for name in STRATEGY_PARAMS}

    def to_params(configs: list[dict[str, Any]]) -> pd.DataFrame:
        table = pd.DataFrame(configs)
        table["entry"] = table["entry"].astype(float) * table["signal"].map(scales)
        table["exit"] = table["exit"].astype(float) * table["signal"].map(scales)
        table["taker_fee_bps"] = fee
        return table

    started = time.perf_counter()
    steps = 0
    with _progress(console) as progress:
        task = progress.add_task("optuna batches", total=cfg.sweep.n_trials)
        tables = run_study(
            study,
            cfg.sweep.n_trials,
            cfg.sweep.batch_size,
            space,
            list(signals),
            to_params,
            run,
            objectives,
            on_batch=lambda done, _: progress.update(task, completed=done),
        )
    for table in tables:
        steps += len(table) * len(book)
    seconds = time.perf_counter() - started
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    bucket_pnl = np.hstack(buckets) if buckets else np.zeros((0, 0))
    return table, bucket_pnl, steps / seconds if seconds and steps else float("nan"), study


def _horizon_ns(name: str, book: Any) -> int:
    """Return a label's horizon in ns (rows at the book's mean pace)."""
    horizon = labels.label_horizon(name)
    if horizon.ns is not None:
        return horizon.ns
    pace = (int(book.ts[-1]) - int(book.ts[0])) / max(len(book) - 1, 1)
    return int(np.ceil((horizon.rows or 0) * pace))


def _walk_forward(
    cfg: DictConfig, book: Any, signals: dict[str, Any], table: pd.DataFrame, engine: str
) -> WalkForwardResult:
    """Walk-forward evaluation of the configs the search ran."""
    if cfg.eval.kind != "walkforward":
        raise ValueError(f"eval.kind must be 'none' or 'walkforward', got {cfg.eval.kind!r}")
    horizon = max((_horizon_ns(name, book) for name in cfg.labels.names), default=0)
    params = table[list(PARAMETERS)].drop_duplicates().reset_index(drop=True)
    return walk_forward(
        book,
        signals,
        params,
        train=cfg.eval.train,
        test=cfg.eval.test,
        mode=cfg.eval.mode,
        label_horizon=f"{horizon}ns",
        embargo=cfg.eval.embargo,
        objective=cfg.sweep.objectives[0],
        top_k=cfg.eval.top_k,
        engine=engine,
        sharpe_bucket=cfg.sweep.sharpe_bucket,
    )


def _as_text_where_mixed(table: pd.DataFrame) -> pd.DataFrame:
    """Parameter columns that mix rows and durations (``50``, ``"1s"``) as text, for Parquet."""
    mixed = [c for c in table.columns if table[c].dtype == object]
    return table.astype({c: str for c in mixed})


def _top(table: pd.DataFrame, objective: str, k: int) -> pd.DataFrame:
    ranked = table[table.n_trades > 0].copy()
    ranked[objective] = ranked[objective].replace([np.inf, -np.inf], np.nan)
    ascending = objective not in MAXIMISE
    return ranked.sort_values(objective, ascending=ascending, na_position="last").head(k)


def run_job(cfg: DictConfig, console: Console | None = None) -> JobResult:
    """Run the whole pipeline for one composed config (one MLflow run, opened at the start)."""
    console = console or Console()
    root = Path(cfg.paths.root).resolve()
    if not cfg.logger.enabled:
        return _pipeline(cfg, root, console, None)
    uri = mlflow_run.tracking_uri(cfg.logger.tracking_uri, root)
    experiment = mlflow_run.ensure_experiment(
        uri, cfg.logger.experiment, root / cfg.logger.artifact_dir
    )
    closed = mlflow_run.close_orphaned_runs(uri, experiment)
    if closed:
        console.print(
            f"marked {len(closed)} run(s) left RUNNING by a killed process as KILLED: "
            f"{', '.join(closed)}"
        )
    mlflow.set_experiment(experiment_id=experiment)
    with mlflow_run.tracked_run(
        f"{cfg.data.name}-{cfg.sweep.kind}", {"l2gpu.data": cfg.data.name}
    ) as run:
        resolved = OmegaConf.to_container(cfg, resolve=True)
        assert isinstance(resolved, dict)
        mlflow.log_params(mlflow_run.flatten(resolved))
        mlflow.set_tag("git_commit", mlflow_run.git_commit(root))
        return _pipeline(cfg, root, console, str(run.info.run_id))


def _pipeline(cfg: DictConfig, root: Path, console: Console, run_id: str | None) -> JobResult:
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    engine = resolve_engine(cfg.backend.engine)
    device = gpu_status().device_name if engine == "gpu" else "CPU"
    with _progress(console) as progress:
        task = progress.add_task(f"ingest {cfg.data.name}", total=None)
        stores = cached_ingest(
            cfg.data.name,
            [resolve_input(p, root) for p in cfg.data.paths],
            cfg.data.format,
            root / cfg.paths.cache_dir,
            {
                "depth": cfg.data.depth,
                "symbol": cfg.data.symbol,
                "on_gap": cfg.data.on_gap,
                "on_crossed": cfg.data.on_crossed,
                "on_bad_line": cfg.data.on_bad_line,
                "on_time_backwards": cfg.data.on_time_backwards,
            },
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(
        f"book store {'rebuilt' if stores.rebuilt else 'reused from the cache'} "
        f"(fingerprint {stores.fingerprint[:16]}): {stores.book}"
    )
    timings["ingest_s"] = time.perf_counter() - clock
    book = read_book(stores.book, engine=engine)
    trades = read_trades(stores.trades)
    if cfg.debug.max_rows:
        book = book[: cfg.debug.max_rows]
    clock = time.perf_counter()
    labels.check_inputs(cfg.features.names)
    signals = {
        k: np.asarray(v)
        for k, v in compute(book, cfg.features.names, engine=engine, trades=trades).items()
    }
    targets = labels.compute(
        book, cfg.labels.names, engine=engine, taker_fee_bps=cfg.costs.taker_fee_bps
    )
    ics = _information_coefficients(signals, targets)
    scales = signal_scales(signals, cfg.strategy.signal_scale_quantile)
    timings["features_labels_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    table, bucket_pnl, steps_per_second, study = _search(
        cfg, root, book, signals, scales, engine, console
    )
    scale = table["signal"].map(scales)
    table["entry_multiple"] = (table["entry"] / scale).round(6)
    table["exit_multiple"] = (table["exit"] / scale).round(6)
    timings["sweep_s"] = time.perf_counter() - clock
    objective = cfg.sweep.objectives[0]
    top = _top(table, objective, cfg.sweep.top_k)
    recorded = sweep(
        book,
        signals,
        params=top[list(PARAMETERS)],
        engine="cpu",
        record=range(len(top)),
        sharpe_bucket=cfg.sweep.sharpe_bucket,
    )
    trades_of_top = {int(i): recorded.trades(k) for k, i in enumerate(top.index)}
    judged = (
        overfitting(bucket_pnl, int(top.index[0]), engine) if len(top) and len(table) > 1 else None
    )
    bucket_s = (Window.parse(cfg.sweep.sharpe_bucket).ns or 0) / 1e9
    host = book.to("cpu")
    risk = risk_table(
        bucket_pnl,
        [int(i) for i in top.index],
        bucket_s,
        trades_of_top,
        table,
        mid=(host.bid_px[0] + host.ask_px[0]) / 2,
        spread=host.ask_px[0] - host.bid_px[0],
    )
    walk = _walk_forward(cfg, book, signals, table, engine) if cfg.eval.kind != "none" else None
    if run_id is not None:
        clock = time.perf_counter()
        _log(
            cfg,
            root,
            table,
            top,
            trades_of_top,
            study,
            stores,
            ics,
            steps_per_second,
            engine,
            device,
            int(book.ts[0]),
            judged,
            risk,
            walk,
        )
        timings["mlflow_s"] = time.perf_counter() - clock
    _print(console, cfg, table, top, run_id, root, steps_per_second, ics)
    if judged is not None:
        console.print(f"[bold]Overfitting:[/] {judged.reading()}")
    if walk is not None and len(walk.folds):
        console.print(
            f"[bold]Walk-forward:[/] {len(walk.folds)} folds; out-of-sample pnl "
            f"{walk.oos_total:+.4g} (profitable in {(walk.folds.oos_pnl > 0).mean():.0%}"
            f" of folds) against a mean in-sample pnl of {walk.folds.is_pnl.mean():+.4g}"
            " per fold"
        )
    return JobResult(table, top, run_id, timings)


def _log(
    cfg: DictConfig,
    root: Path,
    table: pd.DataFrame,
    top: pd.DataFrame,
    trades_of_top: dict[int, pd.DataFrame],
    study: optuna.Study | None,
    stores: Any,
    ics: dict[str, float],
    steps_per_second: float,
    engine: str,
    device: str,
    start_ns: int,
    judged: Overfitting | None,
    risk: pd.DataFrame,
    walk: WalkForwardResult | None,
) -> None:
    """Log metrics, artifacts, the report and the top configs (as nested runs)."""
    objective = cfg.sweep.objectives[0]
    sharpe = table.sharpe.replace([np.inf, -np.inf], np.nan)
    metrics = {
        "configs_run": float(len(table)),
        "share_profitable": float((table.pnl > 0).mean()),
        "median_sharpe": float(sharpe.median()),
        "steps_per_second": float(steps_per_second),
        **ics,
    }
    if len(top):
        best = top.iloc[0]
        metrics.update({f"best_{m}": float(best[m]) for m in METRICS})
    if judged is not None:
        metrics.update(
            {
                "dsr": judged.dsr,
                "pbo": judged.pbo,
                "best_sharpe_per_bucket": judged.sharpe_per_bucket,
                "expected_max_sharpe_per_bucket": judged.expected_max_sharpe,
            }
        )
    if walk is not None and len(walk.folds):
        metrics.update(
            {
                "oos_pnl_total": walk.oos_total,
                "oos_folds": float(len(walk.folds)),
                "oos_share_profitable_folds": float((walk.folds.oos_pnl > 0).mean()),
                "is_pnl_mean": float(walk.folds.is_pnl.mean()),
            }
        )
    if len(risk):
        metrics.update({f"best_{k}": float(v) for k, v in risk.iloc[0].items() if k != "config"})
    mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _as_text_where_mixed(table).to_parquet(folder / "results.parquet")
        (folder / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
        (folder / "fingerprints.json").write_text(
            json.dumps({"book_store": stores.fingerprint, "inputs": stores.inputs}, indent=2)
        )
        (folder / "environment.json").write_text(
            json.dumps(
                {
                    **mlflow_run.environment(engine, device),
                    "git_commit": mlflow_run.git_commit(root),
                },
                indent=2,
            )
        )
        for config, trades in trades_of_top.items():
            trades.to_parquet(folder / f"trades_config_{config}.parquet")
        plots.equity_curves(trades_of_top, start_ns, folder / "equity_top.png")
        x, y = cfg.experiment.heatmap
        plots.parameter_heatmap(table, x, y, objective, folder / f"heatmap_{x}_{y}.png")
        plots.metric_distribution(
            table,
            "sharpe",
            folder / "sharpe_distribution.png",
            f"annualised from {cfg.sweep.sharpe_bucket} buckets",
        )
        if study is not None and len(study.directions) == 1:
            plots.optuna_plots(study, folder)
        if judged is not None:
            (folder / "overfitting.json").write_text(
                json.dumps({**vars(judged), "reading": judged.reading()}, indent=2)
            )
        risk.to_csv(folder / "risk.csv", index=False)
        if walk is not None and len(walk.folds):
            walk.folds.to_csv(folder / "walkforward_folds.csv", index=False)
            plots.in_and_out_of_sample(
                walk.folds, walk.oos_pnl, start_ns, folder / "walkforward.png"
            )
        title = f"l2gpu: {cfg.data.name}, {cfg.sweep.kind}, fee {cfg.costs.taker_fee_bps} bps"
        (folder / "report.html").write_text(report_html(folder, title))
        mlflow.log_artifacts(str(folder))
    for rank, (config, row) in enumerate(top.iterrows(), start=1):
        with mlflow.start_run(run_name=f"top{rank}-config{config}", nested=True):
            mlflow.log_params({k: str(row[k]) for k in PARAMETERS})
            mlflow.log_metrics({m: float(row[m]) for m in METRICS if np.isfinite(float(row[m]))})


def _print(
    console: Console,
    cfg: DictConfig,
    table: pd.DataFrame,
    top: pd.DataFrame,
    run_id: str | None,
    root: Path,
    steps_per_second: float,
    ics: dict[str, float],
) -> None:
    view = Table(
        title=f"Best {len(top)} of {len(table):,} configs by {cfg.sweep.objectives[0]} "
        f"({cfg.data.name}, {cfg.sweep.kind}, fee {cfg.costs.taker_fee_bps} bps)",
        title_justify="left",
    )
    for column in SUMMARY_COLUMNS:
        view.add_column(column, justify="right")
    for _, row in top.iterrows():
        view.add_row(
            *[
                f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c])
                for c in SUMMARY_COLUMNS
            ]
        )
    console.print(view)
    ic_text = ", ".join(f"{k[3:]} {v:+.3f}" for k, v in ics.items())
    console.print(
        f"{(table.pnl > 0).mean():.1%} of configs profitable after costs; median "
        f"Sharpe {table.sharpe.median():.2f}; {steps_per_second:,.0f} backtest-steps/s;"
        f" information coefficients: {ic_text}"
    )
    if run_id:
        console.print(
            f"MLflow run [bold]{run_id}[/]; browse it with [bold]l2gpu ui[/] "
            f"(or `.venv/bin/l2gpu ui` from {root})"
        )
