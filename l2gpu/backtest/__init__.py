"""Cost-aware backtests of the threshold family, thousands at a time, on the CPU or the GPU."""

from l2gpu.backtest.params import DEFAULTS, expand_grid
from l2gpu.backtest.result import METRICS, SweepResult
from l2gpu.backtest.sweep import sweep

__all__ = ["DEFAULTS", "METRICS", "SweepResult", "expand_grid", "sweep"]
