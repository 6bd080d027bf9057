"""Inner search: the grid of a strategy config, or a batched Optuna study, in sweep launches."""

from l2gpu.search.grid import signal_scales, strategy_grid
from l2gpu.search.optuna_search import run_study

__all__ = ["run_study", "signal_scales", "strategy_grid"]
