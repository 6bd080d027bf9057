"""CUDA twin of :mod:`l2gpu.kernels.quote`: one thread per config, rows streamed in chunks.

Each thread walks its config's state machine over the chunk's rows; the chunk's row arrays hold
rows ``offset ..`` and include the row before the chunk's first (a quote's queue reads the
previous row's book), while the trades aligned to rows (``trade_first`` and the trade arrays)
are whole, indexed by global row and trade. State stays in the rows of ``fstate`` and ``istate``
between launches.

``REGISTER_BUDGET``, ``ALLOW_FMA`` and ``LAUNCH_ARGS`` declare, for the offline compile, each
kernel's register budget per thread, why fused multiply-adds remain, and its argument types as
the driver (:mod:`l2gpu.backtest.quote.gpu`) passes them: ``i8``/``f8`` scalars,
``i8[:]``/``f8[:]``/``f8[:, :]``/``i8[:, :]`` C-contiguous arrays.
"""

from __future__ import annotations

from typing import Any

from numba import cuda
from numba.core import config

from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK, blocks_for
from l2gpu.kernels.quote import make_quote_ops
from l2gpu.kernels.quote_layout import P_SIGNAL

if config.ENABLE_CUDASIM:  # type: ignore[attr-defined]  # read from the environment by numba

    @cuda.jit(device=True)
    def _mul(a, b):
        """Return ``a * b`` (the simulator runs Python arithmetic, which never fuses)."""
        return a * b

else:
    from numba.cuda import libdevice

    @cuda.jit(device=True)
    def _mul(a, b):
        """Return ``a * b`` rounded to nearest, never contracted into a multiply-add."""
        return libdevice.dmul_rn(a, b)


_step_row, _finish = make_quote_ops(cuda.jit(device=True), _mul)

REGISTER_BUDGET = {"_quote_kernel": 168, "_quote_finish_kernel": 64}
"""Registers per thread each kernel may use. Compiled offline for sm_90 (numba-cuda 0.30.4,
``ptxas -v`` of CUDA 12.9): 136 and 37 registers, no spills, no stack frame."""
ALLOW_FMA = {
    "_quote_kernel": "libdevice's pow and log1p (prob_power with a fractional n, prob_log) and "
    "the threshold family's depth walk (market orders) until it takes an unfused product",
    "_quote_finish_kernel": "the threshold family's depth walk, until it takes an unfused product",
}
"""Why fused multiply-adds remain in the PTX (every product of this family's own code that feeds
a sum goes through ``_mul``, which NVVM never fuses)."""
_ROWS = ("i8[:]", "f8[:]", "f8[:, :]", "f8[:, :]", "f8[:, :]", "f8[:, :]", "f8[:, :]")
LAUNCH_ARGS = {
    "_quote_kernel": (
        *_ROWS,  # ts, mid, signals, bid_px, bid_sz, ask_px, ask_sz (chunk rows)
        "f8",  # tick
        "f8",  # tick_num
        "f8",  # tick_den
        "i8[:]",  # trade_first (all rows + 1)
        "i8[:]",  # trade_ts
        "i8[:]",  # trade_tick
        "f8[:]",  # trade_sz
        "i8[:]",  # trade_side
        "f8[:]",  # trade_future_mid
        "f8[:]",  # row_future_mid (chunk rows)
        "i8[:]",  # row_bucket (chunk rows)
        "f8[:, :]",  # params
        "f8[:, :]",  # fstate
        "i8[:, :]",  # istate
        "i8",  # first
        "i8",  # stop
        "i8",  # offset
        "f8[:, :]",  # rec_f
        "i8[:, :]",  # rec_i
        "f8[:, :]",  # bucket_pnl
    ),
    "_quote_finish_kernel": (
        "i8[:]",  # ts
        "f8[:]",  # mid
        "f8[:, :]",  # bid_px
        "f8[:, :]",  # bid_sz
        "f8[:, :]",  # ask_px
        "f8[:, :]",  # ask_sz
        "f8[:, :]",  # params
        "f8[:, :]",  # fstate
        "i8[:, :]",  # istate
        "i8",  # offset
        "f8[:, :]",  # rec_f
        "i8[:, :]",  # rec_i
        "f8[:, :]",  # bucket_pnl
    ),
}


@cuda.jit
def _quote_kernel(
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
    offset,
    rec_f,
    rec_i,
    bucket_pnl,
):
    p = cuda.grid(1)
    if p >= params.shape[0]:
        return
    par = params[p]
    fs = fstate[p]
    ist = istate[p]
    buckets = bucket_pnl[p]
    signal = int(par[P_SIGNAL])
    for t in range(first, stop):
        c = t - offset
        _step_row(
            t,
            offset,
            ts[c],
            mid[c],
            signals[signal, c],
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
            row_future_mid[c],
            row_bucket[c],
            par,
            fs,
            ist,
            rec_f,
            rec_i,
            buckets,
        )


@cuda.jit
def _quote_finish_kernel(
    ts,
    mid,
    bid_px,
    bid_sz,
    ask_px,
    ask_sz,
    params,
    fstate,
    istate,
    offset,
    rec_f,
    rec_i,
    bucket_pnl,
):
    p = cuda.grid(1)
    if p < params.shape[0]:
        last = ts.shape[0] - 1
        _finish(
            offset + last,
            offset,
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


def quote_chunk_cuda(*args: Any, threads_per_block: int = DEFAULT_THREADS_PER_BLOCK) -> None:
    """Advance every config over rows ``first .. stop-1`` (arguments as ``LAUNCH_ARGS``)."""
    configs = args[18].shape[0]
    _quote_kernel[blocks_for(configs, threads_per_block), threads_per_block](*args)


def quote_finish_cuda(*args: Any, threads_per_block: int = DEFAULT_THREADS_PER_BLOCK) -> None:
    """Close every config after the last row (the last chunk's arrays, from ``offset``)."""
    configs = args[6].shape[0]
    _quote_finish_kernel[blocks_for(configs, threads_per_block), threads_per_block](*args)
