"""Run the quote kernel on the GPU: one thread per config, rows streamed in chunks.

Each chunk carries the row before its first, since a resting quote's queue compares the book
with the previous row's. The trades aligned to rows are copied to the device once, whole. The
chunk size comes from free device memory unless given (as for the threshold family, half of the
free memory holds the chunk's rows); under Numba's CUDA simulator the same path runs on host
arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from l2gpu.backend.arrays import Device, to_device
from l2gpu.backend.engine import gpu_status
from l2gpu.kernels import quote_layout as layout

if TYPE_CHECKING:
    from l2gpu.backtest.quote.sweep import QuoteInputs

MEMORY_SHARE = 0.5
SIMULATOR_CHUNK_ROWS = 64


def chunk_rows_for(free_bytes: int, configs: int, signals: int, depth: int, trades: int) -> int:
    """Rows of one chunk that fit in ``MEMORY_SHARE`` of ``free_bytes`` beside the rest."""
    state = configs * (layout.N_PARAMS + layout.N_FLOAT + layout.N_INT) * 8
    fixed = state + trades * 5 * 8
    budget = int(free_bytes * MEMORY_SHARE) - fixed
    per_row = 8 * 4 + 8 * signals + 4 * 8 * depth + 8  # ts, mid, bucket, future mid, levels, CSR
    if budget < per_row:
        raise MemoryError(
            f"{configs:,} configs and {trades:,} trades need {fixed / 2**30:.2f} GiB; the "
            f"device has {free_bytes / 2**30:.2f} GiB free. Sweep fewer configs at a time"
        )
    return budget // per_row


def _free_device_bytes() -> int:
    import cupy

    free, _ = cupy.cuda.runtime.memGetInfo()
    return int(free)


def run_quote_gpu(
    inputs: QuoteInputs,
    params: np.ndarray,
    fstate: np.ndarray,
    istate: np.ndarray,
    bucket_pnl: np.ndarray,
    chunk_rows: int | None,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Advance every config over all rows and close it; fills the state arrays in place."""
    from l2gpu.kernels.quote_cuda import quote_chunk_cuda, quote_finish_cuda

    book = inputs.book
    rows = len(book)
    if chunk_rows is None:
        chunk_rows = (
            SIMULATOR_CHUNK_ROWS
            if gpu_status().simulator
            else chunk_rows_for(
                _free_device_bytes(),
                len(params),
                inputs.signals.shape[0],
                book.depth,
                len(inputs.trades),
            )
        )
    device: Device = "gpu"

    def put(a: np.ndarray) -> Any:
        return to_device(np.ascontiguousarray(a), device)

    tr = inputs.trades
    trades = [put(a) for a in (tr.first, tr.ts, tr.tick, tr.sz, tr.side, inputs.trade_future_mid)]
    d_params, d_fstate, d_istate, d_buckets = (put(a) for a in (params, fstate, istate, bucket_pnl))
    rec_f = put(np.zeros((0, layout.N_REC_FLOAT)))
    rec_i = put(np.zeros((0, layout.N_REC_INT), np.int64))
    chunk: list[Any] = []
    offset = 0
    for first in range(0, rows, chunk_rows):
        stop = min(first + chunk_rows, rows)
        offset = max(first - 1, 0)
        cut = slice(offset, stop)
        chunk = [
            put(book.ts[cut]),
            put(inputs.mid[cut]),
            put(inputs.signals[:, cut]),
            *(put(getattr(book, n)[:, cut]) for n in ("bid_px", "bid_sz", "ask_px", "ask_sz")),
        ]
        quote_chunk_cuda(
            *chunk,
            inputs.tick,
            inputs.tick_num,
            inputs.tick_den,
            *trades,
            put(inputs.row_future_mid[cut]),
            put(inputs.row_bucket[cut]),
            d_params,
            d_fstate,
            d_istate,
            first,
            stop,
            offset,
            rec_f,
            rec_i,
            d_buckets,
        )
        if progress:
            progress(stop, rows)
    ts, mid, _, bid_px, bid_sz, ask_px, ask_sz = chunk
    quote_finish_cuda(
        ts,
        mid,
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        d_params,
        d_fstate,
        d_istate,
        offset,
        rec_f,
        rec_i,
        d_buckets,
    )
    fstate[:] = np.asarray(to_device(d_fstate, "cpu"))
    istate[:] = np.asarray(to_device(d_istate, "cpu"))
    bucket_pnl[:] = np.asarray(to_device(d_buckets, "cpu"))
