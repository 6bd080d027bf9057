"""The search stage: a grid in one sweep launch, or a batched Optuna study, chosen by name.

Searches are entries of :data:`SEARCHES` (``sweep.kind`` in the config); each is a function of the
data, the signals and the config that returns a :class:`SearchResult`. The results table holds
one row per config: its parameters (thresholds in signal units), its metrics, and the threshold
multiples the user typed (``entry_multiple``, ``exit_multiple``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from l2gpu.backend.arrays import array_namespace
from l2gpu.backtest import STRATEGIES, StrategyFamily, SweepResult
from l2gpu.config.schema import AppConfig
from l2gpu.core.registry import Registry
from l2gpu.pipeline.data import BookInputs
from l2gpu.pipeline.progress import Progress
from l2gpu.pipeline.signals import Signals
from l2gpu.search import run_study, strategy_grid
from l2gpu.search.optuna_search import MAXIMISE, make_sampler

SQLITE_BUSY_TIMEOUT_S = 60


@dataclass
class SearchResult:
    """What the search stage gives the evaluation.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per config: parameters, metrics, ``entry_multiple`` and ``exit_multiple``.
    bucket_pnl : numpy.ndarray
        ``[buckets, configs]`` equity change of each config per Sharpe bucket, quote currency.
    steps_per_second : float
        Configs x rows backtested per second of sweep.
    study : optuna.Study or None
        The study, for an Optuna search.
    """

    table: pd.DataFrame
    bucket_pnl: np.ndarray
    steps_per_second: float
    study: optuna.Study | None = None


Search = Callable[[BookInputs, Signals, AppConfig, Path, Progress], SearchResult]
SEARCHES: Registry[Search] = Registry("search")


def family_of(cfg: AppConfig) -> StrategyFamily:
    """Return the strategy family the config selects (``strategy.family``)."""
    return STRATEGIES[cfg.strategy.family]


def _evaluator(
    inputs: BookInputs, signals: Signals, cfg: AppConfig, update: Callable[[int, int], None]
) -> Callable[[pd.DataFrame], SweepResult]:
    family = family_of(cfg)

    def run(params: pd.DataFrame) -> SweepResult:
        return family.run(
            inputs.book,
            signals.features,
            params,
            trades=inputs.trades,
            engine=inputs.engine,
            chunk_rows=cfg.sweep.chunk_rows,
            sharpe_bucket=cfg.sweep.sharpe_bucket,
            progress=update,
            bucket_returns=True,
        )

    return run


@SEARCHES.register("grid")
def grid_search(
    inputs: BookInputs, signals: Signals, cfg: AppConfig, root: Path, progress: Progress
) -> SearchResult:
    """Every combination of the family's lists for every signal, in one sweep launch."""
    family = family_of(cfg)
    params = strategy_grid(family, family.lists(cfg), signals.scales)
    rows = len(inputs.book)
    with progress.step(f"sweep {len(params):,} configs x {rows:,} rows", rows, "rows") as update:
        result = _evaluator(inputs, signals, cfg, update)(params)
    assert result.bucket_pnl is not None
    table = family.multiples(result.table, signals.scales)
    return SearchResult(table, result.bucket_pnl, result.steps_per_second)


def study_name(cfg: AppConfig) -> str:
    """Return a study name fixed by what it searches: the same command resumes the same study."""
    searched: dict[str, Any] = {
        "data": asdict(cfg.data),
        "features": asdict(cfg.features),
        "strategy": asdict(cfg.strategy),
        "execution": asdict(cfg.execution),
        "sweep": {k: getattr(cfg.sweep, k) for k in ("objectives", "sampler", "seed")},
    }
    searched["sweep"]["sharpe_bucket"] = cfg.sweep.sharpe_bucket
    digest = hashlib.sha256(json.dumps(searched, sort_keys=True, default=str).encode())
    return f"{cfg.data.name}-{digest.hexdigest()[:12]}"


def _storage(cfg: AppConfig, root: Path) -> Any:
    url = cfg.sweep.storage or f"sqlite:///{(root / cfg.paths.optuna_dir).resolve()}/optuna.db"
    if not url.startswith("sqlite:///"):
        return url
    Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    # Wait for other writers (several workers may share one SQLite study) instead of failing
    # after SQLite's default 5 s.
    return optuna.storages.RDBStorage(
        url, engine_kwargs={"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    )


@SEARCHES.register("optuna")
def optuna_search(
    inputs: BookInputs, signals: Signals, cfg: AppConfig, root: Path, progress: Progress
) -> SearchResult:
    """Run a batched Optuna study: ``batch_size`` trials per sweep launch to ``n_trials``."""
    objectives = list(cfg.sweep.objectives)
    study = optuna.create_study(
        storage=_storage(cfg, root),
        study_name=cfg.sweep.study_name or study_name(cfg),
        load_if_exists=True,
        sampler=make_sampler(cfg.sweep.sampler, cfg.sweep.seed),
        directions=["maximize" if o in MAXIMISE else "minimize" for o in objectives],
    )
    family = family_of(cfg)
    space, scales = family.lists(cfg), signals.scales

    def to_params(configs: list[dict[str, Any]]) -> pd.DataFrame:
        return family.scaled(pd.DataFrame(configs), scales)

    buckets: list[np.ndarray] = []
    evaluate = _evaluator(inputs, signals, cfg, lambda done, total: None)

    def run(params: pd.DataFrame) -> SweepResult:
        result = evaluate(params)
        assert result.bucket_pnl is not None
        buckets.append(result.bucket_pnl)
        return result

    started = time.perf_counter()
    n_trials = cfg.sweep.n_trials
    with progress.step(f"optuna {cfg.sweep.sampler}: {n_trials:,} trials", n_trials) as update:
        tables = run_study(
            study,
            n_trials,
            cfg.sweep.batch_size,
            space,
            list(signals.features),
            to_params,
            run,
            objectives,
            on_batch=lambda done, total: update(done, total),
        )
    seconds = time.perf_counter() - started
    steps = sum(len(t) for t in tables) * len(inputs.book)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    bucket_pnl = array_namespace(buckets[0]).hstack(buckets) if buckets else np.zeros((0, 0))
    speed = steps / seconds if seconds and steps else float("nan")
    return SearchResult(family.multiples(table, scales), bucket_pnl, speed, study)
