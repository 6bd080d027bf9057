"""The quote family as a strategy family: passive two-sided quotes with queue position.

Semantics in ``docs/quote.md``; parameters, defaults and validation in
:mod:`l2gpu.backtest.quote.params`; the kernel is :mod:`l2gpu.kernels.quote` (composing the maker
queue of :mod:`l2gpu.kernels.quote_queue` with the taker fill, latencies and fees of
:mod:`l2gpu.kernels.execution`); the reference is ``tests/reference_quote.py``. ``skew_bps`` is
typed per signal scale (bps of centre shift per scale of the signal); the latencies come from
the ``execution.latency`` group, the queue model from ``execution.queue``, the maker and taker
fees from ``execution.fees``. The kernel reads the trades store.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from l2gpu.backtest.family import STRATEGIES, Parameter, StrategyFamily, spans_horizon_ns
from l2gpu.backtest.quote.params import DEFAULTS, NAMES, normalise
from l2gpu.backtest.quote.result import INTEGER_METRICS, METRICS
from l2gpu.backtest.quote.sweep import quote_sweep
from l2gpu.backtest.result import SweepResult
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades


def run_quote(
    book: Book,
    signals: Any,
    params: pd.DataFrame,
    trades: Trades | None = None,
    **options: Any,
) -> SweepResult:
    """Sweep quote configs against the book and its trades."""
    if trades is None:
        raise ValueError("the quote family needs the recording's trades (the trades store)")
    return quote_sweep(book, trades, signals, params=params, **options)


def quote_horizon_ns(params: pd.DataFrame, book: Book) -> int:
    """Longest look-ahead of the configs: holding limit plus both latencies, ns."""
    return spans_horizon_ns(params, book, ("max_hold", "entry_latency", "response_latency"))


QUOTE = STRATEGIES.add(
    "quote",
    StrategyFamily(
        name="quote",
        parameters=(
            Parameter("half_spread_ticks", search="range"),
            Parameter("skew_bps", search="range", scale="per", unit="per scale"),
            Parameter("inventory_skew_ticks", search="range"),
            Parameter("size", unit="base"),
            Parameter("max_position", unit="base"),
            Parameter("requote", unit="rows|time"),
            Parameter("entry_latency", source="execution.latency", unit="rows|time"),
            Parameter("response_latency", source="execution.latency", unit="rows|time"),
            Parameter("queue", source="execution.queue", field="model"),
            Parameter("queue_power", source="execution.queue", field="power"),
            Parameter("partial_fills", source="execution.queue"),
            Parameter("maker_fee_bps", source="execution.fees"),
            Parameter("taker_fee_bps", source="execution.fees"),
            Parameter("stop_loss_bps", search="range"),
            Parameter("max_hold", unit="rows|time"),
            Parameter("cooldown", unit="rows"),
        ),
        columns=NAMES,
        normalise=normalise,
        run=run_quote,
        horizon_ns=quote_horizon_ns,
        metrics=METRICS,
        integer_metrics=INTEGER_METRICS,
        headline=(
            "pnl",
            "n_fills",
            "fill_ratio",
            "maker_volume",
            "adverse_selection_bps",
            "sharpe",
            "max_drawdown",
            "fees",
        ),
        activity="n_fills",
        needs_trades=True,
        example=DEFAULTS,
        heatmap=("half_spread_ticks", "requote"),
        doc="passive two-sided quotes around a skewed centre, with queue position",
    ),
)
