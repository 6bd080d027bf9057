"""Volume profile of the trades in a trailing window at each book row: POC, VAH and VAL.

Trades fall in price bins ``b = floor(px / bin)``. At each row, over the trades of its window:
the point of control (POC) is the bin with the most volume (the lowest such bin on a tie); the
value area grows from the POC one bin at a time toward the neighbour with more volume (upward on
a tie) until it holds 70% of the window's volume; VAH and VAL are its highest and lowest bins.
Prices are bin centres, ``(b + 0.5) * bin``. A window without volume gives NaN.

The window slides: each row adds the trades that entered and removes those that left, so the
cost is one pass over the trades plus, per row, a scan of the bins the window spans. Volumes are
integer units (``size * 10**8``), so adding and removing is exact and ties stay ties. Rows run in
order on one core; there is no CUDA twin yet (the GPU engine runs this on host copies).
"""

from __future__ import annotations

import math

import numba

VALUE_AREA_TENTHS = 7  # 70% of the volume


@numba.njit(cache=True, nogil=True)
def volume_profile_cpu(bins, units, starts, ends, bin_size, offset, hist, poc, vah, val):
    """Profile the trades ``starts[t]:ends[t]`` at each row ``t`` (both non-decreasing).

    ``hist`` is zeroed int64 scratch covering every bin (``bins - offset``).
    """
    total = 0
    added = 0
    removed = 0
    lo = hist.shape[0]
    hi = -1
    for t in range(starts.shape[0]):
        for j in range(added, ends[t]):
            b = bins[j] - offset
            hist[b] += units[j]
            total += units[j]
            lo = min(lo, b)
            hi = max(hi, b)
        added = max(added, ends[t])
        for j in range(removed, starts[t]):
            hist[bins[j] - offset] -= units[j]
            total -= units[j]
        removed = max(removed, starts[t])
        if total <= 0:
            poc[t] = math.nan
            vah[t] = math.nan
            val[t] = math.nan
            lo = hist.shape[0]
            hi = -1
            continue
        while hist[lo] == 0:
            lo += 1
        while hist[hi] == 0:
            hi -= 1
        best = lo
        for b in range(lo, hi + 1):
            if hist[b] > hist[best]:
                best = b
        held = hist[best]
        low = best
        high = best
        while 10 * held < VALUE_AREA_TENTHS * total and (low > lo or high < hi):
            up = hist[high + 1] if high < hi else -1
            down = hist[low - 1] if low > lo else -1
            if up >= down:
                high += 1
                held += up
            else:
                low -= 1
                held += down
        poc[t] = (best + offset + 0.5) * bin_size
        vah[t] = (high + offset + 0.5) * bin_size
        val[t] = (low + offset + 0.5) * bin_size
