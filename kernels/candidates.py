"""Candidate lists: the rows where a series is at or above a base level, and the search of them.

Event skipping (:mod:`l2gpu.kernels.sweep_skip`, :mod:`l2gpu.kernels.sweep_hold`) asks, many
times per config, for the first row ``>= i`` where ``sign * x >= e``. For a signal and a sign,
every level ``e`` its configs search for is at least the lowest of them, the *base*; the rows
where ``sign * x`` reaches the base (NaN never) are the only rows any of those searches can
return. :func:`candidate_lists` lists them once per sweep, with an index of the first candidate
of every :data:`BLOCK` rows, and :func:`make_listed_search` compiles the search: from the
index, past the candidates before ``i``, then through at most :data:`SCAN` candidates in
order; where none of them reaches ``e`` (a level well above the base), the descent of the
block maxima (:func:`l2gpu.kernels.block_maxima.make_descent`) goes on from the next
candidate's row. Rows between candidates are below the base, so the answer is the descent's
exactly; the list saves its climbs and branches: about 12 ns against 50 ns a search on the
research grid of ``benchmarks/`` (``docs/kernels.md``).

The lists of all series and both signs share flat arrays:

- ``rows`` int64 ``[N]``: the candidate rows, list after list, each increasing;
- ``values`` float64 ``[N]``: ``sign * x`` at those rows;
- ``start`` int64 ``[S, 2, B + 1]``: ``start[s, k, b]`` is where the candidates of series ``s``
  and sign ``k`` (0: ``x``, 1: ``-x``) at rows ``>= b * BLOCK`` begin, ``start[s, k, B]`` where
  the list ends (``B = ceil(T / BLOCK)``);
- ``base`` float64 ``[S, 2]``: each list's base (``inf``: no list, every search descends).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numba
import numpy as np

from l2gpu.kernels.block_maxima import SHIFT

BLOCK_SHIFT = 6
"""The index holds the first candidate of every ``2**BLOCK_SHIFT`` (64) rows."""
BLOCK = 1 << BLOCK_SHIFT
SUB = 1 << SHIFT
"""Rows of the smallest blocks of the block maxima, which the lists are built from."""
SCAN = 32
"""Candidates a search looks at before the descent takes over."""


class Candidates(NamedTuple):
    """The candidate lists of every series and sign (see the module doc)."""

    rows: Any
    values: Any
    start: Any
    base: Any


@numba.njit(parallel=True, cache=True)
def _count_into(series, tree, base, counts):
    rows = series.shape[1]
    for s in numba.prange(series.shape[0]):
        for k in range(2):
            sign, level, n = 1.0 - 2.0 * k, base[s, k], 0
            for j in range(-(-rows // SUB)):
                if tree[s, k, j] >= level:
                    for r in range(j * SUB, min(rows, (j + 1) * SUB)):
                        if sign * series[s, r] >= level:
                            n += 1
            counts[s, k] = n


@numba.njit(parallel=True, cache=True)
def _fill_into(series, tree, base, first, rows, values, start):
    n_rows, blocks, per = series.shape[1], start.shape[2] - 1, BLOCK // SUB
    subs = -(-n_rows // SUB)
    for s in numba.prange(series.shape[0]):
        for k in range(2):
            sign, level, j = 1.0 - 2.0 * k, base[s, k], first[s, k]
            for b in range(blocks):
                start[s, k, b] = j
                for c in range(b * per, min(subs, (b + 1) * per)):
                    if tree[s, k, c] < level:
                        continue
                    for r in range(c * SUB, min(n_rows, (c + 1) * SUB)):
                        v = sign * series[s, r]
                        if v >= level:
                            rows[j], values[j] = r, v
                            j += 1
            start[s, k, blocks] = j


def candidate_lists(series: np.ndarray, tree: np.ndarray, base: np.ndarray) -> Candidates:
    """List the rows where ``series[s]`` (sign 0) or ``-series[s]`` (sign 1) reaches ``base[s, k]``.

    Parameters
    ----------
    series : numpy.ndarray
        float64 ``[S, T]``, the signals.
    tree : numpy.ndarray
        float64 ``[S, 2, W]``, their block maxima (:func:`l2gpu.kernels.block_maxima.block_maxima`);
        only the blocks of 16 rows whose maximum reaches the base are looked into (their
        maxima, level 1, begin each ``tree[s, k]``).
    base : numpy.ndarray
        float64 ``[S, 2]``, the lowest level searched for on each signal and sign; ``inf``
        (or NaN) lists nothing there.
    """
    series = np.ascontiguousarray(series, dtype=np.float64)
    base = np.ascontiguousarray(base, dtype=np.float64)
    counts = np.zeros(base.shape, np.int64)
    _count_into(series, tree, base, counts)
    first = (np.cumsum(counts.ravel()) - counts.ravel()).reshape(base.shape)
    total = int(counts.sum())
    rows, values = np.empty(total, np.int64), np.empty(total)
    start = np.empty((*base.shape, -(-series.shape[1] // BLOCK) + 1), np.int64)
    _fill_into(series, tree, base, first, rows, values, start)
    return Candidates(rows, values, start, base)


def no_candidates(signals: int) -> Candidates:
    """Empty lists for ``signals`` series: every search descends."""
    return Candidates(
        np.zeros(0, np.int64),
        np.zeros(0),
        np.zeros((signals, 2, 1), np.int64),
        np.full((signals, 2), np.inf),
    )


def make_listed_search(jit: Callable[[Any], Any], first_at_least: Any) -> Any:
    """Compile with ``jit``; return ``first_listed(x, k, tree, listed, offsets, i, stop, e)``.

    It returns the first row ``>= i`` with ``sign * x >= e`` (``sign`` is ``+1`` for ``k = 0``,
    ``-1`` for ``k = 1``; ``stop`` if none before it), as ``first_at_least`` (the descent,
    compiled with the same ``jit``) on ``tree[k]`` would. ``tree`` is the series' block maxima
    (``[2, W]``) and ``listed`` is ``(rows, values, start, base)`` of :class:`Candidates` with
    ``start`` and ``base`` those of the series (``[2, B + 1]`` and ``[2]``).
    """

    @jit
    def first_listed(x, k, tree, listed, offsets, i, stop, e):
        rows, values, start, base = listed
        sign = 1.0 - 2.0 * k
        if not e >= base[k]:  # below the list's base (or NaN): the descent
            return first_at_least(x, sign, tree[k], offsets, i, stop, e)
        edge = start.shape[1] - 1
        b = i >> BLOCK_SHIFT
        if b >= edge:
            return stop
        j, end = start[k, b], start[k, edge]
        while j < end and rows[j] < i:
            j += 1
        last = min(end, j + SCAN)
        while j < last:
            r = rows[j]
            if r >= stop:
                return stop
            if values[j] >= e:
                return r
            j += 1
        if j < end and rows[j] < stop:
            return first_at_least(x, sign, tree[k], offsets, rows[j], stop, e)
        return stop

    return first_listed
