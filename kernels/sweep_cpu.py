"""CPU drivers of the sweep state machine (:mod:`l2gpu.kernels.sweep`): configs in parallel.

Arguments are bundled (:mod:`l2gpu.kernels.sweep_args`): ``book`` (:class:`BookArrays`),
``signals`` float64 ``[S, T]``, ``state`` (:class:`SweepState`) and ``out``
(:class:`SweepOutputs`). Config ``p`` advances ``state`` row ``p`` and writes ``out`` row ``p``.

The bundles are unpacked before the ``prange`` loop: with Numba 0.68, a view taken through a
named tuple's attribute inside a ``prange`` body and written by an inlined function lost its
writes (``tests/backtest/test_sweep.py`` would catch it).
"""

from __future__ import annotations

import numba

from l2gpu.kernels.jit import cpu_device_jit
from l2gpu.kernels.sweep import make_sweep_ops
from l2gpu.kernels.sweep_layout import P_SIGNAL
from l2gpu.kernels.unfused import mul_cpu

_step_row_cpu, _finish_cpu = make_sweep_ops(cpu_device_jit, mul_cpu)


@numba.njit(parallel=True, cache=True)
def sweep_cpu(book, signals, state, out, first, stop):
    """Advance every config over rows ``first .. stop-1``, configs in parallel."""
    ts, mid, row_bucket, bid_px, bid_sz, ask_px, ask_sz = book
    params, fstate, istate = state
    rec_f, rec_i, bucket_pnl = out
    for p in numba.prange(params.shape[0]):
        # Views of this config's rows, taken once: not once per row.
        par = params[p]
        fs = fstate[p]
        ist = istate[p]
        trades_f = rec_f[p]
        trades_i = rec_i[p]
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
                trades_f,
                trades_i,
                buckets,
            )


@numba.njit(parallel=True, cache=True)
def finish_cpu(book, state, out):
    """Close every config after the last row (see ``finish``)."""
    ts, mid, _, bid_px, bid_sz, ask_px, ask_sz = book
    params, fstate, istate = state
    rec_f, rec_i, bucket_pnl = out
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
            rec_f[p],
            rec_i[p],
            bucket_pnl[p],
        )
