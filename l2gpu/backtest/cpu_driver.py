"""Run the sweep kernel on the CPU: configs in parallel, rows in chunks with state carried.

The same two passes as on the GPU (:mod:`l2gpu.backtest.gpu_driver`): :func:`run_cpu` advances
every config over every row and closes it; :func:`record_cpu` replays the configs whose trades
are wanted with record buffers sized by their trade counts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from l2gpu.kernels import sweep_layout as layout
from l2gpu.kernels.sweep_args import BookArrays, SweepOutputs, SweepState
from l2gpu.kernels.sweep_cpu import finish_cpu, sweep_cpu

Progress = Callable[[int, int], None]


def _advance(
    book: BookArrays,
    signals: np.ndarray,
    state: SweepState,
    out: SweepOutputs,
    chunk_rows: int | None,
    progress: Progress | None,
) -> None:
    rows = book.ts.shape[0]
    step = chunk_rows or rows
    for first in range(0, rows, step):
        stop = min(first + step, rows)
        sweep_cpu(book, signals, state, out, first, stop)
        if progress:
            progress(stop, rows)
    finish_cpu(book, state, out)


def run_cpu(
    book: BookArrays,
    signals: np.ndarray,
    params: np.ndarray,
    n_buckets: int,
    chunk_rows: int | None,
    progress: Progress | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Advance every config over all rows and close it.

    Returns
    -------
    fstate, istate : numpy.ndarray
        Final state, ``[P, N_FLOAT]`` and ``[P, N_INT]``.
    bucket_pnl : numpy.ndarray
        ``[P, n_buckets]`` equity change per bucket.
    """
    configs = params.shape[0]
    state = SweepState(
        params, np.zeros((configs, layout.N_FLOAT)), np.zeros((configs, layout.N_INT), np.int64)
    )
    out = SweepOutputs(
        np.zeros((configs, 0, layout.N_REC_FLOAT)),
        np.zeros((configs, 0, layout.N_REC_INT), np.int64),
        np.zeros((configs, n_buckets)),
    )
    _advance(book, signals, state, out, chunk_rows, progress)
    return state.fstate, state.istate, out.bucket_pnl


def record_cpu(
    book: BookArrays, signals: np.ndarray, params: np.ndarray, capacity: int, chunk_rows: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Replay ``params`` (the recorded configs), keeping up to ``capacity`` trades of each.

    Returns ``rec_f`` ``[n, capacity, N_REC_FLOAT]`` and ``rec_i`` ``[n, capacity, N_REC_INT]``.
    """
    configs = params.shape[0]
    state = SweepState(
        np.ascontiguousarray(params),
        np.zeros((configs, layout.N_FLOAT)),
        np.zeros((configs, layout.N_INT), np.int64),
    )
    out = SweepOutputs(
        np.zeros((configs, capacity, layout.N_REC_FLOAT)),
        np.zeros((configs, capacity, layout.N_REC_INT), np.int64),
        np.zeros((configs, 0)),
    )
    _advance(book, signals, state, out, chunk_rows, None)
    return out.rec_f, out.rec_i
