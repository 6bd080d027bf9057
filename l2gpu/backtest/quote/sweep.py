"""``quote_sweep()``: thousands of quote-family backtests against the real book and its trades.

Each config quotes both sides passively around a signal- and inventory-skewed centre, with
latencies, a queue position per quote and risk exits by market order; the semantics, step by
step, are in ``docs/quote.md`` (the kernel is :mod:`l2gpu.kernels.quote`). State is one row per
config, carried between chunks of rows: nothing of size configs x rows is ever allocated.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backend.arrays import to_device
from l2gpu.backend.engine import resolve_engine
from l2gpu.backtest.params import expand_grid
from l2gpu.backtest.quote.params import NO_SIGNAL, encode, normalise
from l2gpu.backtest.quote.result import fills_frame, metrics_from_state
from l2gpu.backtest.result import SweepResult
from l2gpu.backtest.row_trades import RowTrades, align_trades
from l2gpu.backtest.shard_run import sharded
from l2gpu.core.spans import Window
from l2gpu.core.units import NS_PER_S
from l2gpu.data.book import Book
from l2gpu.data.ticks import tick_fraction
from l2gpu.data.trades import Trades
from l2gpu.kernels import quote_cpu
from l2gpu.kernels import quote_layout as layout

Progress = Callable[[int, int], None]
_sweep_cpu: Any = quote_cpu.quote_sweep_cpu  # Numba dispatchers, called with the inputs unpacked
_one_cpu: Any = quote_cpu.quote_one_cpu
_finish_cpu: Any = quote_cpu.quote_finish_cpu
ADVERSE_HORIZON_NS = NS_PER_S
"""Adverse selection compares a maker fill's price with the mid this long after it."""


@dataclass(frozen=True)
class QuoteInputs:
    """Everything the kernel reads besides the configs, as host arrays."""

    book: Book
    mid: np.ndarray
    signals: np.ndarray
    tick: float
    tick_num: float
    tick_den: float
    trades: RowTrades
    trade_future_mid: np.ndarray
    row_future_mid: np.ndarray
    row_bucket: np.ndarray

    def kernel_args(self) -> tuple[Any, ...]:
        """Return the leading arguments of every CPU driver, in order."""
        b, tr = self.book, self.trades
        return (
            b.ts,
            self.mid,
            self.signals,
            b.bid_px,
            b.bid_sz,
            b.ask_px,
            b.ask_sz,
            self.tick,
            self.tick_num,
            self.tick_den,
            tr.first,
            tr.ts,
            tr.tick,
            tr.sz,
            tr.side,
            self.trade_future_mid,
            self.row_future_mid,
            self.row_bucket,
        )


def mid_after(ts: np.ndarray, mid: np.ndarray, times: np.ndarray, horizon_ns: int) -> np.ndarray:
    """Return the mid at the first row with ``ts >= time + horizon_ns``, NaN past the data."""
    rows = np.searchsorted(ts, times + horizon_ns, side="left")
    out = np.full(times.shape[0], np.nan)
    inside = rows < ts.shape[0]
    out[inside] = mid[rows[inside]]
    return out


def _signal_matrix(signals: Mapping[str, Any] | None, rows: int) -> tuple[list[str], np.ndarray]:
    names = [NO_SIGNAL, *(signals or {})]
    matrix = np.zeros((len(names), rows))
    for i, name in enumerate(names[1:], start=1):
        assert signals is not None
        values = np.asarray(to_device(signals[name], "cpu"), dtype=np.float64)
        if values.shape != (rows,):
            raise ValueError(f"signal {name!r} has shape {values.shape}, the book has {rows} rows")
        matrix[i] = values
    return names, matrix


def _configs(grid: Mapping[str, Sequence[Any]] | None, params: Any) -> pd.DataFrame:
    if (grid is None) == (params is None):
        raise ValueError("give either grid= (lists to combine) or params= (explicit rows)")
    table = expand_grid(grid) if grid is not None else pd.DataFrame(params)
    if len(table) == 0:
        raise ValueError("the sweep has no configs")
    return table


def prepare(
    book: Book,
    trades: Trades,
    signals: Mapping[str, Any] | None,
    sharpe_bucket_ns: int,
    tick_size: str | None = None,
) -> tuple[list[str], QuoteInputs]:
    """Host inputs of the kernel: mid, signals, tick, trades per row, future mids, buckets."""
    rows = len(book)
    if rows == 0:
        raise ValueError("the book is empty")
    tick_text = tick_size or book.meta.tick_size
    if not tick_text:
        raise ValueError("the book has no tick size in its metadata; pass tick_size='0.1'")
    numerator, denominator = tick_fraction(tick_text)
    tick = numerator / denominator
    host = book.to("cpu")
    names, matrix = _signal_matrix(signals, rows)
    mid = (host.bid_px[0] + host.ask_px[0]) * 0.5
    row_trades = align_trades(host.ts, trades, tick)
    inputs = QuoteInputs(
        book=host,
        mid=mid,
        signals=matrix,
        tick=tick,
        tick_num=float(numerator),
        tick_den=float(denominator),
        trades=row_trades,
        trade_future_mid=mid_after(host.ts, mid, row_trades.ts, ADVERSE_HORIZON_NS),
        row_future_mid=mid_after(host.ts, mid, host.ts, ADVERSE_HORIZON_NS),
        row_bucket=(host.ts - host.ts[0]) // sharpe_bucket_ns,
    )
    return names, inputs


def quote_sweep(
    book: Book,
    trades: Trades,
    signals: Mapping[str, Any] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    params: Any = None,
    engine: str | None = None,
    record: Iterable[int] = (),
    chunk_rows: int | None = None,
    sharpe_bucket: str = "1s",
    progress: Progress | None = None,
    bucket_returns: bool = False,
    tick_size: str | None = None,
    workers: int | None = None,
    devices: Sequence[int] | None = None,
) -> SweepResult:
    """Backtest every config of the quote family against ``book`` and ``trades``.

    Parameters
    ----------
    book : Book
        The order book; its ``meta.tick_size`` is the price grid unless ``tick_size`` is given.
    trades : Trades
        The trades store's rows over the same period, in exchange-time order.
    signals : mapping of str to array [T], optional
        Signal series by name, for the ``skew_bps`` of configs that name one.
    grid : mapping of str to list, optional
        Parameter lists combined as a cartesian product (see ``l2gpu.backtest.quote.params``).
    params : DataFrame or list of dicts, optional
        Explicit configs, one per row.
    engine : {"auto", "cpu", "gpu"} or None
        Where the kernel runs.
    record : iterable of int
        Configs (rows of the table) whose fills to keep (see :meth:`SweepResult.trades`).
    chunk_rows : int, optional
        Rows per kernel launch; state carries between launches (chunked runs equal one pass).
    sharpe_bucket : str
        Time bucket of the equity changes behind the Sharpe ratio.
    progress : callable, optional
        Called with (rows done, rows) after each chunk.
    bucket_returns : bool
        Also return each config's equity change per ``sharpe_bucket`` (``bucket_pnl``).
    tick_size : str, optional
        The tick as a decimal string, for a book without one in its metadata.
    workers : int, optional
        Shard the configs over this many CPU processes (``docs/distributed.md``); the result is
        the same, exactly.
    devices : sequence of int, optional
        Shard the configs over these GPUs, one shard each; the result is the same, exactly.

    Returns
    -------
    SweepResult
    """
    bucket = Window.parse(sharpe_bucket)
    if bucket.ns is None:
        raise ValueError(f"sharpe_bucket must be a duration such as '1s', got {sharpe_bucket!r}")
    names, inputs = prepare(book, trades, signals, bucket.ns, tick_size)
    configs = _configs(grid, params)
    table = normalise(configs, names[1:])
    par = encode(table, names)
    record = sorted(set(record))
    for i in record:
        if not 0 <= i < len(table):
            raise ValueError(f"record={i} is not a config (there are {len(table)})")
    if workers is not None or devices is not None:
        options = {
            "engine": engine,
            "chunk_rows": chunk_rows,
            "sharpe_bucket": sharpe_bucket,
            "bucket_returns": bucket_returns,
            "tick_size": tick_size,
        }
        args = (book, signals, trades, configs, table, record, options, workers, devices, progress)
        return sharded("quote", *args)
    where = resolve_engine(engine)
    rows = len(inputs.book)
    fstate = np.zeros((len(table), layout.N_FLOAT))
    istate = np.zeros((len(table), layout.N_INT), np.int64)
    n_buckets = int(inputs.row_bucket[-1]) + 1 if bucket_returns else 0
    bucket_pnl = np.zeros((len(table), n_buckets))
    started = time.perf_counter()
    if where == "gpu":
        from l2gpu.backtest.quote.gpu import run_quote_gpu

        run_quote_gpu(inputs, par, fstate, istate, bucket_pnl, chunk_rows, progress)
    else:
        run_quote_cpu(inputs, par, fstate, istate, bucket_pnl, chunk_rows, progress)
    seconds = time.perf_counter() - started
    recorded = {i: record_fills(inputs, par[i], int(istate[i, layout.I_RECORDED])) for i in record}
    return SweepResult(
        pd.concat([table, metrics_from_state(fstate, istate, bucket.ns)], axis=1),
        recorded,
        len(table) * rows / seconds if seconds else np.nan,
        bucket_pnl.T.copy() if bucket_returns else None,
    )


def _no_record() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, layout.N_REC_FLOAT)), np.zeros((0, layout.N_REC_INT), np.int64)


def run_quote_cpu(
    inputs: QuoteInputs,
    par: np.ndarray,
    fstate: np.ndarray,
    istate: np.ndarray,
    bucket_pnl: np.ndarray,
    chunk_rows: int | None,
    progress: Progress | None,
) -> None:
    """Advance every config over all rows on the CPU, in chunks, and close it (in place)."""
    rows = len(inputs.book)
    step = chunk_rows or rows
    rec_f, rec_i = _no_record()
    args = inputs.kernel_args()
    for first in range(0, rows, step):
        stop = min(first + step, rows)
        _sweep_cpu(*args, par, fstate, istate, first, stop, rec_f, rec_i, bucket_pnl)
        if progress:
            progress(stop, rows)
    b = inputs.book
    _finish_cpu(
        b.ts,
        inputs.mid,
        b.bid_px,
        b.bid_sz,
        b.ask_px,
        b.ask_sz,
        par,
        fstate,
        istate,
        rec_f,
        rec_i,
        bucket_pnl,
    )


def record_fills(inputs: QuoteInputs, par: np.ndarray, n_fills: int) -> pd.DataFrame:
    """Run one config again on the CPU, writing its ``n_fills`` fills."""
    rec_f = np.zeros((max(n_fills, 1), layout.N_REC_FLOAT))
    rec_i = np.zeros((max(n_fills, 1), layout.N_REC_INT), np.int64)
    fs = np.zeros((1, layout.N_FLOAT))
    ist = np.zeros((1, layout.N_INT), np.int64)
    no_buckets = np.zeros((1, 0))
    rows = len(inputs.book)
    _one_cpu(*inputs.kernel_args(), par, fs[0], ist[0], 0, rows, rec_f, rec_i, no_buckets[0])
    b = inputs.book
    _finish_cpu(
        b.ts,
        inputs.mid,
        b.bid_px,
        b.bid_sz,
        b.ask_px,
        b.ask_sz,
        par[None, :],
        fs,
        ist,
        rec_f,
        rec_i,
        no_buckets,
    )
    return fills_frame(rec_f[:n_fills], rec_i[:n_fills])
