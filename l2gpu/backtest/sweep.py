"""``sweep()``: thousands of threshold-family backtests against the real book in one pass.

Semantics (``docs/semantics.md`` and the rules below; the kernel is :mod:`l2gpu.kernels.sweep`):

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
- Metrics: ``pnl`` (quote currency, after fees) = ``gross_pnl - fees`` exactly;
  ``n_trades`` round trips; ``win_rate`` and ``profit_factor`` from net round-trip pnl (NaN
  without trades, ``inf`` with winners and no losers); ``avg_trade = pnl / n_trades``;
  ``max_drawdown``: the largest fall of mark-to-mid equity (``cash + position * mid``, fees
  included when paid) from its running peak, over every row; ``sharpe``: equity changes per
  ``sharpe_bucket`` (empty buckets count as zero change), mean over sample standard deviation,
  annualised over 365 days; ``turnover``: traded notional, quote currency; ``exposure``: share of
  the book's time span spent in a position; ``avg_hold_s``: mean time from entry to exit fill, s.

Nothing of size configs x rows is ever allocated: state is one row per config, carried between
chunks of rows.

Where it runs (``docs/engines.md``): on the CPU, or on the GPU, where a book and signals already
on the device are read there and only the parameters go up; a host book asked to run on the GPU
is streamed up in chunks, each row once per pass (a job should upload its book once and pass the
device arrays). Only results come back: the table and the recorded trades on the host, the
per-bucket pnl on the book's device.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backend.arrays import to_device
from l2gpu.backend.engine import resolve_engine
from l2gpu.backtest.cpu_driver import record_cpu, run_cpu
from l2gpu.backtest.params import config_table, encode, expand_grid, normalise
from l2gpu.backtest.result import SweepResult, metrics_from_state, trades_frame
from l2gpu.backtest.shard_run import sharded
from l2gpu.backtest.skip_plan import Skipping
from l2gpu.backtest.sweep_inputs import book_arrays, signal_matrix
from l2gpu.backtest.validation import check_sweep_inputs
from l2gpu.core.spans import Window
from l2gpu.data.book import Book
from l2gpu.kernels import sweep_layout as layout

Progress = Callable[[int, int], None]


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
    workers: int | None = None,
    devices: Sequence[int] | None = None,
    skipping: Skipping = "auto",
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
        Rows per kernel launch; state carries between launches. Default: all rows, except for a
        host book on the GPU: as many rows as the device memory left after the state holds.
    sharpe_bucket : str
        Time bucket of the equity changes behind the Sharpe ratio.
    progress : callable, optional
        Called with (rows done, rows) after each chunk, once its kernel has finished.
    bucket_returns : bool
        Also return each config's equity change per ``sharpe_bucket``
        (``SweepResult.bucket_pnl``, ``[buckets, configs]``, quote currency; empty buckets are
        0), the input of the overfitting statistics. It lives on the book's device and is a
        transposed view of the kernel's ``[configs, buckets]`` matrix (column ``j`` is
        contiguous), not a copy.
    workers : int, optional
        Shard the configs over this many CPU processes (``docs/distributed.md``); the result is
        the same, exactly.
    devices : sequence of int, optional
        Shard the configs over these GPUs, one shard each; the result is the same, exactly.
    skipping : {"auto", "always", "never"}
        On the CPU, which configs jump over the rows where they wait for their next decision
        (flat: until their entry can fire; in a position: until an exit rule can); the results
        are the same bits either way (``docs/engines.md``). ``"auto"`` decides per config by
        an estimate of how long it waits (:mod:`l2gpu.backtest.skip_plan`). The GPU scans
        every row.

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
    where = resolve_engine(engine)
    work = book if where == "gpu" and book.device == "gpu" else book.to("cpu")
    names, matrix = signal_matrix(signals, rows, work.device)
    configs = _configs(grid, params)
    table = normalise(configs, names)
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
            "skipping": skipping,
        }
        args = (book, signals, None, configs, table, record, options, workers, devices, progress)
        return sharded("threshold", *args)
    first_ns, last_ns = book.span_ns()
    inputs = book_arrays(work, bucket.ns)
    n_buckets = (last_ns - first_ns) // bucket.ns + 1 if bucket_returns else 0
    if where == "gpu":
        from l2gpu.backtest.gpu_driver import record_gpu as record_pass
        from l2gpu.backtest.gpu_driver import run_gpu as main_pass
    else:
        if skipping not in ("auto", "always", "never"):
            raise ValueError(f"skipping must be 'auto', 'always' or 'never', got {skipping!r}")
        main_pass = functools.partial(run_cpu, skipping=skipping)
        record_pass = functools.partial(record_cpu, skipping=skipping)
    started = time.perf_counter()
    fstate, istate, bucket_pnl = main_pass(inputs, matrix, par, n_buckets, chunk_rows, progress)
    seconds = time.perf_counter() - started
    metrics = metrics_from_state(fstate, istate, last_ns - first_ns, bucket.ns)
    recorded = _record(record_pass, inputs, matrix, par, istate, record, chunk_rows)
    result_table = pd.concat([table, metrics], axis=1)
    return SweepResult(
        result_table,
        recorded,
        len(table) * rows / seconds if seconds else np.nan,
        to_device(bucket_pnl, book.device, "bucket pnl").T if bucket_returns else None,
    )


def _record(
    record_pass: Callable[..., tuple[np.ndarray, np.ndarray]],
    inputs: Any,
    matrix: Any,
    par: np.ndarray,
    istate: np.ndarray,
    record: list[int],
    chunk_rows: int | None,
) -> dict[int, pd.DataFrame]:
    """Trades of the ``record`` configs, from a second pass sized by their trade counts."""
    if not record:
        return {}
    counts = istate[record, layout.I_TRADES]
    capacity = int(counts.max())
    if capacity:
        rec_f, rec_i = record_pass(inputs, matrix, par[record], capacity, chunk_rows)
    else:
        rec_f = np.zeros((len(record), 0, layout.N_REC_FLOAT))
        rec_i = np.zeros((len(record), 0, layout.N_REC_INT), np.int64)
    return {
        config: trades_frame(rec_f[k, : counts[k]], rec_i[k, : counts[k]])
        for k, config in enumerate(record)
    }
