"""Block maxima of a row series and the descent that finds the first row at or above a level.

The structure event skipping searches (:mod:`l2gpu.kernels.sweep_skip`,
:mod:`l2gpu.kernels.sweep_hold`): for a series ``x`` of ``T`` rows, the maxima of its blocks of
16, 256, 4,096 and 65,536 rows, of ``x`` and of ``-x`` (NaN never counting), in one float64
array per series. Built once per sweep on the host and shared by every config;
:func:`make_descent` compiles the search of it, single-source like every kernel
(``docs/kernels.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np

SHIFT = 4
"""Each level's blocks are 2**SHIFT (16) blocks of the level below."""
LEVELS = 4
"""Levels of block maxima above the rows: blocks of 16, 256, 4,096 and 65,536 rows."""


def level_offsets(rows: int) -> np.ndarray:
    """int64 ``[LEVELS + 1]``: where level ``k`` (1..LEVELS) starts in a series' block arrays."""
    offsets = np.zeros(LEVELS + 1, np.int64)
    for k in range(1, LEVELS):
        offsets[k + 1] = offsets[k] + -(-rows // (1 << (SHIFT * k)))
    return offsets


def level_width(rows: int) -> int:
    """Length of a series' block arrays: the blocks of every level, one after the other."""
    return int(level_offsets(rows)[LEVELS] + -(-rows // (1 << (SHIFT * LEVELS))))


CHUNK_ROWS = 1 << (SHIFT * LEVELS)
"""Rows of a top-level block: the structures are built chunk by chunk of these, in parallel."""


@numba.njit(cache=True)
def level_blocks(rows, k, chunk):
    """Return ``(first, stop)``: the blocks of level ``k`` inside chunk ``chunk`` of the rows."""
    per_chunk = SHIFT * (LEVELS - k)
    count = -(-rows // (1 << (SHIFT * k)))
    return chunk << per_chunk, min((chunk + 1) << per_chunk, count)


@numba.njit(cache=True)
def maxima_into(x, offsets, out, chunk):
    """Fill chunk ``chunk`` of ``out`` (``[2, W]``): the block maxima of ``x`` and ``-x``.

    NaN never counts; every level of the chunk's blocks is filled.
    """
    rows = x.shape[0]
    first, stop = level_blocks(rows, 1, chunk)
    for j in range(first, stop):
        high, low = -np.inf, -np.inf
        row = j << SHIFT
        if row + (1 << SHIFT) <= rows:  # a whole block: a fixed trip count, unrolled
            for i in range(1 << SHIFT):
                v = x[row + i]
                high = v if v > high else high
                low = -v if -v > low else low
        else:
            for i in range(row, rows):
                v = x[i]
                high = v if v > high else high
                low = -v if -v > low else low
        out[0, offsets[1] + j], out[1, offsets[1] + j] = high, low
    for k in range(2, LEVELS + 1):
        below = -(-rows // (1 << (SHIFT * (k - 1))))
        first, stop = level_blocks(rows, k, chunk)
        for j in range(first, stop):
            high, low = -np.inf, -np.inf
            for c in range(j << SHIFT, min(below, (j + 1) << SHIFT)):
                high = max(high, out[0, offsets[k - 1] + c])
                low = max(low, out[1, offsets[k - 1] + c])
            out[0, offsets[k] + j], out[1, offsets[k] + j] = high, low


@numba.njit(parallel=True, cache=True)
def _tree_into(series, offsets, tree):
    chunks = -(-series.shape[1] // CHUNK_ROWS)
    for i in numba.prange(series.shape[0] * chunks):
        maxima_into(series[i // chunks], offsets, tree[i // chunks], i % chunks)


def block_maxima(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Block maxima of every row of ``series`` and of its negation; return ``(tree, offsets)``.

    ``tree`` is float64 ``[S, 2, W]``: ``tree[s, 0]`` holds the maxima of ``x = series[s]``,
    ``tree[s, 1]`` those of ``-x``, level ``k`` of them from ``offsets[k]`` (block ``j`` of
    level ``k`` covers rows ``j * 16**k`` up to ``(j + 1) * 16**k``; NaN counts as ``-inf``).
    The series and their chunks of :data:`CHUNK_ROWS` rows run in parallel.
    """
    n_series, rows = series.shape
    offsets = level_offsets(rows)
    tree = np.empty((n_series, 2, level_width(rows)))
    _tree_into(np.ascontiguousarray(series, dtype=np.float64), offsets, tree)
    return tree, offsets


def make_descent(jit: Callable[[Any], Any]) -> Any:
    """Compile with ``jit`` and return ``first_at_least(x, sign, tree, offsets, i, stop, e)``.

    It returns the first row ``>= i`` with ``sign * x >= e`` (``stop`` if none before it);
    ``tree`` is the block maxima of ``sign * x`` (``tree[s, 0]`` or ``tree[s, 1]`` of
    :func:`block_maxima`). A NaN ``e`` is never reached.
    """

    @jit
    def first_at_least(x, sign, tree, offsets, i, stop, e):
        k = 0
        while i < stop:
            # past the rest of each enclosing block with no row at or above ``e``, climbing
            while k < LEVELS and tree[offsets[k + 1] + (i >> (SHIFT * (k + 1)))] < e:
                i = ((i >> (SHIFT * (k + 1))) + 1) << (SHIFT * (k + 1))
                k += 1
                if i >= stop:
                    return stop
            while k < LEVELS and (i & ((1 << (SHIFT * (k + 1))) - 1)) == 0:
                k += 1
            while True:
                m = sign * x[i] if k == 0 else tree[offsets[k] + (i >> (SHIFT * k))]
                if m >= e:
                    if k == 0:
                        return i
                    k -= 1  # the row is in this block: look at its first sub-block
                else:
                    i += 1 << (SHIFT * k)
                    if i >= stop:
                        return stop
                    if k < LEVELS and (i & ((1 << (SHIFT * (k + 1))) - 1)) == 0:
                        break
        return stop

    return first_at_least
