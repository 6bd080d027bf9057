"""CPU drivers of the sweep state machine (:mod:`l2gpu.kernels.sweep`): configs in parallel.

``row_bucket[t]`` is row ``t``'s Sharpe bucket, computed once for all configs.
"""

from __future__ import annotations

import numba

from l2gpu.kernels.jit import cpu_device_jit
from l2gpu.kernels.sweep import make_sweep_ops
from l2gpu.kernels.sweep_layout import P_SIGNAL
from l2gpu.kernels.unfused import mul_cpu

_step_row_cpu, _finish_cpu = make_sweep_ops(cpu_device_jit, mul_cpu)


@numba.njit(parallel=True, cache=True)
def sweep_cpu(
    ts,
    mid,
    signals,
    bid_px,
    bid_sz,
    ask_px,
    ask_sz,
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

    ``bucket_pnl`` is ``[P, B]`` to receive each config's equity change per bucket, or ``[P, 0]``.
    """
    for p in numba.prange(params.shape[0]):
        # Views of this config's rows, taken once: not once per row.
        par = params[p]
        fs = fstate[p]
        ist = istate[p]
        buckets = bucket_pnl[p]
        signal = signals[int(par[P_SIGNAL])]
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
                row_bucket[t],
                par,
                fs,
                ist,
                rec_f,
                rec_i,
                buckets,
            )


@numba.njit(cache=True)
def sweep_one_cpu(
    ts,
    mid,
    signals,
    bid_px,
    bid_sz,
    ask_px,
    ask_sz,
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
    """One config over rows ``first .. stop-1``, recording its trades into ``rec_f``/``rec_i``."""
    signal = signals[int(par[P_SIGNAL])]
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
            row_bucket[t],
            par,
            fs,
            ist,
            rec_f,
            rec_i,
            buckets,
        )


@numba.njit(parallel=True, cache=True)
def finish_cpu(
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


@numba.njit(cache=True)
def finish_one_cpu(ts, mid, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rec_f, rec_i, buckets):
    """Close one config after the last row, recording its last trade."""
    last = ts.shape[0] - 1
    _finish_cpu(
        last,
        0,
        ts[last],
        mid[last],
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        par,
        fs,
        ist,
        rec_f,
        rec_i,
        buckets,
    )
