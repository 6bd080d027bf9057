"""The search stage: a grid in one sweep launch, or a batched Optuna study, chosen by name.

Searches are entries of :data:`SEARCHES` (``sweep.kind`` in the config); each is a function of the
data, the signals and the config that returns a :class:`SearchResult`. The results table holds
one row per config: its parameters (thresholds in signal units), its metrics, and the threshold
multiples the user typed (``entry_multiple``, ``exit_multiple``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import optuna
import pandas as pd

from l2gpu.backtest import STRATEGIES, StrategyFamily, SweepResult
from l2gpu.config.schema import AppConfig
from l2gpu.core.registry import Registry
from l2gpu.pipeline.data import BookInputs
from l2gpu.pipeline.progress import Progress
from l2gpu.pipeline.signals import Signals
from l2gpu.search import SearchSpace, StudySpec, complete_study, open_study
from l2gpu.search.grid import strategy_grid


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
    backend = cfg.backend
    sharding = {
        "workers": backend.workers if backend.workers > 1 else None,
        "devices": list(backend.devices) or None,
    }

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
            **sharding,
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


def study_spec(cfg: AppConfig, root: Path) -> StudySpec:
    """Describe the study a config searches: the same command opens it again, and resumes it.

    Its identity holds everything that changes a trial's results (the data and how it is
    ingested and cut, the signals and any model, the family's lists, execution, the Sharpe
    bucket), plus the objectives, the sampler and the seed; ``n_trials`` and ``batch_size`` are
    not part of it, so a rerun with more trials carries the study on (``docs/search.md``).
    """
    searched = {
        "data": asdict(cfg.data),
        "max_rows": cfg.debug.max_rows,
        "features": asdict(cfg.features),
        "strategy": asdict(cfg.strategy),
        "execution": asdict(cfg.execution),
        "sharpe_bucket": cfg.sweep.sharpe_bucket,
    }
    if cfg.model.name != "none":  # a learned signal is one of the searched signals
        searched["model"] = asdict(cfg.model)
    return StudySpec(
        searched,
        objectives=tuple(cfg.sweep.objectives),
        sampler=cfg.sweep.sampler,
        seed=cfg.sweep.seed,
        folder=root / cfg.paths.optuna_dir,
        storage=cfg.sweep.storage,
        name=cfg.sweep.study_name,
        prefix=cfg.data.name,
    )


def study_space(cfg: AppConfig, signal_names: list[str]) -> SearchSpace:
    """Return the searched space: the signal and the family's lists, ranged as it says."""
    family = family_of(cfg)
    ranged = {p.name for p in family.parameters if p.search == "range"}
    return SearchSpace.from_lists({"signal": signal_names, **family.lists(cfg)}, ranged)


@SEARCHES.register("optuna")
def optuna_search(
    inputs: BookInputs, signals: Signals, cfg: AppConfig, root: Path, progress: Progress
) -> SearchResult:
    """Run a batched Optuna study to ``n_trials`` (resumed if it exists); report all of it."""
    family, scales = family_of(cfg), signals.scales
    handle = open_study(study_spec(cfg, root))
    sweep_batch = _evaluator(inputs, signals, cfg, lambda done, total: None)

    def evaluate(configs: pd.DataFrame) -> SweepResult:
        return sweep_batch(family.scaled(configs, scales))

    started = time.perf_counter()
    n_trials = cfg.sweep.n_trials
    title = f"optuna {cfg.sweep.sampler} study {handle.name}: {n_trials:,} trials"
    with progress.step(title, n_trials, "trials") as update:
        result = complete_study(
            handle,
            n_trials,
            cfg.sweep.batch_size,
            study_space(cfg, list(signals.features)),
            evaluate,
            on_batch=lambda done, total: update(done, total),
        )
    seconds = time.perf_counter() - started
    steps = result.evaluated * len(inputs.book)
    speed = steps / seconds if seconds and steps else float("nan")
    table = family.multiples(result.table, scales)
    return SearchResult(table, result.bucket_pnl, speed, result.study)
