"""The robustness table: a run's top configs on the baseline book and under each scenario.

For each scenario the book (and its trades) is stressed with the seed, the run's signals are
computed again on the stressed book (:func:`l2gpu.features.compute`, or the caller's
``signals_of``: a run with a model retrains it there), and the configs, fixed as
the run swept them (thresholds in the signal units of the run), go through the family's sweep.
The baseline is the book unchanged with the run's own signals, so its rows equal the run's
results table. One row per (config, scenario); see ``docs/stress.md#the-robustness-table``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backtest.family import StrategyFamily
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.features import compute
from l2gpu.pipeline.progress import Progress
from l2gpu.stress.scenario import SCENARIOS, Value

BASELINE = "baseline"
"""The scenario name of the book unchanged."""
WANTED = ("pnl", "max_drawdown", "depth_exhausted")
"""Metrics of the table, where the family has them; its activity metric follows them."""


def table_metrics(family: StrategyFamily) -> tuple[str, ...]:
    """Return the metrics of a family's table: those of :data:`WANTED` it has, its activity."""
    return (*[m for m in WANTED if m in family.metrics], family.activity)


def robustness_table(
    book: Book,
    trades: Trades | None,
    signals: Mapping[str, Any],
    family: StrategyFamily,
    params: pd.DataFrame,
    scenarios: Mapping[str, Mapping[str, Value]],
    seed: int,
    sharpe_bucket: str,
    progress: Progress,
    engine: str = "cpu",
    signals_of: Callable[[Book, Trades | None], Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Run ``params`` on the baseline book and under each of ``scenarios``.

    Parameters
    ----------
    book, trades : Book, Trades or None
        The run's book and its trades (the quote family reads them).
    signals : mapping of str to array [T]
        The run's signals on ``book``, by name; each is computed again on a stressed book.
    family : StrategyFamily
        The run's strategy family.
    params : pandas.DataFrame
        The configs, one per row, indexed by their row in the run's results table.
    scenarios : mapping of str to mapping
        Names in :data:`~l2gpu.stress.scenario.SCENARIOS`, each with the parameters that replace
        its defaults (an empty mapping for none).
    seed : int
        Seed of every scenario.
    sharpe_bucket : str
        The run's Sharpe bucket.
    progress : Progress
        Shows one step per scenario.
    engine : str
        Where features and sweeps run.
    signals_of : callable, optional
        ``signals_of(book, trades)``: the signals of a stressed book, by name (default: the
        features named by ``signals``, computed on it with ``engine``).

    Returns
    -------
    pandas.DataFrame
        Columns ``config``, ``scenario`` and :func:`table_metrics`; the baseline first, then
        the scenarios in the order given, configs in the order of ``params``.
    """
    metrics = table_metrics(family)
    names = list(signals)
    if signals_of is None:

        def signals_of(book: Book, trades: Trades | None) -> Mapping[str, Any]:
            return compute(book, names, engine=engine, trades=trades)

    configs = params.reset_index(drop=True)
    parts = []
    for name in (BASELINE, *scenarios):
        stressed_book, stressed_trades, stressed_signals = book, trades, signals
        if name != BASELINE:
            stressed = SCENARIOS[name].apply(book, trades, seed, scenarios[name])
            stressed_book, stressed_trades = stressed.book, stressed.trades
            stressed_signals = signals_of(stressed_book, stressed_trades)
        title = f"{name}: {len(configs)} configs x {len(stressed_book):,} rows"
        with progress.step(title, len(stressed_book), "rows") as update:
            result = family.run(
                stressed_book,
                stressed_signals,
                configs,
                trades=stressed_trades,
                engine=engine,
                sharpe_bucket=sharpe_bucket,
                progress=lambda done, total: update(done, total),
            )
        part = result.table[list(metrics)].copy()
        part.insert(0, "scenario", name)
        part.insert(0, "config", np.asarray(params.index, dtype=np.int64))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def summary_metrics(table: pd.DataFrame, metrics: Sequence[str]) -> dict[str, float]:
    """``stress.<scenario>.<metric>_median``: each metric's median over the configs (finite)."""
    out = {}
    for scenario, rows in table.groupby("scenario", sort=False):
        for metric in metrics:
            value = float(np.median(rows[metric].to_numpy(dtype=np.float64)))
            if np.isfinite(value):
                out[f"stress.{scenario}.{metric}_median"] = value
    return out
