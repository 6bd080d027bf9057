"""Cost-aware backtests of strategy families, thousands at a time, on the CPU or the GPU.

The families register themselves in :data:`STRATEGIES` on import: the threshold family
(:mod:`l2gpu.backtest.threshold`) and the quote family (:mod:`l2gpu.backtest.quote`).
"""

from l2gpu.backtest import quote, threshold
from l2gpu.backtest.family import STRATEGIES, Parameter, StrategyFamily
from l2gpu.backtest.params import DEFAULTS, expand_grid
from l2gpu.backtest.result import METRICS, SweepResult
from l2gpu.backtest.sweep import sweep

__all__ = [
    "DEFAULTS",
    "METRICS",
    "STRATEGIES",
    "Parameter",
    "StrategyFamily",
    "SweepResult",
    "expand_grid",
    "quote",
    "sweep",
    "threshold",
]
