"""Run the sweep kernel on the GPU: configs grouped by signal, rows streamed in chunks.

The chunk size comes from free device memory unless given: the config state must fit with room
to spare, else the error says how much is needed; the rest of the free memory (half of it, to
leave room for the caller) holds the chunk's rows. Under Numba's CUDA simulator the same path
runs on host arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from l2gpu.backend.arrays import Device, to_device
from l2gpu.backend.engine import gpu_status
from l2gpu.data.book import Book
from l2gpu.kernels import sweep_layout as layout

MEMORY_SHARE = 0.5
SIMULATOR_CHUNK_ROWS = 64


def _free_device_bytes() -> int:
    import cupy

    free, _ = cupy.cuda.runtime.memGetInfo()
    return int(free)


def chunk_rows_for(free_bytes: int, configs: int, signals: int, depth: int) -> int:
    """Rows of one chunk that fit in ``MEMORY_SHARE`` of ``free_bytes`` next to the state."""
    state = configs * (layout.N_PARAMS + layout.N_FLOAT + layout.N_INT) * 8
    budget = int(free_bytes * MEMORY_SHARE) - state
    per_row = 8 + 8 + 8 + 8 * signals + 4 * 8 * depth  # ts, bucket, mid, signals, levels
    if budget < per_row:
        raise MemoryError(
            f"{configs:,} configs need {state / 2**30:.2f} GiB of state; the device "
            f"has {free_bytes / 2**30:.2f} GiB free. Sweep fewer configs at a time"
        )
    return budget // per_row


def run_gpu(
    host: Book,
    mid: np.ndarray,
    row_bucket: np.ndarray,
    signals: np.ndarray,
    params: np.ndarray,
    fstate: np.ndarray,
    istate: np.ndarray,
    bucket_pnl: np.ndarray,
    chunk_rows: int | None,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Advance every config over all rows and close it.

    Fills ``fstate``, ``istate`` and ``bucket_pnl`` (``[P, B]``, or ``[P, 0]`` for none) in place.
    """
    from l2gpu.kernels.sweep_cuda import finish_cuda, sweep_chunk_cuda

    rows = len(host)
    simulator = gpu_status().simulator
    if chunk_rows is None:
        chunk_rows = (
            SIMULATOR_CHUNK_ROWS
            if simulator
            else chunk_rows_for(_free_device_bytes(), len(params), signals.shape[0], host.depth)
        )
    order = np.argsort(params[:, layout.P_SIGNAL], kind="stable")
    device: Device = "gpu"
    d_params = to_device(np.ascontiguousarray(params[order]), device)
    d_fstate = to_device(np.ascontiguousarray(fstate[order]), device)
    d_istate = to_device(np.ascontiguousarray(istate[order]), device)
    d_buckets = to_device(np.ascontiguousarray(bucket_pnl[order]), device)
    empty_f = to_device(np.zeros((0, layout.N_REC_FLOAT)), device)
    empty_i = to_device(np.zeros((0, layout.N_REC_INT), np.int64), device)
    chunk: dict[str, Any] = {}
    for first in range(0, rows, chunk_rows):
        stop = min(first + chunk_rows, rows)
        chunk = {
            "ts": host.ts[first:stop],
            "mid": mid[first:stop],
            "signals": signals[:, first:stop],
            "bid_px": host.bid_px[:, first:stop],
            "bid_sz": host.bid_sz[:, first:stop],
            "ask_px": host.ask_px[:, first:stop],
            "ask_sz": host.ask_sz[:, first:stop],
            "row_bucket": row_bucket[first:stop],
        }
        chunk = {k: to_device(np.ascontiguousarray(v), device) for k, v in chunk.items()}
        sweep_chunk_cuda(
            chunk["ts"],
            chunk["mid"],
            chunk["signals"],
            chunk["bid_px"],
            chunk["bid_sz"],
            chunk["ask_px"],
            chunk["ask_sz"],
            chunk["row_bucket"],
            d_params,
            d_fstate,
            d_istate,
            first,
            empty_f,
            empty_i,
            d_buckets,
        )
        if progress:
            progress(stop, rows)
    last_first = ((rows - 1) // chunk_rows) * chunk_rows
    finish_cuda(
        chunk["ts"],
        chunk["mid"],
        chunk["bid_px"],
        chunk["bid_sz"],
        chunk["ask_px"],
        chunk["ask_sz"],
        d_params,
        d_fstate,
        d_istate,
        last_first,
        empty_f,
        empty_i,
        d_buckets,
    )
    fstate[order] = np.asarray(to_device(d_fstate, "cpu"))
    istate[order] = np.asarray(to_device(d_istate, "cpu"))
    bucket_pnl[order] = np.asarray(to_device(d_buckets, "cpu"))
