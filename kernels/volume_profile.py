"""Volume profile of the trades in a trailing window at each book row: POC, VAH and VAL.

Trades fall in price bins ``b = floor(px / bin)``. At each row, over the trades of its window:
the point of control (POC) is the bin with the most volume (the lowest such bin on a tie); the
value area grows from the POC one bin at a time toward the neighbour with more volume (upward on
a tie) until it holds 70% of the window's volume; VAH and VAL are its highest and lowest bins.
Prices are bin centres, ``(b + 0.5) * bin``. A window without volume gives NaN.

The window slides: each row adds the trades that entered and removes those that left. Volumes
are integer units (``size * 10**8``), so adding and removing is exact and ties stay ties, and
the profile of a row depends only on its window's trades. That makes four shortcuts exact:

- rows run in parallel chunks, each with its own histogram, filled from scratch with the window
  of the chunk's first row;
- a row whose window holds the same trades as the row before repeats that row's answer;
- the POC is kept as trades arrive (a bin that overtakes it, or ties it from below, takes its
  place) and searched for again only when the POC's own bin loses volume;
- the value area's growth is recorded step by step (volume held, lowest and highest bin). A
  step is decided by the two bins beside the area and by the lowest and highest bins with
  volume; at the next row, with the same POC (its bin untouched), the steps before the first
  one that reads a bin the row's trades touched (or reaches a changed lowest or highest bin)
  would be taken again. The row keeps them, finds where to stop by bisection over their held
  volumes (which never decrease, volumes not being negative), and grows on from the last kept
  step if it must. A negative size turns this off.

There is no CUDA twin yet (the GPU engine runs this on host copies).
"""

from __future__ import annotations

import math

import numba
import numpy as np

VALUE_AREA_TENTHS = 7  # 70% of the volume
CHUNKS_PER_THREAD = 4
"""Parallel chunks per thread: enough to balance, few enough that the refills stay cheap."""


@numba.njit(cache=True, nogil=True)
def _walk(hist, lo, hi, total, path, k):
    """Grow the value area from step ``k`` of ``path`` until it holds 70% of ``total``.

    ``path[0, i]``, ``path[1, i]``, ``path[2, i]`` are the volume held, the lowest and the
    highest bin after ``i`` steps (step 0 is the POC alone). Returns the last step.
    """
    held, low, high = path[0, k], path[1, k], path[2, k]
    while 10 * held < VALUE_AREA_TENTHS * total and (low > lo or high < hi):
        up = hist[high + 1] if high < hi else -1
        down = hist[low - 1] if low > lo else -1
        if up >= down:
            high += 1
            held += up
        else:
            low -= 1
            held += down
        k += 1
        path[0, k], path[1, k], path[2, k] = held, low, high
    return k


@numba.njit(cache=True, nogil=True)
def _first_holding(path, last, total):
    """First step ``i <= last`` whose held volume reaches 70% of ``total``, else ``last + 1``."""
    a, b = 0, last + 1
    while a < b:
        mid = (a + b) >> 1
        if 10 * path[0, mid] >= VALUE_AREA_TENTHS * total:
            b = mid
        else:
            a = mid + 1
    return a


@numba.njit(cache=True, nogil=True, inline="always")
def _touch(b, best, touched_up, touched_down, last):
    """Note bin ``b`` touched; return ``(touched_up, touched_down, last)`` updated.

    The nearest touched bins above and below ``best`` are kept; a touch at ``best`` drops the
    recorded growth (``last = -1``).
    """
    if b > best:
        return min(touched_up, b), touched_down, last
    if b < best:
        return touched_up, max(touched_down, b), last
    return touched_up, touched_down, -1


@numba.njit(cache=True, nogil=True)
def _kept_steps(path, last, up, down):
    """Return the last recorded step to keep.

    That is the first ``i <= last`` whose area reaches bin ``up`` above or ``down`` below (its
    next step is decided anew), else ``last``.
    """
    a, b = 0, last
    while a < b:
        mid = (a + b) >> 1
        if path[2, mid] >= up or path[1, mid] <= down:
            b = mid
        else:
            a = mid + 1
    return a


@numba.njit(cache=True, nogil=True)
def _profile_rows(bins, units, starts, ends, bin_size, offset, reuse, hist, poc, vah, val, t0, t1):
    """Profile rows ``t0 .. t1 - 1`` with ``hist`` zeroed scratch; returns nothing.

    ``reuse`` allows a row to take up the value-area growth recorded at the row before.
    """
    total = 0
    added = starts[t0]
    removed = starts[t0]
    lo = hist.shape[0]
    hi = -1
    best = -1
    path = np.empty((3, hist.shape[0] + 1), np.int64)
    # The recorded growth: its last step (-1: none), the POC and the lowest and highest bins
    # with volume it grew in, and the nearest bins above and below that POC touched since.
    last = -1
    seen_best, walk_lo, walk_hi = -1, 0, -1
    touched_up, touched_down = hist.shape[0] + 1, -2
    for t in range(t0, t1):
        if t > t0 and starts[t] == starts[t - 1] and ends[t] == ends[t - 1]:
            poc[t] = poc[t - 1]
            vah[t] = vah[t - 1]
            val[t] = val[t - 1]
            continue
        for j in range(added, ends[t]):
            b = bins[j] - offset
            hist[b] += units[j]
            total += units[j]
            lo = min(lo, b)
            hi = max(hi, b)
            touched_up, touched_down, last = _touch(b, seen_best, touched_up, touched_down, last)
            if best >= 0 and (hist[b] > hist[best] or (hist[b] == hist[best] and b < best)):
                best = b
        added = max(added, ends[t])
        for j in range(removed, starts[t]):
            b = bins[j] - offset
            hist[b] -= units[j]
            total -= units[j]
            touched_up, touched_down, last = _touch(b, seen_best, touched_up, touched_down, last)
            if b == best:
                best = -1
        removed = max(removed, starts[t])
        if total <= 0:
            poc[t] = math.nan
            vah[t] = math.nan
            val[t] = math.nan
            lo = hist.shape[0]
            hi = -1
            best = -1
            last = -1
            continue
        while hist[lo] == 0:
            lo += 1
        while hist[hi] == 0:
            hi -= 1
        if best < 0:
            best = lo
            for b in range(lo, hi + 1):
                if hist[b] > hist[best]:
                    best = b
        if not reuse or last < 0 or best != seen_best:
            path[0, 0], path[1, 0], path[2, 0] = hist[best], best, best
            last = _walk(hist, lo, hi, total, path, 0)
            stop = last
        else:
            up = touched_up - 1 if hi == walk_hi else min(touched_up - 1, hi, walk_hi)
            down = touched_down + 1 if lo == walk_lo else max(touched_down + 1, lo, walk_lo)
            last = _kept_steps(path, last, up, down)
            stop = _first_holding(path, last, total)
            if stop > last:
                last = _walk(hist, lo, hi, total, path, last)
                stop = last
        seen_best, walk_lo, walk_hi = best, lo, hi
        touched_up, touched_down = hist.shape[0] + 1, -2
        poc[t] = (best + offset + 0.5) * bin_size
        vah[t] = (path[2, stop] + offset + 0.5) * bin_size
        val[t] = (path[1, stop] + offset + 0.5) * bin_size


@numba.njit(parallel=True, cache=True)
def volume_profile_rows(
    bins, units, starts, ends, bin_size, offset, span, chunks, reuse, poc, vah, val
):
    """Profile the trades ``starts[t]:ends[t]`` at each row ``t`` (both non-decreasing).

    ``span`` is the number of bins (``bins - offset`` lies in ``0 .. span - 1``); each of the
    ``chunks`` parallel chunks of rows gets its own zeroed int64 histogram of that many bins.
    ``reuse`` (no unit is negative) allows the recorded value-area growth to be taken up.
    """
    rows = starts.shape[0]
    size = (rows + chunks - 1) // chunks
    for c in numba.prange(chunks):
        t0 = c * size
        t1 = min(rows, t0 + size)
        if t0 < t1:
            hist = np.zeros(span, np.int64)
            _profile_rows(
                bins, units, starts, ends, bin_size, offset, reuse, hist, poc, vah, val, t0, t1
            )


def volume_profile_cpu(bins, units, starts, ends, bin_size, offset, span, poc, vah, val):
    """:func:`volume_profile_rows` with :data:`CHUNKS_PER_THREAD` chunks per Numba thread."""
    chunks = max(1, min(starts.shape[0], numba.get_num_threads() * CHUNKS_PER_THREAD))
    reuse = not units.size or int(units.min()) >= 0
    volume_profile_rows(
        bins, units, starts, ends, bin_size, offset, span, chunks, reuse, poc, vah, val
    )
