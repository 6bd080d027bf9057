"""CPU kernels for trailing windows: sorted search by two pointers, prefix sums, window sums.

- :func:`search_sorted_right`: ``out[t] = searchsorted(a, v[t] - shift, side="right")`` for a
  sorted ``a``, in one merge-like pass per chunk of rows (a binary search starts each chunk and
  any row whose query goes back), so a trailing window's first row, or the trades up to each
  book row, cost ``O(len(a) + len(v))`` instead of ``len(v)`` binary searches.
- :func:`prefix_sum_cpu`: the running sum of the finite values and the running NaN count, in the
  order ``numpy.cumsum`` adds them (the same floats).
- :func:`window_sum_cpu`: ``P[t + 1] - P[starts[t]]``, NaN where the window holds a NaN;
  :func:`range_diff_cpu`: ``P[ends[t]] - P[starts[t]]``; :func:`running_total_cpu`:
  ``P[ends[t]] - P[0]``;
- :func:`row_window_starts_cpu`: ``max(t - n + 1, 0)``, the first row of a window of ``n`` rows.

These are CPU-only; on the GPU the features run the same formulas with CuPy
(``docs/kernels.md``).
"""

from __future__ import annotations

import numba
import numpy as np

CHUNK_ROWS = 1 << 16
"""Rows per parallel chunk of the searches and window sums."""
STRIDE = 8
"""Elements of the sorted array a search pointer compares at once."""


@numba.njit(cache=True, nogil=True, inline="always")
def _first_above(a, x, lo):
    """First ``j >= lo`` with ``a[j] > x`` (``a`` sorted), by binary search."""
    hi = a.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(parallel=True, cache=True)
def search_sorted_right(a, v, shift, out):
    """``out[t]`` = the number of ``a`` at or below ``v[t] - shift``; ``a`` sorted ascending.

    Rows run in chunks in parallel; within a chunk the pointer only moves forward while the
    queries do not go back (a query that goes back restarts it with a binary search). A pointer
    that moves past its first element counts the next 8 at or below the query in one branch-free
    step, as long as all 8 are, so that a window sliding by a few rows costs no mispredictions.
    """
    rows = v.shape[0]
    n = a.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        t0 = c * CHUNK_ROWS
        t1 = min(rows, t0 + CHUNK_ROWS)
        x = v[t0] - shift
        j = _first_above(a, x, 0)
        out[t0] = j
        for t in range(t0 + 1, t1):
            y = v[t] - shift
            if y < x:
                j = _first_above(a, y, 0)
            elif j < n and a[j] <= y:
                j += 1
                while j + STRIDE <= n:
                    step = 0
                    for k in range(STRIDE):
                        step += 1 if a[j + k] <= y else 0
                    j += step
                    if step < STRIDE:
                        break
                else:
                    while j < n and a[j] <= y:
                        j += 1
            x = y
            out[t] = j


@numba.njit(cache=True, nogil=True)
def prefix_sum_cpu(values, total, count):
    """``total[t + 1]`` = sum of the finite ``values[:t + 1]``, ``count[t + 1]`` = NaNs among them.

    ``total[0] = count[0] = 0``. The additions run left to right from the first value, as
    ``numpy.cumsum`` of the values with NaN replaced by 0 does, so the floats are the same.
    """
    total[0] = 0.0
    count[0] = 0
    if values.shape[0] == 0:
        return
    first = values[0]
    acc = 0.0 if np.isnan(first) else first
    missing = 1 if np.isnan(first) else 0
    total[1] = acc
    count[1] = missing
    for t in range(1, values.shape[0]):
        x = values[t]
        if np.isnan(x):
            acc += 0.0
            missing += 1
        else:
            acc += x
        total[t + 1] = acc
        count[t + 1] = missing


@numba.njit(parallel=True, cache=True)
def window_sum_cpu(total, count, starts, out):
    """``out[t] = total[t + 1] - total[starts[t]]``, NaN where ``count`` says a NaN is inside."""
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            s = starts[t]
            if count[t + 1] - count[s] > 0:
                out[t] = np.nan
            else:
                out[t] = total[t + 1] - total[s]


@numba.njit(parallel=True, cache=True)
def range_diff_cpu(prefix, starts, ends, out):
    """``out[t] = prefix[ends[t]] - prefix[starts[t]]``: a total over ``starts[t] .. ends[t]-1``."""
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            out[t] = prefix[ends[t]] - prefix[starts[t]]


@numba.njit(parallel=True, cache=True)
def running_total_cpu(prefix, ends, out):
    """``out[t] = prefix[ends[t]] - prefix[0]``: :func:`range_diff_cpu` from the first element."""
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            out[t] = prefix[ends[t]] - prefix[0]


@numba.njit(parallel=True, cache=True)
def row_window_starts_cpu(n, out):
    """``out[t] = max(t - n + 1, 0)``: the first row of the trailing window of ``n`` rows."""
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            out[t] = max(t - n + 1, 0)
