"""Exact event skipping of a flat config: it jumps to the next row where its entry can fire.

A config that is flat with no order pending changes nothing at a row unless its entry can fire
there (``x >= entry`` for a long, ``x <= -entry`` for a short, from its next entry row on), the
row closes a Sharpe bucket, or the row's mid turns the equity mark into cash (the first row with
a mid). :func:`make_skip_ops` compiles the two pieces a driver needs, single-source like every
kernel (``docs/kernels.md``):

- ``next_entry(x, tree, listed, offsets, a, stop, q)``: the first row ``>= a`` (``stop`` if
  none before it) where the entry of parameters ``q`` fires on signal ``x``. It searches the
  signal's candidate lists (:mod:`l2gpu.kernels.candidates`) and block maxima
  (:func:`l2gpu.kernels.block_maxima.block_maxima`: blocks of 16, 256, 4,096 and 65,536 rows,
  of ``x`` and of ``-x``, NaN never counting), built once per sweep, shared by every config;
- ``skip_flat(r0, r1, h, ...)``: the hot state after rows ``r0 .. r1-1`` of a flat, idle
  config, marking only the rows that change something: each row that closes a bucket (one
  Welford update per closed bucket, exactly as row by row) and the first row with a mid.
  Every other row would mark the same equity in the same bucket, which changes nothing.

The rows to mark come from ``change_at`` (int64 ``[T]``: the first row ``>= r`` whose bucket
differs from the row before it) and ``valid_at`` (the first row ``>= r`` with a mid), both
``T`` where there is none (:func:`row_index`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from l2gpu.kernels.block_maxima import CHUNK_ROWS


@numba.njit(parallel=True, cache=True)
def _row_index_into(mid, row_bucket, change_at, valid_at):
    rows = mid.shape[0]
    chunks = -(-rows // CHUNK_ROWS)
    heads = np.empty((chunks + 1, 2), np.int64)  # each chunk's first change and mid, on its own
    heads[chunks] = rows
    for c in numba.prange(chunks):  # ``rows`` past a chunk's last change and mid, for now
        change, valid = rows, rows
        for r in range(min(rows, (c + 1) * CHUNK_ROWS) - 1, c * CHUNK_ROWS - 1, -1):
            if r > 0 and row_bucket[r] != row_bucket[r - 1]:
                change = r
            if not np.isnan(mid[r]):
                valid = r
            change_at[r], valid_at[r] = change, valid
        heads[c] = change, valid
    for c in range(chunks - 1, -1, -1):  # the first of each at or after each chunk's start
        for i in range(2):
            heads[c, i] = heads[c + 1, i] if heads[c, i] == rows else heads[c, i]
    for c in numba.prange(chunks):  # the rows past them point into the chunks after
        r = min(rows, (c + 1) * CHUNK_ROWS) - 1
        while r >= c * CHUNK_ROWS and change_at[r] == rows:
            change_at[r] = heads[c + 1, 0]
            r -= 1
        r = min(rows, (c + 1) * CHUNK_ROWS) - 1
        while r >= c * CHUNK_ROWS and valid_at[r] == rows:
            valid_at[r] = heads[c + 1, 1]
            r -= 1


def row_index(mid: np.ndarray, row_bucket: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(change_at, valid_at)`` of the rows (see the module doc), int64 ``[T]`` each."""
    change_at, valid_at = np.empty(mid.shape[0], np.int64), np.empty(mid.shape[0], np.int64)
    _row_index_into(mid, row_bucket, change_at, valid_at)
    return change_at, valid_at


def make_resume(jit: Callable[[Any], Any]) -> Any:
    """Compile with ``jit`` and return ``resume(h, marks, exposure, last_ts)``.

    It returns the hot state ``h`` after a jump over rows that only marked the equity:
    ``marks`` is ``(peak, max_dd, start_eq, last_eq, bucket)``, the account and the order
    fields are ``h``'s.
    """

    @jit
    def resume(h, marks, exposure, last_ts):
        peak, max_dd, start_eq, last_eq, bucket = marks
        return (
            h[0],
            h[1],
            h[2],
            peak,
            max_dd,
            start_eq,
            last_eq,
            exposure,
            h[8],
            h[9],
            h[10],
            h[11],
            h[12],
            h[13],
            h[14],
            bucket,
            last_ts,
            h[17],
            h[18],
        )

    return resume


def make_skip_ops(jit: Callable[[Any], Any], mul: Any, mark: Any, first_listed: Any) -> Any:
    """Compile the skipping with ``jit``; return ``(next_entry, skip_flat)``.

    ``mark`` is the state machine's (:func:`l2gpu.kernels.sweep.make_sweep_ops`) and
    ``first_listed`` the search (:func:`l2gpu.kernels.candidates.make_listed_search`), compiled
    with the same ``jit`` and ``mul``.
    """
    resume = make_resume(jit)

    @jit
    def next_entry(x, tree, listed, offsets, a, stop, q):
        """First row ``>= a`` where the entry of ``q`` fires (``q[2]``/``q[3]``: long/short)."""
        f = stop
        if q[2]:
            f = first_listed(x, 0, tree, listed, offsets, a, stop, q[0])
        if q[3]:
            f = first_listed(x, 1, tree, listed, offsets, a, f, q[0])
        return f

    @jit
    def skip_flat(r0, r1, h, ts, mid, row_bucket, change_at, valid_at, fs, ist, buckets):
        """Hot state ``h`` of a flat config with no order pending after rows ``r0 .. r1-1``."""
        cash, position, peak, max_dd, start_eq, last_eq = h[0], h[1], h[3], h[4], h[5], h[6]
        bucket = h[15]
        settled = False  # once a mid has been marked, every mark is cash, the last equity
        r = r0
        while r < r1:
            s = change_at[r]
            if not settled:
                s = min(s, valid_at[r])
            if s >= r1:
                break
            equity = last_eq
            if not math.isnan(mid[s]):
                equity = cash + mul(position, mid[s])
                settled = True
            marks = mark(
                row_bucket[s], equity, peak, max_dd, start_eq, last_eq, bucket, fs, ist, buckets
            )
            peak, max_dd, start_eq, last_eq, bucket = marks
            r = s + 1
        return resume(h, (peak, max_dd, start_eq, last_eq, bucket), h[7], ts[r1 - 1])

    return next_entry, skip_flat
