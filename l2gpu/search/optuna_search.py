"""Batched Optuna: ask ``batch_size`` trials, evaluate them in one sweep launch, tell them back.

The search space comes from the strategy config: a parameter with one value is fixed; numeric
``entry``, ``exit``, ``stop_loss_bps`` and ``take_profit_bps`` lists become float ranges between
their smallest and largest value; every other list (and the signal) is categorical. A study in
RDB storage survives a killed process: trials left RUNNING are evaluated first when the study
is resumed, and the study stops at exactly ``n_trials`` trials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import optuna
import pandas as pd

from l2gpu.backtest.result import SweepResult

RANGED = ("entry", "exit", "stop_loss_bps", "take_profit_bps")
MAXIMISE = {"pnl", "sharpe", "win_rate", "profit_factor", "avg_trade"}
SAMPLERS = ("tpe", "cmaes", "random", "nsga2")

Evaluate = Callable[[pd.DataFrame], SweepResult]


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    """Return the Optuna sampler called ``name``."""
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    raise ValueError(f"unknown sampler {name!r}: expected one of {', '.join(SAMPLERS)}")


def _key(value: Any) -> Any:
    """Optuna categorical choices must be None, bool, int, float or str."""
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def suggest(
    trial: optuna.Trial, space: Mapping[str, Sequence[Any]], signals: Sequence[str]
) -> dict[str, Any]:
    """One config from ``trial`` (thresholds still in multiples of the signal scale)."""
    config: dict[str, Any] = {"signal": trial.suggest_categorical("signal", list(signals))}
    for name, values in space.items():
        values = list(values)
        if len(values) == 1:
            config[name] = values[0]
        elif name in RANGED:
            config[name] = trial.suggest_float(name, float(min(values)), float(max(values)))
        else:
            config[name] = trial.suggest_categorical(name, [_key(v) for v in values])
    return config


def _directions(objectives: Sequence[str]) -> list[str]:
    return ["maximize" if name in MAXIMISE else "minimize" for name in objectives]


def _values(row: pd.Series, objectives: Sequence[str]) -> list[float]:
    values = []
    for name, direction in zip(objectives, _directions(objectives), strict=True):
        value = float(row[name])
        if not np.isfinite(value):
            value = -1e12 if direction == "maximize" else 1e12
        values.append(value)
    return values


def run_study(
    study: optuna.Study,
    n_trials: int,
    batch_size: int,
    space: Mapping[str, Sequence[Any]],
    signals: Sequence[str],
    to_params: Callable[[list[dict[str, Any]]], pd.DataFrame],
    evaluate: Evaluate,
    objectives: Sequence[str],
    on_batch: Callable[[int, int], None] | None = None,
) -> list[pd.DataFrame]:
    """Run ``study`` until it holds ``n_trials`` finished trials; return each batch's results.

    ``to_params`` turns suggested configs into sweep parameters (scaling thresholds);
    ``evaluate`` runs one sweep launch over them.
    """
    tables = []
    stale = [
        t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.RUNNING
    ]
    while True:
        done = sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))
        left = n_trials - done
        if left <= 0:
            break
        # A trial left RUNNING by a killed process may hold only some of its parameters: suggest
        # on it again, which returns the stored ones and fills in the rest.
        trials: list[Any] = [optuna.trial.Trial(study, t._trial_id) for t in stale[:left]]
        stale = stale[left:]
        configs = [suggest(trial, space, signals) for trial in trials]
        while len(trials) < min(batch_size, left):
            trial = study.ask()
            configs.append(suggest(trial, space, signals))
            trials.append(trial)
        result = evaluate(to_params(configs))
        table = result.table.assign(trial=[t.number for t in trials])
        for trial, (_, row) in zip(trials, table.iterrows(), strict=True):
            study.tell(trial.number, _values(row, objectives))
        tables.append(table)
        if on_batch:
            on_batch(done + len(trials), n_trials)
    return tables
