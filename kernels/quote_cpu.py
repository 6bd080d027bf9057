"""CPU drivers of the quote state machine (:mod:`l2gpu.kernels.quote`): configs in parallel.

Arguments shared by the drivers (host arrays):

- ``ts``, ``mid``, ``signals`` [S, T], the book's four ``[K, T]`` level arrays;
- ``tick`` (float, quote currency), ``tick_num`` / ``tick_den`` (the tick as an exact fraction,
  so a price of ``p`` ticks is ``p * tick_num / tick_den``, the book's own float);
- the trades aligned to rows (:mod:`l2gpu.backtest.row_trades`): ``trade_first`` [T + 1] (row
  ``t`` holds trades ``trade_first[t] .. trade_first[t + 1] - 1``), ``trade_ts``, ``trade_tick``,
  ``trade_sz``, ``trade_side``;
- ``trade_future_mid`` and ``row_future_mid``: the mid at the first row at least 1 s after each
  trade and each row (NaN past the data), for the adverse selection of maker fills;
- ``row_bucket`` [T]: each row's Sharpe bucket.
"""

from __future__ import annotations

import numba

from l2gpu.kernels.jit import cpu_device_jit
from l2gpu.kernels.quote import make_quote_ops
from l2gpu.kernels.quote_layout import P_SIGNAL
from l2gpu.kernels.unfused import mul_cpu

_step_row_cpu, _finish_cpu = make_quote_ops(cpu_device_jit, mul_cpu)


@numba.njit(cache=True)
def _walk_config(
    ts,
    mid,
    signal,
    bid_px,
    bid_sz,
    ask_px,
    ask_sz,
    tick,
    tick_num,
    tick_den,
    trade_first,
    trade_ts,
    trade_tick,
    trade_sz,
    trade_side,
    trade_future_mid,
    row_future_mid,
    row_bucket,
    par,
    fs,
    ist,
    first,
    stop,
    rec_f,
    rec_i,
    buckets,
):
    for t in range(first, stop):
        _step_row_cpu(
            t,
            0,
            ts[t],
            mid[t],
            signal[t],
            bid_px,
            bid_sz,
            ask_px,
            ask_sz,
            tick,
            tick_num,
            tick_den,
            trade_first[t],
            trade_first[t + 1],
            trade_ts,
            trade_tick,
            trade_sz,
            trade_side,
            trade_future_mid,
            row_future_mid[t],
            row_bucket[t],
            par,
            fs,
            ist,
            rec_f,
            rec_i,
            buckets,
        )


@numba.njit(parallel=True, cache=True)
def quote_sweep_cpu(
    ts,
    mid,
    signals,
    bid_px,
    bid_sz,
    ask_px,
    ask_sz,
    tick,
    tick_num,
    tick_den,
    trade_first,
    trade_ts,
    trade_tick,
    trade_sz,
    trade_side,
    trade_future_mid,
    row_future_mid,
    row_bucket,
    params,
    fstate,
    istate,
    first,
    stop,
    rec_f,
    rec_i,
    bucket_pnl,
):
    """Advance every config over rows ``first .. stop-1``, configs in parallel.

    ``rec_f``/``rec_i`` are empty here (one config records at a time, with
    :func:`quote_one_cpu`); ``bucket_pnl`` is ``[P, B]`` or ``[P, 0]``.
    """
    for p in numba.prange(params.shape[0]):
        par = params[p]
        _walk_config(
            ts,
            mid,
            signals[int(par[P_SIGNAL])],
            bid_px,
            bid_sz,
            ask_px,
            ask_sz,
            tick,
            tick_num,
            tick_den,
            trade_first,
            trade_ts,
            trade_tick,
            trade_sz,
            trade_side,
            trade_future_mid,
            row_future_mid,
            row_bucket,
            par,
            fstate[p],
            istate[p],
            first,
            stop,
            rec_f,
            rec_i,
            bucket_pnl[p],
        )


@numba.njit(cache=True)
def quote_one_cpu(
    ts,
    mid,
    signals,
    bid_px,
    bid_sz,
    ask_px,
    ask_sz,
    tick,
    tick_num,
    tick_den,
    trade_first,
    trade_ts,
    trade_tick,
    trade_sz,
    trade_side,
    trade_future_mid,
    row_future_mid,
    row_bucket,
    par,
    fs,
    ist,
    first,
    stop,
    rec_f,
    rec_i,
    buckets,
):
    """One config over rows ``first .. stop-1``, recording its fills into ``rec_f``/``rec_i``."""
    _walk_config(
        ts,
        mid,
        signals[int(par[P_SIGNAL])],
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        tick,
        tick_num,
        tick_den,
        trade_first,
        trade_ts,
        trade_tick,
        trade_sz,
        trade_side,
        trade_future_mid,
        row_future_mid,
        row_bucket,
        par,
        fs,
        ist,
        first,
        stop,
        rec_f,
        rec_i,
        buckets,
    )


@numba.njit(parallel=True, cache=True)
def quote_finish_cpu(
    ts, mid, bid_px, bid_sz, ask_px, ask_sz, params, fstate, istate, rec_f, rec_i, bucket_pnl
):
    """Close every config after the last row (see ``finish``)."""
    last = ts.shape[0] - 1
    for p in numba.prange(params.shape[0]):
        _finish_cpu(
            last,
            0,
            ts[last],
            mid[last],
            bid_px,
            bid_sz,
            ask_px,
            ask_sz,
            params[p],
            fstate[p],
            istate[p],
            rec_f,
            rec_i,
            bucket_pnl[p],
        )
