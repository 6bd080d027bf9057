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
- the value area's growth is recorded step by step (the lowest and highest bin of the area
  and the bin each step took). A step is decided by the two bins beside the area and by the
  lowest and highest bins with volume, so at the next row, with the same POC, only the
  decisions that a bin the row's trades touched was offered for (from the step its inner
  neighbour joined until it joined itself) are taken again with the new volumes, and of those
  only the ones it lost if it gained volume, the one it won if it lost some; the steps
  before the first that turns out otherwise (or that reaches a changed lowest or highest bin)
  are kept. The row's stop, the first step holding 70%, moves from the row before's, with the
  volume that area holds kept up to date as trades arrive and leave (volumes are not
  negative, so the held volume never falls along the growth), and the growth goes on from
  the last kept step where it must. A negative size turns this off.

There is no CUDA twin yet (the GPU engine runs this on host copies).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from l2gpu.kernels.trade_windows import FIRST_QUERY, window_first

VALUE_AREA_TENTHS = 7  # 70% of the volume
PREFIX_CHUNK = 1 << 16
"""Trades per parallel chunk of :func:`profile_inputs_cpu`."""
CHUNKS_PER_THREAD = 4
"""Parallel chunks per thread: enough to balance, few enough that the refills stay cheap."""


TOUCHED_CAPACITY = 64
"""Touches of bins that recorded decisions offered, per row, up to which the row takes up the
recorded growth (more: it grows afresh)."""


@numba.njit(cache=True, nogil=True, inline="always")
def _grow(hist, lo, hi, low, high, added, joined, k):
    """Record step ``k + 1`` of the value area's growth: the area at ``k`` and the bin beside it.

    The neighbour with more volume joins (upward on a tie); a side at the lowest or highest bin
    with volume (``lo``, ``hi``) offers -1. Returns the bin that joined.
    """
    top, bottom = high[k], low[k]
    up = hist[top + 1] if top < hi else -1
    down = hist[bottom - 1] if bottom > lo else -1
    if up >= down:
        top += 1
        b = top
    else:
        bottom -= 1
        b = bottom
    low[k + 1], high[k + 1], added[k + 1] = bottom, top, b
    joined[b] = k + 1
    return b


@numba.njit(cache=True, nogil=True, inline="always")
def _first_changed(hist, lo, hi, note, best, low, high, joined, last):
    """First recorded decision ``i < last`` that a touched bin can have turned, else ``last``.

    ``note`` is the bin ``b`` if it gained volume, ``-1 - b`` if it lost some. Decision ``i``
    (from the area at step ``i`` to the one at ``i + 1``) offers ``b`` above the POC while
    ``high[i] == b - 1``: from the step where ``b - 1`` joined until ``b`` joins (or up to
    ``last`` if it has not); below, symmetrically. A decision turns only if its winner lost
    volume or its loser gained some, so a bin that gained is checked where it lost (and one
    that lost, where it won): each turned decision is found through one of its two bins.
    """
    grew = note >= 0
    b = note if grew else -1 - note
    if b > best:
        top = high[last]
        if b > top + 1:
            return last
        taken = b <= top
        end = joined[b] if taken else last
        up = hist[b] if b <= hi else -1
        first = joined[b - 1] if grew else (end - 1 if taken else end)
        for i in range(first, end - 1 if grew and taken else end):
            edge = low[i]
            down = hist[edge - 1] if edge > lo else -1
            if (up >= down) == grew:
                return i
    elif b < best:
        bottom = low[last]
        if b < bottom - 1:
            return last
        taken = b >= bottom
        end = joined[b] if taken else last
        down = hist[b] if b >= lo else -1
        first = joined[b + 1] if grew else (end - 1 if taken else end)
        for i in range(first, end - 1 if grew and taken else end):
            edge = high[i]
            up = hist[edge + 1] if edge < hi else -1
            if (up < down) == grew:
                return i
    return last


@numba.njit(cache=True, nogil=True)
def _profile_rows(bins, units, window, ends, bin_size, offset, reuse, hist, poc, vah, val, t0, t1):
    """Profile rows ``t0 .. t1 - 1`` with ``hist`` zeroed scratch; returns nothing.

    ``window`` is ``(trade_ts, ts, ns, rows)``: each row's first trade is found as the trade
    windows find it (:func:`l2gpu.kernels.trade_windows.window_first`). ``reuse`` allows a row
    to take up the value-area growth recorded at the row before.
    """
    trade_ts, ts, ns, window_rows = window
    dense = 2 * trade_ts.shape[0] >= ts.shape[0]
    span = hist.shape[0]
    total = 0
    start, query = window_first(trade_ts, ts, t0, ns, window_rows, dense, ends[t0], FIRST_QUERY, 0)
    added_to = start
    removed_to = start
    previous_start = start
    lo, hi, best = span, -1, -1
    # The recorded growth, steps 0 .. last (-1: none): the area's lowest and highest bin at each
    # step, the bin each step took, and the step at which each bin of the area joined; with the
    # POC, lowest and highest bin it was grown under, and the step where the row stopped and the
    # volume that area holds now.
    low = np.empty(span + 1, np.int64)
    high = np.empty(span + 1, np.int64)
    added = np.empty(span + 1, np.int64)
    joined = np.empty(span, np.int64)
    last, stop, held = -1, 0, 0
    grown_best, grown_lo, grown_hi = -1, 0, -1
    touched = np.empty(TOUCHED_CAPACITY + 1, np.int64)
    for t in range(t0, t1):
        if t > t0:
            previous_start = start
            start, query = window_first(
                trade_ts, ts, t, ns, window_rows, dense, ends[t], query, start
            )
        if t > t0 and start == previous_start and ends[t] == ends[t - 1]:
            poc[t] = poc[t - 1]
            vah[t] = vah[t - 1]
            val[t] = val[t - 1]
            continue
        # The area at the stop, whose volume is kept; the bins a recorded decision offered.
        area_low, area_high = (low[stop], high[stop]) if last >= 0 else (1, 0)
        offered_low, offered_high = (low[last] - 1, high[last] + 1) if last >= 0 else (1, 0)
        n_touched = 0
        for j in range(added_to, ends[t]):
            b = bins[j] - offset
            hist[b] += units[j]
            total += units[j]
            lo = min(lo, b)
            hi = max(hi, b)
            held += units[j] if area_low <= b <= area_high else 0
            # Noted without a branch: written always, counted when a decision offered it.
            touched[min(n_touched, TOUCHED_CAPACITY)] = b
            n_touched += 1 if offered_low <= b <= offered_high else 0
            if best >= 0 and (hist[b] > hist[best] or (hist[b] == hist[best] and b < best)):
                best = b
        added_to = max(added_to, ends[t])
        for j in range(removed_to, start):
            b = bins[j] - offset
            hist[b] -= units[j]
            total -= units[j]
            held -= units[j] if area_low <= b <= area_high else 0
            touched[min(n_touched, TOUCHED_CAPACITY)] = -1 - b
            n_touched += 1 if offered_low <= b <= offered_high else 0
            if b == best:
                best = -1
        removed_to = max(removed_to, start)
        if total <= 0:
            poc[t] = math.nan
            vah[t] = math.nan
            val[t] = math.nan
            lo, hi, best, last = span, -1, -1, -1
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
        if not reuse or last < 0 or best != grown_best or n_touched > TOUCHED_CAPACITY:
            low[0], high[0], joined[best] = best, best, 0
            last, stop, held = 0, 0, hist[best]
        else:
            # Keep the steps before the first decision the row's changes can have turned: one
            # at a changed lowest or highest bin, or one that a touched bin offered for.
            keep = last
            if hi != grown_hi and min(hi, grown_hi) <= high[keep]:
                keep = joined[min(hi, grown_hi)]
            if lo != grown_lo and max(lo, grown_lo) >= low[keep]:
                keep = min(keep, joined[max(lo, grown_lo)])
            for k in range(n_touched):
                keep = _first_changed(hist, lo, hi, touched[k], best, low, high, joined, keep)
            while stop > keep:
                held -= hist[added[stop]]
                stop -= 1
            last = keep
            # Volumes are not negative, so the held volume never falls along the growth: the
            # first step holding 70% is at or before the row's stop if that one holds it.
            while stop > 0 and 10 * (held - hist[added[stop]]) >= VALUE_AREA_TENTHS * total:
                held -= hist[added[stop]]
                stop -= 1
        while 10 * held < VALUE_AREA_TENTHS * total and (low[stop] > lo or high[stop] < hi):
            if stop == last:
                _grow(hist, lo, hi, low, high, added, joined, last)
                last += 1
            stop += 1
            held += hist[added[stop]]
        grown_best, grown_lo, grown_hi = best, lo, hi
        poc[t] = (best + offset + 0.5) * bin_size
        vah[t] = (high[stop] + offset + 0.5) * bin_size
        val[t] = (low[stop] + offset + 0.5) * bin_size


@numba.njit(parallel=True, cache=True)
def volume_profile_rows(
    bins, units, window, ends, bin_size, offset, span, chunks, reuse, poc, vah, val
):
    """Profile the trades of row ``t``'s window, up to ``ends[t]``, at each row ``t``.

    ``window`` is ``(trade_ts, ts, ns, rows)``, a trailing window as the trade-window kernels
    take it (:func:`l2gpu.kernels.trade_windows.window_first`); the trades' timestamps and the
    rows' are non-decreasing. ``span`` is the number of bins (``bins - offset`` lies in ``0 ..
    span - 1``); each of the ``chunks`` parallel chunks of rows gets its own zeroed int64
    histogram of that many bins. ``reuse`` (no unit is negative) allows the recorded
    value-area growth to be taken up.
    """
    rows = ends.shape[0]
    size = (rows + chunks - 1) // chunks
    for c in numba.prange(chunks):
        t0 = c * size
        t1 = min(rows, t0 + size)
        if t0 < t1:
            hist = np.zeros(span, np.int64)
            _profile_rows(
                bins, units, window, ends, bin_size, offset, reuse, hist, poc, vah, val, t0, t1
            )


@numba.njit(parallel=True, cache=True)
def profile_inputs_cpu(px, size, bin_size, epsilon, units_per_size, bins, units):
    """Fill the trades' price bins and integer volumes (int64) in parallel chunks.

    ``bins = floor(px / bin_size + epsilon)``, ``units = rint(size * units_per_size)``: the
    operations of ``numpy.floor(px / bin_size + epsilon).astype(int64)`` and
    ``numpy.round(size * units_per_size).astype(int64)`` (``round`` to even is ``rint``).
    """
    n = px.shape[0]
    for c in numba.prange((n + PREFIX_CHUNK - 1) // PREFIX_CHUNK):
        for i in range(c * PREFIX_CHUNK, min(n, (c + 1) * PREFIX_CHUNK)):
            bins[i] = np.int64(np.floor(px[i] / bin_size + epsilon))
            units[i] = np.int64(np.rint(size[i] * units_per_size))


def volume_profile_cpu(bins, units, window, ends, bin_size, offset, span, poc, vah, val):
    """:func:`volume_profile_rows` with :data:`CHUNKS_PER_THREAD` chunks per Numba thread."""
    chunks = max(1, min(ends.shape[0], numba.get_num_threads() * CHUNKS_PER_THREAD))
    reuse = not units.size or int(units.min()) >= 0
    volume_profile_rows(
        bins, units, window, ends, bin_size, offset, span, chunks, reuse, poc, vah, val
    )
