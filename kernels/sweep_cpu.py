"""CPU drivers of the sweep state machine (:mod:`l2gpu.kernels.sweep`): configs in parallel.

Arguments are bundled (:mod:`l2gpu.kernels.sweep_args`): ``book`` (:class:`BookArrays`),
``signals`` float64 ``[S, T]``, ``state`` (:class:`SweepState`) and ``out``
(:class:`SweepOutputs`). Config ``p`` advances ``state`` row ``p`` and writes ``out`` row ``p``.

The bundles are unpacked before the ``prange`` loop: with Numba 0.68, a view taken through a
named tuple's attribute inside a ``prange`` body and written by an inlined function lost its
writes (``tests/backtest/test_sweep.py`` would catch it). Each config's rows run in a function
of their own (``_run_config``), its hot state in locals (``docs/kernels.md``): Numba's parfor
array analysis fails on the state tuples when they are inlined into the ``prange`` body.
"""

from __future__ import annotations

import numba

from l2gpu.kernels.jit import cpu_device_jit
from l2gpu.kernels.sweep import make_sweep_ops
from l2gpu.kernels.sweep_layout import P_SIGNAL
from l2gpu.kernels.unfused import mul_cpu

_load_cpu, _step_cpu, _store_cpu, _finish_inline, _ = make_sweep_ops(cpu_device_jit, mul_cpu)
_finish_cpu = numba.njit(cache=True)(_finish_inline.py_func)


@numba.njit(cache=True)
def _run_config(
    first, stop, ts, mid, row_bucket, levels, signal, par, fs, ist, rec_f, rec_i, buckets
):
    """Advance one config over rows ``first .. stop-1``, its hot state in locals."""
    q, h = _load_cpu(par, fs, ist)
    for t in range(first, stop):
        h = _step_cpu(
            t,
            0,
            ts[t],
            mid[t],
            signal[t],
            row_bucket[t],
            levels,
            q,
            h,
            fs,
            ist,
            rec_f,
            rec_i,
            buckets,
        )
    _store_cpu(h, fs, ist)


@numba.njit(parallel=True, cache=True)
def sweep_cpu(book, signals, state, out, first, stop):
    """Advance every config over rows ``first .. stop-1``, configs in parallel."""
    ts, mid, row_bucket, bid_px, bid_sz, ask_px, ask_sz = book
    levels = (bid_px, bid_sz, ask_px, ask_sz)
    params, fstate, istate = state
    rec_f, rec_i, bucket_pnl = out
    for p in numba.prange(params.shape[0]):
        par = params[p]
        _run_config(
            first,
            stop,
            ts,
            mid,
            row_bucket,
            levels,
            signals[int(par[P_SIGNAL])],
            par,
            fstate[p],
            istate[p],
            rec_f[p],
            rec_i[p],
            bucket_pnl[p],
        )


@numba.njit(parallel=True, cache=True)
def finish_cpu(book, state, out):
    """Close every config after the last row (see ``finish``)."""
    ts, mid, _, bid_px, bid_sz, ask_px, ask_sz = book
    levels = (bid_px, bid_sz, ask_px, ask_sz)
    params, fstate, istate = state
    rec_f, rec_i, bucket_pnl = out
    last = ts.shape[0] - 1
    for p in numba.prange(params.shape[0]):
        _finish_cpu(
            last,
            0,
            ts[last],
            mid[last],
            levels,
            params[p],
            fstate[p],
            istate[p],
            rec_f[p],
            rec_i[p],
            bucket_pnl[p],
        )
