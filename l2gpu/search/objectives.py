"""What a study optimises: sweep metrics with a direction, and the values Optuna is told.

Every objective is a column of :attr:`l2gpu.backtest.SweepResult.table` whose better side is
clear: more ``pnl`` (quote currency) is better, less ``max_drawdown`` is. Metrics without one
(``n_trades``, ``turnover``, ``exposure``, ``avg_hold_s``) are not objectives. A value that is
not finite (the Sharpe ratio of a config that never traded, a profit factor with no losses) is
told as the worst value, :data:`WORST`, so samplers steer away from it; the results table keeps
the true value. See ``docs/search.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

DIRECTIONS: dict[str, str] = {
    "pnl": "maximize",
    "gross_pnl": "maximize",
    "sharpe": "maximize",
    "win_rate": "maximize",
    "profit_factor": "maximize",
    "avg_trade": "maximize",
    "fees": "minimize",
    "max_drawdown": "minimize",
    "depth_exhausted": "minimize",
}
"""Each objective and the direction Optuna optimises it in."""
MAXIMISE = frozenset(name for name, direction in DIRECTIONS.items() if direction == "maximize")
WORST = 1e12
"""Magnitude of the value told for a non-finite metric: ``-WORST`` when maximising."""


def directions(objectives: Sequence[str]) -> list[str]:
    """Optuna's direction (``"maximize"`` or ``"minimize"``) of each objective."""
    unknown = [name for name in objectives if name not in DIRECTIONS]
    if unknown:
        raise ValueError(
            f"sweep.objectives: unknown objective(s) {unknown}; choose from "
            f"{', '.join(sorted(DIRECTIONS))}"
        )
    return [DIRECTIONS[name] for name in objectives]


def objective_values(table: pd.DataFrame, objectives: Sequence[str]) -> np.ndarray:
    """``[configs, objectives]`` values to tell Optuna: the metrics, non-finite ones worst."""
    values = np.empty((len(table), len(objectives)))
    for column, (name, direction) in enumerate(
        zip(objectives, directions(objectives), strict=True)
    ):
        metric = table[name].to_numpy(dtype=np.float64)
        worst = -WORST if direction == "maximize" else WORST
        values[:, column] = np.where(np.isfinite(metric), metric, worst)
    return values
