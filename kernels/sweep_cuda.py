"""CUDA twin of :mod:`l2gpu.kernels.sweep`: one thread per config, rows staged in shared memory.

Arguments are bundled as for the CPU drivers (:mod:`l2gpu.kernels.sweep_args`). Thread ``p``
runs config ``order[p]``: ``order`` lists the configs grouped by signal, so the threads of a
block mostly share one signal row, while every state and output row stays at its config's own
index (nothing is permuted, nothing is copied back into order). Each block walks the chunk's
rows in tiles of :data:`TILE` rows: its threads first copy the tile's ``ts``, ``mid``, Sharpe
bucket and the block's signal into shared memory together, then each thread runs its config's
state machine over the tile (a thread whose config uses another signal reads it from global
memory). Book levels are read from global memory only at fills. Each thread keeps its config's
hot state in registers from the start of the launch to its end (``load``/``step``/``store`` of
:mod:`l2gpu.kernels.sweep`); the state rows of ``fstate`` and ``istate`` carry it between
launches, so chunks of rows stream through.

The launch wrappers take device arrays (CuPy, or strict simulated-device arrays) and hand them
to the kernel through :func:`l2gpu.backend.launch.kernel_arg`.
"""

from __future__ import annotations

from typing import Any

import numba
from numba import cuda

from l2gpu.backend.arrays import multiprocessors
from l2gpu.backend.launch import kernel_args
from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK, block_size_for, blocks_for
from l2gpu.kernels.launch_spec import (
    F64_1D,
    F64_2D,
    F64_3D,
    I64,
    I64_1D,
    I64_2D,
    I64_3D,
    LaunchSpec,
    named_tuple,
)
from l2gpu.kernels.sweep import make_sweep_ops
from l2gpu.kernels.sweep_args import BookArrays, SweepOutputs, SweepState
from l2gpu.kernels.sweep_layout import P_SIGNAL
from l2gpu.kernels.unfused_cuda import mul_cuda

TILE = 256

SWEEP_MAX_THREADS = 128
"""Largest block of the sweep kernel. At its register count (the compile table in
``benchmarks/RESULTS.md``) three blocks of 128 threads fit on an SM, one block of 256."""

_load, _step, _store, _finish, _, _ = make_sweep_ops(cuda.jit(device=True), mul_cuda)


BOOK_ARGS = named_tuple(BookArrays, I64_1D, F64_1D, I64_1D, F64_2D, F64_2D, F64_2D, F64_2D)
"""ts, mid, row_bucket and the four level arrays of a chunk of rows."""
STATE_ARGS = named_tuple(SweepState, F64_2D, F64_2D, I64_2D)
"""params, fstate, istate."""
OUTPUT_ARGS = named_tuple(SweepOutputs, F64_3D, I64_3D, F64_2D)
"""rec_f, rec_i, bucket_pnl (config-major)."""
SWEEP_LAUNCH = LaunchSpec(
    "_sweep_kernel",
    (BOOK_ARGS, F64_2D, I64_1D, STATE_ARGS, OUTPUT_ARGS, I64),  # book, signals, order, ...
    register_budget=144,
    threads_per_block=SWEEP_MAX_THREADS,
)


@cuda.jit
def _sweep_kernel(book, signals, order, state, out, offset):
    ts_tile = cuda.shared.array(TILE, numba.int64)
    bucket_tile = cuda.shared.array(TILE, numba.int64)
    mid_tile = cuda.shared.array(TILE, numba.float64)
    signal_tile = cuda.shared.array(TILE, numba.float64)
    params, fstate, istate = state
    p = cuda.grid(1)
    configs = params.shape[0]
    rows = book.ts.shape[0]
    lead = min(cuda.blockIdx.x * cuda.blockDim.x, configs - 1)
    block_signal = int(params[order[lead], P_SIGNAL])
    # This thread's config rows, taken once, and its hot state in registers until the end (a
    # thread past the last config loads the last config's rows but never steps or stores them).
    row = order[min(p, configs - 1)]
    par = params[row]
    fs = fstate[row]
    ist = istate[row]
    rec_f = out.rec_f[row]
    rec_i = out.rec_i[row]
    buckets = out.bucket_pnl[row]
    own = int(par[P_SIGNAL])
    q, h = _load(par, fs, ist)
    for start in range(0, rows, TILE):
        n = min(TILE, rows - start)
        i = cuda.threadIdx.x
        while i < n:
            ts_tile[i] = book.ts[start + i]
            bucket_tile[i] = book.row_bucket[start + i]
            mid_tile[i] = book.mid[start + i]
            signal_tile[i] = signals[block_signal, start + i]
            i += cuda.blockDim.x
        cuda.syncthreads()
        if p < configs:
            for k in range(n):
                x = signal_tile[k] if own == block_signal else signals[own, start + k]
                h = _step(
                    offset + start + k,
                    offset,
                    ts_tile[k],
                    mid_tile[k],
                    x,
                    bucket_tile[k],
                    book.bid_px,
                    book.bid_sz,
                    book.ask_px,
                    book.ask_sz,
                    q,
                    h,
                    fs,
                    ist,
                    rec_f,
                    rec_i,
                    buckets,
                )
        cuda.syncthreads()
    if p < configs:
        _store(h, fs, ist)


FINISH_LAUNCH = LaunchSpec(
    "_finish_kernel", (BOOK_ARGS, STATE_ARGS, OUTPUT_ARGS, I64), register_budget=72
)


@cuda.jit
def _finish_kernel(book, state, out, offset):
    params, fstate, istate = state
    p = cuda.grid(1)
    if p < params.shape[0]:
        last = book.ts.shape[0] - 1
        _finish(
            offset + last,
            offset,
            book.ts[last],
            book.mid[last],
            book.bid_px,
            book.bid_sz,
            book.ask_px,
            book.ask_sz,
            params[p],
            fstate[p],
            istate[p],
            out.rec_f[p],
            out.rec_i[p],
            out.bucket_pnl[p],
        )


def sweep_chunk_cuda(
    book: BookArrays,
    signals: Any,
    order: Any,
    state: SweepState,
    out: SweepOutputs,
    offset: int,
    threads_per_block: int | None = None,
) -> None:
    """Advance every config over one chunk of rows (``book`` and ``signals`` from ``offset``).

    ``order`` (int64 ``[P]``, on the device) runs the configs grouped by signal, in blocks of
    ``threads_per_block`` (default: :func:`~l2gpu.kernels.jit.block_size_for` the device).
    """
    configs = state.params.shape[0]
    if threads_per_block is None:
        threads_per_block = block_size_for(configs, multiprocessors(), SWEEP_MAX_THREADS)
    _sweep_kernel[blocks_for(configs, threads_per_block), threads_per_block](
        *kernel_args(book, signals, order, state, out), offset
    )


def finish_cuda(
    book: BookArrays,
    state: SweepState,
    out: SweepOutputs,
    offset: int,
    threads_per_block: int = DEFAULT_THREADS_PER_BLOCK,
) -> None:
    """Close every config after the last row (``book`` holds the last chunk, from ``offset``)."""
    configs = state.params.shape[0]
    _finish_kernel[blocks_for(configs, threads_per_block), threads_per_block](
        *kernel_args(book, state, out), offset
    )
