"""The threshold family: a taker enters on a signal threshold and leaves on exit rules.

Semantics in ``docs/semantics.md#the-threshold-family``; parameters, defaults and validation in
:mod:`l2gpu.backtest.params`; the kernel is :mod:`l2gpu.kernels.sweep` (composing the taker
fill, one latency and the taker fee of :mod:`l2gpu.kernels.execution`); the reference is
``tests/reference_sweep.py``. ``entry`` and ``exit`` are typed as multiples of each signal's
scale; ``latency`` comes from the ``execution.latency`` group, ``taker_fee_bps`` from
``execution.fees``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from l2gpu.backtest.family import STRATEGIES, Parameter, StrategyFamily, spans_horizon_ns
from l2gpu.backtest.params import DEFAULTS, NAMES, normalise
from l2gpu.backtest.result import INTEGER_METRICS, METRICS, SweepResult
from l2gpu.backtest.sweep import sweep
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades


def run_threshold(
    book: Book,
    signals: Any,
    params: pd.DataFrame,
    trades: Trades | None = None,
    **options: Any,
) -> SweepResult:
    """Sweep threshold configs (the trades are not read: a taker needs only the book)."""
    return sweep(book, signals, params=params, **options)


def threshold_horizon_ns(params: pd.DataFrame, book: Book) -> int:
    """Longest look-ahead of the configs: holding limit plus latency, ns."""
    return spans_horizon_ns(params, book, ("max_hold", "latency"))


THRESHOLD = STRATEGIES.add(
    "threshold",
    StrategyFamily(
        name="threshold",
        parameters=(
            Parameter("entry", search="range", scale="times", unit="x scale"),
            Parameter("exit", search="range", scale="times", unit="x scale"),
            Parameter("max_hold", unit="rows|time"),
            Parameter("stop_loss_bps", search="range"),
            Parameter("take_profit_bps", search="range"),
            Parameter("size", unit="base"),
            Parameter("latency", source="execution.latency", unit="rows|time"),
            Parameter("cooldown", unit="rows"),
            Parameter("direction"),
            Parameter("taker_fee_bps", source="execution.fees"),
        ),
        columns=NAMES,
        normalise=normalise,
        run=run_threshold,
        horizon_ns=threshold_horizon_ns,
        metrics=METRICS,
        integer_metrics=INTEGER_METRICS,
        headline=("pnl", "n_trades", "win_rate", "sharpe", "max_drawdown", "fees"),
        activity="n_trades",
        needs_trades=False,
        example={"entry": 1.0, **DEFAULTS},
        heatmap=("entry_multiple", "max_hold"),
        doc="a taker enters on a signal threshold and leaves on exit rules",
    ),
)
