"""Run the sweep kernel on the GPU: configs grouped by signal, rows in chunks, results only back.

What crosses the host boundary in one call (counted in :mod:`l2gpu.backend.transfers`):

- up: the parameter matrix; the book and signals only when they are on the host (then each
  chunk of rows is uploaded once per pass, streaming a book longer than device memory);
- down: the final ``fstate`` and ``istate``; with recording, the record buffers.

Everything else is allocated on the device: the state, the ``[P, B]`` per-bucket pnl matrix
(which stays there), the signal order of the configs. Before allocating, the state and the pnl
matrix are checked against free memory (a clear ``MemoryError`` if they do not fit); the chunk
of a streamed book is sized from the memory left after allocating them (:data:`MEMORY_SHARE`
of it). A book on the device runs in one launch unless ``chunk_rows`` is given. Progress is
reported after each chunk's kernel has finished (the device is synchronised first).

Recorded trades come from the CUDA kernel too: a second launch over the recorded configs only,
with record buffers sized by their trade counts from the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from l2gpu.backend.arrays import (
    array_namespace,
    free_device_bytes,
    is_device_array,
    synchronize,
    to_device,
)
from l2gpu.kernels import sweep_layout as layout
from l2gpu.kernels.sweep_args import BookArrays, SweepOutputs, SweepState

MEMORY_SHARE = 0.5
"""Share of the free device memory a streamed chunk of rows may take."""

Progress = Callable[[int, int], None]


def state_bytes(configs: int, buckets: int) -> int:
    """Device bytes of the sweep state: parameters, state, signal order and per-bucket pnl."""
    per_config = layout.N_PARAMS + layout.N_FLOAT + layout.N_INT + 1 + buckets
    return configs * per_config * 8


def check_state_fits(free_bytes: int, configs: int, buckets: int) -> None:
    """Raise ``MemoryError`` saying what is needed when the state does not fit in ``free_bytes``."""
    need = state_bytes(configs, buckets)
    if need > free_bytes:
        raise MemoryError(
            f"{configs:,} configs need {need / 2**30:.2f} GiB of state and per-bucket pnl "
            f"({buckets:,} buckets); the device has {free_bytes / 2**30:.2f} GiB free. "
            "Sweep fewer configs at a time"
        )


def chunk_rows_for(free_bytes: int, signals: int, depth: int) -> int:
    """Rows of one streamed chunk that fit in :data:`MEMORY_SHARE` of ``free_bytes``."""
    per_row = 8 + 8 + 8 + 8 * signals + 4 * 8 * depth  # ts, bucket, mid, signals, levels
    budget = int(free_bytes * MEMORY_SHARE)
    if budget < per_row:
        raise MemoryError(
            f"after the sweep state {free_bytes / 2**20:.1f} MiB of device memory are free; "
            f"a chunk of rows needs {per_row:,} bytes a row. Sweep fewer configs at a time"
        )
    return budget // per_row


def device_state(
    params: np.ndarray, capacity: int, n_buckets: int, label: str = "sweep params"
) -> tuple[SweepState, SweepOutputs]:
    """Upload ``params`` (counted as ``label``) and allocate a fresh state and outputs for them.

    ``capacity`` recorded trades per config (0: none recorded), ``n_buckets`` pnl columns.
    """
    configs = params.shape[0]
    d_params = to_device(np.ascontiguousarray(params), "gpu", label)
    xp = array_namespace(d_params)
    state = SweepState(
        d_params,
        xp.zeros((configs, layout.N_FLOAT)),
        xp.zeros((configs, layout.N_INT), dtype=xp.int64),
    )
    out = SweepOutputs(
        xp.zeros((configs, capacity, layout.N_REC_FLOAT)),
        xp.zeros((configs, capacity, layout.N_REC_INT), dtype=xp.int64),
        xp.zeros((configs, n_buckets)),
    )
    return state, out


def signal_order(params: Any, xp: Any) -> Any:
    """Configs sorted by signal, stably: unique keys ``signal * P + index``, any sort agrees."""
    configs = params.shape[0]
    index = xp.arange(configs, dtype=xp.int64)
    return xp.argsort(params[:, layout.P_SIGNAL].astype(xp.int64) * configs + index)


def _advance(
    book: BookArrays,
    signals: Any,
    order: Any,
    state: SweepState,
    out: SweepOutputs,
    chunk_rows: int,
    progress: Progress | None,
) -> None:
    """Run the kernel over every chunk of rows, then close every config."""
    from l2gpu.kernels.sweep_cuda import finish_cuda, sweep_chunk_cuda

    rows = book.ts.shape[0]
    streamed = not is_device_array(book.ts)
    first = 0
    chunk, chunk_signals = book, signals
    for first in range(0, rows, chunk_rows):
        stop = min(first + chunk_rows, rows)
        chunk, chunk_signals = book.rows(first, stop), signals[:, first:stop]
        if streamed:
            chunk = BookArrays(
                *(
                    to_device(np.ascontiguousarray(a), "gpu", f"sweep chunk {n}")
                    for n, a in zip(BookArrays._fields, chunk, strict=True)
                )
            )
            chunk_signals = to_device(
                np.ascontiguousarray(chunk_signals), "gpu", "sweep chunk signals"
            )
        sweep_chunk_cuda(chunk, chunk_signals, order, state, out, first)
        if progress:
            synchronize()
            progress(stop, rows)
    finish_cuda(chunk, state, out, first)


def _chunk_rows(chunk_rows: int | None, book: BookArrays, signals: Any) -> int:
    if chunk_rows:
        return chunk_rows
    rows = book.ts.shape[0]
    if is_device_array(book.ts):
        return rows
    return min(rows, chunk_rows_for(free_device_bytes(), signals.shape[0], book.bid_px.shape[0]))


def run_gpu(
    book: BookArrays,
    signals: Any,
    params: np.ndarray,
    n_buckets: int,
    chunk_rows: int | None,
    progress: Progress | None,
) -> tuple[np.ndarray, np.ndarray, Any]:
    """Advance every config over all rows and close it (see the module doc).

    Parameters
    ----------
    book : BookArrays
        On the device (read there) or on the host (streamed through in chunks).
    signals : array [S, T]
        On the same side as ``book``.
    params : numpy.ndarray [P, N_PARAMS]
        The encoded configs.
    n_buckets : int
        Columns of the per-bucket pnl matrix (0 for none).
    chunk_rows : int or None
        Rows per launch; default: all rows of a device book, what fits for a host book.
    progress : callable, optional
        Called with (rows done, rows) after each chunk's kernel has finished.

    Returns
    -------
    fstate, istate : numpy.ndarray
        Final state on the host.
    bucket_pnl : device array [P, n_buckets]
        Per-bucket equity change, left on the device.
    """
    check_state_fits(free_device_bytes(), params.shape[0], n_buckets)
    state, out = device_state(params, 0, n_buckets)
    order = signal_order(state.params, array_namespace(state.params))
    _advance(book, signals, order, state, out, _chunk_rows(chunk_rows, book, signals), progress)
    fstate = to_device(state.fstate, "cpu", "sweep fstate")
    istate = to_device(state.istate, "cpu", "sweep istate")
    return fstate, istate, out.bucket_pnl


def record_gpu(
    book: BookArrays, signals: Any, params: np.ndarray, capacity: int, chunk_rows: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Replay ``params`` (the recorded configs) in a second launch, keeping ``capacity`` trades.

    Returns ``rec_f`` ``[n, capacity, N_REC_FLOAT]`` and ``rec_i`` ``[n, capacity, N_REC_INT]``
    on the host.
    """
    state, out = device_state(params, capacity, 0, "record params")
    order = array_namespace(state.params).arange(params.shape[0], dtype=np.int64)
    _advance(book, signals, order, state, out, _chunk_rows(chunk_rows, book, signals), None)
    return to_device(out.rec_f, "cpu", "recorded trades"), to_device(
        out.rec_i, "cpu", "recorded trade rows"
    )
