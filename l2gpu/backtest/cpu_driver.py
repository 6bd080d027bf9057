"""Run the sweep kernel on the CPU: configs in parallel, rows in chunks with state carried.

The same two passes as on the GPU (:mod:`l2gpu.backtest.gpu_driver`): :func:`run_cpu` advances
every config over every row and closes it; :func:`record_cpu` replays the configs whose trades
are wanted with record buffers sized by their trade counts. Both skip the rows where a config
waits for its next decision, flat or in a position, as :mod:`l2gpu.backtest.skip_plan` picks
(exactly: the results are the dense scan's), with block maxima of the signals and of the mid
and an index of the rows built once per call; unless ``skipping="never"``, the configs that
differ only in their stop run as one until a stop fires (:mod:`l2gpu.backtest.ladders`).
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

from l2gpu.backtest.skip_plan import Skipping, search_bases, skip_flags, thread_plan
from l2gpu.kernels import sweep_layout as layout
from l2gpu.kernels.block_maxima import block_maxima
from l2gpu.kernels.candidates import candidate_lists, no_candidates
from l2gpu.kernels.sweep_args import SKIP_HOLD, BookArrays, SkipIndex, SweepOutputs, SweepState
from l2gpu.kernels.sweep_cpu import finish_cpu, sweep_cpu
from l2gpu.kernels.sweep_hold import block_falls, last_row_with_mid
from l2gpu.kernels.sweep_ladder import release_cpu
from l2gpu.kernels.sweep_skip import row_index

Progress = Callable[[int, int], None]


def skip_index(
    book: BookArrays, signals: np.ndarray, params: np.ndarray, skipping: Skipping
) -> SkipIndex:
    """Return the skip flags, and the structures to skip with where a config skips."""
    flags = skip_flags(book.ts, signals, params, skipping)
    empty, none = np.zeros(0, np.int64), np.zeros((2, 0))
    if not flags.any():
        tree, lists = np.zeros((signals.shape[0], 2, 0)), no_candidates(signals.shape[0])
        return SkipIndex(flags, tree, empty, empty, empty, none, none, empty, *lists)
    tree, offsets = block_maxima(signals)
    lists = candidate_lists(signals, tree, search_bases(signals, params, flags))
    change_at, valid_at = row_index(book.mid, book.row_bucket)
    if not (flags & SKIP_HOLD).any():
        return SkipIndex(flags, tree, offsets, change_at, valid_at, none, none, empty, *lists)
    mid_tree = block_maxima(book.mid[None, :])[0][0]
    falls, last_valid = block_falls(book.mid, mid_tree, offsets), last_row_with_mid(book.mid)
    return SkipIndex(flags, tree, offsets, change_at, valid_at, mid_tree, falls, last_valid, *lists)


def _advance(
    book: BookArrays,
    signals: np.ndarray,
    state: SweepState,
    out: SweepOutputs,
    chunk_rows: int | None,
    progress: Progress | None,
    skipping: Skipping,
) -> None:
    rows = book.ts.shape[0]
    step = chunk_rows or rows
    index = skip_index(book, signals, state.params, skipping)
    threads = numba.get_num_threads()
    plan = thread_plan(signals, state.params, index.skip, threads, skipping != "never")
    for first in range(0, rows, step):
        stop = min(first + step, rows)
        sweep_cpu(book, signals, state, out, first, stop, index, plan)
        if progress:
            progress(stop, rows)
    release_cpu(state, out, plan)
    finish_cpu(book, state, out)


def run_cpu(
    book: BookArrays,
    signals: np.ndarray,
    params: np.ndarray,
    n_buckets: int,
    chunk_rows: int | None,
    progress: Progress | None,
    skipping: Skipping = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Advance every config over all rows and close it (``skipping``: which configs skip).

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
    _advance(book, signals, state, out, chunk_rows, progress, skipping)
    return state.fstate, state.istate, out.bucket_pnl


def record_cpu(
    book: BookArrays,
    signals: np.ndarray,
    params: np.ndarray,
    capacity: int,
    chunk_rows: int | None,
    skipping: Skipping = "auto",
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
    _advance(book, signals, state, out, chunk_rows, None, skipping)
    return out.rec_f, out.rec_i
