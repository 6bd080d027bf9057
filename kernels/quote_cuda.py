"""CUDA twin of :mod:`l2gpu.kernels.quote`: one thread per config, rows streamed in chunks.

Each thread walks its config's state machine over the chunk's rows; the chunk's row arrays hold
rows ``offset ..`` and include the row before the chunk's first (a quote's queue reads the
previous row's book), while the trades aligned to rows (``trade_first`` and the trade arrays)
are whole, indexed by global row and trade. State stays in the rows of ``fstate`` and ``istate``
between launches.

``QUOTE_LAUNCH`` and ``QUOTE_FINISH_LAUNCH`` (:class:`~l2gpu.kernels.launch_spec.LaunchSpec`)
declare, for the offline compile, each kernel's register budget per thread, why fused
multiply-adds remain, and its argument types as the driver (:mod:`l2gpu.backtest.quote.gpu`)
passes them; the record buffers and the pnl matrix are rows of larger arrays (layout ``A``).
"""

from __future__ import annotations

from typing import Any

from numba import cuda, types

from l2gpu.backend.launch import kernel_args
from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK, blocks_for
from l2gpu.kernels.launch_spec import F64, F64_1D, F64_2D, I64, I64_1D, I64_2D, LaunchSpec
from l2gpu.kernels.quote import make_quote_ops
from l2gpu.kernels.quote_layout import P_SIGNAL
from l2gpu.kernels.unfused_cuda import mul_cuda

_step_row, _finish = make_quote_ops(cuda.jit(device=True), mul_cuda)

F64_2D_ANY = types.Array(types.float64, 2, "A")
I64_2D_ANY = types.Array(types.int64, 2, "A")
_ROWS = (I64_1D, F64_1D, F64_2D, F64_2D, F64_2D, F64_2D, F64_2D)
"""ts, mid, signals and the four level arrays of a chunk of rows."""
_LIBDEVICE_FMA = (
    "libdevice's pow and log1p (the prob_power queue with a fractional n, prob_log) are fused "
    "inside; every product of the family's own code that feeds a sum is unfused"
)
QUOTE_LAUNCH = LaunchSpec(
    "_quote_kernel",
    (
        *_ROWS,
        F64,  # tick
        F64,  # tick_num
        F64,  # tick_den
        I64_1D,  # trade_first (all rows + 1)
        I64_1D,  # trade_ts
        I64_1D,  # trade_tick
        F64_1D,  # trade_sz
        I64_1D,  # trade_side
        F64_1D,  # trade_future_mid
        F64_1D,  # row_future_mid (chunk rows)
        I64_1D,  # row_bucket (chunk rows)
        F64_2D,  # params
        F64_2D,  # fstate
        I64_2D,  # istate
        I64,  # first
        I64,  # stop
        I64,  # offset
        F64_2D_ANY,  # rec_f
        I64_2D_ANY,  # rec_i
        F64_2D_ANY,  # bucket_pnl
    ),
    register_budget=168,
    allow_fma=_LIBDEVICE_FMA,
)
QUOTE_FINISH_LAUNCH = LaunchSpec(
    "_quote_finish_kernel",
    (
        I64_1D,  # ts
        F64_1D,  # mid
        F64_2D,  # bid_px
        F64_2D,  # bid_sz
        F64_2D,  # ask_px
        F64_2D,  # ask_sz
        F64_2D,  # params
        F64_2D,  # fstate
        I64_2D,  # istate
        I64,  # offset
        F64_2D_ANY,  # rec_f
        I64_2D_ANY,  # rec_i
        F64_2D_ANY,  # bucket_pnl
    ),
    register_budget=64,
)


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
    """Advance every config over rows ``first .. stop-1`` (arguments as :data:`QUOTE_LAUNCH`)."""
    configs = args[18].shape[0]
    _quote_kernel[blocks_for(configs, threads_per_block), threads_per_block](*kernel_args(*args))


def quote_finish_cuda(*args: Any, threads_per_block: int = DEFAULT_THREADS_PER_BLOCK) -> None:
    """Close every config after the last row (the last chunk's arrays, from ``offset``)."""
    configs = args[6].shape[0]
    blocks = blocks_for(configs, threads_per_block)
    _quote_finish_kernel[blocks, threads_per_block](*kernel_args(*args))
