"""``sweep()``: thousands of threshold-family backtests against the real book in one pass.

Semantics (DESIGN §6 and the rules below; the kernel is :mod:`l2gpu.kernels.sweep`):

- Decision at row ``t``, only while flat, with no order pending and ``t >= j + 1 + cooldown``
  after the last exit fill at row ``j``: ``x[t] >= entry`` buys ``size``, ``x[t] <= -entry``
  sells (as ``direction`` allows). From the row after the entry fill, a long leaves when
  ``x[t] <= exit``, when held ``>= max_hold`` (rows or time since the entry fill), when
  ``mid_t <= entry_px * (1 - stop)`` or ``mid_t >= entry_px * (1 + take_profit)``; a short mirrors
  it (``x[t] >= -exit``). One position at a time: trades never overlap.
- An order decided at ``t`` fills at ``t`` with zero latency, else at the first row with
  ``ts >= ts_t + latency`` (or ``t + latency`` rows), walking the book's depth; depth that runs
  out fills at the last visible level and counts in ``depth_exhausted``; the fee is
  ``taker_fee_bps * 1e-4 * notional``. An order whose fill row lies past the data is dropped; a
  position still open after the last row is closed against the last row. An order meeting an
  empty book side does not fill.
- Metrics: ``pnl`` (final equity, quote currency, after fees) = ``gross_pnl - fees``;
  ``n_trades`` round trips; ``win_rate`` and ``profit_factor`` from net round-trip pnl (NaN
  without trades, ``inf`` with winners and no losers); ``avg_trade = pnl / n_trades``;
  ``max_drawdown``: the largest fall of mark-to-mid equity (``cash + position * mid``, fees
  included when paid) from its running peak, over every row; ``sharpe``: equity changes per
  ``sharpe_bucket`` (empty buckets count as zero change), mean over sample standard deviation,
  annualised over 365 days; ``turnover``: traded notional, quote currency; ``exposure``: share of
  the book's time span spent in a position; ``avg_hold_s``: mean time from entry to exit fill, s.

Nothing of size configs x rows is ever allocated: state is one row per config, carried between
chunks of rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backend.arrays import to_device
from l2gpu.backend.engine import resolve_engine
from l2gpu.backtest.params import config_table, encode, expand_grid, normalise
from l2gpu.backtest.result import SweepResult, metrics_from_state, trades_frame
from l2gpu.backtest.validation import check_sweep_inputs
from l2gpu.core.spans import Window
from l2gpu.data.book import Book
from l2gpu.kernels import sweep_layout as layout
from l2gpu.kernels.sweep_cpu import finish_cpu, finish_one_cpu, sweep_cpu, sweep_one_cpu

Progress = Callable[[int, int], None]


def _signal_matrix(signals: Mapping[str, Any], rows: int) -> tuple[list[str], np.ndarray]:
    if not signals:
        raise ValueError("sweep needs at least one signal")
    names = list(signals)
    matrix = np.empty((len(names), rows))
    for i, name in enumerate(names):
        values = np.asarray(to_device(signals[name], "cpu"), dtype=np.float64)
        if values.shape != (rows,):
            raise ValueError(f"signal {name!r} has shape {values.shape}, the book has {rows} rows")
        matrix[i] = values
    return names, matrix


def _configs(grid: Mapping[str, Sequence[Any]] | None, params: Any) -> pd.DataFrame:
    if (grid is None) == (params is None):
        raise ValueError("give either grid= (lists to combine) or params= (explicit rows)")
    table = expand_grid(grid) if grid is not None else config_table(params)
    if len(table) == 0:
        raise ValueError("the sweep has no configs")
    return table


def sweep(
    book: Book,
    signals: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]] | None = None,
    params: Any = None,
    engine: str | None = None,
    record: Iterable[int] = (),
    chunk_rows: int | None = None,
    sharpe_bucket: str = "1s",
    progress: Progress | None = None,
    bucket_returns: bool = False,
) -> SweepResult:
    """Backtest every config of the threshold family against ``book`` (see the module doc).

    Parameters
    ----------
    book : Book
        The order book.
    signals : mapping of str to array [T]
        Signal series by name (a feature, a model score, anything causal).
    grid : mapping of str to list, optional
        Parameter lists combined as a cartesian product.
    params : DataFrame or list of dicts, optional
        Explicit configs, one per row.
    engine : {"auto", "cpu", "gpu"} or None
        Where the kernel runs.
    record : iterable of int
        Configs (rows of the table) whose trades to keep.
    chunk_rows : int, optional
        Rows per kernel launch; state carries between launches. Default: all rows on the CPU,
        as many as free device memory holds on the GPU.
    sharpe_bucket : str
        Time bucket of the equity changes behind the Sharpe ratio.
    progress : callable, optional
        Called with (rows done, rows) after each chunk.
    bucket_returns : bool
        Also return each config's equity change per ``sharpe_bucket``
        (``SweepResult.bucket_pnl``, buckets x configs; empty buckets are 0), the input of the
        overfitting statistics.

    Returns
    -------
    SweepResult
    """
    rows = len(book)
    if rows == 0:
        raise ValueError("the book is empty")
    bucket = Window.parse(sharpe_bucket)
    if bucket.ns is None:
        raise ValueError(f"sharpe_bucket must be a duration such as '1s', got {sharpe_bucket!r}")
    check_sweep_inputs(signals, chunk_rows)
    names, matrix = _signal_matrix(signals, rows)
    table = normalise(_configs(grid, params), names)
    par = encode(table, names)
    record = sorted(set(record))
    for i in record:
        if not 0 <= i < len(table):
            raise ValueError(f"record={i} is not a config (there are {len(table)})")
    where = resolve_engine(engine)
    host = book.to("cpu")
    mid = (host.bid_px[0] + host.ask_px[0]) * 0.5
    ts0 = int(host.ts[0])
    row_bucket = (host.ts - ts0) // bucket.ns  # each row's Sharpe bucket, once for all configs
    fstate = np.zeros((len(table), layout.N_FLOAT))
    istate = np.zeros((len(table), layout.N_INT), np.int64)
    n_buckets = int(row_bucket[-1]) + 1 if bucket_returns else 0
    bucket_pnl = np.zeros((len(table), n_buckets))
    started = time.perf_counter()
    if where == "gpu":
        from l2gpu.backtest.gpu_driver import run_gpu

        run_gpu(
            host, mid, row_bucket, matrix, par, fstate, istate, bucket_pnl, chunk_rows, progress
        )
    else:
        step = chunk_rows or rows
        empty_f = np.zeros((0, layout.N_REC_FLOAT))
        empty_i = np.zeros((0, layout.N_REC_INT), np.int64)
        for first in range(0, rows, step):
            stop = min(first + step, rows)
            sweep_cpu(
                host.ts,
                mid,
                matrix,
                host.bid_px,
                host.bid_sz,
                host.ask_px,
                host.ask_sz,
                row_bucket,
                par,
                fstate,
                istate,
                first,
                stop,
                empty_f,
                empty_i,
                bucket_pnl,
            )
            if progress:
                progress(stop, rows)
        finish_cpu(
            host.ts,
            mid,
            host.bid_px,
            host.bid_sz,
            host.ask_px,
            host.ask_sz,
            par,
            fstate,
            istate,
            empty_f,
            empty_i,
            bucket_pnl,
        )
    seconds = time.perf_counter() - started
    metrics = metrics_from_state(fstate, istate, int(host.ts[-1]) - ts0, bucket.ns)
    recorded = {
        i: _record(host, mid, row_bucket, matrix, par[i], int(istate[i, layout.I_TRADES]))
        for i in record
    }
    result_table = pd.concat([table, metrics], axis=1)
    return SweepResult(
        result_table,
        recorded,
        len(table) * rows / seconds if seconds else np.nan,
        bucket_pnl.T.copy() if bucket_returns else None,
    )


def _record(
    host: Book,
    mid: np.ndarray,
    row_bucket: np.ndarray,
    matrix: np.ndarray,
    par: np.ndarray,
    n_trades: int,
) -> pd.DataFrame:
    """Run one config again on the CPU, writing its trades."""
    rec_f = np.zeros((max(n_trades, 1), layout.N_REC_FLOAT))
    rec_i = np.zeros((max(n_trades, 1), layout.N_REC_INT), np.int64)
    fs = np.zeros(layout.N_FLOAT)
    ist = np.zeros(layout.N_INT, np.int64)
    no_buckets = np.zeros(0)
    sweep_one_cpu(
        host.ts,
        mid,
        matrix,
        host.bid_px,
        host.bid_sz,
        host.ask_px,
        host.ask_sz,
        row_bucket,
        par,
        fs,
        ist,
        0,
        len(host),
        rec_f,
        rec_i,
        no_buckets,
    )
    finish_one_cpu(
        host.ts,
        mid,
        host.bid_px,
        host.bid_sz,
        host.ask_px,
        host.ask_sz,
        par,
        fs,
        ist,
        rec_f,
        rec_i,
        no_buckets,
    )
    return trades_frame(rec_f[:n_trades], rec_i[:n_trades])
