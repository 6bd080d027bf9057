"""CPU kernels for trailing windows: sorted search by two pointers, prefix sums, window sums.

- :func:`search_sorted_right`: ``out[t] = searchsorted(a, v[t] - shift, side="right")`` for a
  sorted ``a``, in one merge-like pass per chunk of rows (a binary search starts each chunk and
  any row whose query goes back), so a trailing window's first row, or the trades up to each
  book row, cost ``O(len(a) + len(v))`` instead of ``len(v)`` binary searches.
- :func:`prefix_sum_cpu`: the running sum of the finite values, in the order ``numpy.cumsum``
  adds them (the same floats), and the rows that hold a NaN (a running NaN count would be a
  second ``[T + 1]`` array to write and to read for a handful of NaNs);
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
DENSE_STRIDE = 4
"""Elements a dense search pointer compares at once at every row."""


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


@numba.njit(cache=True, nogil=True, inline="always")
def _step_dense(a, y, j):
    """Move ``j`` past the elements of ``a`` at or below ``y``, for a pointer that mostly moves.

    The next :data:`DENSE_STRIDE` elements are counted at once, without a branch on whether
    the pointer moves (a coin toss when it moves by about one element a row), as long as all of
    them are; then one by one.
    """
    n = a.shape[0]
    while j + DENSE_STRIDE <= n:
        moved = 0
        for k in range(DENSE_STRIDE):
            moved += 1 if a[j + k] <= y else 0
        j += moved
        if moved < DENSE_STRIDE:
            return j
    while j < n and a[j] <= y:
        j += 1
    return j


@numba.njit(cache=True, nogil=True, inline="always")
def _step_sparse(a, y, j):
    """Move ``j`` past the elements of ``a`` at or below ``y``, for a pointer that mostly stays.

    The first element is counted without a branch (whether the pointer moves at all is what a
    branch would mispredict); the loop after it runs only when a second element is passed too.
    """
    n = a.shape[0]
    if j < n:
        j += 1 if a[j] <= y else 0
    while j < n and a[j] <= y:
        j += 1
    return j


@numba.njit(cache=True, nogil=True, inline="always")
def advance_search(a, x, y, j, dense):
    """Return ``searchsorted(a, y, "right")`` given ``j``, the answer for the query ``x`` before.

    A query that goes back (``y < x``) is a binary search; else the pointer moves forward by the
    dense or the sparse step (see :func:`search_sorted_right`). With ``x`` at int64's maximum
    the first query of a run is a binary search.
    """
    if y < x:
        return _first_above(a, y, 0)
    if dense:
        return _step_dense(a, y, j)
    return _step_sparse(a, y, j)


@numba.njit(cache=True, nogil=True)
def _search_rows_paired(a, v, shift, out, t0, t1, dense):
    """:func:`search_sorted_right` of rows ``t0 .. t1 - 1`` (two or more) as two halves in step.

    Each pointer's next position waits on its last (a load, a compare, an add); two independent
    pointers in one loop let the core work on both at once.
    """
    half = (t1 - t0 + 1) // 2
    m = t0 + half  # the second half, m .. t1 - 1, is as long as the first or one row shorter
    x, x2 = v[t0] - shift, v[m] - shift
    j, j2 = _first_above(a, x, 0), _first_above(a, x2, 0)
    out[t0], out[m] = j, j2
    for k in range(1, half):
        y = v[t0 + k] - shift
        j = advance_search(a, x, y, j, dense)
        x = y
        out[t0 + k] = j
        if m + k < t1:
            y2 = v[m + k] - shift
            j2 = advance_search(a, x2, y2, j2, dense)
            x2 = y2
            out[m + k] = j2


@numba.njit(parallel=True, cache=True)
def search_sorted_right(a, v, shift, out):
    """``out[t]`` = the number of ``a`` at or below ``v[t] - shift``; ``a`` sorted ascending.

    Rows run in chunks in parallel, each chunk as two halves in step
    (:func:`_search_rows_paired`); within a half the pointer only moves forward while the
    queries do not go back (a query that goes back restarts it with a binary search). With at
    least half as many elements as rows (a row window over the book's own timestamps: about one
    element a row) each row counts the next 4 elements without a branch (:func:`_step_dense`);
    with fewer (the trades up to each book row: 0.3 a row) it counts the next one without a
    branch and loops only past a second (:func:`_step_sparse`).
    """
    rows = v.shape[0]
    dense = 2 * a.shape[0] >= rows
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        t0 = c * CHUNK_ROWS
        t1 = min(rows, t0 + CHUNK_ROWS)
        if t1 - t0 >= 2:
            _search_rows_paired(a, v, shift, out, t0, t1, dense)
        else:
            out[t0] = _first_above(a, v[t0] - shift, 0)


@numba.njit(cache=True, nogil=True)
def prefix_sum_cpu(values, square, total, nan_rows):
    """``total[t + 1]`` = sum of the finite ``values[:t + 1]``; the rows of the NaNs in order.

    ``total[0] = 0``. The additions run left to right from the first value, as ``numpy.cumsum``
    of the values with NaN replaced by 0 does, so the floats are the same. With ``square`` the
    values summed are ``x * x`` (the product rounded, then added, as ``cumsum(x * x)`` does)
    without a ``[T]`` array of squares. The rows holding a NaN go to ``nan_rows[:k]`` in
    increasing order and ``k`` is returned: a series with few NaNs (the log returns' row 0)
    writes a few rows where a running count would write ``T``.
    """
    total[0] = 0.0
    n = values.shape[0]
    if n == 0:
        return 0
    first = values[0] * values[0] if square else values[0]
    missing = 0
    if np.isnan(first):
        acc = 0.0
        nan_rows[0] = 0
        missing = 1
    else:
        acc = first
    total[1] = acc
    for t in range(1, n):
        x = values[t] * values[t] if square else values[t]
        if np.isnan(x):
            acc += 0.0
            nan_rows[missing] = t
            missing += 1
        else:
            acc += x
        total[t + 1] = acc
    return missing


@numba.njit(parallel=True, cache=True)
def window_sum_cpu(total, nan_rows, starts, out):
    """``out[t] = total[t + 1] - total[starts[t]]``, NaN where a row of ``nan_rows`` is inside.

    ``nan_rows`` are the rows holding a NaN, increasing (:func:`prefix_sum_cpu`): the window
    ``starts[t] .. t`` holds one when the last of them at or before ``t`` is at or after
    ``starts[t]``, which a pointer moving forward with ``t`` finds (a binary search per chunk).
    """
    rows = out.shape[0]
    k = nan_rows.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        t0 = c * CHUNK_ROWS
        below = _first_above(nan_rows, t0 - 1, 0)
        for t in range(t0, min(rows, t0 + CHUNK_ROWS)):
            while below < k and nan_rows[below] <= t:
                below += 1
            s = starts[t]
            if below > 0 and nan_rows[below - 1] >= s:
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
